/**
 * The contract between the TDS server (wire protocol only) and whatever answers the requests.
 * The server never interprets SQL; the handler never sees bytes.
 */
import type { BatchOutcome, SqlMessage, SqlParameter } from "../results";

/** Facts about one client connection, fixed after PRELOGIN/TLS. */
export interface ConnectionInfo {
  /** Server process id given to this connection (52, 53, …), as SQL Server numbers user sessions. */
  spid: number;
  /** The client's IP address. */
  remoteAddress: string;
  /** The client's TCP port. */
  remotePort: number;
  /** `off` = plaintext, `tls` = TLS negotiated inside PRELOGIN (encrypt: true), `strict` = TDS 8.0. */
  encryption: "off" | "tls" | "strict";
}

/** The fields of LOGIN7 a handler needs (the password already de-obfuscated). */
export interface LoginRequest {
  /** LOGIN7 UserName: the SQL login. */
  userName: string;
  /** LOGIN7 Password, de-obfuscated. Never log it. */
  password: string;
  /** Initial database requested by the client ('' when none). */
  database: string;
  /** LOGIN7 AppName (mssql sends `node-mssql`). */
  appName: string;
  /** LOGIN7 HostName: the client machine. */
  hostName: string;
  /** LOGIN7 ServerName: the server name the client asked for. */
  serverName: string;
  /** LOGIN7 Language ('' for the server default). */
  language: string;
  /** Requested packet size in bytes. */
  packetSize: number;
}

/** Per-request facts passed to the session. */
export interface RequestContext {
  /** `batch` = SQL_BATCH, `rpc` = sp_executesql. */
  kind: "batch" | "rpc";
  /** Aborted when the client sends ATTENTION (cancel / request timeout). */
  signal: AbortSignal;
}

/** A logged-in session. Requests on one connection are strictly sequential (no MARS). */
export interface TdsSession {
  /**
   * Runs a SQL batch, or the statement of an `sp_executesql` call with its typed parameters.
   * A thrown error is reported to the client as error 50000 and the connection stays usable.
   */
  execute(sql: string, params: SqlParameter[], ctx: RequestContext): Promise<SessionReply>;
  /** A TRANSACTION_MANAGER request (mssql's `Transaction.begin/commit/rollback`). */
  transaction(request: "begin" | "commit" | "rollback" | "save", name: string, ctx: RequestContext): Promise<SessionReply>;
  /** The client set RESETCONNECTION: roll back any transaction and restore session defaults. */
  reset(): void;
  /** The connection closed (either side). Roll back anything open. */
  close(): void;
}

/** What a session returns for one request. */
export interface SessionReply extends BatchOutcome {
  /** Close the connection instead of replying (fault injection: connection lost mid-request). */
  disconnect?: boolean;
}

/** Answers LOGIN7. */
export interface TdsHandler {
  /**
   * Authenticates a login. On success the server replies LOGINACK and uses the session for every
   * later request on the connection; on failure it sends the error (18456, class 14) and closes.
   */
  login(request: LoginRequest, connection: ConnectionInfo): Promise<{ session: TdsSession; database: string } | { error: SqlMessage }>;
}
