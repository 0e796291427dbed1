import { createHash } from "node:crypto";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { certificateQuery } from "../../../provider/sql/catalog";
import { SqlServerError } from "../../../provider/sql/errors";
import {
  backupCertificate,
  changeCertificateOwner,
  createCertificate,
  createPeerCertificate,
  dropCertificate,
  readCertificate,
} from "../../../provider/sql/objects/certificate";
import { certificateRow, connectionError, FakeClient, requestError, SAMPLE_DER } from "./fakes";

const batch = (...statements: string[]) => statements.map((s) => `${s};`).join("\n");
const READ = certificateQuery("c1").statements[0].sql;
const READ_PEER = certificateQuery("peer_b").statements[0].sql;
const BY_THUMBPRINT = "SELECT c.name FROM master.sys.certificates AS c WHERE c.thumbprint = @thumbprint";
const NAME_GUARD = "IF NOT EXISTS (SELECT 1 FROM master.sys.certificates WHERE name = @name)";
const thumbprint = createHash("sha1").update(SAMPLE_DER).digest();
const spec = { name: "c1", subject: "sql1 mirroring", expiryDate: "2030-01-01" };
const CREATE = `${NAME_GUARD} CREATE CERTIFICATE [c1] WITH SUBJECT = N'sql1 mirroring', EXPIRY_DATE = N'2030-01-01T00:00:00'`;

describe("readCertificate", () => {
  it("one request with the name as a parameter", async () => {
    const client = new FakeClient([[[certificateRow()]], [[]]]);
    await expect(readCertificate(client, "c1")).resolves.toMatchObject({ name: "c1", privateKeyEncryption: "MK" });
    await expect(readCertificate(client, "c1")).resolves.toBeUndefined();
    expect(client.requests[0]).toEqual({ sql: batch(READ), params: { name: { type: "nvarchar", value: "c1" } } });
  });
});

describe("createCertificate", () => {
  it("one request: read, guarded CREATE, read back", async () => {
    const client = new FakeClient([[[], [certificateRow()]]]);
    const result = await createCertificate(client, spec);
    expect(result.existedBefore).toBe(false);
    expect(result.record).toMatchObject({ name: "c1", thumbprint: "00112233445566778899AABBCCDDEEFF00112233", publicCertificate: SAMPLE_DER });
    expect(client.requests).toEqual([{ sql: batch(READ, CREATE, READ), params: { name: { type: "nvarchar", value: "c1" } } }]);
  });

  it("an existing certificate is reported, not replaced", async () => {
    const other = certificateRow({ subject: "someone else" });
    const client = new FakeClient([[[other], [other]]]);
    await expect(createCertificate(client, spec)).resolves.toMatchObject({ existedBefore: true, record: { subject: "someone else" } });
  });

  it("retry after a lost reply: a matching certificate is this call's own work", async () => {
    const row = certificateRow();
    const client = new FakeClient([connectionError("ESOCKET", "Connection lost - ECONNRESET"), [[row], [row]]]);
    await expect(createCertificate(client, spec)).resolves.toMatchObject({ existedBefore: false });
    expect(client.requests).toHaveLength(2);
    expect(client.sleeps).toEqual([188]);
  });

  it("retry after a lost reply: a different certificate is still somebody else's", async () => {
    const row = certificateRow({ expiry_date: new Date("2031-01-01T00:00:00Z") });
    const client = new FakeClient([connectionError("ECONNCLOSED", "Connection is closed."), [[row], [row]]]);
    await expect(createCertificate(client, spec)).resolves.toMatchObject({ existedBefore: true });
  });

  it("retry after a lost reply racing the lost attempt (15232: it finished after the retry's guard): a matching certificate is this call's own", async () => {
    const row = certificateRow();
    const client = new FakeClient([
      connectionError("ESOCKET", "Connection lost - ECONNRESET"),
      requestError(15232, "A certificate with name 'c1' already exists or this certificate already has been added to the database."),
      [[row]],
    ]);
    await expect(createCertificate(client, spec)).resolves.toMatchObject({ existedBefore: false, record: { name: "c1" } });
    expect(client.requests.map((r) => r.sql)).toEqual([batch(READ, CREATE, READ), batch(READ, CREATE, READ), batch(READ)]);
  });

  it("the same race with a certificate that does not match the spec: the 15232 stands", async () => {
    const row = certificateRow({ subject: "someone else" });
    const client = new FakeClient([connectionError("ESOCKET", "Connection lost - ECONNRESET"), requestError(15232, "A certificate with name 'c1' already exists or this certificate already has been added to the database."), [[row]]]);
    await expect(createCertificate(client, spec)).rejects.toMatchObject({ number: 15232 });
  });

  it("15232 on the first attempt is never taken for our own work: no second read", async () => {
    const client = new FakeClient([requestError(15232, "A certificate with name 'c1' already exists or this certificate already has been added to the database.")]);
    await expect(createCertificate(client, spec)).rejects.toMatchObject({ number: 15232 });
    expect(client.requests).toHaveLength(1);
  });

  it("15581 (no master key) fails at once with advice", async () => {
    const client = new FakeClient([requestError(15581, "Please create a master key in the database or open the master key in the session before performing this operation.")]);
    await expect(createCertificate(client, spec)).rejects.toThrow(/^unable to create certificate \[c1] on sql1:1433: Please create a master key .* \(Msg 15581, State 1\) — create the database master key/);
    expect(client.requests).toHaveLength(1);
  });

  it("invisible after CREATE → a clear error", async () => {
    const client = new FakeClient([[[], []]]);
    await expect(createCertificate(client, spec)).rejects.toMatchObject({ category: "conflict", code: "ENOTVISIBLE" });
  });

  it("invalid input never reaches the server", async () => {
    const client = new FakeClient();
    await expect(createCertificate(client, { name: "c1", subject: "" })).rejects.toThrow(/^subject: /);
    expect(client.requests).toHaveLength(0);
  });
});

