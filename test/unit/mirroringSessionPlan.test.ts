/** Planning of database mirroring sessions: pure, every default decided, every problem at once, a list of entries over named instances (the estate form's shape). */
import { describe, expect, it } from "vitest";
import { planMirroringSessions, type MirroringSessionShape } from "../../provider/components/mirroringSessionPlan";

const entry = (extra: Partial<MirroringSessionShape> = {}): MirroringSessionShape => ({ path: "mirroring", partners: ["a", "b"], witness: "w", databases: ["sales"], ...extra });

describe("planMirroringSessions", () => {
  it("one session per database, with the defaults: FULL, 10 s, no seeding, no pin", () => {
    expect(planMirroringSessions(["a", "b", "w"], [entry({ databases: ["sales", "stock"] })])).toEqual({
      problems: [],
      sessions: [
        { path: "mirroring", database: "sales", partners: ["a", "b"], witness: "w", safety: "FULL", timeoutSeconds: 10 },
        { path: "mirroring", database: "stock", partners: ["a", "b"], witness: "w", safety: "FULL", timeoutSeconds: 10 },
      ],
    });
  });

  it("every option given, case-insensitive safety", () => {
    const { sessions, problems } = planMirroringSessions(["a", "b"], [
      entry({ witness: undefined, safety: "off", timeoutSeconds: 30, seeding: { backupPath: "\\\\nas\\mirroring" }, waitTimeoutMs: 600_000 }),
    ]);
    expect(problems).toEqual([]);
    expect(sessions).toEqual([{ path: "mirroring", database: "sales", partners: ["a", "b"], safety: "OFF", timeoutSeconds: 30, seeding: { backupPath: "\\\\nas\\mirroring" }, waitTimeoutMs: 600_000 }]);
    expect(planMirroringSessions(["a", "b", "w"], [entry({ principal: "b" })]).sessions[0]).toMatchObject({ principal: "b" });
  });

  it("every problem of an entry at once, named by its path, and no session planned", () => {
    expect(
      planMirroringSessions(["a", "b", "w"], [
        entry({
          databases: ["sales", "SALES", "master", "x ", 7],
          safety: "OFF",
          timeoutSeconds: 4,
          seeding: { backupPath: "relative" },
          waitTimeoutMs: -5,
          principal: "w",
        }),
      ]),
    ).toEqual({
      sessions: [],
      problems: [
        "mirroring.databases[1] 'SALES' is listed twice (also databases[0]): a database has one mirroring session; list it once",
        "mirroring.databases[2] is a system database; only user databases can be mirrored (Microsoft: master, msdb, tempdb and model cannot be)",
        "mirroring.databases[3] ends with a space; SQL Server ignores trailing spaces when comparing names, so remove them",
        "mirroring.databases[4] must be a string (got number)",
        "mirroring.timeoutSeconds must be at least 5 seconds: SQL Server turns 0–4 into 5, so 4 would show as drift at every refresh (10 or more is recommended), got 4",
        "mirroring.seeding.backupPath must be absolute ('/var/opt/mssql/backup', 'D:\\backup' or '\\\\server\\share'): a relative path resolves in each instance's own default folder, so the mirror would not see the principal's backups, got 'relative'",
        "mirroring.waitTimeoutMs must be a whole number of milliseconds from 0 to 86400000, not -5",
        "mirroring.principal must name one of the partners ('a' or 'b'), not \"w\"",
        "mirroring.safety OFF (high-performance mode) with a witness is refused: Microsoft does not intend high-performance mode to use a witness, and with one the principal still needs quorum, so losing the mirror and the witness would take the database offline; remove the witness, or use FULL",
      ],
    });
  });

  it("no databases, an unknown safety, a pin under OFF", () => {
    expect(planMirroringSessions(["a", "b"], [entry({ witness: undefined, databases: [], safety: "HIGH" })]).problems).toEqual([
      "mirroring.databases is required: the databases to mirror, e.g. ['sales']",
      'mirroring.safety must be one of "FULL", "OFF", not "HIGH"',
    ]);
    expect(planMirroringSessions(["a", "b"], [entry({ witness: undefined, safety: "OFF", principal: "a" })]).problems).toEqual([
      "mirroring.principal pins the principal, which takes a planned failover (SET PARTNER FAILOVER) whenever the other partner is principal; SQL Server allows that only with safety FULL (1477): use FULL, or leave principal out",
    ]);
  });

  it("partners and witness over the estate's instances: unknown names, the same instance twice, a witness that is a partner", () => {
    expect(planMirroringSessions(["a", "b", "c"], [entry({ partners: ["a", "a"], witness: "a" }), entry({ path: "mirroringSessions[1]", partners: ["a", "z"], witness: "y" })]).problems).toEqual([
      "mirroring.partners lists 'a' twice: the two partners must be different instances",
      "mirroring.witness 'a' is also a partner: the witness must be a third instance (SQL Server refuses it, 1429)",
      "mirroringSessions[1].partners names 'z', which is not an instance of the topology",
      "mirroringSessions[1].witness names 'y', which is not an instance of the topology",
      "mirroringSessions[1].databases lists 'sales', which mirroring also mirrors on 'a': a database has one mirroring session",
    ]);
  });

  it("several entries over shared instances: one witness serving two pairs is fine, and so is one database name on two disjoint pairs", () => {
    const plan = planMirroringSessions(["a", "b", "c", "d", "w"], [entry({ partners: ["a", "b"] }), entry({ path: "mirroringSessions[1]", partners: ["c", "d"] })]);
    expect(plan.problems).toEqual([]);
    expect(plan.sessions.map((s) => `${s.partners.join("+")}:${s.database}@${s.witness}`)).toEqual(["a+b:sales@w", "c+d:sales@w"]);
    expect(planMirroringSessions(["a", "b", "c"], [entry({ witness: undefined, partners: ["a", "b"] }), entry({ path: "mirroringSessions[1]", witness: undefined, partners: ["b", "c"], databases: ["stock"] })]).problems).toEqual([]);
  });

  it("a partner count other than two", () => {
    expect(planMirroringSessions(["a", "b", "c"], [entry({ witness: undefined, partners: ["a", "b", "c"] })]).problems).toEqual(["mirroring.partners database mirroring needs exactly two partners, got 3"]);
  });
});
