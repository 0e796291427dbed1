/**
 * MirroringSession's provider on recorded catalog rows: check (every property, unknowns skipped),
 * diff (what updates, what replaces, and that a failover is a fact, not drift), and the create /
 * read / update / delete flows with scripted clients per instance — the exact statements, where
 * each runs and in which order.
 */
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Recordset, SqlParams } from "../../../provider/sql/client";
import { GONE } from "../../../provider/resources/lifecycle";
// vi.mock calls are hoisted above the imports: the provider sees the scripted clients.
import { mirroringSessionProvider } from "../../../provider/resources/mirroringSession";
import { mirroringPartnerQuery, seedingStateQuery } from "../../../provider/sql/mirroringCatalog";
import { FakeClient, requestError, connectionError } from "../sql/fakes";
import { databaseRow, partnerReply, seedingReply, sessionRow, witnessed, witnessRow } from "../sql/mirroringFakes";
import { check, connection, UNKNOWN } from "./fixtures";

const { instances, log, warnings } = vi.hoisted(() => ({ instances: new Map<string, unknown>(), log: [] as string[], warnings: [] as string[] }));

vi.mock("../../../provider/resources/lifecycle", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../../provider/resources/lifecycle")>();
  return {
    ...actual,
    clientFor: (c: { server: string }) => {
      const client = instances.get(c.server);
      if (client === undefined) throw new Error(`test: no scripted instance ${c.server}`);
      return client;
    },
  };
});
vi.mock("../../../provider/resources/warnings", () => ({ warn: async (message: string) => void warnings.push(message) }));

const provider = mirroringSessionProvider;

/** A scripted instance that also writes every request to the shared log, in the order they arrive. */
class Instance extends FakeClient {
  constructor(
    readonly server: string,
    replies: ConstructorParameters<typeof FakeClient>[0] = [],
  ) {
    super(replies, { attempts: 1 }, `${server}:1433`);
    instances.set(server, this);
  }
  override async query(sql: string, params?: SqlParams): Promise<Recordset[]> {
    log.push(`${this.server}: ${sql}`);
    return super.query(sql, params);
  }
}

const READ = mirroringPartnerQuery("sales").statements.map((s) => `${s.sql};`).join("\n");
const SEED = seedingStateQuery("sales").statements.map((s) => `${s.sql};`).join("\n");
const conn = (server: string) => ({ ...connection, server });
const A_URL = "TCP://sql-a.corp:5022";
const B_URL = "TCP://sql-b.corp:5023";
const W_URL = "TCP://sql-w.corp:5024";
const session = (extra: Record<string, unknown> = {}) => ({
  database: "sales",
  partners: [{ name: "a", endpointUrl: A_URL }, { name: "b", endpointUrl: B_URL }],
  partnerConnections: [conn("sql-a"), conn("sql-b")],
  ...extra,
});
const withWitness = (extra: Record<string, unknown> = {}) => session({ witness: { name: "w", endpointUrl: W_URL }, witnessConnection: conn("sql-w"), ...extra });
const inputsOf = async (news: Record<string, unknown>) => {
  const { inputs, failures } = await check(provider, news);
  expect(failures).toEqual([]);
  return inputs;
};
const failuresOf = async (news: Record<string, unknown>, olds: Record<string, unknown> = {}) => Object.fromEntries((await check(provider, news, olds)).failures.map((f) => [f.property, f.reason]));
/** The statements that change something (no catalog reads), in the order the instances received them. */
const changes = () => log.filter((l) => !l.includes("SELECT "));
const failureOf = async (p: Promise<unknown>) => (await p.then(() => undefined, (e: unknown) => e)) as Error & { code?: string; number?: number };

beforeEach(() => {
  instances.clear();
  log.length = 0;
  warnings.length = 0;
});

