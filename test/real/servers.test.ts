/**
 * MSSQL_REAL_SERVERS: the format with endpoint hosts, the one before it, and errors that name the
 * entry and the fix.
 */
import { describe, expect, it } from "vitest";
import { realServers } from "./sqlTrust";
import { parseRealServers } from "./servers";

describe("parseRealServers", () => {
  it("reads nothing from an unset or blank value", () => {
    expect(parseRealServers(undefined)).toEqual([]);
    expect(parseRealServers("")).toEqual([]);
    expect(parseRealServers(" , ")).toEqual([]);
  });

  it("keeps the older host:port,… meaning: the endpoint on the same host, port 5022", () => {
    expect(parseRealServers("sqlhost1:1433, sqlhost2:14330,sqlhost3")).toEqual([
      { server: "sqlhost1", port: 1433, endpointHost: "sqlhost1", endpointPort: 5022 },
      { server: "sqlhost2", port: 14330, endpointHost: "sqlhost2", endpointPort: 5022 },
      { server: "sqlhost3", port: 1433, endpointHost: "sqlhost3", endpointPort: 5022 },
    ]);
  });

  it("reads an endpoint host and port per instance after @", () => {
    expect(parseRealServers("localhost:14331@sql1:5022,localhost:14332@sql2:5023,localhost:14333@sql3")).toEqual([
      { server: "localhost", port: 14331, endpointHost: "sql1", endpointPort: 5022 },
      { server: "localhost", port: 14332, endpointHost: "sql2", endpointPort: 5023 },
      { server: "localhost", port: 14333, endpointHost: "sql3", endpointPort: 5022 },
    ]);
  });

  it("takes IPv6 addresses in brackets on either side", () => {
    expect(parseRealServers("[::1]:14331@[fd00::2]:5022,[fe80::1]")).toEqual([
      { server: "::1", port: 14331, endpointHost: "fd00::2", endpointPort: 5022 },
      { server: "fe80::1", port: 1433, endpointHost: "fe80::1", endpointPort: 5022 },
    ]);
  });

  it.each([
    ["sql1:1433,,sql2:1433", "MSSQL_REAL_SERVERS entry 2 is empty; write host[:port][@endpointHost[:endpointPort]], entries separated by commas"],
    ["sql1:abc", "MSSQL_REAL_SERVERS entry 1 (`sql1:abc`): the host's port `abc` is not a number from 1 to 65535; write host[:port][@endpointHost[:endpointPort]], entries separated by commas"],
    ["sql1:1433@sql1:70000", "MSSQL_REAL_SERVERS entry 1 (`sql1:1433@sql1:70000`): the endpoint host's port `70000` is not a number from 1 to 65535; write host[:port][@endpointHost[:endpointPort]], entries separated by commas"],
    ["sql1:0", "MSSQL_REAL_SERVERS entry 1 (`sql1:0`): the host's port `0` is not a number from 1 to 65535; write host[:port][@endpointHost[:endpointPort]], entries separated by commas"],
    [":1433", "MSSQL_REAL_SERVERS entry 1 (`:1433`): the host is empty; write host[:port][@endpointHost[:endpointPort]], entries separated by commas"],
    ["sql1:1433@", "MSSQL_REAL_SERVERS entry 1 (`sql1:1433@`): the endpoint host is empty; write host[:port][@endpointHost[:endpointPort]], entries separated by commas"],
    ["sql1@a@b", "MSSQL_REAL_SERVERS entry 1 (`sql1@a@b`): more than one @; write host[:port][@endpointHost[:endpointPort]], entries separated by commas"],
    ["::1:1433", "MSSQL_REAL_SERVERS entry 1 (`::1:1433`): host `::1:1433` has more than one colon (put an IPv6 address in brackets); write host[:port][@endpointHost[:endpointPort]], entries separated by commas"],
    ["[::1:1433", "MSSQL_REAL_SERVERS entry 1 (`[::1:1433`): host `[::1:1433` opens a bracket it does not close; write host[:port][@endpointHost[:endpointPort]], entries separated by commas"],
    ["[::1]1433", "MSSQL_REAL_SERVERS entry 1 (`[::1]1433`): unexpected `1433` after host `[::1]`; write host[:port][@endpointHost[:endpointPort]], entries separated by commas"],
    ["sql1:1433@tcp://sql1", "MSSQL_REAL_SERVERS entry 1 (`sql1:1433@tcp://sql1`): endpoint host `tcp://sql1` is a URL; give the host alone (the endpoint URL is built from it); write host[:port][@endpointHost[:endpointPort]], entries separated by commas"],
    ["sql1:1433,sql1:1433@other", "MSSQL_REAL_SERVERS entries 1 and 2 both name sql1:1433: each entry must be a different instance"],
    ["a:1@sql:5022,b:1@sql:5022", "MSSQL_REAL_SERVERS entries 1 and 2 both name endpoint sql:5022: each entry must be a different instance"],
  ])("refuses %j, naming the entry and the fix", (spec, message) => {
    expect(() => parseRealServers(spec)).toThrow(message);
  });
});

describe("realServers", () => {
  it("adds the login, the password and the TLS setting to every entry", () => {
    expect(
      realServers({ MSSQL_REAL_SERVERS: "localhost:14331@sql1:5022", MSSQL_REAL_PASSWORD: "pw", MSSQL_REAL_USER: "dba", MSSQL_REAL_TRUST_SERVER_CERTIFICATE: "true" }),
    ).toEqual([{ server: "localhost", port: 14331, endpointHost: "sql1", endpointPort: 5022, user: "dba", password: "pw", trustServerCertificate: true }]);
    expect(realServers({ MSSQL_REAL_SERVERS: "h", MSSQL_REAL_PASSWORD: "pw" })).toEqual([
      { server: "h", port: 1433, endpointHost: "h", endpointPort: 5022, user: "sa", password: "pw", trustServerCertificate: false },
    ]);
  });

  it("needs a password when servers are named, and nothing when none are", () => {
    expect(() => realServers({ MSSQL_REAL_SERVERS: "h:1433" })).toThrow("MSSQL_REAL_SERVERS is set but MSSQL_REAL_PASSWORD is not");
    expect(realServers({})).toEqual([]);
  });
});
