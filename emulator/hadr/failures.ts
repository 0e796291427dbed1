/**
 * What the transport reports when something fails, and the error-log lines it writes, worded as SQL
 * Server words them (Database Engine events and errors 1000–1999, 9000–9999, 26000–27999,
 * 28000–30999). Socket failures are described with the Windows Sockets error a SQL Server error log
 * shows for them (10061 refused, 10060 timed out, 10054 reset, 11001 unknown host, 10049 address not
 * available): the emulator's choice, since it runs on Linux.
 */
import { messageText } from "../engine/errors";
import { ENDPOINT_KIND } from "../engine/handshake";

/** A failure as reported to a caller: message number and text. */
export interface TransportError {
  /** SQL Server message number, e.g. 28034 or 1474. */
  number: number;
  /** Its text as the error log shows it. */
  message: string;
}

/** Windows Sockets errors by Node error code, as `<code>(<text>)`. */
const SOCKET_ERRORS: Record<string, string> = {
  ECONNREFUSED: "10061(No connection could be made because the target machine actively refused it.)",
  ETIMEDOUT:
    "10060(A connection attempt failed because the connected party did not properly respond after a period of time, or established connection failed because connected host has failed to respond.)",
  ECONNRESET: "10054(An existing connection was forcibly closed by the remote host.)",
  ENOTFOUND: "11001(No such host is known.)",
  EAI_AGAIN: "11002(This is usually a temporary error during hostname resolution and means that the local server did not receive a response from an authoritative server.)",
  EHOSTUNREACH: "10065(A socket operation was attempted to an unreachable host.)",
  ENETUNREACH: "10051(A socket operation was attempted to an unreachable network.)",
  EADDRNOTAVAIL: "10049(The requested address is not valid in its context.)",
  EADDRINUSE: "10048(Only one usage of each socket address (protocol/network address/port) is normally permitted.)",
};

/** The `<code>(<text>)` of a socket error code; unknown codes are shown as they are. */
export function socketErrorText(code: string | undefined): string {
  return SOCKET_ERRORS[code ?? ""] ?? `${code ?? "unknown"}(${code ?? "The network operation failed."})`;
}

/**
 * 1474 "Database mirroring connection error 2 'Connection attempt failed with error: …' for 'TCP://…'."
 * — the TCP connection could not be made (refused, timed out, unknown host).
 */
export function connectFailed(url: string, code: string | undefined): TransportError {
  return { number: 1474, message: messageText(1474, 2, messageText(9754, socketErrorText(code)), url) };
}

/**
 * 1474 "Database mirroring connection error 4 'An error occurred while receiving data: …' for 'TCP://…'."
 * — the peer closed or reset the connection (during the handshake, or an established one).
 */
export function receiveFailed(url: string, code: string | undefined = "ECONNRESET"): TransportError {
  return { number: 1474, message: messageText(1474, 4, messageText(9755, socketErrorText(code)), url) };
}

/** 9758 "Login protocol negotiation error occurred." — the peer does not speak the endpoint protocol. */
export function protocolError(): TransportError {
  return { number: 9758, message: messageText(9758) };
}

/** 28038 "Connection handshake failed. The handshake verification failed. State 2." — the proof is not over this connection's challenge. */
export function replayedChallenge(): TransportError {
  return { number: 28038, message: messageText(28038, 2) };
}

/** A severity ≥ 11 message as one log line: `Error: N, Severity: S, State: 1. <text>`. */
function errorLine(number: number, severity: number, text: string): string {
  return `Error: ${number}, Severity: ${severity}, State: 1. ${text}`;
}

/** `<ipv4>` / `<ipv6>`, as the TCP provider's messages tag addresses. */
function family(host: string): string {
  return host.includes(":") ? "ipv6" : "ipv4";
}

/** The error-log lines of an endpoint that starts listening (26022, 9690). */
export function listeningLines(host: string, port: number): string[] {
  return [messageText(26022, host, family(host), port), messageText(9690, ENDPOINT_KIND)];
}

/** The error-log line of an endpoint that stops listening (9691). */
export function stoppedListeningLines(): string[] {
  return [messageText(9691, ENDPOINT_KIND)];
}

/** The error-log lines of a port already in use (26023, then 9692), and the error to report. */
export function portInUseLines(host: string, port: number): { lines: string[]; error: TransportError } {
  const error = { number: 9692, message: messageText(9692, ENDPOINT_KIND, port) };
  return { lines: [errorLine(26023, 16, messageText(26023, host, family(host), port)), errorLine(9692, 16, error.message)], error };
}

/** The error-log lines of any other failure to listen (26024 with the Windows error code, then 9693), and the error to report. */
export function cannotListenLines(host: string, port: number, code: string | undefined): { lines: string[]; error: TransportError } {
  const text = socketErrorText(code);
  const winsock = /^(\d+)\(/.exec(text);
  const hex = winsock ? `0x${Number(winsock[1]).toString(16)}` : String(code);
  const error = { number: 9693, message: messageText(9693, ENDPOINT_KIND, text) };
  return { lines: [errorLine(26024, 16, messageText(26024, host, family(host), port, hex)), errorLine(9693, 16, error.message)], error };
}

/**
 * The acceptor's error-log line for a refused connection: 28048 when a login was identified, else
 * 28047, with the refusal's message inside and the client's address ("[CLIENT: 127.0.0.1]").
 */
export function refusalLine(error: TransportError, client: string, login?: string): string {
  const where = `[CLIENT: ${client}]`;
  return login !== undefined ? messageText(28048, ENDPOINT_KIND, login, error.message, where) : messageText(28047, ENDPOINT_KIND, error.message, where);
}

/** The connecting side's error-log line when it cannot even present itself (its own endpoint or certificate): 28047 with "[SERVER: …]". */
export function localFailureLine(error: TransportError, server: string): string {
  return messageText(28047, ENDPOINT_KIND, error.message, `[SERVER: ${server}]`);
}

/** A 1474 error-log line on the connecting side. */
export function connectionErrorLine(error: TransportError): string {
  return errorLine(error.number, 16, error.message);
}
