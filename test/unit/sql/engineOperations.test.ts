/**
 * The object operations against the emulator's engine (in memory, no TDS): every endpoint option
 * combination reads back as written, ALTERs converge, peer certificates travel as DER, and the
 * error paths (7862, duplicate certificate, missing objects) behave as documented.
 */
import { mkdtemp } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Engine, type EngineSession } from "../../../emulator/engine/engine";
import type { Recordset, SqlClient } from "../../../provider/sql/client";
import { SqlServerError } from "../../../provider/sql/errors";
import {
  backupCertificate,
  changeCertificateOwner,
  createCertificate,
  createPeerCertificate,
  dropCertificate,
  readCertificate,
} from "../../../provider/sql/objects/certificate";
import { createEndpoint, dropEndpoint, readMirroringEndpoint, updateEndpoint } from "../../../provider/sql/objects/endpoint";
import { createLogin, dropLogin, readLogin, updateLogin } from "../../../provider/sql/objects/login";
import { createMasterKey, dropMasterKey, ensureMasterKeyServiceEncryption, readMasterKey } from "../../../provider/sql/objects/masterKey";
import { grantEndpointConnect, revokeEndpointConnect } from "../../../provider/sql/objects/permission";
import { createUser, dropUser, updateUser } from "../../../provider/sql/objects/user";
import type { EncryptionAlgorithm, EndpointEncryption, EndpointRole, EndpointState } from "../../../provider/sql/records";
import { endpointChanges, type EndpointSpec } from "../../../provider/sql/statements/endpoint";

/** A SqlClient over an engine session that counts requests and reports errors like mssql. */
class EngineClient implements SqlClient {
  readonly target = "engine:0";
  readonly retry = { attempts: 1 };
  requests = 0;
  constructor(private readonly session: EngineSession) {}
  async query(sql: string, params: Parameters<SqlClient["query"]>[1] = {}): Promise<Recordset[]> {
    this.requests++;
    const outcomes = await this.session.execute(
      sql,
      Object.entries(params).map(([name, p]) => ({ name: `@${name}`, type: p.type, value: p.value })),
    );
    const errors = outcomes.flatMap((o) => (o.kind === "error" ? [o.error] : []));
    if (errors.length > 0) {
      const [first] = errors;
      throw Object.assign(new Error(first.message), { code: "EREQUEST", number: first.number, state: first.state, class: first.class });
    }
    return outcomes.flatMap((o): Recordset[] => (o.kind === "rows" ? [o.rows.map((row) => Object.fromEntries(o.columns.map((c, i) => [c.name, row[i]])))] : []));
  }
}

const now = new Date("2030-01-15T12:00:00Z");
let engines: Engine[] = [];

async function instance(name: string, backupDir?: string): Promise<{ engine: Engine; client: EngineClient }> {
  const engine = await Engine.open({ serverName: name, saPassword: "Sa!Passw0rd", now: () => now, ...(backupDir === undefined ? {} : { backupDir }) });
  engines.push(engine);
  const client = new EngineClient(engine.openSession("sa"));
  await createMasterKey(client, { password: "Mk!Passw0rd1" });
  await createCertificate(client, { name: `${name}_cert`, subject: `${name} mirroring`, expiryDate: "2040-01-01" });
  return { engine, client };
}

beforeEach(() => {
  engines = [];
});

afterEach(async () => {
  await Promise.all(engines.map((e) => e.close()));
});

describe("endpoint: every option combination reads back as written", () => {
  it("ENCRYPTION × ALGORITHM × ROLE × STATE × LISTENER_IP", async () => {
    const { client } = await instance("sql1");
    const encryptions: EndpointEncryption[] = ["DISABLED", "SUPPORTED", "REQUIRED"];
    const algorithms: EncryptionAlgorithm[] = ["AES", "RC4", "AES RC4", "RC4 AES"];
    const roles: Exclude<EndpointRole, "NONE">[] = ["PARTNER", "WITNESS", "ALL"];
    const states: EndpointState[] = ["STARTED", "STOPPED", "DISABLED"];
    const ips = ["ALL", "10.0.0.5", "fd00::5"];
    let combinations = 0;
    for (const encryption of encryptions) {
      for (const algorithm of algorithms) {
        for (const role of roles) {
          const state = states[combinations % states.length];
          const listenerIp = ips[combinations % ips.length];
          const spec: EndpointSpec = { name: "hadr", port: 5022, certificateName: "sql1_cert", encryption, algorithm, role, state, listenerIp };
          const { record } = await createEndpoint(client, spec);
          expect(endpointChanges(record, spec), JSON.stringify(spec)).toEqual([]);
          expect(record).toMatchObject({ encryption, algorithm: encryption === "DISABLED" ? null : algorithm, role, state });
          await dropEndpoint(client, "hadr");
          combinations++;
        }
      }
    }
    expect(combinations).toBe(36);
  });
});

