/**
 * The provider's own availability-group reads (provider/sql/availabilityGroupCatalog.ts), sent over
 * real TDS through the provider's client to a running emulated group: every view and column they
 * name exists, and what they map is what the group is. (The emulator's rules are tested on their own
 * in availabilityGroupsRules.test.ts, so a mistake both could share does not hide here.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmulatorInstance } from "../../../emulator";
import { checkConnection } from "../../../provider/resources/connection";
import { clientFor } from "../../../provider/resources/lifecycle";
import type { SqlClient } from "../../../provider/sql";
import { availabilityDatabaseQuery, availabilityGroupQuery, hadrReadinessQuery, localDatabaseQuery, localReplicaQuery, serverNameQuery } from "../../../provider/sql/availabilityGroupCatalog";
import { probe } from "../../../provider/sql/objects/run";
import { SA_PASSWORD, stopAll, type Node } from "./helpers";
import { runningGroup } from "./availabilityGroupsSupport";

let a: Node;
let b: Node;
let c: Node;

const clientOf = (instance: EmulatorInstance): SqlClient =>
  clientFor(checkConnection({ server: "127.0.0.1", port: instance.port, user: "sa", password: SA_PASSWORD, encrypt: true, ca: instance.tlsCertificate }, [])!);

beforeAll(async () => {
  [a, b, c] = await runningGroup();
});
afterAll(stopAll);

describe("the provider's availability-group reads against the emulator", () => {
  it("availabilityGroupQuery on the primary: the group, every replica with its state, the databases", async () => {
    const record = await probe(clientOf(a.instance), availabilityGroupQuery("ag1"));
    expect(record).toMatchObject({
      name: "ag1",
      clusterType: "NONE",
      automatedBackupPreference: "SECONDARY",
      failureConditionLevel: 3,
      healthCheckTimeout: 30000,
      dbFailover: false,
      dtcSupport: false,
      requiredSynchronizedSecondariesToCommit: 0,
      basic: false,
      distributed: false,
      primaryReplica: "A",
      databases: ["d1"],
    });
    expect(record!.replicas.map((r) => [r.serverName, r.availabilityMode, r.seedingMode, r.secondaryAllowConnections, r.state])).toEqual([
      ["A", "SYNCHRONOUS_COMMIT", "AUTOMATIC", "NO", { isLocal: true, role: "PRIMARY", connectedState: "CONNECTED", synchronizationHealth: "HEALTHY", lastConnectError: null }],
      ["B", "SYNCHRONOUS_COMMIT", "AUTOMATIC", "ALL", { isLocal: false, role: "SECONDARY", connectedState: "CONNECTED", synchronizationHealth: "HEALTHY", lastConnectError: null }],
      ["C", "ASYNCHRONOUS_COMMIT", "AUTOMATIC", "NO", { isLocal: false, role: "SECONDARY", connectedState: "CONNECTED", synchronizationHealth: "HEALTHY", lastConnectError: null }],
    ]);
    expect(record!.groupId).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
  });

  it("availabilityGroupQuery on a secondary: the same metadata, and a state for its own replica only", async () => {
    const record = await probe(clientOf(b.instance), availabilityGroupQuery("ag1"));
    expect(record!.replicas.map((r) => [r.serverName, r.state === null ? null : r.state.role])).toEqual([["A", null], ["B", "SECONDARY"], ["C", null]]);
  });

  it("localReplicaQuery, serverNameQuery, hadrReadinessQuery and localDatabaseQuery on each replica", async () => {
    expect(await probe(clientOf(c.instance), localReplicaQuery("ag1"))).toEqual({
      serverName: "C",
      primaryReplica: "A",
      state: { isLocal: true, role: "SECONDARY", connectedState: "CONNECTED", synchronizationHealth: "HEALTHY", lastConnectError: null },
    });
    expect(await probe(clientOf(a.instance), localReplicaQuery("nope"))).toBeUndefined();
    expect(await probe(clientOf(b.instance), serverNameQuery())).toEqual({ serverName: "B" });
    expect(await probe(clientOf(a.instance), hadrReadinessQuery("ag1"))).toEqual({ serverName: "A", hadrEnabled: true, endpointStarted: true, groupExists: true });
    expect(await probe(clientOf(b.instance), localDatabaseQuery("d1"))).toEqual({ state: "ONLINE", joined: true });
  });

  it("availabilityDatabaseQuery on the primary: each replica's copy and the seeding towards each secondary", async () => {
    const record = await probe(clientOf(a.instance), availabilityDatabaseQuery("ag1", "d1"));
    expect(record).toEqual({
      name: "d1",
      replicas: [
        { serverName: "A", isPrimary: true, synchronizationState: "SYNCHRONIZED", synchronizationHealth: "HEALTHY", databaseState: "ONLINE", suspended: false, suspendReason: null },
        { serverName: "B", isPrimary: false, synchronizationState: "SYNCHRONIZED", synchronizationHealth: "HEALTHY", databaseState: null, suspended: false, suspendReason: null },
        { serverName: "C", isPrimary: false, synchronizationState: "SYNCHRONIZING", synchronizationHealth: "HEALTHY", databaseState: null, suspended: false, suspendReason: null },
      ],
      seeding: [
        { serverName: "B", currentState: "COMPLETED", failureState: null, errorCode: null },
        { serverName: "C", currentState: "COMPLETED", failureState: null, errorCode: null },
      ],
    });
  });
});