describe("createPeerCertificate", () => {
  const peer = { name: "peer_b", owner: "peer_b_user", der: SAMPLE_DER };
  const CREATE_PEER =
    `${NAME_GUARD.replace("@name", "@name")} AND NOT EXISTS (SELECT 1 FROM master.sys.certificates WHERE thumbprint = @thumbprint) ` +
    "CREATE CERTIFICATE [peer_b] AUTHORIZATION [peer_b_user] FROM BINARY = 0x3082010A0282010100C0FFEE";
  const row = certificateRow({ name: "peer_b", owner_name: "peer_b_user", thumbprint, pvt_key_encryption_type: "NA" });

  it("one request: read, look-up by thumbprint, guarded CREATE, read back", async () => {
    const client = new FakeClient([[[], [], [row]]]);
    await expect(createPeerCertificate(client, peer)).resolves.toMatchObject({ existedBefore: false, record: { owner: "peer_b_user", privateKeyEncryption: "NA" } });
    expect(client.requests).toEqual([
      {
        sql: batch(READ_PEER, BY_THUMBPRINT, CREATE_PEER, READ_PEER),
        params: { name: { type: "nvarchar", value: "peer_b" }, thumbprint: { type: "varbinary", value: thumbprint } },
      },
    ]);
  });

  it("the same certificate under another name: nothing created, a clear conflict", async () => {
    const client = new FakeClient([[[], [{ name: "old_peer_b" }], []]]);
    const error = (await createPeerCertificate(client, peer).catch((e: unknown) => e)) as SqlServerError;
    expect(error).toBeInstanceOf(SqlServerError);
    expect(error).toMatchObject({ category: "conflict", code: "EDUPLICATECERT", objectName: "peer_b" });
    expect(error.message).toBe(
      `unable to create certificate [peer_b] on sql1:1433: the same certificate (thumbprint ${thumbprint.toString("hex").toUpperCase()}) ` +
        "is already present as [old_peer_b]; SQL Server keeps one copy per instance (Msg 15232) — use that certificate or drop it first",
    );
  });

  it("already present under this very name: adopted by the caller, not a conflict", async () => {
    const client = new FakeClient([[[row], [{ name: "peer_b" }], [row]]]);
    await expect(createPeerCertificate(client, peer)).resolves.toMatchObject({ existedBefore: true });
  });

  it("retry: the same thumbprint and owner is this call's own work", async () => {
    const client = new FakeClient([connectionError("ESOCKET", "Connection lost"), [[row], [{ name: "peer_b" }], [row]]]);
    await expect(createPeerCertificate(client, peer)).resolves.toMatchObject({ existedBefore: false });
  });

  it("retry: other key material under this name is not", async () => {
    const other = certificateRow({ name: "peer_b", owner_name: "peer_b_user" });
    const client = new FakeClient([connectionError("ESOCKET", "Connection lost"), [[other], [], [other]]]);
    await expect(createPeerCertificate(client, peer)).resolves.toMatchObject({ existedBefore: true });
  });

  it("FROM FILE: read, guarded CREATE, read back", async () => {
    const client = new FakeClient([[[], [row]]]);
    await createPeerCertificate(client, { name: "peer_b", owner: "peer_b_user", file: "/var/opt/mssql/data/b.cer" });
    expect(client.statements).toEqual([
      batch(READ_PEER, `${NAME_GUARD} CREATE CERTIFICATE [peer_b] AUTHORIZATION [peer_b_user] FROM FILE = N'/var/opt/mssql/data/b.cer'`, READ_PEER),
    ]);
  });
});

