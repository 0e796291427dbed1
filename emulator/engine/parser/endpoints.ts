/**
 * Parsing of CREATE / ALTER / DROP ENDPOINT (reference section 3). Only TCP transport and the
 * DATABASE_MIRRORING payload are in the subset; other payloads are refused by name.
 */
import { isIP } from "node:net";
import type { EndpointAuthentication, EndpointEncryption, EndpointState, MirroringOptions, StatementBody, TcpOptions } from "../ast";
import { compileError } from "../errors";
import type { TokenStream } from "./stream";

const WINDOWS_PROTOCOLS = ["NTLM", "KERBEROS", "NEGOTIATE"] as const;

function parseState(s: TokenStream): EndpointState {
  s.expectOperator("=");
  return s.expectOneOf("STARTED", "STOPPED", "DISABLED");
}

/** The IPv4 form is bare dotted digits inside parentheses, e.g. `(10.0.75.1)`. */
function parseIpv4(s: TokenStream): string {
  // The lexer reads `10.0` and `.75` as numbers, so the address is re-read from the source text.
  const start = s.offset();
  const line = s.peek().line;
  while (!s.isOperator(")") && !s.atEnd()) s.next();
  const text = s.sql.slice(start, s.endOffset()).replace(/\s+/g, "");
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(text) || isIP(text) !== 4) throw compileError(102, line, text || ")");
  return text;
}

function parseTcp(s: TokenStream): TcpOptions {
  s.expectOperator("(");
  const tcp: TcpOptions = {};
  let first = true;
  while (!s.isOperator(")")) {
    if (!first) s.acceptOperator(",");
    first = false;
    if (tcp.port === undefined && s.acceptWord("LISTENER_PORT")) {
      s.expectOperator("=");
      tcp.port = s.integer();
    } else if (tcp.ip === undefined && s.acceptWord("LISTENER_IP")) {
      s.expectOperator("=");
      if (s.acceptWord("ALL")) tcp.ip = "ALL";
      else {
        s.expectOperator("(");
        if (s.peek().kind === "string") tcp.ip = { address: s.string(), family: 6 };
        else tcp.ip = { address: parseIpv4(s), family: 4 };
        s.expectOperator(")");
      }
    } else throw s.syntaxError();
  }
  s.expectOperator(")");
  return tcp;
}

function parseWindowsProtocol(s: TokenStream): EndpointAuthentication["windows"] {
  const protocol = WINDOWS_PROTOCOLS.find((p) => s.isWord(p));
  if (!protocol) return "NEGOTIATE";
  s.next();
  return protocol;
}

function parseAuthentication(s: TokenStream): EndpointAuthentication {
  s.expectOperator("=");
  if (s.acceptWord("WINDOWS")) {
    const windows = parseWindowsProtocol(s);
    const certificate = s.acceptWord("CERTIFICATE") ? s.name() : undefined;
    return { windows, certificate, first: "windows" };
  }
  s.expectWord("CERTIFICATE");
  const certificate = s.name();
  const windows = s.acceptWord("WINDOWS") ? parseWindowsProtocol(s) : undefined;
  return { windows, certificate, first: "certificate" };
}

function parseEncryption(s: TokenStream): EndpointEncryption {
  s.expectOperator("=");
  const mode = s.expectOneOf("DISABLED", "SUPPORTED", "REQUIRED");
  const algorithms: EndpointEncryption["algorithms"] = [];
  if (mode !== "DISABLED" && s.acceptWord("ALGORITHM")) {
    algorithms.push(s.expectOneOf("AES", "RC4"));
    if (s.isWord("AES") || s.isWord("RC4")) {
      const second = s.expectOneOf("AES", "RC4");
      if (second === algorithms[0]) throw s.syntaxError(s.previous());
      algorithms.push(second);
    }
  }
  return { mode, algorithms };
}

/** The `( … )` after FOR DATABASE_MIRRORING: options in any order, separated by optional commas. */
function parseMirroring(s: TokenStream): MirroringOptions {
  s.expectOperator("(");
  const options: MirroringOptions = {};
  let first = true;
  while (!s.isOperator(")")) {
    if (!first) s.acceptOperator(",");
    first = false;
    if (!options.authentication && s.acceptWord("AUTHENTICATION")) options.authentication = parseAuthentication(s);
    else if (!options.encryption && s.acceptWord("ENCRYPTION")) options.encryption = parseEncryption(s);
    else if (!options.role && s.acceptWord("ROLE")) {
      s.expectOperator("=");
      options.role = s.expectOneOf("WITNESS", "PARTNER", "ALL");
    } else throw s.syntaxError();
  }
  s.expectOperator(")");
  return options;
}

/** The payload after FOR: DATABASE_MIRRORING parses, the others are outside the subset. */
function parsePayload(s: TokenStream, statement: string): MirroringOptions {
  s.expectWord("FOR");
  if (s.acceptWord("DATABASE_MIRRORING")) return parseMirroring(s);
  const payload = s.expectOneOf("TSQL", "SERVICE_BROKER", "SOAP");
  throw s.unsupported(`${statement} … FOR ${payload}`, s.previous().line);
}

/** CREATE ENDPOINT … (after CREATE ENDPOINT). */
export function parseCreateEndpoint(s: TokenStream): StatementBody {
  const name = s.name();
  const owner = s.acceptWord("AUTHORIZATION") ? s.name() : undefined;
  const state = s.acceptWord("STATE") ? parseState(s) : undefined;
  s.expectWord("AS");
  if (s.isWord("HTTP")) throw s.unsupported("CREATE ENDPOINT … AS HTTP");
  s.expectWord("TCP");
  const tcp = parseTcp(s);
  const mirroring = parsePayload(s, "CREATE ENDPOINT");
  return { kind: "createEndpoint", name, owner, state, tcp, mirroring };
}

/**
 * ALTER ENDPOINT … (after ALTER ENDPOINT). A different transport or payload parses (so that it can be
 * refused with 7860, as SQL Server does) but is not interpreted.
 */
export function parseAlterEndpoint(s: TokenStream): StatementBody {
  const name = s.name();
  if (s.isWord("AUTHORIZATION")) throw s.syntaxError();
  const state = s.acceptWord("STATE") ? parseState(s) : undefined;
  let tcp: TcpOptions | undefined;
  let otherTransport: string | undefined;
  if (s.acceptWord("AS")) {
    if (s.acceptWord("TCP")) tcp = parseTcp(s);
    else {
      otherTransport = s.expectOneOf("HTTP");
      skipParenthesized(s);
    }
  }
  let mirroring: MirroringOptions | undefined;
  let otherPayload: string | undefined;
  if (s.acceptWord("FOR")) {
    if (s.acceptWord("DATABASE_MIRRORING")) mirroring = parseMirroring(s);
    else {
      otherPayload = s.expectOneOf("TSQL", "SERVICE_BROKER", "SOAP");
      skipParenthesized(s);
    }
  }
  return { kind: "alterEndpoint", name, state, tcp, mirroring, otherTransport, otherPayload };
}

/** Skips a balanced `( … )` group (a clause the emulator only needs to recognise). */
function skipParenthesized(s: TokenStream): void {
  s.expectOperator("(");
  let depth = 1;
  while (depth > 0) {
    if (s.atEnd()) throw s.syntaxError();
    const t = s.next();
    if (t.kind === "operator" && t.value === "(") depth++;
    if (t.kind === "operator" && t.value === ")") depth--;
  }
}
