/**
 * Secrets never show, through the real CLI: every password is a marker (master key before and after
 * a change, explicit login passwords, the backup private key through MirroringInstance.backup and
 * through CertificateBackup, the connection's); a PeerTrust's generated login password is kept nowhere.
 * Everything is captured: stdout and stderr of preview/up/refresh/destroy with --diff, the engine's
 * verbose logs (-v=9 --logtostderr --logflow), --debug output, the engine events, every error of
 * forced failures (server errors echoing the statement, refused logins), `stack export`, and the
 * emulator's log.
 *
 * Passwords from stack config secrets never appear anywhere. Passwords built in the program (plain
 * strings) are stored encrypted in state (the `4dabf18193072939515e22adb298388d`
 * ciphertext object, never the string) and never appear in CLI output, errors or the emulator log.
 * Pulumi's own debug message for each resource registration ("RegisterResource RPC finished …
 * resp: …", @pulumi/pulumi runtime/resource.js, 3.270 to 3.276 at least) prints resource outputs,
 * secret ones included, and the engine masks only config secrets in it: that line, which reaches
 * the verbose logs and the engine events, is the one place such a password shows, and the test pins
 * that it is the only one.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type EmulatorInstance } from "../../emulator";
import { generateSelfSignedCertificate } from "../../emulator/crypto/x509";
import { SA_PASSWORD } from "../engine/emulators";
import { pulumiAvailable, type TestProject } from "../engine/pulumiProject";
import { reservePort } from "../support/ports";
import { casesProject, conn, failureOf, plain, ref, secret, setCase, stackExport, stopInstances, type Case } from "./support";

const runEngine = pulumiAvailable();
/** Several CLI commands per test, on a shared two-core machine: far above the usual run time. */
const LONG = 300_000;
/** Every marker (SA_PASSWORD is one too); nothing else in these runs looks like this. */
const MARKER = /Marker-[A-Za-z0-9]+-[0-9a-f]{6}/g;
const SIGNATURE = "4dabf18193072939515e22adb298388d";

const M = {
  mk: "Marker-SecMK-a1b2c3!Aa",
  mk2: "Marker-SecMKnew-d4e5f6!Aa",
  login: "Marker-SecLogin-0a1b2c!Aa",
  login2: "Marker-SecLoginNew-3d4e5f!Aa",
  backup: "Marker-SecBackup-6a7b8c!Aa",
  backup2: "Marker-SecBackupTwo-9d0e1f!Aa",
};

/**
 * Everything commands printed or emitted, in two buckets: `printed` (the CLI's display on stdout,
 * its stderr without verbose logging, and every error) and `logged` (engine events, and the
 * verbose log lines that -v=9 --logtostderr sends to stderr). Both are one record per line.
 */
class Capture {
  readonly printed: string[] = [];
  readonly logged: string[] = [];
  options(verbose: boolean, extra: Record<string, unknown> = {}) {
    return {
      color: "never" as const,
      diff: true,
      onOutput: (s: string) => this.printed.push(s),
      onError: (s: string) => (verbose ? this.logged : this.printed).push(s),
      onEvent: (e: unknown) => this.logged.push(JSON.stringify(e)),
      ...(verbose ? VERBOSE : {}),
      ...extra,
    };
  }
  print(...texts: unknown[]) {
    for (const t of texts) this.printed.push(typeof t === "string" ? t : String(t));
  }
}

const VERBOSE = { logVerbosity: 9, logToStdErr: true, logFlow: true };

/** Lines (of any captured text) holding one of `secrets`. */
function linesWith(texts: string[], secrets: string[]): string[] {
  return texts.flatMap((t) => t.split("\n")).filter((line) => secrets.some((s) => line.includes(s)));
}

function markersIn(texts: string[]): string[] {
  return [...new Set(texts.flatMap((t) => t.match(MARKER) ?? []))];
}

/** The Logins a PeerTrust made without an explicit password, as stored (with secrets shown). */
function generatedLogins(project: TestProject): Array<Record<string, unknown>> {
  const resources = (stackExport(project, true).deployment as { resources: Array<{ type: string; outputs?: Record<string, unknown> }> }).resources;
  return resources.filter((r) => r.type.endsWith(":Login") && String(r.outputs?.name).includes("_peer-b_")).map((r) => r.outputs!);
}

/**
 * A server error quoting the statement back, as a syntax error does: the worst case for a password
 * literal. Only what the failing statement contains can be echoed (an ALTER LOGIN holds the new
 * password, not the old one).
 */