describe("endpoint updates converge, one request each (two with a new owner: its permissions are read first), none when unchanged", () => {
  it.each([
    ["state", { state: "STOPPED" as const }],
    ["port", { port: 5023 }],
    ["listener IP", { listenerIp: "10.1.2.3" }],
    ["certificate", { certificateName: "sql1_cert_v2" }],
    ["encryption", { encryption: "SUPPORTED" as const, algorithm: "AES RC4" as const }],
    ["encryption off", { encryption: "DISABLED" as const }],
    ["role", { role: "WITNESS" as const }],
    ["owner", { owner: "ep_owner" }],
    ["everything", { state: "DISABLED" as const, port: 6022, listenerIp: "::1", certificateName: "sql1_cert_v2", encryption: "REQUIRED" as const, algorithm: "RC4" as const, role: "PARTNER" as const, owner: "ep_owner" }],
  ])("%s", async (_case, change) => {
    const { client } = await instance("sql1");
    await createCertificate(client, { name: "sql1_cert_v2", subject: "sql1 v2", expiryDate: "2040-01-01" });
    await createLogin(client, { name: "ep_owner", password: "x", checkPolicy: false });
    const base: EndpointSpec = { name: "hadr", port: 5022, certificateName: "sql1_cert" };
    const { record } = await createEndpoint(client, base);
    const desired = { ...base, ...change };
    const before = client.requests;
    const updated = await updateEndpoint(client, record, desired);
    const cost = "owner" in change ? 2 : 1;
    expect(client.requests - before).toBe(cost);
    expect(endpointChanges(updated, desired)).toEqual([]);
    const again = await updateEndpoint(client, updated, desired);
    expect(again).toBe(updated);
    expect(client.requests - before).toBe(cost);
  });
});

describe("an owner change keeps the endpoint's permissions (ALTER AUTHORIZATION drops them on SQL Server and in the engine)", () => {
  const PERMISSIONS =
    "SELECT SUSER_NAME(p.grantee_principal_id) AS grantee, SUSER_NAME(p.grantor_principal_id) AS grantor, p.permission_name, p.state, p.state_desc " +
    "FROM sys.server_permissions AS p WHERE p.class = 105 AND p.major_id >= 65536 ORDER BY grantee, permission_name";
  const rowsOf = async (client: EngineClient, text: string) => (await client.query(text))[0];

  it("grants, denies, WITH GRANT OPTION and grantors (AS) come back exactly; only the owner differs", async () => {
    const { engine, client } = await instance("sql1");
    for (const login of ["peer_a", "peer_b", "peer_c", "ep_owner", "old_owner"]) await createLogin(client, { name: login, password: "x", checkPolicy: false });
    const { record } = await createEndpoint(client, { name: "hadr", port: 5022, certificateName: "sql1_cert", owner: "old_owner" });
    await client.query(
      "GRANT CONNECT ON ENDPOINT::hadr TO peer_a WITH GRANT OPTION; GRANT CONNECT ON ENDPOINT::hadr TO peer_b AS peer_a; " +
        "DENY CONNECT ON ENDPOINT::hadr TO peer_c; GRANT VIEW DEFINITION ON ENDPOINT::hadr TO public; GRANT CONTROL ON ENDPOINT::hadr TO ep_owner",
    );
    const before = await rowsOf(client, PERMISSIONS);
    expect(before).toHaveLength(5);
    const snapshot = engine.snapshot();
    const updated = await updateEndpoint(client, record, { name: "hadr", port: 5022, certificateName: "sql1_cert", owner: "ep_owner" });
    expect(updated.owner).toBe("ep_owner");
    // The new owner's own CONTROL cannot be put back (4624: it owns the endpoint); everything else is as before.
    expect(await rowsOf(client, PERMISSIONS)).toEqual(before.filter((r) => r.grantee !== "ep_owner"));
    const after = engine.snapshot();
    const ownerOf = (s: typeof snapshot) => s["sys.endpoints"]!.map((e) => ({ ...e, principal_id: 0 }));
    expect(ownerOf(after)).toEqual(ownerOf(snapshot));
    const newOwnerId = after["sys.server_principals"]!.find((x) => x.name === "ep_owner")!.principal_id;
    // Row order in sys.server_permissions is not significant: compare as sets.
    const withoutOwnerGrant = (s: typeof snapshot) =>
      s["sys.server_permissions"]!.filter((p) => !(p.class === 105 && p.major_id === record.endpointId && p.grantee_principal_id === newOwnerId)).map((p) => JSON.stringify(p)).sort();
    expect(withoutOwnerGrant(after)).toEqual(withoutOwnerGrant(snapshot));
  });

  it("a grantor that loses its right with the ownership (the old owner) is replaced by the connecting login; the grant itself stays", async () => {
    const { client } = await instance("sql1");
    for (const login of ["peer_a", "ep_owner", "old_owner"]) await createLogin(client, { name: login, password: "x", checkPolicy: false });
    const { record } = await createEndpoint(client, { name: "hadr", port: 5022, certificateName: "sql1_cert", owner: "old_owner" });
    await client.query("GRANT CONNECT ON ENDPOINT::hadr TO peer_a AS old_owner");
    await updateEndpoint(client, record, { name: "hadr", port: 5022, certificateName: "sql1_cert", owner: "ep_owner" });
    expect(await rowsOf(client, PERMISSIONS)).toEqual([{ grantee: "peer_a", grantor: "sa", permission_name: "CONNECT", state: "G", state_desc: "GRANT" }]);
  });
});

