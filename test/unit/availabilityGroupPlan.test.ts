import { describe, expect, it } from "vitest";
import { planAvailabilityGroups, type AvailabilityGroupShape } from "../../provider/components/availabilityGroupPlan";

const names = (n: number) => Array.from({ length: n }, (_, i) => `r${i + 1}`);
const one = (extra: Partial<AvailabilityGroupShape> = {}, replicas = names(3)): AvailabilityGroupShape => ({ path: "availabilityGroup", name: "ag1", replicas, ...extra });
const plan = (shape: AvailabilityGroupShape, instances = shape.replicas) => planAvailabilityGroups(instances, [shape]);

describe("planAvailabilityGroups: defaults", () => {
  it("NONE, synchronous commit, MANUAL failover, automatic seeding, not readable", () => {
    const { groups, problems } = plan(one({ databases: ["sales", { name: "orders", seedingMode: "manual", initialFullBackup: { disk: "/backup/orders.bak" } }] }));
    expect(problems).toEqual([]);
    expect(groups).toEqual([
      {
        name: "ag1",
        clusterType: "NONE",
        replicas: names(3).map((instance) => ({
          instance,
          availabilityMode: "SYNCHRONOUS_COMMIT",
          failoverMode: "MANUAL",
          seedingMode: "AUTOMATIC",
          backupPriority: 50,
          secondaryRole: { allowConnections: "NO" },
          primaryRole: { allowConnections: "ALL" },
          sessionTimeoutSeconds: 10,
        })),
        databases: [
          { name: "sales", seedingMode: "AUTOMATIC" },
          { name: "orders", seedingMode: "MANUAL", initialFullBackup: { disk: "/backup/orders.bak" } },
        ],
        options: {},
      },
    ]);
  });

  it("synchronous commit up to SQL Server's limit (five, the primary included), asynchronous after", () => {
    const { groups } = plan(one({}, names(9)));
    expect(groups[0]!.replicas.map((r) => r.availabilityMode)).toEqual([...Array(5).fill("SYNCHRONOUS_COMMIT"), ...Array(4).fill("ASYNCHRONOUS_COMMIT")]);
  });

  it("explicit modes count first: defaults fill the synchronous slots left", () => {
    const { groups } = plan(
      one({ replicaOptions: { r6: { availabilityMode: "SYNCHRONOUS_COMMIT" }, r7: { availabilityMode: "SYNCHRONOUS_COMMIT" }, r2: { availabilityMode: "ASYNCHRONOUS_COMMIT" } } }, names(7)),
    );
    expect(groups[0]!.replicas.map((r) => `${r.instance}:${r.availabilityMode[0]}`)).toEqual(["r1:S", "r2:A", "r3:S", "r4:S", "r5:A", "r6:S", "r7:S"]);
  });

  it("EXTERNAL: failover EXTERNAL; a configuration-only replica keeps nothing but its mode; group options and readable secondaries", () => {
    const { groups, problems } = plan(
      one({
        clusterType: "external",
        readableSecondaries: "all",
        replicaOptions: { r3: { availabilityMode: "configuration_only" }, r2: { readableSecondary: "READ_ONLY", backupPriority: 90 } },
        dbFailover: true,
        healthCheckTimeoutMs: 60_000,
        connectTimeoutSeconds: 120,
        synchronizationTimeoutSeconds: 0,
      }),
    );
    expect(problems).toEqual([]);
    expect(groups[0]).toMatchObject({
      clusterType: "EXTERNAL",
      options: { dbFailover: true, healthCheckTimeoutMs: 60_000 },
      connectTimeoutSeconds: 120,
      synchronizationTimeoutSeconds: 0,
      replicas: [
        { instance: "r1", failoverMode: "EXTERNAL", secondaryRole: { allowConnections: "ALL" } },
        { instance: "r2", failoverMode: "EXTERNAL", backupPriority: 90, secondaryRole: { allowConnections: "READ_ONLY" } },
        { instance: "r3", availabilityMode: "CONFIGURATION_ONLY" },
      ],
    });
    expect(Object.keys(groups[0]!.replicas[2]!)).toEqual(["instance", "availabilityMode"]);
  });
});

