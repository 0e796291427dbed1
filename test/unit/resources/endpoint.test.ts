import { describe, expect, it } from "vitest";
import { mirroringEndpointProvider } from "../../../provider/resources/mirroringEndpoint";
import { check, connection, failuresOf, UNKNOWN } from "./fixtures";

describe("MirroringEndpoint check", () => {
  it("applies SQL Server-independent defaults", async () => {
    const { inputs, failures } = await check(mirroringEndpointProvider, { connection, certificateName: "c" });
    expect(failures).toEqual([]);
    expect(inputs).toMatchObject({
      name: "hadr_endpoint",
      port: 5022,
      listenerIp: "ALL",
      encryption: "REQUIRED",
      algorithm: "AES",
      role: "ALL",
      state: "STARTED",
      adopt: false,
    });
  });

  it("normalizes keyword case and IPv6", async () => {
    const { inputs } = await check(mirroringEndpointProvider, { connection, certificateName: "c", encryption: "supported", algorithm: "aes  rc4", listenerIp: "FD00::5" });
    expect(inputs).toMatchObject({ encryption: "SUPPORTED", algorithm: "AES RC4", listenerIp: "fd00::5" });
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    ["port 0", { port: 0 }, "port", "must be an integer from 1 to 65535 (got 0)"],
    ["port 70000", { port: 70000 }, "port", "must be an integer from 1 to 65535 (got 70000)"],
    ["a listener IP that is not an address", { listenerIp: "10.0.0.256" }, "listenerIp", "must be ALL, an IPv4 address like 10.0.0.5, or an IPv6 address like fd00::5 (got '10.0.0.256')"],
    ["an unknown encryption", { encryption: "ON" }, "encryption", 'must be one of "REQUIRED", "SUPPORTED", "DISABLED", got "ON"'],
    ["an unknown algorithm", { algorithm: "DES" }, "algorithm", 'must be one of "AES", "RC4", "AES RC4", "RC4 AES", got "DES"'],
    ["an unknown role", { role: "PRIMARY" }, "role", 'must be one of "PARTNER", "WITNESS", "ALL", got "PRIMARY"'],
    ["an unknown state", { state: "RUNNING" }, "state", 'must be one of "STARTED", "STOPPED", "DISABLED", got "RUNNING"'],
    ["a reserved name", { name: "##sys" }, "name", "must not start with ##: SQL Server reserves that prefix for system endpoints (7869)"],
    ["an owner with a backslash", { owner: "dom\\x" }, "owner", "must not contain a backslash: DOMAIN\\name is a Windows login, SQL logins cannot have one"],
  ])("rejects %s", async (_label, override, property, reason) => {
    expect(await failuresOf(mirroringEndpointProvider, { connection, certificateName: "c", ...override })).toEqual({ [property]: reason });
  });

  it("requires a certificate", async () => {
    expect(await failuresOf(mirroringEndpointProvider, { connection })).toEqual({ certificateName: "is required" });
  });

  it("skips unknown values", async () => {
    expect(await failuresOf(mirroringEndpointProvider, { connection, certificateName: UNKNOWN, port: UNKNOWN })).toEqual({});
  });
});

describe("MirroringEndpoint diff", () => {
  const state = {
    connection,
    name: "hadr_endpoint",
    port: 5022,
    listenerIp: "ALL",
    certificateName: "c1",
    encryption: "REQUIRED",
    algorithm: "AES",
    role: "ALL",
    state: "STARTED",
    owner: "sa",
  };
  const news = { ...state, owner: undefined };

  it.each<[string, Record<string, unknown>]>([
    ["port", { port: 5023 }],
    ["listenerIp", { listenerIp: "10.0.0.5" }],
    ["certificateName", { certificateName: "c2" }],
    ["encryption", { encryption: "SUPPORTED" }],
    ["algorithm", { algorithm: "AES RC4" }],
    ["role", { role: "PARTNER" }],
    ["state", { state: "STOPPED" }],
    ["owner", { owner: "dba" }],
  ])("updates %s in place", async (_key, change) => {
    expect(await mirroringEndpointProvider.diff!("id", state, { ...news, ...change })).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
  });

  it("replaces on a new name, deleting first (one endpoint per instance)", async () => {
    expect(await mirroringEndpointProvider.diff!("id", state, { ...news, name: "other" })).toEqual({ changes: true, replaces: ["name"], deleteBeforeReplace: true });
  });

  it("sees drift (port changed out of band) as an update", async () => {
    expect((await mirroringEndpointProvider.diff!("id", { ...state, port: 6000 }, news)).changes).toBe(true);
  });

  it("ignores the algorithm while encryption is DISABLED", async () => {
    const disabled = { ...state, encryption: "DISABLED" };
    expect((await mirroringEndpointProvider.diff!("id", disabled, { ...news, encryption: "DISABLED", algorithm: "RC4" })).changes).toBe(false);
  });

  it("reports nothing when nothing changed", async () => {
    expect((await mirroringEndpointProvider.diff!("id", state, news)).changes).toBe(false);
  });
});
