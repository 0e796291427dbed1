/**
 * AvailabilityGroup and AvailabilityGroupJoin over real TDS against three emulated instances whose
 * endpoints trust each other: create on the first replica, JOIN + GRANT on each secondary, read with
 * every replica's health from the primary, an in-place update of a replica option, deletes that
 * leave the databases where they are (primary copy ONLINE, secondary copy RESTORING).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmulatorInstance } from "../../emulator/index";
import { reservePort } from "../support/ports";
import { Driven, UPDATE, type Props } from "./driver";
import { connectionOf, sa, startInstances, stopInstances } from "./support";

let nodes: EmulatorInstance[];
const urls: string[] = [];

beforeAll(async () => {
  nodes = await startInstances(3, { namePrefix: "AGP" });
  for (const [i, n] of nodes.entries()) {
    const port = await reservePort();
    urls.push(`TCP://127.0.0.1:${port}`);
    await sa(
      n,
      `CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'Str0ng!Passw0rd';
       CREATE CERTIFICATE c${i} WITH SUBJECT = N'agp${i}', EXPIRY_DATE = '20400101';
       CREATE ENDPOINT Mirroring STATE = STARTED AS TCP (LISTENER_PORT = ${port}) FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE c${i}, ENCRYPTION = REQUIRED ALGORITHM AES, ROLE = ALL);`,
    );
  }
  const ders = await Promise.all(nodes.map(async (n, i) => (await sa(n, `SELECT CERTENCODED(CERT_ID(N'c${i}')) AS der`))[0]!.der as Buffer));
  for (const [i, receiver] of nodes.entries()) {
    for (const [j] of nodes.entries()) {
      if (i === j) continue;
      await sa(
        receiver,
        `CREATE LOGIN p${j} WITH PASSWORD = N'Str0ng!Passw0rd'; CREATE USER p${j} FOR LOGIN p${j};
         CREATE CERTIFICATE p${j}_cert AUTHORIZATION p${j} FROM BINARY = 0x${ders[j]!.toString("hex")};
         GRANT CONNECT ON ENDPOINT::Mirroring TO p${j};`,
      );
    }
  }
  await sa(nodes[0]!, "CREATE DATABASE d1; CREATE TABLE d1.dbo.t (id int PRIMARY KEY); INSERT INTO d1.dbo.t VALUES (1); BACKUP DATABASE d1 TO DISK = N'd1.bak';");
});
afterAll(() => stopInstances(nodes));

const replicas = (cPriority = 50): Props[] =>
  nodes.map((n, i) => ({ serverName: n.name, endpointUrl: urls[i], ...(i === 2 ? { availabilityMode: "ASYNCHRONOUS_COMMIT", backupPriority: cPriority } : {}) }));
const groupArgs = (cPriority = 50): Props => ({ name: "ag1", replicas: replicas(cPriority), replicaConnections: nodes.map((n) => connectionOf(n)) });
const joinArgs = (i: number): Props => ({
  connection: connectionOf(nodes[i]!),
  availabilityGroupName: "ag1",
  serverName: nodes[i]!.name,
  peers: nodes.filter((_, j) => j !== i).map((n) => connectionOf(n)),
  connectTimeoutSeconds: 10,
});

describe("AvailabilityGroup and AvailabilityGroupJoin lifecycle", () => {
  it("create, join, read, update in place, delete: the databases stay", async () => {
    const group = new Driven("AvailabilityGroup");
    const created = await group.create(groupArgs());
    expect(created).toMatchObject({ name: "ag1", clusterType: "NONE", primaryReplica: "AGP1" });
    expect(await sa(nodes[0]!, "SELECT replica_server_name, availability_mode_desc, seeding_mode_desc, backup_priority FROM sys.availability_replicas ORDER BY replica_server_name")).toEqual([
      { replica_server_name: "AGP1", availability_mode_desc: "SYNCHRONOUS_COMMIT", seeding_mode_desc: "AUTOMATIC", backup_priority: 50 },
      { replica_server_name: "AGP2", availability_mode_desc: "SYNCHRONOUS_COMMIT", seeding_mode_desc: "AUTOMATIC", backup_priority: 50 },
      { replica_server_name: "AGP3", availability_mode_desc: "ASYNCHRONOUS_COMMIT", seeding_mode_desc: "AUTOMATIC", backup_priority: 50 },
    ]);

    const joins = [new Driven("AvailabilityGroupJoin"), new Driven("AvailabilityGroupJoin")];
    for (const [k, join] of joins.entries()) {
      const state = await join.create(joinArgs(k + 1));
      expect(state).toMatchObject({ role: "SECONDARY", connected: true, lastConnectError: null });
    }
    for (const n of nodes.slice(1)) expect(await sa(n, "SELECT name FROM sys.availability_groups")).toEqual([{ name: "ag1" }]);

    // A database added out of band is seeded to both secondaries over the endpoints.
    await sa(nodes[0]!, "ALTER AVAILABILITY GROUP ag1 ADD DATABASE d1");
    const deadline = Date.now() + 10_000;
    while ((await sa(nodes[2]!, "SELECT COUNT(*) AS n FROM sys.databases WHERE name = N'd1'"))[0]!.n !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));

    expect(await group.read()).toBe(true);
    expect(group.state.databases).toEqual(["d1"]);
    expect(group.state.replicaHealth).toMatchObject({
      AGP1: { role: "PRIMARY", connected: true, lastConnectError: null },
      AGP2: { role: "SECONDARY", connected: true, lastConnectError: null },
      AGP3: { role: "SECONDARY", connected: true, lastConnectError: null },
    });

    const plan = await group.plan(groupArgs(20));
    expect(plan.diff).toEqual(UPDATE);
    await group.update(plan.inputs);
    for (const n of nodes) {
      const deadlineUpdate = Date.now() + 5000;
      let rows = await sa(n, "SELECT backup_priority FROM sys.availability_replicas WHERE replica_server_name = N'AGP3'");
      while (rows[0]?.backup_priority !== 20 && Date.now() < deadlineUpdate) {
        await new Promise((r) => setTimeout(r, 20));
        rows = await sa(n, "SELECT backup_priority FROM sys.availability_replicas WHERE replica_server_name = N'AGP3'");
      }
      expect(rows).toEqual([{ backup_priority: 20 }]);
    }

    for (const join of joins.reverse()) await join.delete();
    await group.delete();
    for (const n of nodes) expect(await sa(n, "SELECT name FROM sys.availability_groups")).toEqual([]);
    expect(await sa(nodes[0]!, "SELECT state_desc, group_database_id FROM sys.databases WHERE name = N'd1'")).toEqual([{ state_desc: "ONLINE", group_database_id: null }]);
    for (const n of nodes.slice(1)) expect(await sa(n, "SELECT state_desc FROM sys.databases WHERE name = N'd1'")).toEqual([{ state_desc: "RESTORING" }]);
    expect(await sa(nodes[0]!, "SELECT id FROM d1.dbo.t")).toEqual([{ id: 1 }]);
  });
});
