/**
 * Test doubles for the SQL layer: a SqlClient that records every request and answers from a
 * script, errors shaped like the ones mssql/tedious throw, and catalog rows as the driver returns
 * them.
 */
import type { Recordset, Row, SqlClient, SqlParams } from "../../../provider/sql/client";
import type { RetryOptions } from "../../../provider/sql/retry";

/** One recorded request. */
export interface RecordedRequest {
  sql: string;
  params: SqlParams;
}

/** A scripted reply: recordsets, or an error to reject with. */
export type Reply = Recordset[] | Error;

/** A SqlClient that records requests and replies from `replies`, in order. */
export class FakeClient implements SqlClient {
  readonly target: string;
  readonly requests: RecordedRequest[] = [];
  readonly sleeps: number[] = [];
  readonly retry: RetryOptions;
  private readonly replies: Reply[];

  constructor(replies: Reply[] = [], retry: RetryOptions = {}, target = "sql1:1433") {
    this.target = target;
    this.replies = [...replies];
    this.retry = { random: () => 0.5, sleep: async (ms) => void this.sleeps.push(ms), ...retry };
  }

  async query(sql: string, params: SqlParams = {}): Promise<Recordset[]> {
    this.requests.push({ sql, params });
    const reply = this.replies.shift();
    if (reply === undefined) throw new Error(`FakeClient: no reply scripted for request #${this.requests.length}`);
    if (reply instanceof Error) throw reply;
    return reply;
  }

  /** The SQL of every request, in order. */
  get statements(): string[] {
    return this.requests.map((r) => r.sql);
  }
}

/** An mssql `RequestError` as `request.query` rejects with it (tedious' error on `originalError`). */
export function requestError(number: number, message: string, fields: { state?: number; class?: number; lineNumber?: number } = {}): Error {
  const info = { number, state: fields.state ?? 1, class: fields.class ?? 16, lineNumber: fields.lineNumber ?? 1, serverName: "SQL1", procName: "", message };
  const original = Object.assign(new Error(message), { info, code: "EREQUEST" });
  const error = Object.assign(new Error(message), {
    name: "RequestError",
    code: "EREQUEST",
    number,
    state: info.state,
    class: info.class,
    lineNumber: info.lineNumber,
    serverName: "SQL1",
    procName: "",
  });
  Object.defineProperty(error, "originalError", { enumerable: true, value: original });
  return error;
}

/** Several messages of one batch, the way mssql reports them: the last thrown, the rest on `precedingErrors`. */
export function batchError(...errors: Error[]): Error {
  const last = errors[errors.length - 1];
  return Object.assign(last, { precedingErrors: errors.slice(0, -1) });
}

/** An mssql `ConnectionError` with a driver code, wrapping `cause` like tedious does. */
export function connectionError(code: string, message: string, cause?: Error): Error {
  const original = Object.assign(new Error(message, cause === undefined ? undefined : { cause }), { code });
  const error = Object.assign(new Error(message), { name: "ConnectionError", code });
  Object.defineProperty(error, "originalError", { enumerable: true, value: original });
  return error;
}

/** A Node system error (`ECONNREFUSED`, a TLS verification code, …). */
export function nodeError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** A sample DER certificate-looking blob (starts with SEQUENCE). */
export const SAMPLE_DER = Buffer.from("3082010A0282010100C0FFEE", "hex");

/** A sys.certificates row as mssql returns it. */
export function certificateRow(overrides: Record<string, unknown> = {}): Row {
  return {
    name: "c1",
    certificate_id: 256,
    owner_name: "dbo",
    subject: "sql1 mirroring",
    issuer_name: "sql1 mirroring",
    cert_serial_number: "5e 01",
    start_date: new Date("2025-01-01T00:00:00Z"),
    expiry_date: new Date("2030-01-01T00:00:00Z"),
    thumbprint: Buffer.from("00112233445566778899aabbccddeeff00112233", "hex"),
    pvt_key_encryption_type: "MK",
    public_certificate: SAMPLE_DER,
    ...overrides,
  };
}

/** An endpoint row (mirroring ⋈ tcp ⟕ certificates) as mssql returns it. */
export function endpointRow(overrides: Record<string, unknown> = {}): Row {
  return {
    name: "hadr",
    endpoint_id: 65536,
    owner_name: "sa",
    state_desc: "STARTED",
    port: 5022,
    ip_address: null,
    role_desc: "ALL",
    connection_auth_desc: "CERTIFICATE",
    certificate_name: "c1",
    is_encryption_enabled: true,
    encryption_algorithm_desc: "AES",
    ...overrides,
  };
}

/** A server principal row (⟕ sql_logins). */
export function loginRow(overrides: Record<string, unknown> = {}): Row {
  return {
    name: "peer_b",
    principal_id: 267,
    sid: Buffer.from("0a0b", "hex"),
    type: "S",
    is_disabled: false,
    create_date: new Date("2025-02-03T04:05:06Z"),
    is_policy_checked: true,
    is_expiration_checked: false,
    ...overrides,
  };
}

/** A database principal row (⟕ server principals on SID). */
export function userRow(overrides: Record<string, unknown> = {}): Row {
  return {
    name: "peer_b_user",
    principal_id: 5,
    type: "S",
    sid: Buffer.from("0a0b", "hex"),
    login_name: "peer_b",
    create_date: new Date("2025-02-03T04:05:06Z"),
    ...overrides,
  };
}

/** A CONNECT permission row. */
export function permissionRow(state = "G"): Row {
  return { endpoint_name: "hadr", login_name: "peer_b", state };
}
