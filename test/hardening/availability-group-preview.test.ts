/**
 * Availability groups through the real CLI, at preview, which needs no availability-group support
 * on the servers: bad input is refused with the property and the fix and 0 requests (topology
 * planning and each resource's check); an existing topology without `availabilityGroup` previews
 * no change; adding one plans only the group's own resources, still with 0 requests.
 */
import { describe, expect, it } from "vitest";
import { traffic } from "../engine/emulators";
import { pulumiAvailable } from "../engine/pulumiProject";
import { checkFailures, conn, failureOf, secret, setCase, topologyProblems, useCasesProject, type Case } from "./support";

const runEngine = pulumiAvailable();
const MK = "Marker-AgPreviewMK-5b2e!";

const spec = (name: string, i: number) => ({ name, connection: conn(i), masterKeyPassword: secret("mkPassword"), endpoint: { port: 5022 + i } });
const replicas = () => [spec("a", 0), spec("b", 1), spec("c", 2)];

describe.runIf(runEngine)("availability groups at preview, through the CLI", () => {
  const fx = useCasesProject(3, { config: { mkPassword: { value: MK, secret: true } }, destroy: true });

  it("bad availabilityGroup settings: every problem at once, before anything is declared, 0 requests", async () => {
    const c: Case = {
      declare: [
        {
          type: "MirroringTopology",
          name: "topo",
          args: {
            replicas: replicas(),
            availabilityGroup: {
              name: "g".repeat(129),
              clusterType: "WSFC",
              databases: ["sales", "SALES", "master"],
              replicaOptions: { b: { failoverMode: "AUTOMATIC", availabilityMode: "ASYNCHRONOUS_COMMIT" }, z: {} },
              connectTimeoutSeconds: -1,
            },
          },
        },
      ],
    };
    await setCase(fx.project, c);
    const text = String(await failureOf(fx.project.stack.preview({ color: "never" })));
    expect(topologyProblems(text)).toEqual([
      "availabilityGroup.name is 129 characters long; SQL Server names hold at most 128, so shorten it",
      "availabilityGroup.replicaOptions['z'] is for 'z', which is not a replica of this group",
      "availabilityGroup.clusterType WSFC needs a Windows Server Failover Cluster, which this package neither creates nor manages; use NONE (no cluster manager: read-scale and manual failover) or EXTERNAL (a Pacemaker cluster)",
      "availabilityGroup.replicaOptions['b'].failoverMode AUTOMATIC needs availabilityMode SYNCHRONOUS_COMMIT (SQL Server refuses automatic failover of an asynchronous replica, 35211)",
      "availabilityGroup.databases[1] 'SALES' is listed twice (also databases[0]); list each database once (35234)",
      "availabilityGroup.databases[2] is a system database; availability groups hold user databases only (SQL Server refuses it, 35249)",
      "availabilityGroup.connectTimeoutSeconds must be a whole number from 0 to 86400, not -1",
    ]);
    expect(text).not.toContain(MK);
    expect(traffic(fx.instances)).toEqual({ requests: 0, logins: 0 });
  });

  it("an AvailabilityGroup declared on its own: check failures name each property, 0 requests", async () => {
    const replica = (i: number, extra: Record<string, unknown> = {}) => ({ connection: conn(i), serverName: `SQL-${i}`, endpointUrl: `TCP://127.0.0.1:${5022 + i}`, ...extra });
    await setCase(fx.project, {
      declare: [
        {
          type: "AvailabilityGroup",
          name: "bad",
          args: {
            name: "ag1",
            clusterType: "EXTERNAL",
            replicas: [replica(0), replica(1, { endpointUrl: "127.0.0.1:5023" }), replica(2, { availabilityMode: "ASYNCHRONOUS_COMMIT", failoverMode: "AUTOMATIC" })],
            requiredSynchronizedSecondariesToCommit: 1,
          },
        },
      ],
    });
    const text = String(await failureOf(fx.project.stack.preview({ color: "never" })));
    expect(checkFailures(text, "AvailabilityGroup", "bad")).toEqual(
      [
        "property replicas[1].endpointUrl value {<nil>} has a problem: must be a URL like TCP://sql-b.corp:5022 (TCP://, a host name or address, a port 1–65535), got '127.0.0.1:5023'",
        "property replicas[2].failoverMode value {<nil>} has a problem: AUTOMATIC needs availabilityMode SYNCHRONOUS_COMMIT (SQL Server refuses automatic failover of an asynchronous replica, 35211)",
        "property replicas[2].failoverMode value {<nil>} has a problem: must be EXTERNAL with CLUSTER_TYPE = EXTERNAL: the cluster manager (Pacemaker) decides failovers, got AUTOMATIC",
        "property requiredSynchronizedSecondariesToCommit value {1} has a problem: is managed by the cluster resource with CLUSTER_TYPE = EXTERNAL (Pacemaker sets it when the group is added): set it there (pcs resource update <ag> required_synchronized_secondaries_to_commit=N), not here",
      ].sort(),
    );
    expect(traffic(fx.instances)).toEqual({ requests: 0, logins: 0 });
  });

  it("a fresh stack with an availability group previews its resources with 0 requests", async () => {
    await setCase(fx.project, { declare: [{ type: "MirroringTopology", name: "topo", args: { replicas: replicas(), availabilityGroup: { name: "ag1", databases: ["sales"] } } }] });
    const preview = await fx.project.stack.preview({ color: "never" });
    // Stack + topology + 3 × (instance + 3) + 6 × (trust + 4) + 3 ServerName + group + 2 joins + 1 database.
    expect(preview.changeSummary).toEqual({ create: 1 + 1 + 3 * 4 + 6 * 5 + 3 + 1 + 2 + 1 });
    expect(traffic(fx.instances)).toEqual({ requests: 0, logins: 0 });
  });

  it("an existing topology without availabilityGroup previews no change (0 requests); adding one plans only its own resources", async () => {
    const plain: Case = { declare: [{ type: "MirroringTopology", name: "topo", args: { replicas: replicas() } }] };
    await setCase(fx.project, plain);
    const up = await fx.project.stack.up({ color: "never" });
    expect(up.summary.result).toBe("succeeded");
    const total = 1 + 1 + 3 * 4 + 6 * 5;
    for (const i of fx.instances) i.resetCounters();
    const unchanged = await fx.project.stack.preview({ color: "never" });
    expect(unchanged.changeSummary).toEqual({ same: total });
    expect(traffic(fx.instances)).toEqual({ requests: 0, logins: 0 });

    await setCase(fx.project, { declare: [{ type: "MirroringTopology", name: "topo", args: { replicas: replicas(), availabilityGroup: { name: "ag1", databases: ["sales"] } } }] });
    const added = await fx.project.stack.preview({ color: "never" });
    // 3 ServerName, the group, 2 joins, 1 database: nothing else changes.
    expect(added.changeSummary).toEqual({ same: total, create: 3 + 1 + 2 + 1 });
    expect(traffic(fx.instances)).toEqual({ requests: 0, logins: 0 });
    // An up of 44 resources and two previews: over a minute on a loaded two-core machine.
  }, 300_000);
});
