/** Mirroring operations on fake clients: exact requests in order, principal discovery from each partner's own view, prerequisites, seeding, lost replies. */
import { describe, expect, it } from "vitest";
import type { Statement } from "../../../provider/sql/client";
import type { SqlServerError } from "../../../provider/sql/errors";
import { mirroringPartnerQuery, seedingStateQuery } from "../../../provider/sql/mirroringCatalog";
import {
  discoverPrincipal,
  endSession,
  findPrincipal,
  mirrorCopyProblems,
  principalCopyProblems,
  readMirroringPartner,
  removeWitness,
  resumeSession,
  runSessionStep,
  seedMirrorCopy,
  setPartner,
  stepDone,
  suspendSession,
  type PartnerView,
} from "../../../provider/sql/objects/mirroring";
import { buildPartnerFailover, buildSetSafety, buildSetTimeout, buildSetWitness, buildWitnessOff } from "../../../provider/sql/statements/mirroring";
import { connectionError, FakeClient, requestError } from "./fakes";
import { databaseRow, partnerReply, seedingReply, sessionRow, witnessed } from "./mirroringFakes";

const batch = (statements: readonly Statement[]) => statements.map((s) => `${s.sql};`).join("\n");
const READ = batch(mirroringPartnerQuery("sales").statements);
const SEED_STATE = batch(seedingStateQuery("sales").statements);

class Named extends FakeClient {
  constructor(target: string, replies: ConstructorParameters<typeof FakeClient>[0] = []) {
    // One attempt: an unreachable partner fails at once instead of being retried.
    super(replies, { attempts: 1 }, target);
  }
}

const failureOf = async (p: Promise<unknown>) => (await p.then(() => undefined, (e: unknown) => e)) as SqlServerError;

describe("readMirroringPartner", () => {
  it("is one request", async () => {
    const client = new FakeClient([partnerReply("SQL-A", sessionRow("PRINCIPAL"))]);
    await expect(readMirroringPartner(client, "sales")).resolves.toMatchObject({ serverName: "SQL-A", database: { session: { role: "PRINCIPAL" } } });
    expect(client.requests).toEqual([{ sql: READ, params: { database: { type: "nvarchar", value: "sales" } } }]);
  });
});

describe("findPrincipal", () => {
  const view = (role: "PRINCIPAL" | "MIRROR" | null): PartnerView => ({
    record: mirroringPartnerQuery("sales").map(partnerReply("X", role === null ? databaseRow() : sessionRow(role)))!,
  });
  it.each<[string, Array<PartnerView | undefined>, unknown]>([
    ["one principal", [view("MIRROR"), view("PRINCIPAL")], { kind: "principal", index: 1 }],
    ["both principal", [view("PRINCIPAL"), view("PRINCIPAL")], { kind: "split", indices: [0, 1] }],
    ["a mirror, the other unreachable", [{ error: new Error("down") }, view("MIRROR")], { kind: "mirrorOnly", mirrorIndex: 1 }],
    ["a mirror, the other in no session (lost quorum)", [view(null), view("MIRROR")], { kind: "mirrorOnly", mirrorIndex: 1 }],
    ["nobody in a session, all answered", [view(null), view(null)], { kind: "none" }],
    ["nobody in a session, one unreachable", [view(null), { error: new Error("down") }], { kind: "unreachable" }],
    ["one not asked", [view(null), undefined], { kind: "unreachable" }],
  ])("%s", (_name, views, expected) => {
    expect(findPrincipal(views)).toEqual(expected);
  });
});

