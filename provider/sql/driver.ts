/**
 * The seam to the `mssql` driver. It is `require`d lazily, inside a function, so that code
 * referring to the SQL layer can be closure-serialized by Pulumi without dragging the driver along
 * (the type-only import below is erased); tests substitute a fake through the same seam.
 */
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
  /** Opens the pool (mssql logs in once to probe the configuration). */
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
  // Lazy on purpose (see the module comment). The cast narrows the untyped require.
  return driverOverride ?? (require("mssql") as MssqlDriver);
}