const echo = (...secrets: string[]) => ({ number: 102, class: 15, message: `Incorrect syntax near '${secrets.join("', '")}'.` });

async function peerKey(): Promise<string> {
  const c = await generateSelfSignedCertificate({ subject: "secrets peer", notBefore: new Date(Date.now() - 86_400_000), notAfter: new Date(Date.now() + 86_400_000 * 30) });
  return c.der.toString("base64");
}

/** The endpoint's port, reserved in the first beforeAll: the endpoint really listens, beside other test files'. */
let endpointPort = 0;

/** The program: every password-bearing resource, passwords from `value(kind)`. */
function program(value: (kind: keyof typeof M) => unknown, connection: Record<string, unknown>, publicKey: string, options: { mk?: keyof typeof M; login?: keyof typeof M; backupFile?: string } = {}): Case {
  const c = conn(0, connection);
  return {
    declare: [
      {
        type: "MirroringInstance",
        name: "inst",
        args: {
          connection: c,
          masterKeyPassword: value(options.mk ?? "mk"),
          endpoint: { port: endpointPort },
          backup: { file: `${options.backupFile ?? "inst"}.cer`, privateKey: { file: `${options.backupFile ?? "inst"}.pvk`, password: value("backup") } },
        },
      },
      { type: "CertificateBackup", name: "backup", args: { connection: c, certificateName: ref("inst.certificate.certificateName"), file: `${options.backupFile ?? "inst"}-direct.cer`, privateKey: { file: `${options.backupFile ?? "inst"}-direct.pvk`, password: value("backup2") } } },
      { type: "Login", name: "login", args: { connection: c, name: "mirroring_explicit_login", password: value(options.login ?? "login") } },
      { type: "PeerTrust", name: "trust", args: { connection: c, endpointName: ref("inst.endpoint.name"), peerName: "peer-b", publicKey } },
    ],
  };
}

