/**
 * `pulumi-mssql-mirroring/emulator`: a SQL Server stand-in that speaks real TDS 7.4 and implements
 * the security catalog of `master` that database-mirroring / Always On endpoints with certificate
 * authentication need. For tests, demos and offline CI; see emulator/README.md for the exact
 * T-SQL subset and every assumption made where Microsoft's documentation is silent.
 */
import { checkHandshake as checkEngines, type CheckHandshakeOptions, type HandshakeResult } from "./engine/engine";
import type { EmulatorInstance } from "./instance";

export { startEmulator, type EmulatorInstance, type EmulatorOptions, type EmulatorCounters, type EmulatorFaults } from "./instance";
export type { CatalogSnapshot, CheckHandshakeOptions, DatabaseInfo, DatabaseLayer, HandshakeResult, InjectedError, SessionRole } from "./engine/engine";

/**
 * Would instance `from` be accepted by instance `to` on a mirroring / availability-group
 * connection authenticated by certificates? `{ ok: true }`, or the error a real SQL Server error
 * log would show (e.g. 28034 when the peer's login lacks CONNECT on the endpoint).
 */
export function checkHandshake(from: EmulatorInstance, to: EmulatorInstance, options?: CheckHandshakeOptions): HandshakeResult {
  return checkEngines(from.engine, to.engine, options);
}
