/**
 * Fixtures for the endpoint-transport suites: emulated instances on their own settable clocks, set
 * up as sa through in-process engine sessions (fast; the conformance suites do the same through
 * mssql), endpoints on reserved ports, trusts made by hand, and a raw client that speaks the
 * protocol's frames for the attacks a real peer would not make.
 */
import * as net from "node:net";
import { startEmulator, type EmulatorInstance } from "../../../emulator";
import type { EngineSession } from "../../../emulator/engine/engine";
import type { StatementOutcome } from "../../../emulator/results";
import { FrameType, type Frame } from "../../../emulator/hadr/framing";
import { HANDSHAKE_MAX_FRAME_BYTES } from "../../../emulator/hadr/protocol";
import { Wire } from "../../../emulator/hadr/wire";
import { reservePort } from "../../support/ports";

export const SA_PASSWORD = "Hadr!sa-Passw0rd";
export const STRONG = "Str0ng!Passw0rd";

/** An instance under test: its sa session, clock, error log and endpoint port. */
export interface Node {
  name: string;
  instance: EmulatorInstance;
  sa: EngineSession;
  clock: { now: Date };
  log: string[];
  port: number;
  url: string;
}

const started: EmulatorInstance[] = [];

/** Runs T-SQL as sa; throws with the errors when a statement fails. */
export async function sql(node: Node, text: string): Promise<StatementOutcome[]> {
  const outcomes = await node.sa.execute(text);
  const errors = outcomes.flatMap((o) => (o.kind === "error" ? [`${o.error.number}: ${o.error.message}`] : []));
  if (errors.length) throw new Error(`${node.name}: ${errors.join("; ")}`);
  return outcomes;
}

/** The rows of the last result set of `text`, as objects. */
export async function query(node: Node, text: string): Promise<Array<Record<string, unknown>>> {
  const outcomes = await sql(node, text);
  const last = [...outcomes].reverse().find((o): o is Extract<StatementOutcome, { kind: "rows" }> => o.kind === "rows");
  return (last?.rows ?? []).map((r) => Object.fromEntries(last!.columns.map((c, i) => [c.name, r[i]])));
}

export interface NodeOptions {
  /** Endpoint ROLE. Default ALL. */
  role?: "ALL" | "PARTNER" | "WITNESS";
  /** ENCRYPTION clause. Default REQUIRED ALGORITHM AES. */
  encryption?: string;
  /** Endpoint STATE. Default STARTED. */
  state?: string;
  /** Certificate validity. Default 2030-01-01 – 2031-01-01 (the clocks start on 2030-01-15). */
  dates?: string;
  dataDir?: string;
}

/** Starts an instance with a master key, a certificate and a mirroring endpoint on a reserved port. */
export async function node(name: string, options: NodeOptions = {}): Promise<Node> {
  const clock = { now: new Date("2030-01-15T12:00:00Z") };
  const log: string[] = [];
  const instance = await startEmulator({
    saPassword: SA_PASSWORD,
    name: name.toUpperCase(),
    now: () => clock.now,
    log: (line) => log.push(line),
    ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
  });
  started.push(instance);
  const port = await reservePort();
  const n: Node = { name, instance, sa: instance.engine.openSession("sa"), clock, log, port, url: `TCP://127.0.0.1:${port}` };
  await sql(
    n,
    `CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'${STRONG}';
     CREATE CERTIFICATE ${name}_cert WITH SUBJECT = N'${name} endpoint', ${options.dates ?? "START_DATE = '20300101', EXPIRY_DATE = '20310101'"};
     CREATE ENDPOINT Mirroring STATE = ${options.state ?? "STARTED"} AS TCP (LISTENER_PORT = ${port})
       FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE ${name}_cert, ENCRYPTION = ${options.encryption ?? "REQUIRED ALGORITHM AES"}, ROLE = ${options.role ?? "ALL"});`,
  );
  return n;
}

/** The DER of `node`'s endpoint certificate. */
export async function certificateDer(n: Node, name = `${n.name}_cert`): Promise<Buffer> {
  const [row] = await query(n, `SELECT CERTENCODED(CERT_ID(N'${name}')) AS der`);
  return row!.der as Buffer;
}

/** `receiver` accepts `peer`: login, user, the peer's certificate owned by the user, CONNECT. */
export async function trust(receiver: Node, peer: Node, options: { connect?: boolean } = {}): Promise<void> {
  const der = await certificateDer(peer);
  await sql(
    receiver,
    `CREATE LOGIN ${peer.name}_login WITH PASSWORD = N'${STRONG}';
     CREATE USER ${peer.name}_user FOR LOGIN ${peer.name}_login;
     CREATE CERTIFICATE ${peer.name}_cert AUTHORIZATION ${peer.name}_user FROM BINARY = 0x${der.toString("hex")};
     ${options.connect === false ? "" : `GRANT CONNECT ON ENDPOINT::Mirroring TO ${peer.name}_login;`}`,
  );
}

/** Two replicas that trust each other. */
export async function pair(a = "a", b = "b", options: NodeOptions = {}): Promise<[Node, Node]> {
  const [x, y] = await Promise.all([node(a, options), node(b, options)]);
  await trust(x, y);
  await trust(y, x);
  return [x, y];
}

/** Stops every instance the suite started (afterEach / afterAll). */
export async function stopAll(): Promise<void> {
  await Promise.all(started.splice(0).map((i) => i.stop()));
}

/** A raw connection to an endpoint, speaking frames: for what no honest peer sends. */
export async function rawConnect(port: number): Promise<Wire> {
  const socket = net.connect({ host: "127.0.0.1", port });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  return new Wire(socket, HANDSHAKE_MAX_FRAME_BYTES, () => new Date());
}

/** The next frame, decoded as JSON when it is a control frame. */
export async function next(wire: Wire, timeoutMs = 3000): Promise<{ type: number; json?: Record<string, unknown>; payload: Buffer }> {
  const frame: Frame = await wire.receive(timeoutMs);
  const control = frame.type !== FrameType.Proof && frame.type !== FrameType.Data;
  return { type: frame.type, payload: frame.payload, ...(control ? { json: JSON.parse(frame.payload.toString("utf8")) as Record<string, unknown> } : {}) };
}

/** Polls `check` every 10 ms until it holds; fails after `ms` (bounded). */
export async function waitUntil(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Whether something accepts TCP connections at 127.0.0.1:`port` (or `host`). */
export function tcpOpen(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