describe.runIf(runEngine)("secrets never show", () => {
  let instance: EmulatorInstance;
  const emulatorLog: string[] = [];
  let publicKey: string;
  beforeAll(async () => {
    instance = await startEmulator({ saPassword: SA_PASSWORD, log: (line) => emulatorLog.push(line) });
    endpointPort = await reservePort();
    publicKey = await peerKey();
  });
  afterAll(async () => {
    await stopInstances(instance ? [instance] : []);
  });

  describe("given as stack config secrets: nowhere, with --diff, -v=9, --debug and events, in success and failure", () => {
    let project: TestProject;
    const capture = new Capture();
    beforeAll(async () => {
      project = await casesProject([instance], program((k) => secret(k), {}, publicKey, { backupFile: "config" }), Object.fromEntries(Object.entries(M).map(([k, v]) => [k, { value: v, secret: true }])));
    });
    afterAll(async () => {
      await project?.stack.destroy({ color: "never" }).catch(() => undefined);
      project?.remove();
    });

    it("preview, up, a master key password change, refresh, forced failures, refused logins and destroy print no password", async () => {
      const loud = capture.options(true, { debug: true });
      capture.print((await project.stack.preview(loud)).stdout);
      capture.print((await project.stack.up(loud)).stdout);
      capture.print(JSON.stringify(stackExport(project)));

      const options = { backupFile: "config" };
      await setCase(project, program((k) => secret(k), {}, publicKey, { ...options, mk: "mk2" }));
      capture.print((await project.stack.up(loud)).stdout);
      capture.print((await project.stack.refresh(loud)).stdout);

      // A server that echoes the statement on every attempt: the login's password change.
      await setCase(project, program((k) => secret(k), {}, publicKey, { ...options, mk: "mk2", login: "login2" }));
      instance.faults.failNext("ALTER LOGIN", echo(M.login2), 5);
      capture.print(await failureOf(project.stack.up(loud)));
      instance.faults.clear();
      capture.print((await project.stack.up(loud)).stdout);
      instance.faults.refuseLogins(100);
      capture.print(await failureOf(project.stack.refresh(loud)));
      instance.faults.clear();
      capture.print((await project.stack.destroy(loud)).stdout);

      const everything = [...capture.printed, ...capture.logged, JSON.stringify(stackExport(project)), ...emulatorLog];
      expect(capture.logged.join("\n")).toMatch(/"level":"INFO"/); // the verbose log really was captured
      expect(markersIn(everything)).toEqual([]);
    }, LONG);
  });

  describe("given as plain strings: encrypted in state, never in output, errors or the emulator's log", () => {
    let project: TestProject;
    const capture = new Capture();
    const all = [...Object.values(M), SA_PASSWORD];
    const value = (k: keyof typeof M) => plain(M[k]);
    beforeAll(async () => {
      // The connection password too: config's sqlPassword is not used (and not a marker).
      project = await casesProject([instance], program(value, { password: plain(SA_PASSWORD) }, publicKey, { backupFile: "plain" }), {
        sqlPassword: { value: "not-the-password", secret: true },
      });
    });
    afterAll(async () => {
      await project?.stack.destroy({ color: "never" }).catch(() => undefined);
      project?.remove();
    });

    it("stack export holds every one as a ciphertext object, never the string", async () => {
      capture.print((await project.stack.preview(capture.options(false))).stdout);
      capture.print((await project.stack.up(capture.options(true))).stdout);
      const exported = stackExport(project);
      expect(markersIn([JSON.stringify(exported)])).toEqual([]);
      const resources = (exported.deployment as { resources: Array<{ type: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> }> }).resources;
      const encrypted = (v: unknown) => typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIGNATURE] === "1b47061264138c4ac30d75fd1eb44270" && typeof (v as Record<string, unknown>).ciphertext === "string";
      const dynamic = resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"));
      expect(dynamic.length).toBeGreaterThan(8);
      for (const r of dynamic) {
        for (const side of [r.inputs, r.outputs]) expect({ type: r.type, password: encrypted((side!.connection as Record<string, unknown>).password) }).toEqual({ type: r.type, password: true });
      }
      const outputsOf = (suffix: string) => dynamic.filter((r) => r.type.endsWith(suffix)).map((r) => r.outputs!);
      for (const o of outputsOf(":MasterKey")) expect(encrypted(o.password)).toBe(true);
      for (const o of outputsOf(":Login")) if (o.password !== undefined) expect(encrypted(o.password)).toBe(true);
      const backups = outputsOf(":CertificateBackup");
      expect(backups).toHaveLength(2);
      for (const o of backups) expect(encrypted((o.privateKey as Record<string, unknown>).password)).toBe(true);
    }, LONG);

    it("preview, up, refresh and destroy with --diff, forced failures and refused logins print none; verbose logs only in Pulumi's own registration message", async () => {
      // A generated password is forgotten once the login exists: nothing to find anywhere.
      const generated = generatedLogins(project);
      expect(generated).toHaveLength(1);
      expect(generated[0]).not.toHaveProperty("password");
      await setCase(project, program(value, { password: plain(SA_PASSWORD) }, publicKey, { backupFile: "plain", mk: "mk2" }));
      capture.print((await project.stack.up(capture.options(false))).stdout);
      capture.print((await project.stack.refresh(capture.options(false))).stdout);

      // Echoing servers: the login's password change and a new backup with its private key password.
      await setCase(project, program(value, { password: plain(SA_PASSWORD) }, publicKey, { backupFile: "plain2", mk: "mk2", login: "login2" }));
      instance.faults.failNext("ALTER LOGIN", echo(M.login2), 5);
      // (the instance's backup, which carries M.backup — not the direct one, which carries backup2)
      instance.faults.failNext("TO FILE = N'plain2.cer'", echo(M.backup), 5);
      const failed = await failureOf(project.stack.up(capture.options(false)));
      expect(String(failed)).toMatch(/Incorrect syntax near '\*\*\*'\. \(Msg 102, State 1\)/);
      capture.print(failed);
      instance.faults.clear();
      capture.print((await project.stack.up(capture.options(false))).stdout);
      instance.faults.refuseLogins(100);
      const refused = await failureOf(project.stack.refresh(capture.options(false)));
      expect(String(refused)).toContain("login failed — check connection.user and connection.password (Login failed for user 'sa'.)");
      capture.print(refused);
      instance.faults.clear();
      capture.print((await project.stack.destroy(capture.options(true))).stdout);

      const printed = [...capture.printed, JSON.stringify(stackExport(project)), ...emulatorLog];
      expect(markersIn(printed)).toEqual([]);
      // In the verbose logs and engine events, only Pulumi's own "RegisterResource RPC finished" message carries them.
      expect(capture.logged.join("\n")).toMatch(/"level":"INFO"/); // the verbose log really was captured
      const leaking = linesWith(capture.logged, all);
      expect(leaking.filter((l) => !l.includes("RegisterResource RPC finished"))).toEqual([]);
    }, LONG);
  });
});
