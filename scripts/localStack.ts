/**
 * A Pulumi stack whose project, state and settings all live in one folder, for the demo, the
 * engine tests and the benchmarks: local file backend, a throwaway passphrase, no update checks
 * and no plugin downloads (nothing leaves the machine), type checking left to the build.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import * as path from "node:path";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";

/** The repository root: the nearest folder above this file (scripts/ or dist/scripts/) with a package.json. */
const ROOT = (() => {
  for (let dir = path.resolve(__dirname, ".."); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "package.json"))) return dir;
  }
  throw new Error(`no package.json above ${__dirname}`);
})();

/** The environment every Pulumi command of a project in `dir` runs with. */
export function localPulumiEnv(dir: string): Record<string, string> {
  mkdirSync(path.join(dir, ".state"), { recursive: true });
  return {
    PULUMI_BACKEND_URL: `file://${path.join(dir, ".state")}`,
    PULUMI_CONFIG_PASSPHRASE: randomBytes(12).toString("hex"),
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_NODEJS_TRANSPILE_ONLY: "true",
    // Programs outside the checkout still resolve this package and @pulumi/pulumi.
    NODE_PATH: path.join(ROOT, "node_modules"),
  };
}

/** Creates or selects stack `stackName` of the project in `dir`, with its PULUMI_HOME inside `dir`. */
export async function localStack(dir: string, stackName: string, env: Record<string, string>): Promise<Stack> {
  return LocalWorkspace.createOrSelectStack({ stackName, workDir: dir }, { pulumiHome: path.join(dir, ".pulumi-home"), envVars: env });
}
