/**
 * The real SQL Server instances named by `MSSQL_REAL_SERVERS`, parsed.
 *
 * Format: entries separated by commas, each
 *
 *     host[:port][@endpointHost[:endpointPort]]
 *
 * - `host:port` is where the tests (and the provider) connect over TDS; port 1433 when left out.
 * - `endpointHost:endpointPort` is where the *other instances* reach this one's
 *   `DATABASE_MIRRORING` endpoint (`TCP://endpointHost:endpointPort`). The two differ whenever the
 *   tests reach an instance through a published port while its peers reach it by name on a
 *   private network (containers). `endpointHost` defaults to `host`, `endpointPort` to 5022, the
 *   port Microsoft's examples use.
 * - A host may be an IPv6 address in brackets: `[::1]:1433@[fd00::2]:5022`.
 *
 * `host:port,host:port,…` (the format before endpoint hosts existed) still means what it meant.
 */

/** Where the tests connect to one real instance, and where its peers reach its endpoint. */
export interface RealServer {
  /** TDS host the tests and the provider connect to. */
  server: string;
  /** TDS port. Default 1433. */
  port: number;
  /** Host the other instances reach this one's mirroring endpoint at. Default: `server`. */
  endpointHost: string;
  /** Port of this instance's mirroring endpoint (`LISTENER_PORT`). Default 5022. */
  endpointPort: number;
}

/** SQL Server's default TDS port. */
export const DEFAULT_TDS_PORT = 1433;
/** The endpoint port of Microsoft's examples, used when an entry names none. */
export const DEFAULT_ENDPOINT_PORT = 5022;

const FORMAT = "write host[:port][@endpointHost[:endpointPort]], entries separated by commas";

/** Splits `host[:port]` (host possibly `[ipv6]`) into its parts; `what` names the part in errors. */
function hostAndPort(text: string, what: string, where: string, defaultPort: number): { host: string; port: number } {
  if (text.includes("://")) throw new Error(`MSSQL_REAL_SERVERS ${where}: ${what} \`${text}\` is a URL; give the host alone (the endpoint URL is built from it); ${FORMAT}`);
  let host: string;
  let portText: string | undefined;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) throw new Error(`MSSQL_REAL_SERVERS ${where}: ${what} \`${text}\` opens a bracket it does not close; ${FORMAT}`);
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== "" && !rest.startsWith(":")) throw new Error(`MSSQL_REAL_SERVERS ${where}: unexpected \`${rest}\` after ${what} \`[${host}]\`; ${FORMAT}`);
    portText = rest === "" ? undefined : rest.slice(1);
  } else {
    const parts = text.split(":");
    if (parts.length > 2) throw new Error(`MSSQL_REAL_SERVERS ${where}: ${what} \`${text}\` has more than one colon (put an IPv6 address in brackets); ${FORMAT}`);
    [host, portText] = [parts[0]!, parts[1]];
  }
  if (host === "") throw new Error(`MSSQL_REAL_SERVERS ${where}: the ${what} is empty; ${FORMAT}`);
  if (/[\s/\\]/.test(host)) throw new Error(`MSSQL_REAL_SERVERS ${where}: ${what} \`${host}\` holds a space or a slash; ${FORMAT}`);
  if (portText === undefined) return { host, port: defaultPort };
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) throw new Error(`MSSQL_REAL_SERVERS ${where}: the ${what}'s port \`${portText}\` is not a number from 1 to 65535; ${FORMAT}`);
  return { host, port };
}

/** Parses a `MSSQL_REAL_SERVERS` value (empty or blank: no servers). Throws naming the entry and the fix. */
export function parseRealServers(spec: string | undefined): RealServer[] {
  const entries = (spec ?? "").split(",").map((s) => s.trim());
  if (entries.every((e) => e === "")) return [];
  const servers = entries.map((entry, n): RealServer => {
    const where = `entry ${n + 1} (\`${entry}\`)`;
    if (entry === "") throw new Error(`MSSQL_REAL_SERVERS entry ${n + 1} is empty; ${FORMAT}`);
    const at = entry.split("@");
    if (at.length > 2) throw new Error(`MSSQL_REAL_SERVERS ${where}: more than one @; ${FORMAT}`);
    const tds = hostAndPort(at[0]!, "host", where, DEFAULT_TDS_PORT);
    const endpoint = at.length === 2 ? hostAndPort(at[1]!, "endpoint host", where, DEFAULT_ENDPOINT_PORT) : { host: tds.host, port: DEFAULT_ENDPOINT_PORT };
    return { server: tds.host, port: tds.port, endpointHost: endpoint.host, endpointPort: endpoint.port };
  });
  const seen = new Map<string, number>();
  servers.forEach((s, n) => {
    for (const key of [`${s.server}:${s.port}`, `endpoint ${s.endpointHost}:${s.endpointPort}`]) {
      const first = seen.get(key);
      if (first !== undefined) throw new Error(`MSSQL_REAL_SERVERS entries ${first + 1} and ${n + 1} both name ${key}: each entry must be a different instance`);
      seen.set(key, n);
    }
  });
  return servers;
}
