/**
 * Endpoint URLs as SQL Server writes them: `TCP://<system-address>:<port>` ("Specify the Endpoint URL
 * When Adding or Modifying an Availability Replica", database-engine/availability-groups/windows).
 * The scheme is case-insensitive; the address is a host name, an IPv4 address, or an IPv6 address in
 * brackets.
 */
import { isIP } from "node:net";

/** A parsed endpoint URL. */
export interface EndpointAddress {
  /** Host name or address (IPv6 without brackets). */
  host: string;
  /** TCP port, 1–65535. */
  port: number;
}

/** Parses `TCP://host:port`; throws a TypeError naming the URL when it is not one. */
export function parseEndpointUrl(url: string): EndpointAddress {
  const m = /^tcp:\/\/(\[[0-9A-Fa-f:.]+\]|[^:/[\]\s]+):(\d{1,5})\/?$/i.exec(url);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) throw new TypeError(`endpoint URL ${JSON.stringify(url)} is not of the form TCP://<host>:<port> (port 1–65535)`);
  const host = m[1]!.startsWith("[") ? m[1]!.slice(1, -1) : m[1]!;
  if (m[1]!.startsWith("[") && isIP(host) !== 6) throw new TypeError(`endpoint URL ${JSON.stringify(url)} has a bracketed host that is not an IPv6 address`);
  return { host, port };
}

/** `TCP://host:port`, with an IPv6 address in brackets. */
export function formatEndpointUrl(host: string, port: number): string {
  return `TCP://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}
