/**
 * Retrying known transient failures, and recognising failures that leave a connection unusable.
 *
 * Only failures that a later identical attempt can plausibly get past are retried: a deadlock, a
 * dropped or reset connection, an instance that is restarting or (on Azure SQL Managed Instance)
 * failing over. Login failures, TLS trust problems, syntax and permission errors are final: a
 * retry cannot fix them and would only delay the message. Every statement this layer sends is
 * re-runnable (creates and drops are guarded by catalog look-ups), so repeating one is safe.
 */
import { classifyError } from "./errors";
import { errorCodes, serverMessages } from "./driverError";

/**
 * SQL Server message numbers worth retrying, with what they mean:
 * - 1205: this session was chosen as a deadlock victim; its batch was rolled back.
 * - 1222: lock request timed out (only when a LOCK_TIMEOUT is in force).
 * - 233: the connection was closed by the server ("no process is on the other end of the pipe").
 * - 10053 / 10054: transport-level error, the connection was aborted / reset by the peer.
 * - 10060: the connection attempt timed out at the network level.
 * - 4221: login to a readable secondary waited too long for a version-store transition (AG).
 * - 10928 / 10929: resource (worker/session) limit reached; capacity frees up (Azure SQL).
 * - 40197: the service hit an error processing the request, typically a reconfiguration (Azure SQL).
 * - 40501: the service is busy (Azure SQL).
 * - 40613: the database is not currently available, e.g. during a failover (Azure SQL).
 * - 49918 / 49919 / 49920: not enough resources / too many operations in progress (Azure SQL).
 */
export const TRANSIENT_ERROR_NUMBERS: ReadonlySet<number> = new Set([
  1205, 1222, 233, 10053, 10054, 10060, 4221, 10928, 10929, 40197, 40501, 40613, 49918, 49919, 49920,
]);

/**
 * Driver codes (tedious/mssql, and Node's socket codes they wrap) that mean the connection was
 * lost or could not be opened for a reason that may pass: reset, closed, refused while the
 * instance restarts, timed out, or used after it broke.
 */
export const TRANSIENT_ERROR_CODES: ReadonlySet<string> = new Set([
  "ESOCKET", "ECONNRESET", "ECONNCLOSED", "ECLOSE", "ECONNABORTED", "EPIPE", "ECONNREFUSED",
  "ETIMEOUT", "ETIMEDOUT", "EAI_AGAIN", "ENOTOPEN", "EINVALIDSTATE",
]);

/**
 * Codes that make an otherwise retryable failure final: a host name that does not resolve will
 * not resolve a second later (`EAI_AGAIN` is the temporary DNS failure, and is retried).
 */
const FINAL_ERROR_CODES: ReadonlySet<string> = new Set(["ENOTFOUND"]);

/** Message numbers that, like the connection codes above, mean the connection itself failed. */
const CONNECTION_ERROR_NUMBERS: ReadonlySet<number> = new Set([233, 10053, 10054, 10060]);

/** Whether `error` is worth another attempt (never for login or TLS failures, nor an unknown host). */
export function isTransientError(error: unknown): boolean {
  const category = classifyError(error);
  if (category === "login" || category === "tls" || category === "conflict") return false;
  if (serverMessages(error).some((m) => TRANSIENT_ERROR_NUMBERS.has(m.number))) return true;
  const codes = errorCodes(error);
  return !codes.some((code) => FINAL_ERROR_CODES.has(code)) && codes.some((code) => TRANSIENT_ERROR_CODES.has(code));
}

/**
 * Whether `error` means the connection it ran on is gone or suspect: then the whole pool for that
 * server is dropped, so the next attempt logs in afresh (a restarted instance drops every pooled
 * connection at once, not only the one that noticed). Fatal server errors (severity ≥ 20) close
 * the connection too.
 */
export function isConnectionLevelError(error: unknown): boolean {
  if (errorCodes(error).some((code) => TRANSIENT_ERROR_CODES.has(code))) return true;
  return serverMessages(error).some((m) => CONNECTION_ERROR_NUMBERS.has(m.number) || (m.class ?? 0) >= 20);
}

/** How to retry. Every field is optional; {@link DEFAULT_RETRY} fills the gaps. */
export interface RetryOptions {
  /** Total attempts, the first included. Default 5; 1 disables retrying. */
  attempts?: number;
  /** Delay before the first retry, in ms; doubled for each further one. Default 250. */
  initialDelayMs?: number;
  /** Upper bound of one delay, in ms. Default 4000. */
  maxDelayMs?: number;
  /** Waits `ms` milliseconds. Injectable for tests; default a `setTimeout` promise. */
  sleep?: (ms: number) => Promise<void>;
  /** Jitter source returning [0, 1). Injectable for tests; default `Math.random`. */
  random?: () => number;
}

/** The defaults: 5 attempts, 250 ms doubling to at most 4 s (≈ 2–4 s of waiting in total). */
export const DEFAULT_RETRY = { attempts: 5, initialDelayMs: 250, maxDelayMs: 4000 } as const;

/**
 * The wait before retry number `retry` (1 = after the first failure): exponential, capped, with
 * "equal jitter" (half fixed, half random) so that many resources failing together do not retry
 * in lockstep, yet each still waits a meaningful minimum.
 */
export function backoffDelay(retry: number, options: RetryOptions = {}): number {
  const initial = options.initialDelayMs ?? DEFAULT_RETRY.initialDelayMs;
  const max = options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
  const base = Math.min(max, initial * 2 ** (retry - 1));
  const random = options.random ?? Math.random;
  return Math.round(base / 2 + (random() * base) / 2);
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs `attempt(n)` (n = 1, 2, …) until it succeeds, the error is not retryable, or the attempts
 * run out; the last error is rethrown unchanged.
 *
 * @param isRetryable decides per error; default {@link isTransientError}
 */
export async function withRetry<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  options: RetryOptions = {},
  isRetryable: (error: unknown) => boolean = isTransientError,
): Promise<T> {
  const attempts = Math.max(1, Math.floor(options.attempts ?? DEFAULT_RETRY.attempts));
  const sleep = options.sleep ?? defaultSleep;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (n >= attempts || !isRetryable(error)) throw error;
      await sleep(backoffDelay(n, options));
    }
  }
}