describe("discoverPrincipal", () => {
  it("asks the principal last seen first; connected, it is the answer in one request", async () => {
    const a = new Named("a:1", [partnerReply("SQL-A", sessionRow("PRINCIPAL"))]);
    const b = new Named("b:1");
    const found = await discoverPrincipal([a, b], "sales");
    expect([found?.index, found?.record.serverName, a.requests.length, b.requests.length]).toEqual([0, "SQL-A", 1, 0]);
  });

  it("after an automatic failover the hint is the mirror: the other partner is asked and found", async () => {
    const a = new Named("a:1", [partnerReply("SQL-A", sessionRow("MIRROR", { mirroring_partner_name: "TCP://sql-b.corp:5023" }))]);
    const b = new Named("b:1", [partnerReply("SQL-B", sessionRow("PRINCIPAL", { state_desc: "ONLINE", mirroring_partner_name: "TCP://sql-a.corp:5022" }))]);
    const found = await discoverPrincipal([a, b], "sales", 0);
    expect([found?.index, found?.client.target]).toEqual([1, "b:1"]);
  });

  it("a DISCONNECTED principal is checked against the other partner, which may have taken over", async () => {
    const a = new Named("a:1", [partnerReply("SQL-A", sessionRow("PRINCIPAL", { mirroring_state_desc: "DISCONNECTED" }))]);
    const b = new Named("b:1", [partnerReply("SQL-B", sessionRow("MIRROR", { mirroring_state_desc: "DISCONNECTED" }))]);
    const found = await discoverPrincipal([a, b], "sales");
    expect([found?.index, b.requests.length]).toEqual([0, 1]);
  });

  it("nobody in a session: undefined", async () => {
    const found = await discoverPrincipal([new Named("a:1", [partnerReply("SQL-A", databaseRow())]), new Named("b:1", [partnerReply("SQL-B", null)])], "sales");
    expect(found).toBeUndefined();
  });

  it("two principals: ESPLITPRINCIPAL naming both, with the way out", async () => {
    const error = await failureOf(
      discoverPrincipal([new Named("a:1", [partnerReply("SQL-A", sessionRow("PRINCIPAL", { mirroring_state_desc: "DISCONNECTED" }))]), new Named("b:1", [partnerReply("SQL-B", sessionRow("PRINCIPAL", { mirroring_state_desc: "DISCONNECTED" }))])], "sales"),
    );
    expect(error.code).toBe("ESPLITPRINCIPAL");
    expect(error.message).toBe(
      "unable to find the principal of mirroring session of database [sales] on a:1: 'SQL-A' (a:1) and 'SQL-B' (b:1) both hold the PRINCIPAL role " +
        "(after a forced service the old principal keeps it until it reconnects): decide which copy to keep, end mirroring on the other (ALTER DATABASE … SET PARTNER OFF) by hand, then run pulumi refresh",
    );
  });

  it("the principal down and no witness: EPRINCIPALUNREACHABLE naming the mirror, its state and the unreachable partner", async () => {
    const down = new Named("a:1", [connectionError("ESOCKET", "connect ECONNREFUSED 127.0.0.1:1")]);
    const error = await failureOf(discoverPrincipal([down, new Named("b:1", [partnerReply("SQL-B", sessionRow("MIRROR", { mirroring_state_desc: "DISCONNECTED" }))])], "sales"));
    expect(error.code).toBe("EPRINCIPALUNREACHABLE");
    expect(error.message).toMatch(
      /^unable to find the principal of mirroring session of database \[sales\] on a:1: 'SQL-B' \(b:1\) holds the mirror copy \(DISCONNECTED\) and names its principal TCP:\/\/sql-a\.corp:5022, which did not answer as principal; unreachable: a:1: unable to read mirroring session of database \[sales\] on a:1: cannot reach SQL Server/,
    );
    expect(error.message).toMatch(/ — bring the principal's instance back \(or, with a witness, let the session fail over\), then run pulumi up again$/);
  });

  it("no partner answers: the first failure as it is", async () => {
    const error = await failureOf(discoverPrincipal([new Named("a:1", [connectionError("ESOCKET", "gone a")]), new Named("b:1", [connectionError("ESOCKET", "gone b")])], "sales"));
    expect(error.category).toBe("network");
    expect(error.message).toMatch(/gone a/);
  });
});

describe("prerequisites", () => {
  const record = (overrides: Record<string, unknown> = {}) => mirroringPartnerQuery("sales").map(partnerReply("SQL-A", databaseRow(overrides)))!.database;

  it("a ready principal copy, and one already in this very session (a resumed create), have none", () => {
    expect(principalCopyProblems(record(), "sales", { seeding: true })).toEqual([]);
    const own = mirroringPartnerQuery("sales").map(partnerReply("SQL-A", sessionRow("PRINCIPAL")))!.database;
    expect(principalCopyProblems(own, "sales", { seeding: false, mirrorUrl: "tcp://SQL-B.corp:5023" })).toEqual([]);
  });

  it("every problem at once, each with its fix", () => {
    const bad = record({ state_desc: "RESTORING", recovery_model_desc: "SIMPLE", is_read_only: true, user_access_desc: "SINGLE_USER", is_auto_close_on: true, group_database_id: 2 });
    expect(principalCopyProblems(bad, "sales", { seeding: true })).toEqual([
      { rule: "state", reason: "is RESTORING on partners[0], so it is not the principal copy: list the partner that holds it ONLINE first" },
      { rule: "recovery", reason: "uses the SIMPLE recovery model; mirroring needs FULL (1465): run ALTER DATABASE [sales] SET RECOVERY FULL, then a full backup (this package changes neither)" },
      { rule: "readOnly", reason: "is read-only (1466): make it read-write first (ALTER DATABASE [sales] SET READ_WRITE)" },
      { rule: "userAccess", reason: "is in single-user mode (1488): make it multi-user first (ALTER DATABASE [sales] SET MULTI_USER)" },
      { rule: "autoClose", reason: "uses AUTO_CLOSE (1469): turn it off first (ALTER DATABASE [sales] SET AUTO_CLOSE OFF)" },
      { rule: "availabilityGroup", reason: "belongs to an availability group, and such a database cannot be mirrored: remove it from the group first" },
    ]);
  });

  it("seeding needs the log chain started; without seeding SQL Server judges the copy the program restored", () => {
    const noChain = record({ last_log_backup_lsn: null });
    expect(principalCopyProblems(noChain, "sales", { seeding: true }).map((p) => p.rule)).toEqual(["logChain"]);
    expect(principalCopyProblems(noChain, "sales", { seeding: false })).toEqual([]);
  });

  it("missing, system, or in another session", () => {
    expect(principalCopyProblems(null, "sales", { seeding: false }).map((p) => p.rule)).toEqual(["missing"]);
    expect(principalCopyProblems(record({ name: "msdb", database_id: 4 }), "msdb", { seeding: false }).map((p) => p.rule)).toEqual(["system"]);
    const other = mirroringPartnerQuery("sales").map(partnerReply("SQL-A", sessionRow("PRINCIPAL", { mirroring_partner_name: "TCP://elsewhere:5022" })))!.database;
    expect(principalCopyProblems(other, "sales", { seeding: false, mirrorUrl: "TCP://sql-b.corp:5023" })).toEqual([
      {
        rule: "mirrored",
        reason: "is already in a mirroring session with TCP://elsewhere:5022 (set up outside this stack; an existing session is not taken over): end it there first (ALTER DATABASE [sales] SET PARTNER OFF)",
      },
    ]);
  });

  it("the mirror copy: RESTORING is ready; missing is fine only with seeding; ONLINE is never restored over", () => {
    expect(mirrorCopyProblems(record({ state_desc: "RESTORING" }), "sales", { seeding: false })).toEqual([]);
    expect(mirrorCopyProblems(null, "sales", { seeding: true })).toEqual([]);
    expect(mirrorCopyProblems(null, "sales", { seeding: false })[0]!.reason).toBe(
      "does not exist on the mirror (partners[1]): restore a full backup and a later log backup of the principal's copy there WITH NORECOVERY " +
        "(RESTORE DATABASE [sales] FROM DISK = N'…' WITH NORECOVERY; RESTORE LOG [sales] FROM DISK = N'…' WITH NORECOVERY), or give seeding: { backupPath } to have that done",
    );
    expect(mirrorCopyProblems(record(), "sales", { seeding: true })).toEqual([
      {
        rule: "exists",
        reason:
          "is ONLINE on the mirror (partners[1]), and a database is never restored over: if that copy is not needed, drop it there yourself (DROP DATABASE [sales]) and run pulumi up again; " +
          "if it is the copy that should serve, list its partner first",
      },
    ]);
    expect(mirrorCopyProblems(record({ state_desc: "SUSPECT" }), "sales", { seeding: true }).map((p) => p.reason)).toEqual(["is SUSPECT on the mirror (partners[1]); the mirror copy must be RESTORING (restored WITH NORECOVERY)"]);
  });
});

describe("seedMirrorCopy", () => {
  const files = { full: "/srv/share/sales_s1.bak", log: "/srv/share/sales_s1.trn" };

  it("backs up copy-only on the principal, restores WITH NORECOVERY on the mirror, checks each side before and the copy after", async () => {
    const principal = new Named("a:1", [seedingReply(), [], []]);
    const mirror = new Named("b:1", [seedingReply(null), seedingReply(null), [], [], seedingReply({ state_desc: "RESTORING", last_log_backup_lsn: null })]);
    const result = await seedMirrorCopy(principal, mirror, "sales", { backupPath: "/srv/share", stamp: "s1" });
    expect(result).toEqual({ seeded: true, files });
    expect(principal.statements).toEqual([SEED_STATE, `BACKUP DATABASE [sales] TO DISK = N'${files.full}' WITH COPY_ONLY`, `BACKUP LOG [sales] TO DISK = N'${files.log}' WITH COPY_ONLY`]);
    expect(mirror.statements).toEqual([
      SEED_STATE,
      SEED_STATE,
      `RESTORE DATABASE [sales] FROM DISK = N'${files.full}' WITH NORECOVERY`,
      `RESTORE LOG [sales] FROM DISK = N'${files.log}' WITH NORECOVERY`,
      SEED_STATE,
    ]);
  });

  it("a RESTORING copy on the mirror is used as it is: one request, nothing written", async () => {
    const principal = new Named("a:1");
    const mirror = new Named("b:1", [seedingReply({ state_desc: "RESTORING", last_log_backup_lsn: null })]);
    await expect(seedMirrorCopy(principal, mirror, "sales", { backupPath: "/srv/share" })).resolves.toEqual({ seeded: false });
    expect([principal.requests.length, mirror.requests.length]).toEqual([0, 1]);
  });

  it("refuses an ONLINE database on the mirror before anything is backed up, naming the database and the fix", async () => {
    const principal = new Named("a:1");
    const mirror = new Named("b:1", [seedingReply()]);
    const error = await failureOf(seedMirrorCopy(principal, mirror, "sales", { backupPath: "/srv/share" }));
    expect([error.code, error.target]).toEqual(["EPREREQUISITE", "b:1"]);
    expect(error.message).toBe(
      "unable to create mirroring session of database [sales] on b:1: the mirror's copy: database [sales] is ONLINE on the mirror (partners[1]), and a database is never restored over: " +
        "if that copy is not needed, drop it there yourself (DROP DATABASE [sales]) and run pulumi up again; if it is the copy that should serve, list its partner first",
    );
    expect(principal.requests).toEqual([]);
  });

  it("refuses a principal copy without a log chain, or not in FULL recovery, before any backup", async () => {
    const principal = new Named("a:1", [seedingReply({ last_log_backup_lsn: null })]);
    const error = await failureOf(seedMirrorCopy(principal, new Named("b:1", [seedingReply(null)]), "sales", { backupPath: "/srv/share" }));
    expect(error.message).toMatch(/the principal's copy: database \[sales\] has had no full backup under the FULL recovery model, so no log backup can be taken yet/);
    expect(principal.requests).toHaveLength(1);
  });

  it("a database that appears on the mirror while the backups run is not restored over", async () => {
    const principal = new Named("a:1", [seedingReply(), [], []]);
    const mirror = new Named("b:1", [seedingReply(null), seedingReply()]);
    const error = await failureOf(seedMirrorCopy(principal, mirror, "sales", { backupPath: "/srv/share", stamp: "s1" }));
    expect(error.code).toBe("EPREREQUISITE");
    expect(mirror.statements).toEqual([SEED_STATE, SEED_STATE]);
  });

  it("a failed backup is SQL Server's error, sent once (never retried)", async () => {
    const principal = new Named("a:1", [seedingReply(), requestError(3201, "Cannot open backup device '/srv/share/sales_s1.bak'. Operating system error 3(The system cannot find the path specified.).")]);
    const error = await failureOf(seedMirrorCopy(principal, new Named("b:1", [seedingReply(null)]), "sales", { backupPath: "/srv/share", stamp: "s1" }));
    expect([error.number, error.attempts, principal.requests.length]).toEqual([3201, 1, 2]);
    expect(error.message).toMatch(/^unable to back up \(full, copy-only\) for seeding the mirror copy of database \[sales\] on a:1: Cannot open backup device/);
  });
});

describe("setPartner", () => {
  it("reads, then sends SET PARTNER alone", async () => {
    const client = new FakeClient([partnerReply("SQL-B", databaseRow({ state_desc: "RESTORING" })), []]);
    await expect(setPartner(client, "sales", "TCP://sql-a.corp:5022")).resolves.toEqual({ alreadySet: false });
    expect(client.statements).toEqual([READ, "ALTER DATABASE [sales] SET PARTNER = N'TCP://sql-a.corp:5022'"]);
  });

  it("a copy that already names the partner (any case) is left alone: one request", async () => {
    const client = new FakeClient([partnerReply("SQL-B", sessionRow("MIRROR"))]);
    await expect(setPartner(client, "sales", "tcp://SQL-A.corp:5022")).resolves.toEqual({ alreadySet: true });
    expect(client.requests).toHaveLength(1);
  });

  it("a lost reply is followed by a fresh read; a statement that took effect is not sent twice", async () => {
    const client = new FakeClient([partnerReply("SQL-B", databaseRow({ state_desc: "RESTORING" })), connectionError("ESOCKET", "Connection lost - read ECONNRESET"), partnerReply("SQL-B", sessionRow("MIRROR"))]);
    await setPartner(client, "sales", "TCP://sql-a.corp:5022");
    expect(client.statements).toEqual([READ, "ALTER DATABASE [sales] SET PARTNER = N'TCP://sql-a.corp:5022'", READ]);
  });

  it("SQL Server's refusal comes back with its number and the advice for it", async () => {
    const client = new FakeClient([
      partnerReply("SQL-A", databaseRow()),
      requestError(1418, "The server network address \"TCP://sql-b.corp:5023\" can not be reached or does not exist. Check the network address name and that the ports for the local and remote endpoints are operational."),
    ]);
    const error = await failureOf(setPartner(client, "sales", "TCP://sql-b.corp:5023"));
    expect(error.number).toBe(1418);
    expect(error.message).toBe(
      "unable to set the partner of mirroring session of database [sales] to TCP://sql-b.corp:5023 on sql1:1433: The server network address \"TCP://sql-b.corp:5023\" can not be reached or does not exist. " +
        "Check the network address name and that the ports for the local and remote endpoints are operational. (Msg 1418, State 1) — " +
        "the partner's endpoint cannot be reached: check the endpoint URL, that its endpoint is STARTED with ROLE PARTNER or ALL, and that each instance trusts the other (certificates, CONNECT)",
    );
  });
});

describe("session steps", () => {
  const principal = (overrides: Record<string, unknown> = {}) => mirroringPartnerQuery("sales").map(partnerReply("SQL-A", witnessed("PRINCIPAL", overrides)));

  it("stepDone reads each step's effect from the principal's row", () => {
    expect(stepDone(principal(), { kind: "safety", safety: "FULL", statement: buildSetSafety("sales", "FULL") })).toBe(true);
    expect(stepDone(principal(), { kind: "safety", safety: "OFF", statement: buildSetSafety("sales", "OFF") })).toBe(false);
    expect(stepDone(principal(), { kind: "witness", witnessUrl: "tcp://sql-w.CORP:5024", statement: buildSetWitness("sales", "TCP://sql-w.corp:5024") })).toBe(true);
    expect(stepDone(principal({ mirroring_witness_name: "" }), { kind: "witnessOff", statement: buildWitnessOff("sales") })).toBe(true);
    expect(stepDone(principal(), { kind: "timeout", timeoutSeconds: 30, statement: buildSetTimeout("sales", 30) })).toBe(false);
    expect(stepDone(principal({ mirroring_role_desc: "MIRROR" }), { kind: "failover", statement: buildPartnerFailover("sales") })).toBe(true);
    expect(stepDone(undefined, { kind: "failover", statement: buildPartnerFailover("sales") })).toBe(false);
  });

  it("runSessionStep sends the statement alone; after a lost reply it re-reads before resending", async () => {
    const client = new FakeClient([connectionError("ESOCKET", "Connection lost"), partnerReply("SQL-A", witnessed("PRINCIPAL", { mirroring_connection_timeout: 30 }))]);
    await runSessionStep(client, "sales", { kind: "timeout", timeoutSeconds: 30, statement: buildSetTimeout("sales", 30) });
    expect(client.statements).toEqual(["ALTER DATABASE [sales] SET PARTNER TIMEOUT 30", READ]);
  });

  it("removeWitness only when there is one; endSession only when in a session", async () => {
    const none = new FakeClient([partnerReply("SQL-A", sessionRow("PRINCIPAL"))]);
    await expect(removeWitness(none, "sales")).resolves.toBe(false);
    const one = new FakeClient([partnerReply("SQL-A", witnessed("PRINCIPAL")), []]);
    await expect(removeWitness(one, "sales")).resolves.toBe(true);
    expect(one.statements).toEqual([READ, "ALTER DATABASE [sales] SET WITNESS OFF"]);

    const gone = new FakeClient([partnerReply("SQL-A", databaseRow())]);
    await expect(endSession(gone, "sales")).resolves.toBe(false);
    const live = new FakeClient([partnerReply("SQL-A", sessionRow("PRINCIPAL")), []]);
    await expect(endSession(live, "sales")).resolves.toBe(true);
    expect(live.statements).toEqual([READ, "ALTER DATABASE [sales] SET PARTNER OFF"]);
  });

  it("suspend and resume are sent alone", async () => {
    const client = new FakeClient([[], []]);
    await suspendSession(client, "sales");
    await resumeSession(client, "sales");
    expect(client.statements).toEqual(["ALTER DATABASE [sales] SET PARTNER SUSPEND", "ALTER DATABASE [sales] SET PARTNER RESUME"]);
  });
});
