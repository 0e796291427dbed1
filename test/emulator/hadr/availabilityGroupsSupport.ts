/**
 * Fixtures of the availability-group suites: a three-instance mesh with certificate trust, a database
 * with a row and a full backup, the CREATE statement of the suites' group, and bounded polling of a
 * view until its rows say what a test waits for.
 */
import { node, query, sql, trust, type Node, type NodeOptions } from "./helpers";

/** Three instances, each trusting the two others (an availability-group mesh). */
export async function mesh(options: NodeOptions[] = [{}, {}, {}]): Promise<[Node, Node, Node]> {
  const nodes = (await Promise.all(["a", "b", "c"].map((n, i) => node(n, options[i])))) as [Node, Node, Node];
  for (const x of nodes) for (const y of nodes) if (x !== y) await trust(x, y);
  return nodes;
}

export async function database(n: Node, name: string): Promise<void> {
  await sql(n, `CREATE DATABASE ${name}; CREATE TABLE ${name}.dbo.t (id int PRIMARY KEY, v nvarchar(20)); INSERT INTO ${name}.dbo.t VALUES (1, N'one'); BACKUP DATABASE ${name} TO DISK = N'${name}.bak';`);
}

export function createSql(a: Node, b: Node, c: Node, extra = ""): string {
  return (
    `CREATE AVAILABILITY GROUP ag1 WITH (CLUSTER_TYPE = NONE${extra}) FOR REPLICA ON ` +
    `N'A' WITH (ENDPOINT_URL = N'${a.url}', AVAILABILITY_MODE = SYNCHRONOUS_COMMIT, FAILOVER_MODE = MANUAL, SEEDING_MODE = AUTOMATIC), ` +
    `N'B' WITH (ENDPOINT_URL = N'${b.url}', AVAILABILITY_MODE = SYNCHRONOUS_COMMIT, FAILOVER_MODE = MANUAL, SEEDING_MODE = AUTOMATIC, SECONDARY_ROLE (ALLOW_CONNECTIONS = ALL)), ` +
    `N'C' WITH (ENDPOINT_URL = N'${c.url}', AVAILABILITY_MODE = ASYNCHRONOUS_COMMIT, FAILOVER_MODE = MANUAL, SEEDING_MODE = AUTOMATIC, BACKUP_PRIORITY = 20, SESSION_TIMEOUT = 15)`
  );
}

export const REPLICA_STATES =
  "SELECT r.replica_server_name, s.is_local, s.role_desc, s.connected_state_desc, s.synchronization_health_desc, s.last_connect_error_number " +
  "FROM sys.dm_hadr_availability_replica_states AS s JOIN sys.availability_replicas AS r ON r.replica_id = s.replica_id ORDER BY r.replica_server_name";

export const DATABASE_STATES =
  "SELECT r.replica_server_name, adc.database_name, drs.is_local, drs.is_primary_replica, drs.synchronization_state_desc, drs.synchronization_health_desc, drs.database_state_desc " +
  "FROM sys.dm_hadr_database_replica_states AS drs JOIN sys.availability_replicas AS r ON r.replica_id = drs.replica_id " +
  "JOIN sys.availability_databases_cluster AS adc ON adc.group_database_id = drs.group_database_id ORDER BY r.replica_server_name";

export async function poll(n: Node, text: string, check: (rows: Array<Record<string, unknown>>) => boolean, what: string, ms = 8000): Promise<Array<Record<string, unknown>>> {
  let rows: Array<Record<string, unknown>> = [];
  const deadline = Date.now() + ms;
  for (;;) {
    rows = await query(n, text);
    if (check(rows)) return rows;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(rows, (_k, v) => (typeof v === "bigint" ? v.toString() : v))}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const allSynchronized = (rows: Array<Record<string, unknown>>) =>
  rows.length === 3 && rows.every((r) => (r.replica_server_name === "C" ? r.synchronization_state_desc === "SYNCHRONIZING" : r.synchronization_state_desc === "SYNCHRONIZED"));

/** A running group: created on A, joined and granted on B and C, database d1 added and seeded. */
export async function runningGroup(options?: NodeOptions[]): Promise<[Node, Node, Node]> {
  const [a, b, c] = await mesh(options);
  await database(a, "d1");
  await sql(a, createSql(a, b, c));
  for (const s of [b, c]) await sql(s, "ALTER AVAILABILITY GROUP ag1 JOIN WITH (CLUSTER_TYPE = NONE); ALTER AVAILABILITY GROUP ag1 GRANT CREATE ANY DATABASE;");
  await sql(a, "ALTER AVAILABILITY GROUP ag1 ADD DATABASE d1");
  await poll(a, DATABASE_STATES, allSynchronized, "d1 seeded and synchronized");
  return [a, b, c];
}

