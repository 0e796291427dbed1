import { describe, expect, it } from "vitest";
import { endpointGrantsQuery, endpointQuery, mirroringEndpointQuery } from "../../../provider/sql/catalog";
import { SqlServerError } from "../../../provider/sql/errors";
import { createEndpoint, dropEndpoint, readEndpoint, readMirroringEndpoint, updateEndpoint } from "../../../provider/sql/objects/endpoint";
import type { EndpointSpec } from "../../../provider/sql/statements/endpoint";
import { connectionError, endpointRow, FakeClient, requestError } from "./fakes";

const batch = (...statements: string[]) => statements.map((s) => `${s};`).join("\n");
const READ = endpointQuery("hadr").statements[0].sql;
const READ_ANY = mirroringEndpointQuery().statements[0].sql;
const spec: EndpointSpec = { name: "hadr", port: 5022, certificateName: "c1" };
const CREATE =
  "IF NOT EXISTS (SELECT 1 FROM master.sys.database_mirroring_endpoints WHERE name = @name) CREATE ENDPOINT [hadr] STATE = STARTED " +
  "AS TCP (LISTENER_PORT = 5022, LISTENER_IP = ALL) FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE [c1], ENCRYPTION = REQUIRED ALGORITHM AES, ROLE = ALL)";

describe("reading the endpoint", () => {
  it("by name: one request", async () => {
    const client = new FakeClient([[[endpointRow()]]]);
    await expect(readEndpoint(client, "hadr")).resolves.toMatchObject({ name: "hadr", port: 5022, encryption: "REQUIRED", algorithm: "AES" });
    expect(client.requests).toEqual([{ sql: batch(READ), params: { name: { type: "nvarchar", value: "hadr" } } }]);
  });

  it("whichever exists: one request, no parameter", async () => {
    const client = new FakeClient([[[endpointRow({ name: "Hadr_endpoint" })]], [[]]]);
    await expect(readMirroringEndpoint(client)).resolves.toMatchObject({ name: "Hadr_endpoint" });
    await expect(readMirroringEndpoint(client)).resolves.toBeUndefined();
    expect(client.requests[0]).toEqual({ sql: batch(READ_ANY), params: {} });
  });
});

describe("createEndpoint", () => {
  it("one request: read, guarded CREATE, read back; never inside a transaction", async () => {
    const client = new FakeClient([[[], [endpointRow()]]]);
    await expect(createEndpoint(client, spec)).resolves.toMatchObject({ existedBefore: false, record: { name: "hadr", certificateName: "c1" } });
    expect(client.statements).toEqual([batch(READ, CREATE, READ)]);
    expect(client.statements[0]).not.toMatch(/BEGIN TRAN/i);
  });

  it("an existing endpoint of that name is reported with what it is", async () => {
    const existing = endpointRow({ port: 7022 });
    const client = new FakeClient([[[existing], [existing]]]);
    await expect(createEndpoint(client, spec)).resolves.toMatchObject({ existedBefore: true, record: { port: 7022 } });
  });

  it("retry: an endpoint matching the spec is this call's own work", async () => {
    const client = new FakeClient([connectionError("ESOCKET", "Connection lost"), [[endpointRow()], [endpointRow()]]]);
    await expect(createEndpoint(client, spec)).resolves.toMatchObject({ existedBefore: false });
    expect(client.requests).toHaveLength(2);
  });

  it("another mirroring endpoint (7862): a second request names it in the error", async () => {
    const client = new FakeClient([
      requestError(7862, "An endpoint of the requested type already exists.  Only one endpoint of this type is supported."),
      [[endpointRow({ name: "Mirroring", port: 5023 })]],
    ]);
    const error = (await createEndpoint(client, spec).catch((e: unknown) => e)) as SqlServerError;
    expect(error).toBeInstanceOf(SqlServerError);
    expect(error.number).toBe(7862);
    expect(error.message).toBe(
      "unable to create mirroring endpoint [hadr] on sql1:1433: An endpoint of the requested type already exists.  Only one endpoint of this type is supported. " +
        "(Msg 7862, State 1) — this instance already has the mirroring endpoint [Mirroring] (port 5023) and SQL Server allows one. " +
        "If a Pulumi stack already manages it (this instance declared in two MirroringTopology or MirroringInstance components, or in two stacks), " +
        "do not set adopt: true: the two would fight over the one endpoint, each switching it to its own certificate; declare the instance once " +
        "(one MirroringTopology with instances and every availability group and mirroring session that uses it). " +
        "Only for an endpoint made outside Pulumi: adopt it (adopt: true with name: \"Mirroring\"), or drop it first",
    );
    expect(client.statements).toEqual([batch(READ, CREATE, READ), batch(READ_ANY)]);
  });

  it("the 7862 hint alone never advises adopting: an endpoint a stack manages elsewhere is declared once instead", async () => {
    const { hintFor } = await import("../../../provider/sql/hints");
    const hint = hintFor(7862)!;
    expect(hint).toContain("do not set adopt: true: the two would fight over the one endpoint");
    expect(hint).toContain("declare the instance once (one MirroringTopology with instances and every availability group and mirroring session that uses it)");
    expect(hint.endsWith("adopt: true is only for an endpoint made outside Pulumi")).toBe(true);
  });

  it("a port in use is reported with advice", async () => {
    const client = new FakeClient([requestError(7890, "An error occurred while attempting to register the endpoint 'hadr'.")]);
    await expect(createEndpoint(client, spec)).rejects.toThrow(/\(Msg 7890, State 1\) — the endpoint could not register its port/);
  });
});

