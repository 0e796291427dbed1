/**
 * sys.dm_db_mirroring_connections through the mssql driver ("Database Mirroring -
 * sys.dm_db_mirroring_connections"): one row per live endpoint connection on each side, Microsoft's
 * columns and types, VIEW SERVER STATE required, and never part of a catalog snapshot.
 */
import sql from "mssql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmulatorInstance, Link } from "../../../emulator";
import { reservePorts } from "../../support/ports";
import { STRONG, closeAll, connect, hex, ok, requestError, rows, seen, start, waitUntil } from "./support";

let a: EmulatorInstance;
let b: EmulatorInstance;
let poolA: sql.ConnectionPool;
let poolB: sql.ConnectionPool;
let link: Link;

const COLUMNS = [
  ["connection_id", sql.UniqueIdentifier],
  ["transport_stream_id", sql.UniqueIdentifier],
  ["state", sql.SmallInt],
  ["state_desc", sql.NVarChar],
  ["connect_time", sql.DateTime],
  ["login_time", sql.DateTime],
  ["authentication_method", sql.NVarChar],
  ["principal_name", sql.NVarChar],
  ["remote_user_name", sql.NVarChar],
  ["last_activity_time", sql.DateTime],
  ["is_accept", sql.Bit],
  ["login_state", sql.SmallInt],
  ["login_state_desc", sql.NVarChar],
  ["peer_certificate_id", sql.Int],
  ["encryption_algorithm", sql.SmallInt],
  ["encryption_algorithm_desc", sql.NVarChar],
  ["receives_posted", sql.SmallInt],
  ["is_receive_flow_controlled", sql.Bit],
  ["sends_posted", sql.SmallInt],
  ["is_send_flow_controlled", sql.Bit],
  ["total_bytes_sent", sql.BigInt],
  ["total_bytes_received", sql.BigInt],
  ["total_fragments_sent", sql.BigInt],
  ["total_fragments_received", sql.BigInt],
  ["total_sends", sql.BigInt],
  ["total_receives", sql.BigInt],
  ["peer_arbitration_id", sql.UniqueIdentifier],
] as const;

beforeAll(async () => {
  const clock = new Date("2030-01-15T12:00:00Z");
  [a, b] = await Promise.all([start({ name: "DMVA", now: () => clock }), start({ name: "DMVB", now: () => clock })]);
  [poolA, poolB] = await Promise.all([connect(a, "encrypt-true-ca"), connect(b, "encrypt-false")]);
  const [pa, pb] = await reservePorts(2);
  for (const [pool, port, name] of [[poolA, pa, "a"], [poolB, pb, "b"]] as const) {
    await ok(
      pool,
      `CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'${STRONG}';
       CREATE CERTIFICATE ${name}_cert WITH SUBJECT = N'${name}', START_DATE = '20300101', EXPIRY_DATE = '20310101';
       CREATE ENDPOINT Mirroring STATE = STARTED AS TCP (LISTENER_PORT = ${port}) FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE ${name}_cert, ENCRYPTION = SUPPORTED ALGORITHM RC4 AES, ROLE = ALL)`,
    );
  }
  const [{ der }] = await rows<{ der: Buffer }>(poolA, "SELECT CERTENCODED(CERT_ID(N'a_cert')) AS der");
  await ok(poolB, `CREATE LOGIN a_login WITH PASSWORD = N'${STRONG}'; CREATE USER a_user FOR LOGIN a_login; CREATE CERTIFICATE a_cert AUTHORIZATION a_user FROM BINARY = ${hex(der!)}; GRANT CONNECT ON ENDPOINT::Mirroring TO a_login`);
  link = a.hadr.openLink(b.hadr.endpointUrl!);
  await link.waitFor("connected");
  link.send("hello", "world");
  await waitUntil(() => b.hadr.connections[0]?.fragmentsReceived === 1, "b to receive the message");
});
afterAll(async () => {
  link?.close();
  await closeAll();
});

describe("sys.dm_db_mirroring_connections", () => {
  it("has Microsoft's columns, in order, with their types", async () => {
    const result = await poolA.request().batch("SELECT * FROM sys.dm_db_mirroring_connections");
    expect(Object.values(result.recordset.columns).map((c) => [c.name, c.type])).toEqual(COLUMNS.map(([n, t]) => [n, t]));
  });

  it("shows the connection on both sides: outbound on the initiator, accepted (with the login and the held certificate) on the acceptor", async () => {
    const [outbound] = await rows<Record<string, unknown>>(poolA, "SELECT * FROM sys.dm_db_mirroring_connections");
    const [inbound] = await rows<Record<string, unknown>>(poolB, "SELECT * FROM sys.dm_db_mirroring_connections");
    const [{ certificate_id }] = await rows<{ certificate_id: number }>(poolB, "SELECT certificate_id FROM sys.certificates WHERE name = N'a_cert'");
    const common = {
      state: 4,
      state_desc: "LOGGED_IN",
      connect_time: new Date("2030-01-15T12:00:00Z"),
      login_time: new Date("2030-01-15T12:00:00Z"),
      authentication_method: "CERTIFICATE",
      remote_user_name: null,
      login_state: 12,
      login_state_desc: "ONLINE",
      // Both SUPPORTED ALGORITHM RC4 AES: the acceptor's first choice.
      encryption_algorithm: 1,
      encryption_algorithm_desc: "RC4",
      receives_posted: 0,
      is_receive_flow_controlled: false,
      sends_posted: 0,
      is_send_flow_controlled: false,
      peer_arbitration_id: null,
    };
    expect(outbound).toMatchObject({ ...common, is_accept: false, principal_name: null, peer_certificate_id: null, total_fragments_sent: "1", total_fragments_received: "0" });
    expect(inbound).toMatchObject({ ...common, is_accept: true, principal_name: "a_login", peer_certificate_id: certificate_id, total_fragments_sent: "0", total_fragments_received: "1" });
    expect(String(outbound!.connection_id).toUpperCase()).toBe(String(inbound!.connection_id).toUpperCase());
    expect(outbound!.transport_stream_id).not.toBe(inbound!.transport_stream_id);
    // What one side sent, the other received.
    expect(outbound!.total_bytes_sent).toBe(inbound!.total_bytes_received);
    expect(Number(outbound!.total_bytes_sent)).toBeGreaterThan(0);
  });

  it("requires VIEW SERVER STATE: 300 then 297 without it", async () => {
    await ok(poolB, `CREATE LOGIN watcher WITH PASSWORD = N'${STRONG}'`);
    const watcher = await connect(b, "encrypt-false", { user: "watcher", password: STRONG });
    const error = await requestError(watcher.request().batch("SELECT connection_id FROM sys.dm_db_mirroring_connections"));
    expect(seen(error)).toMatchObject({ number: 297, class: 16, message: "The user does not have permission to perform this action." });
    expect(error.precedingErrors!.map((e) => seen(e))).toEqual([{ number: 300, state: 1, class: 14, message: "VIEW SERVER STATE permission was denied on object 'server', database 'master'." }]);
    await ok(poolB, "GRANT VIEW SERVER STATE TO watcher");
    expect(await rows(watcher, "SELECT principal_name FROM sys.dm_db_mirroring_connections")).toEqual([{ principal_name: "a_login" }]);
  });

  it("is not part of catalog(): snapshots stay comparable while connections come and go", () => {
    expect(Object.keys(a.catalog())).not.toContain("sys.dm_db_mirroring_connections");
  });
});
