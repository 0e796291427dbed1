import { describe, expect, it } from "vitest";
import {
  availabilityGroupProblems,
  MAX_SYNCHRONOUS_COMMIT_REPLICAS,
  validateAvailabilityDatabaseName,
  validateTcpUrl,
  type GroupRuleInput,
  type ReplicaRuleInput,
} from "../../../provider/sql/validateAvailabilityGroup";

const replica = (n: number, extra: Partial<ReplicaRuleInput> = {}): ReplicaRuleInput => ({
  serverName: `SQL-${n}`,
  endpointUrl: `TCP://sql-${n}.corp:5022`,
  availabilityMode: "SYNCHRONOUS_COMMIT",
  failoverMode: "MANUAL",
  ...extra,
});
const group = (replicas: ReplicaRuleInput[], extra: Partial<GroupRuleInput> = {}): GroupRuleInput => ({ clusterType: "NONE", replicas, ...extra });
const problems = (g: GroupRuleInput) => availabilityGroupProblems(g).map((p) => `${p.property}: ${p.reason}`);

describe("validateTcpUrl", () => {
  it.each(["TCP://sql-b.corp:5022", "tcp://10.0.0.5:5022", "TCP://[fd00::5]:7022", "TCP://b:1", "TCP://B_1:65535"])("accepts %s", (url) => {
    expect(validateTcpUrl(url)).toBeUndefined();
  });

  it.each(["sql-b:5022", "TCP://sql-b", "TCP://sql-b:0", "TCP://sql-b:70000", "http://sql-b:5022", "TCP://sql b:5022", "TCP://b':5022", "TCP://-b:5022"])("refuses %s", (url) => {
    expect(validateTcpUrl(url)).toBe(`must be a URL like TCP://sql-b.corp:5022 (TCP://, a host name or address, a port 1–65535), got '${url}'`);
  });

  it("refuses a non-string", () => {
    expect(validateTcpUrl(5022)).toBe("must be a URL like TCP://sql-b.corp:5022 (got number)");
  });
});

describe("validateAvailabilityDatabaseName", () => {
  it.each(["master", "MODEL", "msdb", "tempdb"])("refuses the system database %s", (name) => {
    expect(validateAvailabilityDatabaseName(name)).toBe("is a system database; availability groups hold user databases only (SQL Server refuses it, 35249)");
  });
  it("takes any valid name, and the sysname rules apply", () => {
    expect(validateAvailabilityDatabaseName("Sales]; --")).toBeUndefined();
    expect(validateAvailabilityDatabaseName("d".repeat(129))).toMatch(/at most 128/);
  });
});

