/**
 * Round trips through a T-SQL parser: arbitrary valid names and passwords, quoted by this layer,
 * must come back from the emulator's engine exactly as given — names in the catalog, passwords
 * by authenticating (logins) or by opening the key (master key password change needs the exact
 * old password). The object operations run unchanged over an engine session, so this also checks
 * the statements' shape end to end (guards, parameters, read-backs).
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine, type EngineSession } from "../../../emulator/engine/engine";
import type { Recordset, SqlClient } from "../../../provider/sql/client";
import { createCertificate, dropCertificate, readCertificate } from "../../../provider/sql/objects/certificate";
import { createEndpoint, dropEndpoint, readEndpoint } from "../../../provider/sql/objects/endpoint";
import { createLogin, dropLogin, readLogin } from "../../../provider/sql/objects/login";
import { changeMasterKeyPassword, createMasterKey, dropMasterKey, readMasterKey } from "../../../provider/sql/objects/masterKey";
import { grantEndpointConnect, readEndpointPermission, revokeEndpointConnect } from "../../../provider/sql/objects/permission";
import { createUser, dropUser, readUser } from "../../../provider/sql/objects/user";
import { MAX_PORTABLE_SUBJECT_LENGTH, validateLoginName, validatePassword, validateSysname } from "../../../provider/sql/validate";

/** Runs the SQL layer's requests on an engine session, reporting T-SQL errors the way mssql does. */
function engineClient(session: EngineSession): SqlClient {
  return {
    target: "engine:0",
    retry: { attempts: 1 },
    async query(sql, params = {}) {
      const outcomes = await session.execute(
        sql,
        Object.entries(params).map(([name, p]) => ({ name: `@${name}`, type: p.type, value: p.value })),
      );
      const errors = outcomes.flatMap((o) => (o.kind === "error" ? [o.error] : []));
      if (errors.length > 0) {
        const [first] = errors;
        throw Object.assign(new Error(first.message), { code: "EREQUEST", number: first.number, state: first.state, class: first.class, lineNumber: first.line });
      }
      return outcomes.flatMap((o): Recordset[] =>
        o.kind === "rows" ? [o.rows.map((row) => Object.fromEntries(o.columns.map((c, i) => [c.name, row[i]])))] : [],
      );
    },
  };
}

/** Fragments that break naive quoting, plus arbitrary text (any code point, graphemes). */
const TRICKY = ["]", "[", "]]", "'", "''", '"', ";", "--", "/*", "*/", "\n", "\r\n", "\t", "N'", "0x", "0x00", " ", "é", "證書", "🔐", "ß", "İ", "\u200B", "@", "#", "\\", "GO", "%", ",", "(", ")", "=", "DROP LOGIN sa"];
const fragment = fc.oneof(
  fc.constantFrom(...TRICKY),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 4 }),
  fc.string({ unit: "binary", minLength: 1, maxLength: 2 }),
);
const text = (maxLength: number) => fc.array(fragment, { minLength: 1, maxLength: 30 }).map((parts) => parts.join("").slice(0, maxLength));
/** Long names near the 128 limit, made of quote characters and non-BMP text. */
const long = fc.string({ unit: fc.constantFrom("]", "'", "a", "證", "🔐"), minLength: 100, maxLength: 128 });

const sysname = fc.oneof(text(128), long).filter((s) => validateSysname(s) === undefined);
const loginName = sysname.filter((s) => validateLoginName(s) === undefined);
const endpointName = sysname.filter((s) => !s.startsWith("##")); // a reserved prefix (7869)
const password = fc.oneof(text(128), long).filter((s) => validatePassword(s, 128) === undefined);
/** Passes the password policy (8+ characters of three classes) whatever follows, within 128. */
const policyPassword = text(120).map((s) => `Aa1!Bb2@${s}`.slice(0, 128)).filter((s) => validatePassword(s, 128) === undefined);
const subject = text(MAX_PORTABLE_SUBJECT_LENGTH).filter((s) => validatePassword(s, MAX_PORTABLE_SUBJECT_LENGTH) === undefined);

/** Principals every instance has; a generated name equal to one of them is not a fresh object. */
const BUILT_IN = new Set(["sa", "public", "sysadmin", "dbo", "guest", "sys", "information_schema"]);

const RUNS = { numRuns: 60 };
let engine: Engine;
let client: SqlClient;

beforeAll(async () => {
  engine = await Engine.open({ serverName: "PROP1", saPassword: "Sa!Passw0rd" });
  client = engineClient(engine.openSession("sa"));
});

