import { describe, expect, it } from "vitest";
import { endpointQuery, mirroringEndpointQuery } from "../../../provider/sql/catalog";
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
        "(Msg 7862, State 1) — this instance already has the mirroring endpoint [Mirroring] (port 5023) and SQL Server allows one: adopt it (adopt: true with name: \"Mirroring\"), or drop it first",
    );
    expect(client.statements).toEqual([batch(READ, CREATE, READ), batch(READ_ANY)]);
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
    await expect(updateEndpoint(client, current, { ...spec, certificateName: "c2", state: "STOPPED", owner: "ep_owner" })).resolves.toMatchObject({
      certificateName: "c2",
      state: "STOPPED",
    });
    expect(client.statements).toEqual([
      batch(
        "ALTER ENDPOINT [hadr] STATE = STOPPED FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE [c2], ROLE = ALL)",
        "ALTER AUTHORIZATION ON ENDPOINT::[hadr] TO [ep_owner]",
        READ,
      ),
    ]);
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