describe("planAvailabilityGroups: every problem at once, named as the program wrote it", () => {
  it.each<[string, AvailabilityGroupShape, string[]]>([
    ["WSFC", one({ clusterType: "WSFC" }), [
      "availabilityGroup.clusterType WSFC needs a Windows Server Failover Cluster, which this package neither creates nor manages; use NONE (no cluster manager: read-scale and manual failover) or EXTERNAL (a Pacemaker cluster)",
    ]],
    ["automatic failover with NONE, and on an asynchronous replica", one({ replicaOptions: { r2: { failoverMode: "AUTOMATIC" }, r3: { availabilityMode: "ASYNCHRONOUS_COMMIT", failoverMode: "AUTOMATIC" } } }), [
      "availabilityGroup.replicaOptions['r2'].failoverMode must be MANUAL with CLUSTER_TYPE = NONE: without a cluster manager nothing can fail over automatically, got AUTOMATIC",
      "availabilityGroup.replicaOptions['r3'].failoverMode AUTOMATIC needs availabilityMode SYNCHRONOUS_COMMIT (SQL Server refuses automatic failover of an asynchronous replica, 35211)",
      "availabilityGroup.replicaOptions['r3'].failoverMode must be MANUAL with CLUSTER_TYPE = NONE: without a cluster manager nothing can fail over automatically, got AUTOMATIC",
    ]],
    ["six explicit synchronous replicas", one({ replicaOptions: Object.fromEntries(names(6).map((n) => [n, { availabilityMode: "SYNCHRONOUS_COMMIT" }])) }, names(6)), [
      "availabilityGroup.replicas 6 replicas use SYNCHRONOUS_COMMIT; SQL Server allows at most 5, the primary included (35212): make the others ASYNCHRONOUS_COMMIT",
    ]],
    ["configuration-only first, and with options", one({ replicaOptions: { r1: { availabilityMode: "CONFIGURATION_ONLY", backupPriority: 1 } } }), [
      "availabilityGroup.replicaOptions['r1'].backupPriority cannot be set on a CONFIGURATION_ONLY replica: it holds the group's metadata only (give it ENDPOINT_URL and AVAILABILITY_MODE alone)",
      "availabilityGroup.replicaOptions['r1'].availabilityMode the first replica creates the group and becomes its primary; a CONFIGURATION_ONLY replica can never be primary: list a data replica first",
    ]],
    ["a database listed twice, a system database, a bad backup file", one({ databases: ["sales", "Sales", "msdb", { name: "x", initialFullBackup: { disk: "" } }] }), [
      "availabilityGroup.databases[3].initialFullBackup.disk must not be empty",
      "availabilityGroup.databases[1] 'Sales' is listed twice (also databases[0]); list each database once (35234)",
      "availabilityGroup.databases[2] is a system database; availability groups hold user databases only (SQL Server refuses it, 35249)",
    ]],
    ["a name too long and unknown enum values", one({ name: "n".repeat(129), clusterType: "KUBERNETES", readableSecondaries: "YES", replicaOptions: { r2: { seedingMode: "COPY" } } }), [
      "availabilityGroup.name is 129 characters long; SQL Server names hold at most 128, so shorten it",
      'availabilityGroup.clusterType must be one of "NONE", "EXTERNAL", "WSFC", not "KUBERNETES"',
      'availabilityGroup.readableSecondaries must be one of "NO", "READ_ONLY", "ALL", not "YES"',
      'availabilityGroup.replicaOptions[\'r2\'].seedingMode must be one of "AUTOMATIC", "MANUAL", not "COPY"',
    ]],
    ["options for an instance that is not a replica, numbers out of range", one({ replicaOptions: { rx: {}, r2: { sessionTimeoutSeconds: 3 } }, requiredSynchronizedSecondariesToCommit: 3, failureConditionLevel: 9, connectTimeoutSeconds: -5 }), [
      "availabilityGroup.replicaOptions['rx'] is for 'rx', which is not a replica of this group",
      "availabilityGroup.failureConditionLevel must be a whole number from 1 to 5, not 9",
      "availabilityGroup.replicaOptions['r2'].sessionTimeoutSeconds must be a whole number of seconds, at least 5 (SQL Server refuses less, 35214; 10 or more is recommended), got 3",
      "availabilityGroup.requiredSynchronizedSecondariesToCommit must be a whole number from 0 to 2 (the number of replicas minus one), got 3",
      "availabilityGroup.connectTimeoutSeconds must be a whole number from 0 to 86400, not -5",
    ]],
    ["no name", one({ name: undefined }), ["availabilityGroup.name is required, as a plain string known when the program runs (it names the group's resources)"]],
    ["required synchronized secondaries with EXTERNAL", one({ clusterType: "EXTERNAL", requiredSynchronizedSecondariesToCommit: 1 }), [
      "availabilityGroup.requiredSynchronizedSecondariesToCommit is managed by the cluster resource with CLUSTER_TYPE = EXTERNAL (Pacemaker sets it when the group is added): set it there (pcs resource update <ag> required_synchronized_secondaries_to_commit=N), not here",
    ]],
  ])("%s", (_label, shape, problems) => {
    const result = plan(shape);
    expect(result.problems).toEqual(problems);
    expect(result.groups).toEqual([]);
  });
});

