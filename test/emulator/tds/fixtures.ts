/**
 * Shared test fixtures for the TDS server: a TLS certificate, a scripted fake handler that records
 * what it saw, a server factory, and mssql configurations for each encryption mode.
 */
import type * as sql from "mssql";
import { generateSelfSignedCertificate } from "../../../emulator/crypto/x509";
import type { ConnectionInfo, LoginRequest, RequestContext, SessionReply, TdsHandler, TdsSession } from "../../../emulator/tds/handler";
import { startTdsServer, type TdsServer, type TdsServerOptions } from "../../../emulator/tds/server";
import type { Column, ColumnType, SqlParameter, SqlValue, StatementOutcome } from "../../../emulator/results";

export const USER = "sa";
export const PASSWORD = "P@ssw0rd!";
export const SERVER_NAME = "EMULATED1";

/** A certificate for localhost/127.0.0.1, made once per test file. */
export async function makeCertificate(): Promise<{ key: string; cert: string }> {
  const now = Date.now();
  const c = await generateSelfSignedCertificate({
    subject: "localhost",
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(now + 86_400_000),
    altNames: ["localhost", "127.0.0.1"],
  });
  return { key: c.privateKeyPem, cert: c.certPem };
}

/** The encryption modes every client-facing behaviour is tested in. */
export const MODES = ["off", "tls-trust", "tls-ca", "strict"] as const;
export type Mode = (typeof MODES)[number];

/** The `ConnectionInfo.encryption` each mode must produce. */
export const EXPECTED_ENCRYPTION: Record<Mode, ConnectionInfo["encryption"]> = { off: "off", "tls-trust": "tls", "tls-ca": "tls", strict: "strict" };

/** mssql connection options for a mode. */
export function mssqlConfig(port: number, mode: Mode, cert: string, extra: Partial<sql.config> = {}): sql.config {
  const encryption: Record<Mode, sql.config["options"]> = {
    off: { encrypt: false },
    "tls-trust": { encrypt: true, trustServerCertificate: true },
    "tls-ca": { encrypt: true, trustServerCertificate: false, cryptoCredentialsDetails: { ca: [cert] } },
    // tedious ignores trustServerCertificate in strict mode; the CA must be given.
    strict: { encrypt: "strict" as unknown as boolean, cryptoCredentialsDetails: { ca: [cert] } },
  };
  return {
    server: "127.0.0.1",
    port,
    user: USER,
    password: PASSWORD,
    database: "appdb",
    requestTimeout: 5000,
    connectionTimeout: 5000,
    ...extra,
    options: { ...encryption[mode], ...extra.options },
    pool: { min: 0, max: 4, ...extra.pool },
  };
}

/** What the fake handler saw. */
export interface Recorded {
  logins: { request: LoginRequest; connection: ConnectionInfo }[];
  executes: { sql: string; params: SqlParameter[]; kind: RequestContext["kind"]; spid: number }[];
  transactions: { request: string; name: string; spid: number }[];
  resets: number[];
  closes: number[];
  aborted: string[];
}

/** Every ColumnType, with a value and a NULL row, for result-set tests. */
export const ALL_COLUMNS: Column[] = [
  { name: "i", type: "int" },
  { name: "bi", type: "bigint" },
  { name: "si", type: "smallint" },
  { name: "ti", type: "tinyint" },
  { name: "b", type: "bit" },
  { name: "nv", type: "nvarchar", length: 50 },
  { name: "v", type: "varchar", length: 20 },
  { name: "vb", type: "varbinary", length: 16 },
  { name: "dt2", type: "datetime2" },
  { name: "dt", type: "datetime" },
  { name: "g", type: "uniqueidentifier" },
  { name: "nvmax", type: "nvarchar" },
  { name: "vmax", type: "varchar" },
  { name: "vbmax", type: "varbinary" },
];
export const WHEN = new Date(Date.UTC(2024, 1, 29, 13, 14, 15, 123));
export const GUID = "6F9619FF-8B86-D011-B42D-00C04FC964FF";
export const ALL_VALUES: SqlValue[] = [
  -2147483648,
  9007199254740993n,
  -32768,
  255,
  true,
  "héllo ✓ 𝄞",
  "café €",
  Buffer.from([0, 1, 2, 0xff]),
  WHEN,
  WHEN,
  GUID,
  "x".repeat(10_000),
  "y".repeat(9000),
  Buffer.alloc(100 * 1024, 0xab),
];

