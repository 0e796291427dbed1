/**
 * The portable checks used on real SQL Server (they cannot use the emulator's handshake check)
 * agree with the emulator's own check, case by case, so a green run against real servers means
 * what a green run against the emulator means.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkHandshake, type EmulatorInstance } from "../../emulator";
import { SA_PASSWORD, startInstances } from "../engine/emulators";
import { reservePorts } from "../support/ports";
import { catalogSnapshot, query, trustByCatalog, type SqlTarget } from "./sqlTrust";

let a: EmulatorInstance;
let b: EmulatorInstance;
const target = (i: EmulatorInstance): SqlTarget => ({ server: "127.0.0.1", port: i.port, user: "sa", password: SA_PASSWORD, ca: i.tlsCertificate });
const run = async (i: EmulatorInstance, text: string) => query(target(i), text);

/** a's and b's endpoint ports, reserved: the endpoints really listen, beside other test files'. */
let ports: number[] = [];

/** Both checks for a → b (the emulator's over a real connection). */
async function both(): Promise<[boolean, string]> {
  return [(await checkHandshake(a, b, { role: "replica" })).ok, await trustByCatalog(target(a), target(b), { from: "replica", to: "replica" })];
}

beforeAll(async () => {
  [a, b] = await startInstances(2);
  ports = await reservePorts(2);
  for (const [i, port] of [[a, ports[0]!], [b, ports[1]!]] as const) {
    await run(i, `CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'Mk-Passw0rd!1';
      CREATE CERTIFICATE [local] WITH SUBJECT = N'local';
      CREATE ENDPOINT [hadr_endpoint] STATE = STARTED AS TCP (LISTENER_PORT = ${port}) FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE [local], ENCRYPTION = REQUIRED ALGORITHM AES, ROLE = ALL)`);
  }
  const [[cert]] = (await run(a, "SELECT CERTENCODED(CERT_ID(N'local')) AS der")) as [[{ der: Buffer }]];
  await run(b, `CREATE LOGIN [peer_a] WITH PASSWORD = N'Login-Passw0rd!1'; CREATE USER [peer_a] FOR LOGIN [peer_a];
    CREATE CERTIFICATE [peer_a_cert] AUTHORIZATION [peer_a] FROM BINARY = 0x${cert.der.toString("hex")}`);
});

afterAll(async () => {
  await a?.stop();
  await b?.stop();
});

describe("trustByCatalog agrees with the emulator's handshake check", () => {
  it("refuses while CONNECT is missing", async () => {
    expect(await both()).toEqual([false, "no login owning the sender's certificate holds CONNECT on the receiver's endpoint"]);
  });
  it("accepts once CONNECT is granted", async () => {
    await run(b, "GRANT CONNECT ON ENDPOINT::[hadr_endpoint] TO [peer_a]");
    expect(await both()).toEqual([true, "ok"]);
  });
  it("refuses a disabled login", async () => {
    await run(b, "ALTER LOGIN [peer_a] DISABLE");
    expect(await both()).toEqual([false, "no login owning the sender's certificate holds CONNECT on the receiver's endpoint"]);
    await run(b, "ALTER LOGIN [peer_a] ENABLE");
  });
  it("refuses a stopped endpoint", async () => {
    await run(b, "ALTER ENDPOINT [hadr_endpoint] STATE = STOPPED");
    expect(await both()).toEqual([false, "an endpoint is not STARTED"]);
    await run(b, "ALTER ENDPOINT [hadr_endpoint] STATE = STARTED");
  });
  it("refuses DISABLED against REQUIRED", async () => {
    await run(b, "ALTER ENDPOINT [hadr_endpoint] FOR DATABASE_MIRRORING (ENCRYPTION = DISABLED, ROLE = ALL)");
    expect(await both()).toEqual([false, "encryption: DISABLED against REQUIRED"]);
    await run(b, "ALTER ENDPOINT [hadr_endpoint] FOR DATABASE_MIRRORING (ENCRYPTION = REQUIRED ALGORITHM AES, ROLE = ALL)");
  });
  it("refuses when the receiver lacks the sender's certificate", async () => {
    await run(b, "DROP CERTIFICATE [peer_a_cert]");
    expect(await both()).toEqual([false, "the receiver does not hold the sender's certificate"]);
  });
});

describe("catalogSnapshot", () => {
  it("lists the objects a stack manages, in a stable order", async () => {
    const s = await catalogSnapshot(target(b));
    // The service master key is SQL Server's own, never a stack's: out of the snapshot.
    expect(s.keys).toEqual([{ name: "##MS_DatabaseMasterKey##", algorithm_desc: "AES_256" }]);
    expect((s.certificates as Array<{ name: string }>).map((c) => c.name)).toEqual(["local"]);
    expect(s.endpoints).toEqual([
      {
        name: "hadr_endpoint",
        state_desc: "STARTED",
        port: ports[1],
        ip_address: null,
        role_desc: "ALL",
        connection_auth_desc: "CERTIFICATE",
        encryption_algorithm_desc: "AES",
        owner: "sa",
      },
    ]);
    // Besides the grant, the built-in TSQL endpoints' CONNECT for public, as on SQL Server.
    expect((s.permissions as Array<{ endpoint: string }>).filter((p) => p.endpoint === "hadr_endpoint")).toEqual([
      { endpoint: "hadr_endpoint", grantee: "peer_a", permission_name: "CONNECT", state_desc: "GRANT" },
    ]);
    expect(await catalogSnapshot(target(b))).toEqual(s);
  });
});
