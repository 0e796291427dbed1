/**
 * Hostile names and passwords, property-based over the whole path (program → engine → provider →
 * emulator): fast-check generates them from quoting characters, separators, comments, line breaks,
 * `N'` and `0x`, look-alike quotes and non-BMP characters, up to 128 UTF-16 units, inside SQL Server's
 * real limits (no trailing space in names, no NUL, no lone surrogate, no backslash in SQL logins).
 * Each case is one `up`, a master key password change and a `destroy` (see injection.ts).
 * Seeded and reproducible: HARDENING_SEED=<n> replays another sample; the seed is printed.
 */
import * as fc from "fast-check";
import { describe, it } from "vitest";
import { pulumiAvailable } from "../engine/pulumiProject";
import { injectionCaseArb, runInjectionCase } from "./injection";
import { since, useCasesProject } from "./support";

const runEngine = pulumiAvailable();
/** Several CLI commands per test, on a shared two-core machine: far above the usual run time. */
const LONG = 300_000;
const SEED = Number(process.env.HARDENING_SEED ?? 20261126);
const RUNS = 6;
const cases = fc.sample(injectionCaseArb, { seed: SEED, numRuns: RUNS });

describe.runIf(runEngine)(`generated hostile names and passwords (seed ${SEED})`, () => {
  const fx = useCasesProject(1, { destroy: true });

  it.each(cases.map((c, n) => ({ n, c })))("case $n", async ({ n, c }) => {
    const t0 = performance.now();
    console.log(`seed ${SEED} case ${n}: ${JSON.stringify({ ...c, loginPassword: "…", masterKeyPassword: "…", newMasterKeyPassword: "…", backupPassword: "…" })}`);
    await runInjectionCase(fx.project, fx.instances[0]!, c);
    console.log(`case ${n}: ${since(t0)} ms`);
  }, LONG);
});