describe("updateEndpoint", () => {
  const current = endpointQuery("hadr").map([[endpointRow()]])!;

  it("no request when nothing changed", async () => {
    const client = new FakeClient();
    await expect(updateEndpoint(client, current, spec)).resolves.toBe(current);
    expect(client.requests).toHaveLength(0);
  });

  it("one request: the changed clauses, then the read-back", async () => {
    const client = new FakeClient([[[endpointRow({ certificate_name: "c2", state_desc: "STOPPED" })]]]);
    await expect(updateEndpoint(client, current, { ...spec, certificateName: "c2", state: "STOPPED" })).resolves.toMatchObject({
      certificateName: "c2",
      state: "STOPPED",
    });
    expect(client.statements).toEqual([batch("ALTER ENDPOINT [hadr] STATE = STOPPED FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE [c2], ROLE = ALL)", READ)]);
  });

  describe("a new owner: the permissions ALTER AUTHORIZATION drops are read first and put back in the same request", () => {
    const GRANTS = endpointGrantsQuery(65536).statements.map((s) => s.sql);
    const grant = (grantee: string, permission: string, state: string, grantor = "sa", grantorIsSysadmin = grantor === "sa") => ({
      grantee,
      grantor,
      grantor_is_sysadmin: grantorIsSysadmin ? 1 : 0,
      permission_name: permission,
      type: { CONNECT: "CO  ", "VIEW DEFINITION": "VW  ", ALTER: "AL  " }[permission],
      state,
    });
    const me = [{ connecting_login: "sa" }];
    const found = [grant("peer_a", "CONNECT", "W"), grant("peer_b", "CONNECT", "G", "peer_a", false), grant("public", "VIEW DEFINITION", "D")];

    it("two requests: the permissions; then ALTER ENDPOINT, the guarded transfer with every permission put back, the read-backs", async () => {
      const client = new FakeClient([
        [found, me],
        [[endpointRow({ owner_name: "ep_owner", state_desc: "STOPPED" })], found, me],
      ]);
      await expect(updateEndpoint(client, current, { ...spec, state: "STOPPED", owner: "ep_owner" })).resolves.toMatchObject({ owner: "ep_owner", state: "STOPPED" });
      expect(client.statements).toHaveLength(2);
      expect(client.statements[0]).toBe(batch(...GRANTS));
      expect(client.requests[0]!.params).toEqual({ endpointId: { type: "int", value: 65536 } });
      const [, second] = client.statements;
      const guard =
        "IF (SELECT COUNT(*) FROM master.sys.server_permissions AS p WHERE p.class = 105 AND p.major_id = @endpointId) = @grantCount AND NOT EXISTS (SELECT 1 FROM master.sys.server_permissions AS p WHERE p.class = 105 AND p.major_id = @endpointId AND NOT (" +
        [0, 1, 2].map((i) => `(SUSER_NAME(p.grantee_principal_id) = @grantee${i} AND SUSER_NAME(p.grantor_principal_id) = @grantor${i} AND p.type = @type${i} AND p.state = @state${i})`).join(" OR ") +
        ")) BEGIN ALTER AUTHORIZATION ON ENDPOINT::[hadr] TO [ep_owner]; GRANT CONNECT ON ENDPOINT::[hadr] TO [peer_a] WITH GRANT OPTION; " +
        "DENY VIEW DEFINITION ON ENDPOINT::[hadr] TO [public]; GRANT CONNECT ON ENDPOINT::[hadr] TO [peer_b] AS [peer_a]; END";
      expect(second).toBe(batch("ALTER ENDPOINT [hadr] STATE = STOPPED", guard, READ, ...GRANTS));
      expect(client.requests[1]!.params).toMatchObject({
        grantCount: { type: "int", value: 3 },
        grantee1: { type: "nvarchar", value: "peer_b" },
        grantor1: { type: "nvarchar", value: "peer_a" },
        type1: { type: "nvarchar", value: "CO" },
        state2: { type: "nvarchar", value: "D" },
      });
    });

    it("permissions that differ from the plan afterwards: an error naming them", async () => {
      const client = new FakeClient([
        [found, me],
        [[endpointRow({ owner_name: "ep_owner" })], [found[0], found[2]], me],
      ]);
      await expect(updateEndpoint(client, current, { ...spec, owner: "ep_owner" })).rejects.toMatchObject({
        code: "EPERMISSIONS",
        message: expect.stringContaining("missing GRANT CONNECT TO [peer_b] (grantor [peer_a])"),
      });
    });

    it("permissions changed between the read and the transfer (owner unchanged): read again, at most three times", async () => {
      const unchanged = [[endpointRow()], found, me];
      const client = new FakeClient([[found, me], unchanged, [found, me], unchanged, [found, me], unchanged]);
      await expect(updateEndpoint(client, current, { ...spec, owner: "ep_owner" })).rejects.toMatchObject({ code: "ECONFLICT" });
      expect(client.requests).toHaveLength(6);
    });
  });

  it("a vanished endpoint is an error, not an empty record", async () => {
    const client = new FakeClient([[[]]]);
    await expect(updateEndpoint(client, current, { ...spec, port: 6000 })).rejects.toMatchObject({ code: "ENOTVISIBLE", operation: "update" });
  });
});

describe("dropEndpoint", () => {
  it("one guarded request", async () => {
    const client = new FakeClient([[]]);
    await dropEndpoint(client, "hadr");
    expect(client.requests).toEqual([
      {
        sql: batch("IF EXISTS (SELECT 1 FROM master.sys.database_mirroring_endpoints WHERE name = @name) DROP ENDPOINT [hadr]"),
        params: { name: { type: "nvarchar", value: "hadr" } },
      },
    ]);
  });
});
