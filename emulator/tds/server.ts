/**
 * The TDS 7.4 listener: accepts TCP connections on one port and serves each with a
 * {@link TdsConnection}, whichever encryption the client picks (plaintext, TLS inside PRELOGIN,
 * or TDS 8.0 strict TLS).
 */
import * as net from "node:net";
import { TdsConnection } from "./connection";
import type { TdsHandler } from "./handler";
import type { ServerVersion } from "./prelogin";
import { createTlsContexts } from "./tls";

/** Options of {@link startTdsServer}. */
export interface TdsServerOptions {
  /** Address to listen on. Default `127.0.0.1`: the emulator is never reachable from elsewhere unless asked. */
  host?: string;
  /** TCP port; default 0 (any free port, see {@link TdsServer.port}). */
  port?: number;
  /** Server name shown in ERROR/INFO tokens (their ServerName field), as `@@SERVERNAME` would be. */
  serverName: string;
  /** PEM private key and certificate for `encrypt: true` and `encrypt: 'strict'`. */
  tls: { key: string; cert: string };
  /** Answers logins and runs requests. */
  handler: TdsHandler;
  /** Version sent in PRELOGIN VERSION and LOGINACK; default 16.0.1000 (SQL Server 2022 RTM). */
  version?: ServerVersion;
  /**
   * Largest client message in bytes (summed over its packets). A client that sends more is
   * disconnected. Default 64 MiB.
   */
  maxMessageBytes?: number;
  /**
   * How long a cancelled request's handler may run on before the cancel is acknowledged without
   * waiting for it; default 2000 ms (tedious gives up on a cancel after 5000 ms).
   */
  attentionGraceMs?: number;
  /**
   * A connection that has not completed PRELOGIN, TLS and LOGIN7 within this many milliseconds is
   * closed, so half-open or silent clients do not hold sockets forever. Default 30 000.
   */
  loginTimeoutMs?: number;
  /** Receives one line per notable event (protocol violations, dropped connections); default: silent. */
  log?: (line: string) => void;
}

/** A running server. */
export interface TdsServer {
  /** Address it listens on. */
  readonly host: string;
  /** Port it listens on (the real one when 0 was asked for). */
  readonly port: number;
  /** Open client connections. */
  connectionCount(): number;
  /** Destroys every open connection at once (fault injection); the listener keeps accepting. */
  dropAllConnections(): void;
  /** Stops listening and destroys every connection. */
  close(): Promise<void>;
}

const DEFAULT_VERSION: ServerVersion = { major: 16, minor: 0, build: 1000 };
const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
const DEFAULT_ATTENTION_GRACE_MS = 2000;
const DEFAULT_LOGIN_TIMEOUT_MS = 30_000;
/** SQL Server numbers user sessions from 51; 52 and up is what clients usually see. */
const FIRST_SPID = 52;
const LAST_SPID = 32767;

/** Starts listening; resolves once the port is bound. */
export async function startTdsServer(options: TdsServerOptions): Promise<TdsServer> {
  const host = options.host ?? "127.0.0.1";
  const connections = new Set<TdsConnection>();
  let nextSpid = FIRST_SPID;
  let nextTransaction = 1n;
  const settings = {
    serverName: options.serverName,
    version: options.version ?? DEFAULT_VERSION,
    handler: options.handler,
    tls: createTlsContexts(options.tls.key, options.tls.cert),
    maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    attentionGraceMs: options.attentionGraceMs ?? DEFAULT_ATTENTION_GRACE_MS,
    loginTimeoutMs: options.loginTimeoutMs ?? DEFAULT_LOGIN_TIMEOUT_MS,
    newTransactionDescriptor: (): Buffer => {
      const descriptor = Buffer.alloc(8);
      descriptor.writeBigUInt64LE(nextTransaction++);
      return descriptor;
    },
    log: options.log ?? ((): void => undefined),
  };

  const server = net.createServer((socket) => {
    const spid = nextSpid;
    nextSpid = nextSpid >= LAST_SPID ? FIRST_SPID : nextSpid + 1;
    const connection = new TdsConnection(socket, spid, settings, () => connections.delete(connection));
    connections.add(connection);
  });
  // A listener error after startup (rare: e.g. EMFILE on accept) must not crash the process.
  server.on("error", (error) => settings.log(`listener: ${error.message}`));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as net.AddressInfo;

  const dropAll = (): void => {
    for (const connection of [...connections]) connection.destroy();
  };
  return {
    host,
    port: address.port,
    connectionCount: () => connections.size,
    dropAllConnections: dropAll,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      dropAll();
      await closed;
    },
  };
}