afterAll(async () => {
  await engine.close();
});

describe("names and passwords survive quoting, as SQL Server's parser reads them", () => {
  it("logins: the name reads back exactly and the password authenticates", async () => {
    await fc.assert(
      fc.asyncProperty(loginName, password, async (name, secret) => {
        fc.pre(!BUILT_IN.has(name.toLowerCase()) && !name.startsWith("##"));
        await dropLogin(client, name); // names compare case-insensitively: start clean even after a failed run
        const { record, existedBefore } = await createLogin(client, { name, password: secret, checkPolicy: false });
        expect(existedBefore).toBe(false);
        expect(record.name).toBe(name);
        expect(engine.authenticate(name, secret)).toEqual({ ok: true });
        expect(engine.authenticate(name, `${secret}x`).ok).toBe(false);
        await dropLogin(client, name);
        expect(await readLogin(client, name)).toBeUndefined();
      }),
      RUNS,
    );
  });

  it("master key: the exact password is needed to change it", async () => {
    await fc.assert(
      fc.asyncProperty(policyPassword, policyPassword, async (first, second) => {
        fc.pre(first !== second);
        await dropMasterKey(client); // a failed run must not leak into the next (shrinking)
        const created = await createMasterKey(client, { password: first });
        expect(created.existedBefore).toBe(false);
        await expect(changeMasterKeyPassword(client, created.record, `${first}x`, second)).rejects.toMatchObject({ code: "EPASSWORD" });
        await expect(changeMasterKeyPassword(client, created.record, first, second)).resolves.toMatchObject({ encryptedByServiceMasterKey: true });
        await dropMasterKey(client);
        expect(await readMasterKey(client)).toBeUndefined();
      }),
      { numRuns: 20 },
    );
  });

  describe("with a master key", () => {
    beforeAll(async () => {
      await createMasterKey(client, { password: "Mk!Passw0rd" });
    });
    afterAll(async () => {
      await dropMasterKey(client);
    });

    it("certificates: name and subject read back exactly", async () => {
      await fc.assert(
        fc.asyncProperty(sysname, subject, async (name, subjectText) => {
          await dropCertificate(client, name);
          const { record } = await createCertificate(client, { name, subject: subjectText, expiryDate: "2099-01-01" });
          expect(record.name).toBe(name);
          expect(record.subject).toBe(subjectText);
          expect(record.privateKeyEncryption).toBe("MK");
          await dropCertificate(client, name);
          expect(await readCertificate(client, name)).toBeUndefined();
        }),
        { numRuns: 15 }, // each generates an RSA key
      );
    });

    it("users, endpoints and CONNECT: every name reads back exactly", async () => {
      const certificate = "prop_endpoint_cert";
      await createCertificate(client, { name: certificate, subject: "prop", expiryDate: "2099-01-01" });
      await fc.assert(
        fc.asyncProperty(loginName, sysname, endpointName, async (login, user, endpoint) => {
          fc.pre(!BUILT_IN.has(user.toLowerCase()) && !BUILT_IN.has(login.toLowerCase()) && !login.startsWith("##"));
          await revokeEndpointConnect(client, { endpointName: endpoint, loginName: login });
          await dropEndpoint(client, endpoint);
          await dropUser(client, user);
          await dropLogin(client, login);
          await createLogin(client, { name: login, password: "x", checkPolicy: false });
          const created = await createUser(client, { name: user, loginName: login });
          expect(created.record).toMatchObject({ name: user, loginName: login });
          const ep = await createEndpoint(client, { name: endpoint, port: 5022, certificateName: certificate, owner: "sa" });
          expect(ep.record).toMatchObject({ name: endpoint, certificateName: certificate, owner: "sa" });
          const granted = await grantEndpointConnect(client, { endpointName: endpoint, loginName: login });
          expect(granted.record).toEqual({ endpointName: endpoint, loginName: login, state: "G" });
          await revokeEndpointConnect(client, { endpointName: endpoint, loginName: login });
          expect(await readEndpointPermission(client, { endpointName: endpoint, loginName: login })).toBeUndefined();
          await dropEndpoint(client, endpoint);
          await dropUser(client, user);
          await dropLogin(client, login);
          expect(await readEndpoint(client, endpoint)).toBeUndefined();
          expect(await readUser(client, user)).toBeUndefined();
        }),
        RUNS,
      );
      await dropCertificate(client, certificate);
    });
  });
});