describe("changeCertificateOwner", () => {
  const current = certificateQuery("c1").map([[certificateRow({ owner_name: "u1" })]])!;

  it("no request when unchanged", async () => {
    const client = new FakeClient();
    await expect(changeCertificateOwner(client, current, "u1")).resolves.toBe(current);
    expect(client.requests).toHaveLength(0);
  });

  it("one request: ALTER AUTHORIZATION, read back", async () => {
    const client = new FakeClient([[[certificateRow({ owner_name: "u2" })]]]);
    await expect(changeCertificateOwner(client, current, "u2")).resolves.toMatchObject({ owner: "u2" });
    expect(client.statements).toEqual([batch("ALTER AUTHORIZATION ON CERTIFICATE::[c1] TO [u2]", READ)]);
  });
});

describe("backupCertificate", () => {
  it("one request; the private key password never shows in errors", async () => {
    const client = new FakeClient([[], requestError(15240, "Cannot write into file '/b/c1.cer'. Verify that you have write permissions, that the file path is valid, and that the file does not already exist.")]);
    const backup = { name: "c1", file: "/b/c1.cer", privateKey: { file: "/b/c1.pvk", password: "Backup-MARKER" } };
    await backupCertificate(client, backup);
    expect(client.statements).toEqual([
      batch("BACKUP CERTIFICATE [c1] TO FILE = N'/b/c1.cer' WITH PRIVATE KEY (FILE = N'/b/c1.pvk', ENCRYPTION BY PASSWORD = N'Backup-MARKER')"),
    ]);
    const error = (await backupCertificate(client, backup).catch((e: unknown) => e)) as SqlServerError;
    expect(error.message).toMatch(/^unable to back up certificate \[c1] on sql1:1433: .*\(Msg 15240, State 1\) — BACKUP CERTIFICATE never overwrites/);
    expect(inspect(error, { depth: 10 })).not.toContain("MARKER");
  });
});

describe("dropCertificate", () => {
  it("one guarded request; a certificate in use is an error", async () => {
    const client = new FakeClient([[], requestError(15352, "The certificate cannot be dropped because one or more entities are either signed or encrypted using it.")]);
    await dropCertificate(client, "c1");
    expect(client.requests).toEqual([
      { sql: batch("IF EXISTS (SELECT 1 FROM master.sys.certificates WHERE name = @name) DROP CERTIFICATE [c1]"), params: { name: { type: "nvarchar", value: "c1" } } },
    ]);
    await expect(dropCertificate(client, "c1")).rejects.toMatchObject({ number: 15352, operation: "drop", objectName: "c1" });
  });
});
