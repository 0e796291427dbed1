/**
 * Hostile names and passwords at the edges of SQL Server's limits, over the whole path (see
 * injection.ts): 128 UTF-16 units made of non-BMP characters, text shaped like T-SQL that ends a
 * literal or an identifier and starts a statement, and names made only of quoting characters.
 */
import { describe, it } from "vitest";
import { pulumiAvailable } from "../engine/pulumiProject";
import { runInjectionCase, type InjectionCase } from "./injection";
import { since, useCasesProject } from "./support";

const runEngine = pulumiAvailable();
/** Several CLI commands per test, on a shared two-core machine: far above the usual run time. */
const LONG = 300_000;

const EDGES: Array<{ title: string; c: InjectionCase }> = [
  {
    title: "128 UTF-16 units of characters outside the BMP; 128-character passwords ending in a quote",
    c: {
      certificate: `c${"𝔘".repeat(63)}`,
      subject: "😀".repeat(32),
      endpoint: "😀".repeat(64),
      login: "𝔘".repeat(64),
      loginPassword: `${"😀".repeat(63)}'`,
      user: "中😀".repeat(42) + "中",
      peerCertificate: `p${"😀".repeat(63)}`,
      masterKeyPassword: `Aa9!${"'".repeat(124)}`,
      newMasterKeyPassword: `Aa9!${"’".repeat(123)}'`,
      backupFile: "😀𝔘中é",
      backupPassword: `Aa9!${"]".repeat(123)}'`,
    },
  },
  {
    title: "text shaped like T-SQL: closing quotes and brackets, separators, comments, GO, N'…' and 0x",
    c: {
      certificate: "x]; DROP LOGIN [sa]; --",
      subject: "'); DROP CERTIFICATE [x]; --",
      endpoint: "e'); SHUTDOWN WITH NOWAIT; --",
      login: "l' ; DROP MASTER KEY --",
      loginPassword: "'; SHUTDOWN; --",
      user: " u]] /* */ N'0x00",
      peerCertificate: "p]\nGO\nDROP CERTIFICATE [x",
      masterKeyPassword: "Aa9!'); DROP MASTER KEY; --",
      newMasterKeyPassword: "Aa9!N'' + CHAR(39) + N'",
      backupFile: "b'; --",
      backupPassword: "Aa9!' , DECRYPTION BY PASSWORD = 'x",
    },
  },
  {
    title: "names made only of quoting characters",
    c: {
      certificate: `c${"'".repeat(127)}`,
      subject: '"'.repeat(64),
      endpoint: "]".repeat(128),
      login: '"'.repeat(128),
      loginPassword: "'".repeat(128),
      user: "[".repeat(128),
      peerCertificate: `p${"]".repeat(127)}`,
      masterKeyPassword: `Aa9!${'"'.repeat(124)}`,
      newMasterKeyPassword: `Aa9!${"]".repeat(124)}`,
      backupFile: "''''",
      backupPassword: `Aa9!${"[".repeat(124)}`,
    },
  },
];

describe.runIf(runEngine)("hostile names and passwords at the edges", () => {
  const fx = useCasesProject(1, { destroy: true });

  it.each(EDGES)("$title", async ({ c }) => {
    const t0 = performance.now();
    for (const name of [c.certificate, c.endpoint, c.login, c.user, c.peerCertificate]) if (name.length > 128) throw new Error(`test bug: ${name.length} units`);
    await runInjectionCase(fx.project, fx.instances[0]!, c);
    console.log(`edge case: ${since(t0)} ms`);
  }, LONG);
});
