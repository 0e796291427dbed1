/**
 * The seam to the `mssql` driver. It is `require`d lazily, inside a function, so that code
 * referring to the SQL layer can be closure-serialized by Pulumi without dragging the driver along
 * (the type-only import below is erased); tests substitute a fake through the same seam.
 */
import Module from "node:module";
import * as path from "node:path";
import type * as mssql from "mssql";

/** The part of the `mssql` module the SQL layer uses; tests substitute a fake. */
export interface MssqlDriver {
  /** `new ConnectionPool(config)`: a pool that logs in lazily, after `connect()`. */
  ConnectionPool: new (config: mssql.config) => DriverPool;
  /** The `nvarchar(n)` parameter type. */
  NVarChar: (length: number) => unknown;
  /** The `varbinary(n)` parameter type. */
  VarBinary: (length: number) => unknown;
  /** The `int` parameter type. */
  Int: unknown;
  /** The `bit` parameter type. */
  Bit: unknown;
}

/** The part of `mssql.ConnectionPool` the SQL layer uses. */
export interface DriverPool {
  /** Opens the pool (mssql logs in once to probe the configuration; see {@link keepProbeConnection}). */
  connect(): Promise<unknown>;
  /** Closes every connection of the pool. */
  close(): Promise<unknown>;
  /** A new request on a pooled connection. */
  request(): DriverRequest;
  /** `'error'`: an idle pooled connection failed. */
  on(event: "error", listener: (error: unknown) => void): unknown;
}

/** The part of `mssql.Request` the SQL layer uses. */
export interface DriverRequest {
  /** Declares the parameter `@name`. */
  input(name: string, type: unknown, value: unknown): unknown;
  /** Sends `sql` with the declared parameters as one `sp_executesql` call. */
  query(sql: string): Promise<{ recordsets: unknown }>;
}

let driverOverride: MssqlDriver | undefined;

/**
 * Replaces the `mssql` module (pass undefined to restore it). Internal: for tests only.
 * @internal
 */
export function setMssqlDriverForTests(driver: MssqlDriver | undefined): void {
  driverOverride = driver;
}

/** The `mssql` module (or the test substitute), loaded on first use. */
export function loadDriver(): MssqlDriver {
  if (driverOverride !== undefined) return driverOverride;
  deferAzureIdentity();
  // Lazy on purpose (see the module comment). The cast narrows the untyped require.
  return require("mssql") as MssqlDriver;
}

/** mssql's pool internals that {@link keepProbeConnection} relies on (mssql 8–12). */
interface PoolInternals {
  _poolCreate?: () => Promise<unknown>;
  _poolDestroy?: (connection: unknown) => Promise<unknown>;
}

/**
 * mssql's `connect()` logs in once to probe the configuration, closes that connection, and the
 * pool then logs in again for its first request: two TLS handshakes and logins before the first
 * query, and one more login per instance than the pool holds. This hands the probe connection to
 * the pool as its first connection instead. When mssql's internals are not as expected, the pool
 * works as before (with the extra login).
 */
export function keepProbeConnection(pool: DriverPool): void {
  const internals = pool as DriverPool & PoolInternals;
  if (typeof internals._poolCreate !== "function" || typeof internals._poolDestroy !== "function") return;
  const create = internals._poolCreate.bind(pool);
  const destroy = internals._poolDestroy.bind(pool);
  let phase: "probing" | "kept" | "done" = "probing";
  let probe: unknown;
  const take = (): unknown => {
    const connection = probe;
    probe = undefined;
    phase = "done";
    return connection;
  };
  // connect(): create (the probe), then destroy it — keep it instead…
  internals._poolDestroy = (connection) => {
    if (phase !== "probing") return destroy(connection);
    phase = "kept";
    probe = connection;
    return Promise.resolve();
  };
  // …and give it to the pool when it creates its first connection (validated on acquire as usual).
  internals._poolCreate = () => (phase === "kept" ? Promise.resolve(take()) : create());
  // Closed before the pool took it: close it too.
  const close = pool.close.bind(pool);
  pool.close = () => {
    if (phase === "kept") void destroy(take()).catch(() => undefined);
    return close();
  };
}

let azureDeferred = false;

/**
 * tedious requires `@azure/identity` and `@azure/core-auth` (Azure AD authentication) when it
 * loads: most of its load time (~0.1–0.4 s, in every provider process of every Pulumi command
 * that talks to SQL Server) and much of its memory, although SQL logins never use them. Stand-ins
 * in the module cache load the real modules on first use instead, so only a connection that
 * authenticates with Azure AD pays for them. When the layout is not as expected (or a module is
 * already loaded) nothing changes.
 */
function deferAzureIdentity(): void {
  if (azureDeferred) return;
  azureDeferred = true;
  let tedious: string;
  try {
    tedious = require.resolve("tedious", { paths: [path.dirname(require.resolve("mssql"))] });
  } catch {
    return; /* not resolvable from here: tedious loads them as usual */
  }
  for (const name of ["@azure/identity", "@azure/core-auth"]) {
    try {
      deferModule(require.resolve(name, { paths: [path.dirname(tedious)] }));
    } catch {
      /* not resolvable from here: tedious loads it as usual */
    }
  }
}

/** Puts a stand-in for the module at `filename` in the module cache that loads it on first use. */
function deferModule(filename: string): void {
  if (require.cache[filename] !== undefined) return;
  let real: Record<string | symbol, unknown> | undefined;
  const load = (): Record<string | symbol, unknown> => {
    if (real === undefined) {
      if (require.cache[filename] === stub) delete require.cache[filename];
      real = require(filename) as Record<string | symbol, unknown>;
    }
    return real;
  };
  const stub = new Module(filename);
  stub.filename = filename;
  stub.loaded = true;
  stub.exports = new Proxy(
    {},
    {
      get: (_target, key) => load()[key],
      has: (_target, key) => key in load(),
      ownKeys: () => Reflect.ownKeys(load()),
      getOwnPropertyDescriptor: (_target, key) => {
        const descriptor = Reflect.getOwnPropertyDescriptor(load(), key);
        return descriptor === undefined ? undefined : { ...descriptor, configurable: true };
      },
    },
  );
  require.cache[filename] = stub;
}

