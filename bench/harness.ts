/**
 * What the benchmarks need around the real Pulumi CLI: projects under `.work/bench/` with their own
 * local file backend (driven through the Automation API), emulated instances, a wall clock per
 * command, and a watcher that finds the dynamic-provider process the CLI starts and records its
 * peak memory.
 *
 * Deliberately independent of `test/engine/` (tests and benchmarks evolve separately; the build
 * compiles only `bench/`), but it sets up projects exactly as the engine tests do.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import type { ConfigMap, Stack } from "@pulumi/pulumi/automation";
import { localPulumiEnv, localStack } from "../scripts/localStack";

/** The repository root (from `bench/` when run by ts-node, from `dist/bench/` when built). */
export const ROOT = (() => {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const pkg = path.join(dir, "package.json");
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "pulumi-mssql-mirroring") return dir;
    dir = path.dirname(dir);
  }
  throw new Error(`cannot find the repository root above ${__dirname}`);
})();

/** Where the benchmark projects live (removed at the end of a run). */
export const WORK_DIR = path.join(ROOT, ".work", "bench");

/** A Pulumi project for the benchmarks, with one stack. */
export interface BenchProject {
  readonly name: string;
  readonly dir: string;
  readonly stack: Stack;
  /**
   * Runs the CLI itself in the project (`pulumi <args> --stack bench --non-interactive`). The
   * Automation API's `up`, `refresh` and `destroy` also run `pulumi stack history` (and `up` also
   * `pulumi stack output`) after the command; timing those would blur what the command costs.
   */
  cli(args: string[]): Promise<{ stdout: string; stderr: string }>;
  /** Removes the project's folder (state included). */
  remove(): void;
}

/** Options of {@link createProject}. */
export interface BenchProjectOptions {
  /** Label, also the folder prefix. */
  name: string;
  /** Files of the project: relative path → content, or `{ copy: absolute path }` (files or folders). */
  files: Record<string, string | { copy: string }>;
  /** Stack config. */
  config: ConfigMap;
  /** Extra environment of every command (e.g. the registration hook's output file). */
  env?: Record<string, string>;
}

/** Creates a project with a fresh local backend and a stack named `bench`. */
export async function createProject(options: BenchProjectOptions): Promise<BenchProject> {
  const dir = path.join(WORK_DIR, `${options.name}-${randomBytes(4).toString("hex")}`);
  mkdirSync(dir, { recursive: true });
  for (const [rel, content] of Object.entries(options.files)) {
    const target = path.join(dir, rel);
    mkdirSync(path.dirname(target), { recursive: true });
    if (typeof content === "string") writeFileSync(target, content);
    else cpSync(content.copy, target, { recursive: true });
  }
  const env: Record<string, string> = { ...localPulumiEnv(dir), ...options.env };
  const stack = await localStack(dir, "bench", env);
  await stack.setAllConfig(options.config);
  const cliEnv = { ...process.env, ...env, PULUMI_HOME: path.join(dir, ".pulumi-home") };
  const cli = (args: string[]) =>
    new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      execFile("pulumi", [...args, "--stack", "bench", "--non-interactive", "--color", "never"], { cwd: dir, env: cliEnv, maxBuffer: 64 * 2 ** 20 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`pulumi ${args.join(" ")} failed in ${dir}: ${error.message}\n${stdout.slice(-4000)}\n${stderr.slice(-4000)}`));
        else resolve({ stdout, stderr });
      });
    });
  return { name: options.name, dir, stack, cli, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `work` and returns its result with the wall time in ms. */
export async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await work();
  return { value, ms: performance.now() - t0 };
}

interface ProcInfo {
  pid: number;
  ppid: number;
}

function readProcs(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid …; comm may hold spaces and parentheses: split after the last ')'.
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.push({ pid: Number(entry), ppid: Number(rest[1]) });
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/** Pids of every descendant of `root`. */
function descendants(root: number): number[] {
  const procs = readProcs();
  const children = new Map<number, number[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const found: number[] = [];
  const queue = [root];
  for (let i = 0; i < queue.length && i < 10_000; i++) {
    for (const c of children.get(queue[i]!) ?? []) {
      found.push(c);
      queue.push(c);
    }
  }
  return found;
}

/** `VmHWM` (peak resident set) of a process in kB, or undefined when it is gone. */
function peakRssKb(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return "";
  }
}

/** What {@link watchProcesses} saw. */
export interface ProcessPeak {
  /** Largest VmHWM of any matching process, in MB (0 when none was seen). */
  peakRssMb: number;
  /** How many matching processes were seen. */
  processes: number;
}

/**
 * Polls /proc every `intervalMs` for descendants of this process whose command line matches
 * `pattern` and keeps the largest `VmHWM` (the kernel's own high-water mark of resident memory,
 * so a peak between two polls is not missed; only growth in the last interval before the process
 * exits is). Stop it after the command.
 */
export function watchProcesses(pattern: RegExp, intervalMs = 100): { stop(): ProcessPeak } {
  const peaks = new Map<number, number>();
  const known = new Map<number, boolean>();
  const poll = () => {
    for (const pid of descendants(process.pid)) {
      let matches = known.get(pid);
      if (matches === undefined) {
        matches = pattern.test(cmdline(pid));
        known.set(pid, matches);
      }
      if (!matches) continue;
      const kb = peakRssKb(pid);
      if (kb !== undefined) peaks.set(pid, Math.max(peaks.get(pid) ?? 0, kb));
    }
  };
  const timer = setInterval(poll, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      poll();
      const max = Math.max(0, ...peaks.values());
      return { peakRssMb: Math.round((max / 1024) * 10) / 10, processes: peaks.size };
    },
  };
}

/** The dynamic-provider plugin (`pulumi-resource-pulumi-nodejs` runs `node …/cmd/dynamic-provider`). */
export const DYNAMIC_PROVIDER_PROCESS = /cmd\/dynamic-provider/;

/** Median of numbers. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Rounds to `digits` decimals. */
export function round(value: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
