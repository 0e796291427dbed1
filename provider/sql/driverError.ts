/**
 * Reading what the driver threw. mssql and tedious report one failure in several shapes:
 * - a `RequestError` carrying SQL Server's `number/state/class/lineNumber/serverName/procName`
 *   (copied from tedious' `info`), with the earlier messages of the same batch on
 *   `precedingErrors` (mssql throws the *last* one);
 * - tedious' `AggregateError` whose `errors` hold several messages;
 * - a `ConnectionError` with a string `code` (`ELOGIN`, `ESOCKET`, `ETIMEOUT`, …) wrapping the
 *   original on `originalError` (mssql) or `cause` (tedious, Node's socket/TLS errors).
 * These helpers flatten that into plain lists; they never throw on odd input.
 */

/** One message SQL Server sent (an ERROR token), flattened from the driver's error objects. */
export interface ServerMessage {
  /** SQL Server message number, e.g. 15151. */
  number: number;
  /** Error state, which tells apart the places that raise the same number. */
  state?: number;
  /** Severity: 11–16 user errors, ≥ 20 fatal (the connection is closed). */
  class?: number;
  /** 1-based line in the batch. */
  lineNumber?: number;
  /** `@@SERVERNAME` of the instance that raised it. */
  serverName?: string;
  /** Procedure the error came from, if any. */
  procName?: string;
  /** The message text. */
  message: string;
}

/** How deep to follow `cause`/`originalError`/`errors` links; real chains are 2–3 deep. */
const MAX_DEPTH = 6;

type ErrorLike = Record<string, unknown>;

function isObject(value: unknown): value is ErrorLike {
  return typeof value === "object" && value !== null;
}

function optionalNumber(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** The SQL Server number of one error object (`number`, or tedious' `info.number`). */
function ownNumber(error: ErrorLike): number | undefined {
  return optionalNumber(error.number) ?? (isObject(error.info) ? optionalNumber(error.info.number) : undefined);
}

/**
 * Every error object reachable from `error` (itself, `precedingErrors`, `errors`,
 * `originalError`, `cause`), each once, earlier server messages first.
 */
export function errorChain(error: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  const seen = new Set<unknown>();
  const visit = (value: unknown, depth: number): void => {
    if (!isObject(value) || seen.has(value) || depth > MAX_DEPTH) return;
    seen.add(value);
    for (const key of ["precedingErrors", "errors"]) {
      const list = value[key];
      if (Array.isArray(list)) for (const item of list) visit(item, depth + 1);
    }
    out.push(value);
    visit(value.originalError, depth + 1);
    visit(value.cause, depth + 1);
  };
  visit(error, 0);
  return out;
}

/**
 * SQL Server's messages in the order the server sent them. An mssql `RequestError` and the raw
 * tedious error on its `originalError` describe the same message: it is listed once.
 */
export function serverMessages(error: unknown): ServerMessage[] {
  const out: ServerMessage[] = [];
  const wrapped = new Set<unknown>();
  for (const item of errorChain(error)) {
    const number = ownNumber(item);
    if (number === undefined || wrapped.has(item)) continue;
    if (isObject(item.originalError)) wrapped.add(item.originalError);
    const info = isObject(item.info) ? item.info : item;
    out.push({
      number,
      state: optionalNumber(item.state) ?? optionalNumber(info.state),
      class: optionalNumber(item.class) ?? optionalNumber(info.class),
      lineNumber: optionalNumber(item.lineNumber) ?? optionalNumber(info.lineNumber),
      serverName: optionalString(item.serverName) ?? optionalString(info.serverName),
      procName: optionalString(item.procName) ?? optionalString(info.procName),
      message: typeof item.message === "string" ? item.message : String(item.message),
    });
  }
  return out;
}

/** Every string `code` in the chain: driver codes (`ELOGIN`) and Node's (`ECONNREFUSED`). */
export function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  for (const item of errorChain(error)) {
    if (typeof item.code === "string" && !codes.includes(item.code)) codes.push(item.code);
  }
  return codes;
}

/** The outermost message, for errors that carry no server message. */
export function errorMessage(error: unknown): string {
  if (isObject(error) && typeof error.message === "string") return error.message;
  return String(error);
}