describe("MirroringSession check", () => {
  it("applies the defaults: safety FULL, timeout 10 s, a 120 s wait; a witness named 'witness'", async () => {
    const inputs = await inputsOf(session({ witness: { endpointUrl: W_URL }, witnessConnection: conn("sql-w") }));
    expect(inputs).toMatchObject({ safety: "FULL", timeoutSeconds: 10, waitTimeoutMs: 120_000, witness: { name: "witness", endpointUrl: W_URL } });
    expect(inputs.partnerConnections).toEqual([conn("sql-a"), conn("sql-b")]);
    expect(Object.keys(await inputsOf(session()))).not.toContain("witness");
  });

  it.each<[string, Record<string, unknown>, Record<string, string>]>([
    ["a system database", session({ database: "master" }), { database: "is a system database; only user databases can be mirrored (Microsoft: master, msdb, tempdb and model cannot be)" }],
    ["no database", session({ database: undefined }), { database: "is required" }],
    ["one partner", session({ partners: [{ name: "a", endpointUrl: A_URL }], partnerConnections: [conn("sql-a")] }), { partners: "must be exactly two partners, the one that starts as principal first, got 1" }],
    ["a URL without TCP://", session({ partners: [{ name: "a", endpointUrl: "sql-a:5022" }, { name: "b", endpointUrl: B_URL }] }), {
      "partners[0].endpointUrl": "must be a URL like TCP://sql-b.corp:5022 (TCP://, a host name or address, a port 1–65535), got 'sql-a:5022'",
    }],
    ["two partners with one name", session({ partners: [{ name: "a", endpointUrl: A_URL }, { name: "a", endpointUrl: B_URL }] }), { "partners[1].name": "'a' is also partners[0]'s name: the partners' names must differ" }],
    ["two partners on one instance", session({ partnerConnections: [conn("sql-a"), conn("SQL-A")] }), { "partners[1].connection": "connects to sql-a:1433, as partners[0] does: the partners must be two different instances" }],
    ["two partners at one address", session({ partners: [{ name: "a", endpointUrl: A_URL }, { name: "b", endpointUrl: A_URL.toLowerCase() }] }), {
      "partners[1].endpointUrl": "is also partners[0]'s address: the two partners must be different instances (SQL Server refuses it, 1452)",
    }],
    ["a witness at a partner's address", withWitness({ witness: { name: "w", endpointUrl: B_URL } }), { "witness.endpointUrl": "is also a partner's address: the witness must be a third instance (SQL Server refuses it, 1429)" }],
    ["a witness on a partner's instance", withWitness({ witnessConnection: conn("sql-b") }), { "witness.connection": "connects to sql-b:1433, as a partner does: the witness must be a third instance (SQL Server refuses it, 1429)" }],
    ["a bad witness port", withWitness({ witnessConnection: { ...conn("sql-w"), port: 0 } }), { "witness.connection.port": "must be an integer from 1 to 65535 (got 0)" }],
    ["an unknown safety", session({ safety: "HIGH" }), { safety: 'must be one of "FULL", "OFF", got "HIGH"' }],
    ["a timeout of 3 s", session({ timeoutSeconds: 3 }), { timeoutSeconds: "must be at least 5 seconds: SQL Server turns 0–4 into 5, so 3 would show as drift at every refresh (10 or more is recommended), got 3" }],
    ["a relative backup folder", session({ seeding: { backupPath: "backups" } }), {
      "seeding.backupPath": "must be absolute ('/var/opt/mssql/backup', 'D:\\backup' or '\\\\server\\share'): a relative path resolves in each instance's own default folder, so the mirror would not see the principal's backups, got 'backups'",
    }],
    ["a principal that is no partner", session({ principal: "c" }), { principal: 'must name one of the partners ("a" or "b"), got "c"' }],
    ["a negative wait", session({ waitTimeoutMs: -1 }), { waitTimeoutMs: "must be a whole number of milliseconds from 0 to 86400000, got -1" }],
  ])("refuses %s, naming the property", async (_label, news, expected) => {
    expect(await failuresOf(news)).toEqual(expected);
  });

  it("refuses high-performance mode with a witness, and a pinned principal under safety OFF", async () => {
    expect(Object.keys(await failuresOf(withWitness({ safety: "OFF" })))).toEqual(["safety"]);
    expect(await failuresOf(session({ safety: "OFF", principal: "a" }))).toEqual({
      principal:
        "pins the principal, which takes a planned failover (SET PARTNER FAILOVER) whenever the other partner is principal; SQL Server allows that only with safety FULL (1477): use FULL, or leave principal out",
    });
  });

  it("skips preview's unknown values", async () => {
    expect(await failuresOf(session({ partners: [{ name: "a", endpointUrl: UNKNOWN }, { name: "b", endpointUrl: UNKNOWN }], partnerConnections: [{ ...conn("sql-a"), port: UNKNOWN }, conn("sql-b")] }))).toEqual({});
    expect(await failuresOf({ database: UNKNOWN, partners: UNKNOWN, partnerConnections: UNKNOWN, witness: UNKNOWN, witnessConnection: UNKNOWN, seeding: { backupPath: UNKNOWN }, timeoutSeconds: UNKNOWN })).toEqual({});
  });

  it("sends no request", async () => {
    await check(provider, withWitness({ safety: "OFF" }));
    expect(log).toEqual([]);
  });
});