describe("endpoint error paths", () => {
  it("a second mirroring endpoint: 7862, naming the one that exists", async () => {
    const { client } = await instance("sql1");
    await createEndpoint(client, { name: "Mirroring", port: 5022, certificateName: "sql1_cert" });
    const error = (await createEndpoint(client, { name: "hadr", port: 5023, certificateName: "sql1_cert" }).catch((e: unknown) => e)) as SqlServerError;
    expect(error).toBeInstanceOf(SqlServerError);
    expect(error.number).toBe(7862);
    expect(error.message).toMatch(/this instance already has the mirroring endpoint \[Mirroring] \(port 5022\)/);
    await expect(readMirroringEndpoint(client)).resolves.toMatchObject({ name: "Mirroring" });
  });

  it("an existing endpoint of the same name is reported for adoption", async () => {
    const { client } = await instance("sql1");
    await createEndpoint(client, { name: "hadr", port: 5022, certificateName: "sql1_cert", role: "PARTNER" });
    await expect(createEndpoint(client, { name: "hadr", port: 5022, certificateName: "sql1_cert" })).resolves.toMatchObject({
      existedBefore: true,
      record: { role: "PARTNER" },
    });
  });
});

describe("peer certificates travel as DER", () => {
  it("imported on the peer with the same thumbprint, owned by the peer user; a second copy is a clear conflict", async () => {
    const a = await instance("sqla");
    const b = await instance("sqlb");
    const { record: local } = await createCertificate(a.client, { name: "sqla_cert2", subject: "sqla second", expiryDate: "2040-01-01" });
    expect(local.privateKeyEncryption).toBe("MK");

    await createLogin(b.client, { name: "peer_a", password: "Peer!Passw0rd1" });
    await createUser(b.client, { name: "peer_a_user", loginName: "peer_a" });
    const imported = await createPeerCertificate(b.client, { name: "peer_a_cert", owner: "peer_a_user", der: local.publicCertificate });
    expect(imported.existedBefore).toBe(false);
    expect(imported.record).toMatchObject({ thumbprint: local.thumbprint, owner: "peer_a_user", privateKeyEncryption: "NA", subject: local.subject });

    const again = await createPeerCertificate(b.client, { name: "peer_a_cert", owner: "peer_a_user", der: local.publicCertificate });
    expect(again.existedBefore).toBe(true);

    const duplicate = (await createPeerCertificate(b.client, { name: "other_name", der: local.publicCertificate }).catch((e: unknown) => e)) as SqlServerError;
    expect(duplicate).toMatchObject({ category: "conflict", code: "EDUPLICATECERT" });
    expect(duplicate.message).toContain("already present as [peer_a_cert]");

    await createLogin(b.client, { name: "peer_c", password: "x", checkPolicy: false });
    await createUser(b.client, { name: "peer_c_user", loginName: "peer_c" });
    const moved = await changeCertificateOwner(b.client, imported.record, "peer_c_user");
    expect(moved.owner).toBe("peer_c_user");
  });

  it("or as files: BACKUP CERTIFICATE on one instance, FROM FILE on the other", async () => {
    const shared = await mkdtemp(path.join(os.tmpdir(), "sql-layer-backup-"));
    const a = await instance("sqla", shared);
    const b = await instance("sqlb", shared);
    await backupCertificate(a.client, { name: "sqla_cert", file: "sqla_cert.cer", privateKey: { file: "sqla_cert.pvk", password: "Pvk!Passw0rd1" } });
    await expect(backupCertificate(a.client, { name: "sqla_cert", file: "sqla_cert.cer" })).rejects.toMatchObject({ number: 15240 });
    const local = await readCertificate(a.client, "sqla_cert");
    const imported = await createPeerCertificate(b.client, { name: "peer_a_cert", file: "sqla_cert.cer" });
    expect(imported.record).toMatchObject({ thumbprint: local?.thumbprint, privateKeyEncryption: "NA" });
  });
});