describe("availabilityGroupProblems", () => {
  it("a valid NONE group of three: none", () => {
    expect(problems(group([replica(1), replica(2), replica(3, { availabilityMode: "ASYNCHRONOUS_COMMIT" })], { databases: ["a", "b"] }))).toEqual([]);
  });

  it("a valid EXTERNAL group with a configuration-only replica: none", () => {
    expect(
      problems(group([replica(1, { failoverMode: "EXTERNAL" }), replica(2, { failoverMode: "EXTERNAL" }), replica(3, { availabilityMode: "CONFIGURATION_ONLY" })], { clusterType: "EXTERNAL" })),
    ).toEqual([]);
  });

  it("WSFC is refused: there is no cluster", () => {
    expect(problems(group([replica(1), replica(2)], { clusterType: "WSFC" }))).toEqual([
      "clusterType: WSFC needs a Windows Server Failover Cluster, which this package neither creates nor manages; use NONE (no cluster manager: read-scale and manual failover) or EXTERNAL (a Pacemaker cluster)",
    ]);
  });

  it("combinations of §1.1: automatic failover needs synchronous commit; NONE takes MANUAL; EXTERNAL takes EXTERNAL", () => {
    expect(problems(group([replica(1), replica(2, { availabilityMode: "ASYNCHRONOUS_COMMIT", failoverMode: "AUTOMATIC" })]))).toEqual([
      "replicas[1].failoverMode: AUTOMATIC needs availabilityMode SYNCHRONOUS_COMMIT (SQL Server refuses automatic failover of an asynchronous replica, 35211)",
      "replicas[1].failoverMode: must be MANUAL with CLUSTER_TYPE = NONE: without a cluster manager nothing can fail over automatically, got AUTOMATIC",
    ]);
    expect(problems(group([replica(1, { failoverMode: "EXTERNAL" }), replica(2)], { clusterType: "EXTERNAL" }))).toEqual([
      "replicas[1].failoverMode: must be EXTERNAL with CLUSTER_TYPE = EXTERNAL: the cluster manager (Pacemaker) decides failovers, got MANUAL",
    ]);
  });

  it(`more than ${MAX_SYNCHRONOUS_COMMIT_REPLICAS} synchronous replicas (SQL Server 2019+), and ten replicas`, () => {
    const ten = Array.from({ length: 10 }, (_, i) => replica(i + 1));
    expect(problems(group(ten))).toEqual([
      "replicas: an availability group has 1 to 9 replicas (one primary and up to eight secondaries), got 10",
      "replicas: 10 replicas use SYNCHRONOUS_COMMIT; SQL Server allows at most 5, the primary included (35212): make the others ASYNCHRONOUS_COMMIT",
    ]);
    expect(problems(group(ten.slice(0, 5)))).toEqual([]);
  });

  it("the same instance or endpoint twice", () => {
    expect(problems(group([replica(1), replica(2, { serverName: "sql-1" }), replica(3, { endpointUrl: "tcp://SQL-1.corp:5022" })]))).toEqual([
      "replicas[1].serverName: 'sql-1' is also replicas[0]: each replica must be a different instance (35235)",
      "replicas[2].endpointUrl: 'tcp://SQL-1.corp:5022' is also the endpoint of replicas[0]: each replica needs its own endpoint",
    ]);
  });

  it("configuration-only rules: one at most, never first, needs a secondary, takes no data options, not with WSFC", () => {
    expect(problems(group([replica(1, { availabilityMode: "CONFIGURATION_ONLY", explicitOptions: ["backupPriority"] }), replica(2), replica(3, { availabilityMode: "CONFIGURATION_ONLY" })]))).toEqual([
      "replicas[0].backupPriority: cannot be set on a CONFIGURATION_ONLY replica: it holds the group's metadata only (give it ENDPOINT_URL and AVAILABILITY_MODE alone)",
      "replicas[2].availabilityMode: a group has at most one CONFIGURATION_ONLY replica",
      "replicas[0].availabilityMode: the first replica creates the group and becomes its primary; a CONFIGURATION_ONLY replica can never be primary: list a data replica first",
      "replicas: a group with a CONFIGURATION_ONLY replica needs a secondary replica besides the primary",
    ]);
    expect(problems(group([replica(1), replica(2, { availabilityMode: "CONFIGURATION_ONLY" })]))).toEqual([
      "replicas: a group with a CONFIGURATION_ONLY replica needs a secondary replica besides the primary",
    ]);
  });

  it("replica numbers: session timeout ≥ 5, backup priority 0–100, routing URL", () => {
    expect(problems(group([replica(1, { sessionTimeout: 4, backupPriority: 101, readOnlyRoutingUrl: "sql-1:1433" }), replica(2)]))).toEqual([
      "replicas[0].secondaryRole.readOnlyRoutingUrl: must be a URL like TCP://sql-b.corp:5022 (TCP://, a host name or address, a port 1–65535), got 'sql-1:1433'",
      "replicas[0].sessionTimeoutSeconds: must be a whole number of seconds, at least 5 (SQL Server refuses less, 35214; 10 or more is recommended), got 4",
      "replicas[0].backupPriority: must be a whole number from 0 (never back up here) to 100, got 101",
    ]);
  });

  it("required synchronized secondaries: within the synchronous secondaries, and not with EXTERNAL", () => {
    const replicas = [replica(1), replica(2), replica(3, { availabilityMode: "ASYNCHRONOUS_COMMIT" })];
    expect(problems(group(replicas, { requiredSynchronizedSecondariesToCommit: 1 }))).toEqual([]);
    expect(problems(group(replicas, { requiredSynchronizedSecondariesToCommit: 2 }))).toEqual([
      "requiredSynchronizedSecondariesToCommit: is 2, but only 1 secondary replica(s) use SYNCHRONOUS_COMMIT (35248): commits on the primary would fail; lower it or make more replicas synchronous",
    ]);
    expect(problems(group(replicas, { requiredSynchronizedSecondariesToCommit: 3 }))).toEqual([
      "requiredSynchronizedSecondariesToCommit: must be a whole number from 0 to 2 (the number of replicas minus one), got 3",
    ]);
    expect(problems(group([replica(1, { failoverMode: "EXTERNAL" }), replica(2, { failoverMode: "EXTERNAL" })], { clusterType: "EXTERNAL", requiredSynchronizedSecondariesToCommit: 1 }))).toEqual([
      "requiredSynchronizedSecondariesToCommit: is managed by the cluster resource with CLUSTER_TYPE = EXTERNAL (Pacemaker sets it when the group is added): set it there (pcs resource update <ag> required_synchronized_secondaries_to_commit=N), not here",
    ]);
  });

  it("group numbers and databases listed twice", () => {
    expect(problems(group([replica(1), replica(2)], { failureConditionLevel: 6, healthCheckTimeout: 1000, databases: ["Sales", "sales", "tempdb"] }))).toEqual([
      "failureConditionLevel: must be a whole number from 1 to 5 (35228), got 6",
      "healthCheckTimeoutMs: must be a whole number of milliseconds from 15000 to 4294967295 (35229), got 1000",
      "databases[1]: 'sales' is listed twice (also databases[0]); list each database once (35234)",
      "databases[2]: is a system database; availability groups hold user databases only (SQL Server refuses it, 35249)",
    ]);
  });
});