describe("MirroringSession diff (pure)", () => {
  const state = async (extra: Record<string, unknown> = {}, outputs: Record<string, unknown> = {}) => ({
    ...(await inputsOf(withWitness(extra))),
    roles: { a: "PRINCIPAL", b: "MIRROR" },
    currentPrincipal: "a",
    mirroringState: "SYNCHRONIZED",
    witnessState: "CONNECTED",
    synchronized: true,
    ...outputs,
  });
  const NO_CHANGE = { changes: false, replaces: [], deleteBeforeReplace: false };
  const UPDATE = { changes: true, replaces: [], deleteBeforeReplace: false };
  const diff = async (olds: Record<string, unknown>, news: Record<string, unknown>) => provider.diff!("id", olds, await inputsOf(news));

  it("no change for the same session", async () => {
    expect(await diff(await state(), withWitness())).toEqual(NO_CHANGE);
  });

  it("a failover is a fact: after an automatic failover (refresh shows b) an unpinned session previews no change", async () => {
    const failedOver = await state({}, { roles: { a: "MIRROR", b: "PRINCIPAL" }, currentPrincipal: "b" });
    expect(await diff(failedOver, withWitness())).toEqual(NO_CHANGE);
  });

  it("failing back is a program change: a pin that differs from where the role is previews as an update of principal", async () => {
    const failedOver = await state({}, { currentPrincipal: "b" });
    expect(await diff(failedOver, withWitness({ principal: "a" }))).toEqual(UPDATE);
    // A pin kept in the program, refreshed to where the role is after a failover, previews as `principal: "b" => "a"`.
    expect(await diff(await state({ principal: "b" }, { currentPrincipal: "b" }), withWitness({ principal: "a" }))).toEqual(UPDATE);
    // Satisfied, the pin changes nothing.
    expect(await diff(await state({ principal: "a" }), withWitness({ principal: "a" }))).toEqual(NO_CHANGE);
  });

  it.each<[string, Record<string, unknown>]>([
    ["safety", { safety: "OFF", witness: undefined, witnessConnection: undefined }],
    ["timeout", { timeoutSeconds: 30 }],
    ["the witness's address", { witness: { name: "w", endpointUrl: "TCP://sql-w2.corp:5024" } }],
    ["no witness", { witness: undefined, witnessConnection: undefined }],
    ["the wait", { waitTimeoutMs: 1000 }],
    ["seeding", { seeding: { backupPath: "/srv/share" } }],
    ["credentials", { partnerConnections: [{ ...conn("sql-a"), password: "Other-Passw0rd!" }, conn("sql-b")] }],
    ["the order of the partners", { partners: [{ name: "b", endpointUrl: B_URL }, { name: "a", endpointUrl: A_URL }], partnerConnections: [conn("sql-b"), conn("sql-a")] }],
    ["a partner's label", { partners: [{ name: "x", endpointUrl: A_URL }, { name: "b", endpointUrl: B_URL }] }],
  ])("%s changes in place", async (_label, extra) => {
    expect(await diff(await state(), withWitness(extra))).toEqual(UPDATE);
  });

  it("a new database, partner instance or partner address replaces the session, the old one ended first", async () => {
    const REPLACE = (p: string) => ({ changes: true, replaces: [p], deleteBeforeReplace: true });
    expect(await diff(await state(), withWitness({ database: "stock" }))).toEqual(REPLACE("database"));
    expect(await diff(await state(), withWitness({ partnerConnections: [conn("sql-a"), conn("sql-c")] }))).toEqual(REPLACE("partners"));
    expect(await diff(await state(), withWitness({ partners: [{ name: "a", endpointUrl: A_URL }, { name: "b", endpointUrl: "TCP://sql-b.corp:6000" }] }))).toEqual(REPLACE("partners"));
  });

  it("a session seen behind its target at the last up or refresh is waited for again", async () => {
    expect(await diff(await state({}, { synchronized: false }), withWitness())).toEqual(UPDATE);
  });
});