/** Maps a parameter's declared type to a result column that can carry its value back. */
function echoColumn(p: SqlParameter): { column: Column; value: SqlValue } {
  const same: Record<string, ColumnType> = {
    int: "int", bigint: "bigint", smallint: "smallint", tinyint: "tinyint", bit: "bit", uniqueidentifier: "uniqueidentifier", datetime: "datetime",
    nvarchar: "nvarchar", nchar: "nvarchar", ntext: "nvarchar", varchar: "varchar", char: "varchar", text: "varchar",
    varbinary: "varbinary", binary: "varbinary", image: "varbinary",
    datetime2: "datetime2", date: "datetime2", time: "datetime2", datetimeoffset: "datetime2", smalldatetime: "datetime2",
  };
  const name = p.name.replace(/^@/, "");
  const type = same[p.type];
  if (type) return { column: { name, type }, value: p.value };
  // float, real, decimal, numeric, money, smallmoney: no such ColumnType, so as text.
  return { column: { name, type: "nvarchar", length: 100 }, value: p.value === null ? null : String(p.value) };
}

const sleep = (ms: number, signal: AbortSignal): Promise<boolean> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => resolve(true), ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve(false)), { once: true });
  });

/** Answers by keyword; see the cases below. */
async function answer(text: string, params: SqlParameter[], ctx: RequestContext, recorded: Recorded): Promise<SessionReply> {
  const sqlText = text.trim();
  const rows = (columns: Column[], data: SqlValue[][]): StatementOutcome => ({ kind: "rows", columns, rows: data });
  if (/^set ansi_nulls on/i.test(sqlText)) return { outcomes: [] };
  if (/^select 1;?$/i.test(sqlText)) return { outcomes: [rows([{ name: "", type: "int" }], [[1]])] };
  if (sqlText === "select types") {
    return { outcomes: [rows(ALL_COLUMNS, [ALL_VALUES, ALL_COLUMNS.map(() => null)])] };
  }
  if (sqlText.startsWith("select echo")) {
    const echoed = params.map(echoColumn);
    return { outcomes: [rows(echoed.map((e) => e.column), [echoed.map((e) => e.value)])] };
  }
  if (sqlText === "multi") {
    return {
      outcomes: [
        rows([{ name: "a", type: "int" }], [[1], [2]]),
        { kind: "info", info: { number: 50001, state: 1, class: 0, message: "between the sets", line: 2 } },
        rows([{ name: "b", type: "nvarchar", length: 5 }], [["x"]]),
        { kind: "done", rowCount: 3 },
        { kind: "done" },
      ],
    };
  }
  if (sqlText.startsWith("update")) return { outcomes: [{ kind: "done", rowCount: 3 }] };
  const err = /^raise (\d+) (\d+) (\d+) (\d+) (.*)$/.exec(sqlText);
  if (err) {
    const [, number, state, cls, line, message] = err;
    return { outcomes: [{ kind: "error", error: { number: +number!, state: +state!, class: +cls!, line: +line!, message: message!, procName: "" } }] };
  }
  if (sqlText === "two errors") {
    return {
      outcomes: [
        { kind: "error", error: { number: 2627, state: 1, class: 14, line: 3, message: "Violation of PRIMARY KEY constraint." } },
        { kind: "error", error: { number: 3621, state: 0, class: 0, line: 3, message: "The statement has been terminated." } },
      ],
    };
  }
  if (/^begin tran/i.test(sqlText)) return { outcomes: [{ kind: "transaction", event: "begin" }, { kind: "done" }] };
  if (/^commit/i.test(sqlText)) return { outcomes: [{ kind: "transaction", event: "commit" }, { kind: "done" }] };
  if (/^rollback/i.test(sqlText)) return { outcomes: [{ kind: "transaction", event: "rollback" }, { kind: "done" }] };
  if (/^use (\w+)/i.test(sqlText)) {
    const db = /^use (\w+)/i.exec(sqlText)![1]!;
    return {
      outcomes: [
        { kind: "database", name: db, previous: "appdb" },
        { kind: "info", info: { number: 5701, state: 1, class: 0, message: `Changed database context to '${db}'.`, line: 1 } },
        { kind: "done" },
      ],
    };
  }
  const wait = /^waitfor (\d+)(?: then begin)?/i.exec(sqlText);
  if (wait) {
    const finished = await sleep(+wait[1]!, ctx.signal);
    if (!finished) recorded.aborted.push(sqlText);
    const tx: StatementOutcome[] = /then begin/.test(sqlText) ? [{ kind: "transaction", event: "begin" }] : [];
    return { outcomes: [...tx, rows([{ name: "waited", type: "bit" }], [[finished]])] };
  }
  if (sqlText === "ignore cancel") {
    await new Promise((r) => setTimeout(r, 1500));
    return { outcomes: [rows([{ name: "late", type: "int" }], [[1]])] };
  }
  if (sqlText === "throw") throw new Error("kaboom");
  if (sqlText === "disconnect") return { outcomes: [], disconnect: true };
  if (sqlText === "bad value") return { outcomes: [rows([{ name: "n", type: "int" }], [["not a number"]])] };
  if (sqlText === "not an array") return { outcomes: "nope" } as unknown as SessionReply;
  return { outcomes: [{ kind: "error", error: { number: 208, state: 1, class: 16, line: 1, message: `Invalid object name '${sqlText}'.` } }] };
}

