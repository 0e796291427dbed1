/**
 * Python's pytds, the second independent TDS client of the interoperability tests, from the
 * virtualenv `scripts/second-client.sh` keeps. Under CI its absence is an error; elsewhere the
 * tests using it are skipped with a visible warning.
 */
import { execFile, execFileSync } from "node:child_process";
import * as path from "node:path";

/** The interpreter that has pytds, or undefined (after warning) when there is none outside CI. */
export function pytdsInterpreter(what: string): string | undefined {
  try {
    const script = path.resolve(__dirname, "../../scripts/second-client.sh");
    return execFileSync("bash", [script], { encoding: "utf8", timeout: 120_000, stdio: ["ignore", "pipe", "pipe"] }).trim();
  } catch (error) {
    const reason = (error as Error).message;
    if (process.env.CI) throw new Error(`pytds is required in CI but scripts/second-client.sh failed: ${reason}`);
    console.warn(`SKIPPING ${what}: no pytds interpreter (${reason})`);
    return undefined;
  }
}

/** Runs a Python script with arguments and resolves with what it printed (stderr joins a failure's message). */
export function runPython(python: string, script: string, args: string[]): Promise<string> {
  return new Promise<string>((resolve, reject) =>
    execFile(python, [script, ...args], { timeout: 30_000 }, (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out))),
  );
}