describe("MirroringSession create", () => {
  it("mirror's SET PARTNER first, then the principal's, then SET WITNESS on the principal; waits for SYNCHRONIZED with the witness CONNECTED", async () => {
    new Instance("sql-a", [
      partnerReply("SQL-A", databaseRow()),
      partnerReply("SQL-A", databaseRow()),
      [],
      partnerReply("SQL-A", sessionRow("PRINCIPAL")),
      [],
      partnerReply("SQL-A", witnessed("PRINCIPAL")),
    ]);
    new Instance("sql-b", [partnerReply("SQL-B", databaseRow({ state_desc: "RESTORING", last_log_backup_lsn: null })), partnerReply("SQL-B", databaseRow({ state_desc: "RESTORING" })), []]);
    new Instance("sql-w", [partnerReply("SQL-W", null, { role_desc: "WITNESS", state_desc: "STARTED" })]);
    const { id, outs } = await provider.create!(await inputsOf(withWitness()));
    expect(id).toBe("sql-a:1433/mirroring-session/sales");
    expect(changes()).toEqual([
      `sql-b: ALTER DATABASE [sales] SET PARTNER = N'${A_URL}'`,
      `sql-a: ALTER DATABASE [sales] SET PARTNER = N'${B_URL}'`,
      `sql-a: ALTER DATABASE [sales] SET WITNESS = N'${W_URL}'`,
    ]);
    expect(outs).toMatchObject({ roles: { a: "PRINCIPAL", b: "MIRROR" }, currentPrincipal: "a", mirroringState: "SYNCHRONIZED", witnessState: "CONNECTED", synchronized: true });
    expect(outs).not.toHaveProperty("createPending");
  });

  it("with seeding and no mirror copy: copy-only backups, NORECOVERY restores, then the session", async () => {
    new Instance("sql-a", [partnerReply("SQL-A", databaseRow()), seedingReply(), [], [], partnerReply("SQL-A", databaseRow()), [], partnerReply("SQL-A", sessionRow("PRINCIPAL")), partnerReply("SQL-A", sessionRow("PRINCIPAL"))]);
    new Instance("sql-b", [partnerReply("SQL-B", null), seedingReply(null), seedingReply(null), [], [], seedingReply({ state_desc: "RESTORING", last_log_backup_lsn: null }), partnerReply("SQL-B", databaseRow({ state_desc: "RESTORING" })), []]);
    await provider.create!(await inputsOf(session({ seeding: { backupPath: "/srv/share" } })));
    const c = changes();
    expect(c.map((l) => l.replace(/sales_\d{8}T\d{6}Z-[0-9a-f]{6}\./g, "sales_<stamp>."))).toEqual([
      "sql-a: BACKUP DATABASE [sales] TO DISK = N'/srv/share/sales_<stamp>.bak' WITH COPY_ONLY",
      "sql-a: BACKUP LOG [sales] TO DISK = N'/srv/share/sales_<stamp>.trn' WITH COPY_ONLY",
      "sql-b: RESTORE DATABASE [sales] FROM DISK = N'/srv/share/sales_<stamp>.bak' WITH NORECOVERY",
      "sql-b: RESTORE LOG [sales] FROM DISK = N'/srv/share/sales_<stamp>.trn' WITH NORECOVERY",
      `sql-b: ALTER DATABASE [sales] SET PARTNER = N'${A_URL}'`,
      `sql-a: ALTER DATABASE [sales] SET PARTNER = N'${B_URL}'`,
    ]);
  });

  it("an ONLINE database on the mirror is refused with its name and the fix; nothing is changed anywhere", async () => {
    new Instance("sql-a", [partnerReply("SQL-A", databaseRow())]);
    new Instance("sql-b", [partnerReply("SQL-B", databaseRow())]);
    const error = await failureOf(provider.create!(await inputsOf(session({ seeding: { backupPath: "/srv/share" } }))));
    expect(error.code).toBe("EPREREQUISITE");
    expect(error.message).toMatch(/^unable to create mirroring session of database \[sales\] on sql-b:1433: the mirror's copy: database \[sales\] is ONLINE on the mirror \(partners\[1\]\), and a database is never restored over/);
    expect(changes()).toEqual([]);
  });

  it("an endpoint that is not STARTED, or of the wrong role, is refused before anything is sent", async () => {
    new Instance("sql-a", [partnerReply("SQL-A", databaseRow(), { role_desc: "WITNESS", state_desc: "STARTED" })]);
    new Instance("sql-b", [partnerReply("SQL-B", databaseRow({ state_desc: "RESTORING" }), { role_desc: "PARTNER", state_desc: "STOPPED" })]);
    new Instance("sql-w", [partnerReply("SQL-W", null, null)]);
    const error = await failureOf(provider.create!(await inputsOf(withWitness())));
    expect(error.message).toBe(
      "unable to create mirroring session of database [sales] on sql-a:1433: partners[0] ('a', sql-a:1433) its endpoint's ROLE is WITNESS; a partner needs PARTNER or ALL; " +
        "partners[1] ('b', sql-b:1433) its DATABASE_MIRRORING endpoint is STOPPED; SET PARTNER and SET WITNESS need it STARTED; " +
        "the witness ('w', sql-w:1433) has no DATABASE_MIRRORING endpoint: create one first (MirroringEndpoint)",
    );
    expect(changes()).toEqual([]);
  });

  it("when the principal refuses SET PARTNER, the mirror's is taken back: nothing is left half-made", async () => {
    new Instance("sql-a", [partnerReply("SQL-A", databaseRow()), partnerReply("SQL-A", databaseRow()), requestError(1478, 'The mirror database, "sales", has insufficient transaction log data to preserve the log backup chain of the principal database.')]);
    new Instance("sql-b", [partnerReply("SQL-B", databaseRow({ state_desc: "RESTORING" })), partnerReply("SQL-B", databaseRow({ state_desc: "RESTORING" })), [], partnerReply("SQL-B", sessionRow("MIRROR")), []]);
    const error = await failureOf(provider.create!(await inputsOf(session())));
    expect(error.number).toBe(1478);
    expect(error.message).toMatch(/a log backup was taken on the principal after the mirror copy was restored .* \(the mirror's SET PARTNER was taken back\)$/);
    expect(changes()).toEqual([`sql-b: ALTER DATABASE [sales] SET PARTNER = N'${A_URL}'`, `sql-a: ALTER DATABASE [sales] SET PARTNER = N'${B_URL}'`, "sql-b: ALTER DATABASE [sales] SET PARTNER OFF"]);
  });

  it("a session already joining the two partners is not taken over", async () => {
    new Instance("sql-a", [partnerReply("SQL-A", sessionRow("PRINCIPAL"))]);
    new Instance("sql-b", [partnerReply("SQL-B", sessionRow("MIRROR"))]);
    const error = await failureOf(provider.create!(await inputsOf(session())));
    expect(error.name).toBe("ObjectExistsError");
    expect(error.message).toMatch(/^unable to create mirroring session of database \[sales\] on sql-a:1433: it already exists; it already joins a and b \(set up outside this stack\)/);
  });

  it("a lost reply after the principal's SET PARTNER keeps the resource pending; the next up finishes without sending it again", async () => {
    new Instance("sql-a", [partnerReply("SQL-A", databaseRow()), partnerReply("SQL-A", databaseRow()), connectionError("ESOCKET", "Connection lost - read ECONNRESET")]);
    new Instance("sql-b", [partnerReply("SQL-B", databaseRow({ state_desc: "RESTORING" })), partnerReply("SQL-B", databaseRow({ state_desc: "RESTORING" })), []]);
    const inputs = await inputsOf(session());
    const error = (await failureOf(provider.create!(inputs))) as Error & { properties?: Record<string, unknown> };
    expect(error.properties).toMatchObject({ createPending: true });
    log.length = 0;
    new Instance("sql-a", [partnerReply("SQL-A", sessionRow("PRINCIPAL")), partnerReply("SQL-A", sessionRow("PRINCIPAL")), partnerReply("SQL-A", sessionRow("PRINCIPAL"))]);
    new Instance("sql-b", [partnerReply("SQL-B", sessionRow("MIRROR"))]);
    const { outs } = await provider.update!("id", error.properties!, inputs);
    expect([changes(), outs.synchronized]).toEqual([[], true]);
  });
});

describe("MirroringSession read: failovers are facts", () => {
  const state = async (extra: Record<string, unknown> = {}) => ({ ...(await inputsOf(session(extra))), currentPrincipal: "a", synchronized: true });

  it("after an automatic failover refresh shows the new principal; an unpinned program's inputs stay as declared", async () => {
    new Instance("sql-a", [partnerReply("SQL-A", sessionRow("MIRROR"))]);
    new Instance("sql-b", [partnerReply("SQL-B", sessionRow("PRINCIPAL", { state_desc: "ONLINE", mirroring_partner_name: A_URL }))]);
    const result = await provider.read!("id", await state());
    expect(result.props).toMatchObject({ roles: { a: "MIRROR", b: "PRINCIPAL" }, currentPrincipal: "b", mirroringState: "SYNCHRONIZED", synchronized: true });
    expect(result.inputs).not.toHaveProperty("principal");
    expect(result.inputs).toMatchObject({ safety: "FULL", timeoutSeconds: 10 });
  });

  it("a pinned principal is refreshed to where the role is, and drift in safety or timeout shows as the value SQL Server holds", async () => {
    new Instance("sql-a", [partnerReply("SQL-A", sessionRow("MIRROR"))]);
    new Instance("sql-b", [partnerReply("SQL-B", sessionRow("PRINCIPAL", { mirroring_partner_name: A_URL, mirroring_safety_level_desc: "OFF", mirroring_state_desc: "SYNCHRONIZING", mirroring_connection_timeout: 30 }))]);
    const result = await provider.read!("id", await state({ principal: "a" }));
    expect(result.inputs).toMatchObject({ principal: "b", safety: "OFF", timeoutSeconds: 30 });
    // Read under the declared FULL, a SYNCHRONIZING session has not reached its target.
    expect(result.props).toMatchObject({ synchronized: false });
  });

  it("the principal down without a witness: the mirror's view, DISCONNECTED, and no failure", async () => {
    new Instance("sql-a", [connectionError("ESOCKET", "connect ECONNREFUSED")]);
    new Instance("sql-b", [partnerReply("SQL-B", sessionRow("MIRROR", { mirroring_state_desc: "DISCONNECTED" }))]);
    const result = await provider.read!("id", await state());
    expect(result.props).toMatchObject({ roles: { a: null, b: "MIRROR" }, currentPrincipal: "a", mirroringState: "DISCONNECTED", witnessState: null, synchronized: false });
  });

  it("a session ended out of band is gone", async () => {
    new Instance("sql-a", [partnerReply("SQL-A", databaseRow())]);
    new Instance("sql-b", [partnerReply("SQL-B", databaseRow({ state_desc: "RESTORING" }))]);
    expect(await provider.read!("id", await state())).toEqual(GONE);
  });
});

describe("MirroringSession update", () => {
  const state = async (extra: Record<string, unknown> = {}, outputs: Record<string, unknown> = {}) => ({ ...(await inputsOf(withWitness(extra))), currentPrincipal: "a", synchronized: true, ...outputs });

  it("after a failover, an unpinned program's up sends nothing and keeps the outputs", async () => {
    const olds = await state({}, { currentPrincipal: "b", roles: { a: "MIRROR", b: "PRINCIPAL" } });
    const { outs } = await provider.update!("id", olds, await inputsOf(withWitness({ waitTimeoutMs: 5000 })));
    expect([log, outs.currentPrincipal, outs.roles]).toEqual([[], "b", { a: "MIRROR", b: "PRINCIPAL" }]);
  });

  it("a planned fail-back: waits for SYNCHRONIZED, SET PARTNER FAILOVER on the current principal, then the other partner holds the role", async () => {
    new Instance("sql-b", [partnerReply("SQL-B", witnessed("PRINCIPAL", { mirroring_partner_name: A_URL })), partnerReply("SQL-B", witnessed("PRINCIPAL")), []]);
    new Instance("sql-a", [partnerReply("SQL-A", witnessed("PRINCIPAL")), partnerReply("SQL-A", witnessed("PRINCIPAL"))]);
    const olds = await state({}, { currentPrincipal: "b" });
    const { outs } = await provider.update!("id", olds, await inputsOf(withWitness({ principal: "a" })));
    expect(changes()).toEqual(["sql-b: ALTER DATABASE [sales] SET PARTNER FAILOVER"]);
    expect(outs).toMatchObject({ currentPrincipal: "a", roles: { a: "PRINCIPAL", b: "MIRROR" }, synchronized: true });
  });

  it("to high performance: the witness goes, then safety, on whichever partner is principal now", async () => {
    new Instance("sql-a", [partnerReply("SQL-A", witnessed("MIRROR"))]);
    new Instance("sql-b", [partnerReply("SQL-B", witnessed("PRINCIPAL", { mirroring_partner_name: A_URL })), [], [], partnerReply("SQL-B", sessionRow("PRINCIPAL", { mirroring_safety_level_desc: "OFF", mirroring_state_desc: "SYNCHRONIZING" }))]);
    const { outs } = await provider.update!("id", await state(), await inputsOf(session({ safety: "OFF" })));
    expect(changes()).toEqual(["sql-b: ALTER DATABASE [sales] SET WITNESS OFF", "sql-b: ALTER DATABASE [sales] SET PARTNER SAFETY OFF"]);
    expect(outs).toMatchObject({ currentPrincipal: "b", mirroringState: "SYNCHRONIZING", witnessState: null, synchronized: true });
  });

  it("a session that does not reach SYNCHRONIZED in the bounded wait fails naming the principal, SQL Server's state and the mirror's view", async () => {
    new Instance("sql-a", [partnerReply("SQL-A", sessionRow("PRINCIPAL", { mirroring_state_desc: "DISCONNECTED" })), partnerReply("SQL-A", sessionRow("PRINCIPAL", { mirroring_state_desc: "DISCONNECTED" }))]);
    new Instance("sql-b", [partnerReply("SQL-B", sessionRow("MIRROR", { mirroring_state_desc: "DISCONNECTED" })), partnerReply("SQL-B", sessionRow("MIRROR", { mirroring_state_desc: "DISCONNECTED" }))]);
    const olds = { ...(await inputsOf(session())), currentPrincipal: "a", synchronized: false };
    const error = await failureOf(provider.update!("id", olds, await inputsOf(session({ waitTimeoutMs: 0 }))));
    expect(error.code).toBe("ENOTSYNCHRONIZED");
    expect(error.message).toBe(
      "unable to wait for the synchronization of mirroring session of database [sales] on principal 'SQL-A' on sql-a:1433: after 0 s, mirroring is DISCONNECTED (wanted SYNCHRONIZED); " +
        "the mirror 'b' (sql-b:1433) reports DISCONNECTED — check that each partner (and the witness) reaches the others' endpoints and trusts them (certificates, CONNECT on the endpoints), " +
        "or raise waitTimeoutMs for a large database",
    );
  });
});

describe("MirroringSession wait failures with a witness", () => {
  it("a witness that stays DISCONNECTED: the error adds what the mirror and the witness report", async () => {
    const stuck = () => partnerReply("SQL-A", witnessed("PRINCIPAL", { mirroring_witness_state_desc: "DISCONNECTED" }));
    new Instance("sql-a", [stuck(), stuck()]);
    new Instance("sql-b", [partnerReply("SQL-B", witnessed("MIRROR", { mirroring_witness_state_desc: "DISCONNECTED" }))]);
    new Instance("sql-w", [[[witnessRow({ partner_sync_state_desc: "UNSYNCHRONIZED" })]]]);
    const olds = { ...(await inputsOf(withWitness())), currentPrincipal: "a", synchronized: false };
    const error = await failureOf(provider.update!("id", olds, await inputsOf(withWitness({ waitTimeoutMs: 0 }))));
    expect(error.message).toBe(
      "unable to wait for the synchronization of mirroring session of database [sales] on principal 'SQL-A' on sql-a:1433: after 0 s, the witness TCP://sql-w.corp:5024 is DISCONNECTED (wanted CONNECTED); " +
        "the mirror 'b' (sql-b:1433) reports SYNCHRONIZED, witness DISCONNECTED; the witness 'w' (sql-w:1433) sees principal 'SQL-A', mirror 'SQL-B', UNSYNCHRONIZED — " +
        "check that each partner (and the witness) reaches the others' endpoints and trusts them (certificates, CONNECT on the endpoints), or raise waitTimeoutMs for a large database",
    );
  });
});

describe("MirroringSession delete", () => {
  const state = async () => ({ ...(await inputsOf(withWitness())), currentPrincipal: "b", synchronized: true });

  it("SET WITNESS OFF, then SET PARTNER OFF, on the current principal; a warning says what each copy is left as", async () => {
    new Instance("sql-b", [partnerReply("SQL-B", witnessed("PRINCIPAL", { mirroring_partner_name: A_URL })), partnerReply("SQL-B", witnessed("PRINCIPAL", { mirroring_partner_name: A_URL })), [], partnerReply("SQL-B", sessionRow("PRINCIPAL")), []]);
    new Instance("sql-a", []);
    await provider.delete!("id", await state());
    expect(changes()).toEqual(["sql-b: ALTER DATABASE [sales] SET WITNESS OFF", "sql-b: ALTER DATABASE [sales] SET PARTNER OFF"]);
    expect(warnings).toEqual([
      "mirroring of database [sales] ended: it stays ONLINE on 'b' (SQL-B) (the principal) and RESTORING on 'a' (the mirror), never dropped or recovered; " +
        "to use the mirror's copy, run RESTORE DATABASE [sales] WITH RECOVERY there (it then diverges from the principal), or drop it when it is no longer needed",
    ]);
    expect(log.some((l) => /DROP DATABASE|WITH RECOVERY|RESTORE/.test(l.replace(/^[^:]+: /, "")))).toBe(false);
  });

  it("the principal unreachable: the session is ended on the mirror, whose copy stays RESTORING", async () => {
    new Instance("sql-b", [connectionError("ESOCKET", "connect ECONNREFUSED")]);
    new Instance("sql-a", [partnerReply("SQL-A", sessionRow("MIRROR", { mirroring_state_desc: "DISCONNECTED", mirroring_partner_name: B_URL })), partnerReply("SQL-A", sessionRow("MIRROR")), []]);
    await provider.delete!("id", await state());
    expect(changes()).toEqual(["sql-a: ALTER DATABASE [sales] SET PARTNER OFF"]);
    expect(warnings[0]).toMatch(/^mirroring of database \[sales\] ended on 'a' \(SQL-A\), whose copy stays RESTORING \(never dropped or recovered\); the principal 'b' did not answer/);
  });

  it("a session with other partners (or none) is left alone", async () => {
    new Instance("sql-b", [partnerReply("SQL-B", sessionRow("PRINCIPAL", { mirroring_partner_name: "TCP://elsewhere:5022" }))]);
    new Instance("sql-a", [partnerReply("SQL-A", databaseRow())]);
    await provider.delete!("id", await state());
    expect([changes(), warnings]).toEqual([[], []]);
  });
});

describe("request counts", () => {
  it("the first read is the only request when the principal last seen is still principal and connected", async () => {
    new Instance("sql-a", [partnerReply("SQL-A", sessionRow("PRINCIPAL"))]);
    new Instance("sql-b", []);
    await provider.read!("id", { ...(await inputsOf(session())), currentPrincipal: "a", synchronized: true });
    expect(log).toEqual([`sql-a: ${READ}`]);
    expect(SEED).toContain("sys.database_recovery_status");
  });
});
