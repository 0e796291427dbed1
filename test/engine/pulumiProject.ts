/**
 * Runs real Pulumi programs with the real CLI for the engine tests: each test project is a copy of a
 * program directory under `.work/engine/`, with its own local file backend, PULUMI_HOME and
 * passphrase, driven through the Automation API. Every line the CLI prints is kept so tests can
 * look for secrets in it.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { ConfigMap, Stack } from "@pulumi/pulumi/automation";
import { localPulumiEnv, localStack } from "../../scripts/localStack";

/** The repository root. */
export const ROOT = path.resolve(__dirname, "..", "..");

/**
 * Whether a usable `pulumi` CLI is on PATH. Under CI its absence is an error (the engine tests
 * must not skip there); elsewhere the tests are skipped with a visible message.
 */
export function pulumiAvailable(): boolean {
  try {
    const version = execFileSync("pulumi", ["version"], { encoding: "utf8", env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" } }).trim();
    return /^v?3\.\d+\.\d+/.test(version);
  } catch {
    if (process.env.CI) throw new Error("the Pulumi CLI is not on PATH: .ci/run must install it (scripts/pulumi-cli.sh)");
    console.warn("engine tests skipped: no `pulumi` on PATH (npm test puts the one built by scripts/pulumi-cli.sh there)");
    return false;
  }
}

/** A Pulumi project copied from a program directory, with one stack. */
export interface TestProject {
  readonly dir: string;
  readonly stack: Stack;
  /** Everything the CLI printed, across all commands. */
  readonly output: string[];
  /** The env every command runs with. */
  readonly env: Record<string, string>;
  /** Removes the project's folder (state included). */
  remove(): void;
}

/** Options of {@link createProject}. */
export interface ProjectOptions {
  /** Program directory to copy (its Pulumi.yaml and code; stack files are not copied). */
  source: string;
  /** Only these entries of `source` (default: all), e.g. `["Pulumi.yaml", "program"]` for the root program. */
  include?: string[];
  /** Files to add or replace, relative to the project (e.g. a CA certificate). */
  files?: Record<string, string>;
  /** Stack config. */
  config: ConfigMap;
  /** Stack name. Default `test`. */
  stackName?: string;
}

/** Creates a project from a program directory, with a fresh local backend and stack. */
export async function createProject(options: ProjectOptions): Promise<TestProject> {
  const dir = path.join(ROOT, ".work", "engine", `${path.basename(options.source)}-${randomBytes(4).toString("hex")}`);
  mkdirSync(dir, { recursive: true });
  const isStackFile = (src: string) => /Pulumi\.[^/]+\.yaml$/.test(src) && !src.endsWith("Pulumi.yaml");
  for (const entry of options.include ?? ["."]) {
    cpSync(path.join(options.source, entry), path.join(dir, entry), { recursive: true, filter: (src) => !isStackFile(src) });
  }
  for (const [file, content] of Object.entries(options.files ?? {})) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), content);
  }
  const env = localPulumiEnv(dir);
  const stack = await localStack(dir, options.stackName ?? "test", env);
  await stack.setAllConfig(options.config);
  return {
    dir,
    stack,
    output: [],
    env,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Options for running a command and recording its output. */
export function recorded(project: TestProject): { onOutput: (s: string) => void; color: "never" } {
  return { onOutput: (s: string) => project.output.push(s), color: "never" };
}