describe("principals and permissions", () => {
  it("login, user, grant, and teardown in reverse order", async () => {
    const { client } = await instance("sql1");
    await createEndpoint(client, { name: "hadr", port: 5022, certificateName: "sql1_cert" });
    const login = await createLogin(client, { name: "peer_b", password: "Peer!Passw0rd1" });
    expect(login.record).toMatchObject({ type: "S", checkPolicy: true, checkExpiration: false });
    const updated = await updateLogin(client, login.record, { checkPolicy: false, password: "weak" });
    expect(updated).toMatchObject({ checkPolicy: false });
    const user = await createUser(client, { name: "peer_b_user", loginName: "peer_b" });
    await createLogin(client, { name: "peer_b2", password: "x", checkPolicy: false });
    await expect(updateUser(client, user.record, { name: "peer_b_user", loginName: "peer_b2" })).resolves.toMatchObject({ loginName: "peer_b2" });
    await expect(grantEndpointConnect(client, { endpointName: "hadr", loginName: "peer_b" })).resolves.toMatchObject({ existedBefore: false, record: { state: "G" } });
    await expect(grantEndpointConnect(client, { endpointName: "hadr", loginName: "peer_b" })).resolves.toMatchObject({ existedBefore: true });
    await revokeEndpointConnect(client, { endpointName: "hadr", loginName: "peer_b" });
    await dropUser(client, "peer_b_user");
    await dropLogin(client, "peer_b");
    await expect(readLogin(client, "peer_b")).resolves.toBeUndefined();
  });

  it("every drop tolerates an object that is already gone", async () => {
    const { client } = await instance("sql1");
    await revokeEndpointConnect(client, { endpointName: "nope", loginName: "nobody" });
    await dropEndpoint(client, "nope");
    await dropUser(client, "nope");
    await dropLogin(client, "nope");
    await dropCertificate(client, "nope");
  });

  it("dropping in the wrong order is an error, never swallowed", async () => {
    const { client } = await instance("sql1");
    await createEndpoint(client, { name: "hadr", port: 5022, certificateName: "sql1_cert" });
    await expect(dropCertificate(client, "sql1_cert")).rejects.toBeInstanceOf(SqlServerError);
    await expect(dropMasterKey(client)).rejects.toMatchObject({ number: 15580 });
  });
});

describe("master key", () => {
  it("service master key encryption is restored when missing", async () => {
    const { engine, client } = await instance("sql1");
    await engine.openSession("sa").execute("ALTER MASTER KEY DROP ENCRYPTION BY SERVICE MASTER KEY", []);
    const current = await readMasterKey(client);
    expect(current).toMatchObject({ encryptedByServiceMasterKey: false });
    await expect(ensureMasterKeyServiceEncryption(client, current!, "Mk!Passw0rd1")).resolves.toMatchObject({ encryptedByServiceMasterKey: true });
  });

  it("an existing key is reported for adoption", async () => {
    const { client } = await instance("sql1");
    await expect(createMasterKey(client, { password: "Other!Passw0rd1" })).resolves.toMatchObject({ existedBefore: true });
  });
});