/** A handler scripted by keyword that records every call. */
export function fakeHandler(): { handler: TdsHandler; recorded: Recorded } {
  const recorded: Recorded = { logins: [], executes: [], transactions: [], resets: [], closes: [], aborted: [] };
  const handler: TdsHandler = {
    async login(request, connection) {
      recorded.logins.push({ request, connection });
      if (request.userName !== USER || request.password !== PASSWORD) {
        return { error: { number: 18456, state: 1, class: 14, line: 1, message: `Login failed for user '${request.userName}'.` } };
      }
      const spid = connection.spid;
      const session: TdsSession = {
        execute: (sqlText, params, ctx) => {
          recorded.executes.push({ sql: sqlText, params, kind: ctx.kind, spid });
          return answer(sqlText, params, ctx, recorded);
        },
        async transaction(request, name) {
          recorded.transactions.push({ request, name, spid });
          if (name === "fail") return { outcomes: [{ kind: "error", error: { number: 3903, state: 1, class: 16, line: 1, message: "The ROLLBACK TRANSACTION request has no corresponding BEGIN TRANSACTION." } }] };
          return { outcomes: [] };
        },
        reset: () => void recorded.resets.push(spid),
        close: () => void recorded.closes.push(spid),
      };
      return { session, database: request.database || "master" };
    },
  };
  return { handler, recorded };
}

/** Starts a server on 127.0.0.1 with the fake handler. */
export async function startFakeServer(
  tls: { key: string; cert: string },
  overrides: Partial<TdsServerOptions> = {},
): Promise<{ server: TdsServer; recorded: Recorded; logs: string[] }> {
  const { handler, recorded } = fakeHandler();
  const logs: string[] = [];
  const server = await startTdsServer({ serverName: SERVER_NAME, tls, handler, log: (l) => logs.push(l), ...overrides });
  return { server, recorded, logs };
}

/** Polls until `check` is true; fails after `ms`. */
export async function waitFor(check: () => boolean, ms = 3000, what = "condition"): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
