/**
 * No secret in plain text: every password in this file is a marker (`Marker-<kind>-…`). Everything
 * the providers could print is captured, and every failure is forced and inspected the way the
 * dynamic-provider host and the CLI would show it; no marker may appear anywhere, and no id may
 * hold one.
 */
import { inspect } from "node:util";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { EmulatorInstance } from "../../emulator/index";
import { CheckFailed, Driven, type Props } from "./driver";
import { connectionOf, sa, startInstances, stopInstances, warmPool } from "./support";

/** Every marker starts like this; nothing else in these tests does. */
const MARKER = /Marker-[A-Za-z]+-/;
const MK = "Marker-MK-7f3a9c-secret!A1";
const MK_NEW = "Marker-MK-7f3a9c-rotated!B2";
const LOGIN = "Marker-Login-7f3a9c-secret!C3";
const BACKUP = "Marker-Backup-7f3a9c-secret!D4";
const WRONG = "Marker-Conn-7f3a9c-wrong!E5";

let a: EmulatorInstance;
/** Everything written to the console, stdout or stderr while a test runs. */
let printed: string[] = [];

beforeAll(async () => {
  [a] = await startInstances(1, { namePrefix: "SEC" });
});
beforeEach(async () => {
  await warmPool(a);
  printed = [];
  const capture = (...parts: unknown[]) => {
    printed.push(parts.map((p) => (typeof p === "string" ? p : inspect(p, { depth: 8 }))).join(" "));
  };
  for (const method of ["log", "info", "warn", "error", "debug", "trace"] as const) vi.spyOn(console, method).mockImplementation(capture);
  const write = (chunk: unknown) => {
    capture(Buffer.isBuffer(chunk) ? chunk.toString("utf8") : String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, "write").mockImplementation(write);
  vi.spyOn(process.stderr, "write").mockImplementation(write);
});
afterEach(() => {
  vi.restoreAllMocks();
  expect(printed.filter((line) => MARKER.test(line))).toEqual([]);
});
afterAll(() => stopInstances([a]));

/**
 * Every text an error exposes: what the host prints for check/diff/read/delete failures
 * (`${e}: ${e.stack}`), the message the CLI shows for create/update, Node's inspection (which
 * follows `cause`), and message and stack of every nested error.
 */
function textsOf(error: unknown): string[] {
  const texts = [`${String(error)}: ${(error as Error).stack}`, inspect(error, { depth: 8 })];
  const seen = new Set<unknown>();
  const visit = (e: unknown, depth: number) => {
    if (typeof e !== "object" || e === null || seen.has(e) || depth > 8) return;
    seen.add(e);
    const record = e as Record<string, unknown>;
    for (const key of ["message", "stack"]) if (typeof record[key] === "string") texts.push(record[key] as string);
    for (const key of ["cause", "originalError"]) visit(record[key], depth + 1);
    for (const key of ["errors", "precedingErrors"]) if (Array.isArray(record[key])) for (const x of record[key] as unknown[]) visit(x, depth + 1);
  };
  visit(error, 0);
  return texts;
}

/** Runs a failing operation as the host would (printing what it prints), and returns the error. */
async function failure(operation: () => Promise<unknown>): Promise<Error> {
  try {
    await operation();
  } catch (error) {
    console.error(`${String(error)}: ${(error as Error).stack}`);
    return error as Error;
  }
  throw new Error("the operation was expected to fail");
}

function expectNoMarker(error: unknown): void {
  const leaking = textsOf(error).filter((t) => MARKER.test(t));
  expect(leaking).toEqual([]);
}

describe("secrets", () => {
  it("never show in ids, prints or errors over a full lifecycle of every resource", async () => {
    const ids: string[] = [];
    const connection = connectionOf(a);
    const mk = new Driven("MasterKey");
    await mk.create({ connection, password: MK, adopt: true });
    const mkChange = await mk.plan({ connection, password: MK_NEW, adopt: true });
    await mk.update(mkChange.inputs);
    const cert = new Driven("Certificate");
    await cert.create({ connection, subject: "mirroring secrets" });
    const backup = new Driven("CertificateBackup");
    await backup.create({ connection, certificateName: cert.state.certificateName, file: "s.cer", privateKey: { file: "s.pvk", password: BACKUP } });
    const endpoint = new Driven("MirroringEndpoint");
    await endpoint.create({ connection, certificateName: cert.state.certificateName });
    const login = new Driven("Login");
    await login.create({ connection, name: "peer_login", password: LOGIN });
    const generated = new Driven("Login");
    await generated.create({ connection, name: "peer_login_generated" });
    const user = new Driven("User");
    await user.create({ connection, name: "peer_user", login: "peer_login" });
    const grant = new Driven("EndpointPermission");
    await grant.create({ connection, endpoint: "hadr_endpoint", login: "peer_login" });
    const all = [mk, cert, backup, endpoint, login, generated, user, grant];
    for (const r of all) {
      ids.push(r.id);
      expect(await r.read()).toBe(true);
    }
    for (const r of [grant, user, generated, login, endpoint, backup, cert, mk]) await r.delete();
    expect(ids.filter((id) => MARKER.test(id))).toEqual([]);
    // A generated login password is not kept at all.
    expect(generated.state).not.toHaveProperty("password");
  });

  it("are not echoed by check failures", async () => {
    const tooLong = `${MK}${"x".repeat(200)}`;
    const checked = await new Driven("MasterKey").check({ connection: connectionOf(a), password: tooLong }, {});
    expect(checked.failures.map((f) => f.property)).toEqual(["password"]);
    const loginCheck = await new Driven("Login").check({ connection: connectionOf(a), name: "l", password: `${LOGIN}${"y".repeat(200)}` }, {});
    expect(loginCheck.failures.map((f) => f.property)).toEqual(["password"]);
    const error = await failure(() => new Driven("CertificateBackup").create({ connection: connectionOf(a, { password: "" }), certificateName: "c", file: "f.cer", privateKey: { file: "f.cer", password: BACKUP } }));
    expect(error).toBeInstanceOf(CheckFailed);
    expect((error as CheckFailed).failures.map((f) => f.property).sort()).toEqual(["connection.password", "privateKey.file"]);
    for (const f of [...checked.failures, ...loginCheck.failures, ...(error as CheckFailed).failures]) expect(f.reason).not.toMatch(MARKER);
    expectNoMarker(error);
  });

  it("are not in the error of a login refused for a wrong connection password (18456, not retried)", async () => {
    const login = new Driven("Login");
    await login.create({ connection: connectionOf(a), name: "peer_login", password: LOGIN });
    const state: Props = { ...login.state, connection: { ...(login.state.connection as Props), password: WRONG } };
    const failedBefore = a.counters.failedLogins;
    const error = await failure(() => login.provider.read(login.id, state));
    expect(a.counters.failedLogins - failedBefore).toBe(1);
    expect(error).toMatchObject({ name: "SqlServerError", category: "login", code: "ELOGIN", operation: "read", attempts: 1 });
    expect(error.message).toBe(
      `unable to read login [peer_login] on 127.0.0.1:${a.port}: login failed — check connection.user and connection.password (Login failed for user 'sa'.)`,
    );
    expectNoMarker(error);
    await login.delete();
  });

  it("are scrubbed from a server error that echoes the statement (CREATE LOGIN, CREATE MASTER KEY, ALTER MASTER KEY, BACKUP)", async () => {
    const connection = connectionOf(a);
    // A server quoting the statement back, as a syntax error does: the worst case for a literal password.
    const echo = (secret: string) => ({ number: 102, class: 15, message: `Incorrect syntax near '${secret}'.` });

    a.faults.failNext("CREATE LOGIN", echo(LOGIN));
    const login = await failure(() => new Driven("Login").create({ connection, name: "peer_login", password: LOGIN }));
    expect(login).toMatchObject({ name: "SqlServerError", number: 102, attempts: 1 });
    expect(login.message).toBe(`unable to create login [peer_login] on 127.0.0.1:${a.port}: Incorrect syntax near '***'. (Msg 102, State 1)`);
    expectNoMarker(login);

    a.faults.failNext("CREATE MASTER KEY", echo(MK));
    const mkError = await failure(() => new Driven("MasterKey").create({ connection, password: MK, adopt: true }));
    expect(mkError).toMatchObject({ number: 102 });
    expectNoMarker(mkError);

    const mk = new Driven("MasterKey");
    await mk.create({ connection, password: MK, adopt: true });
    a.faults.failNext("ALTER MASTER KEY", { number: 15118 });
    const change = await mk.plan({ connection, password: MK_NEW, adopt: true });
    const changeError = await failure(() => mk.update(change.inputs));
    expect(changeError).toMatchObject({ number: 15118 });
    expectNoMarker(changeError);

    const cert = new Driven("Certificate");
    await cert.create({ connection, subject: "mirroring secrets" });
    a.faults.failNext("BACKUP CERTIFICATE", echo(BACKUP));
    const backupError = await failure(() =>
      new Driven("CertificateBackup").create({ connection, certificateName: cert.state.certificateName, file: "e.cer", privateKey: { file: "e.pvk", password: BACKUP } }),
    );
    expect(backupError).toMatchObject({ number: 102, operation: "back up" });
    expectNoMarker(backupError);

    // DROP MASTER KEY refused while the key protects a certificate's private key.
    const dropError = await failure(() => mk.delete());
    expect(dropError).toMatchObject({ name: "SqlServerError", number: 15580, operation: "drop" });
    expect(dropError.message).toContain("the database master key protects other private keys (a TDE or backup certificate, say): never drop those to get past this");
    expectNoMarker(dropError);

    await cert.delete();
    await mk.delete();
    expect(await sa(a, "SELECT name FROM sys.symmetric_keys WHERE name = N'##MS_DatabaseMasterKey##'")).toEqual([]);
    expect(printed.join("\n")).toContain("Incorrect syntax near '***'");
  });
});