describe("planAvailabilityGroups: several groups over shared instances (the estate form's planner)", () => {
  const instances = ["a", "b", "c"];

  it("two groups sharing an instance plan independently", () => {
    const result = planAvailabilityGroups(instances, [
      { path: "availabilityGroups[0]", name: "ag1", replicas: ["a", "b"], databases: ["sales"] },
      { path: "availabilityGroups[1]", name: "ag2", replicas: ["b", "c"], databases: ["orders"] },
    ]);
    expect(result.problems).toEqual([]);
    expect(result.groups.map((g) => [g.name, g.replicas.map((r) => r.instance)])).toEqual([
      ["ag1", ["a", "b"]],
      ["ag2", ["b", "c"]],
    ]);
  });

  it("unknown instances, an instance twice, a name twice, one database in two groups on a shared instance", () => {
    const result = planAvailabilityGroups(instances, [
      { path: "availabilityGroups[0]", name: "ag1", replicas: ["a", "b"], databases: ["sales"] },
      { path: "availabilityGroups[1]", name: "AG1", replicas: ["b", "c", "c"], databases: ["Sales"] },
      { path: "availabilityGroups[2]", name: "ag3", replicas: ["a", "z"] },
      { path: "availabilityGroups[3]", name: "ag4", replicas: ["c"] },
    ]);
    expect(result.problems).toEqual([
      "availabilityGroups[1].replicas lists 'c' twice: an instance hosts one replica of a group",
      "availabilityGroups[2].replicas names 'z', which is not an instance of the topology",
      "availabilityGroups[3].replicas an availability group needs 2 to 9 replicas, got 1",
      "availabilityGroups[1].name 'AG1' is also the name of availabilityGroups[0]: group names are unique",
      "availabilityGroups[1].databases lists 'sales', which availabilityGroups[0] also holds on 'b': a database belongs to one group",
    ]);
  });

  it("the same database name in groups with no instance in common is two databases: fine", () => {
    expect(
      planAvailabilityGroups(["a", "b", "c", "d"], [
        { path: "availabilityGroups[0]", name: "ag1", replicas: ["a", "b"], databases: ["sales"] },
        { path: "availabilityGroups[1]", name: "ag2", replicas: ["c", "d"], databases: ["sales"] },
      ]).problems,
    ).toEqual([]);
  });
});
