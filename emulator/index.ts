/**
 * `pulumi-mssql-mirroring/emulator`: a SQL Server stand-in that speaks real TDS 7.4 and implements
 * the security catalog of `master` that database-mirroring / Always On endpoints with certificate
 * authentication need. For tests, demos and offline CI; see emulator/README.md for the exact
 * T-SQL subset and every assumption made where Microsoft's documentation is silent.
 */
import { messageText } from "./engine/errors";
import { ENDPOINT_KIND } from "./engine/handshake";
import type { CheckHandshakeOptions, HandshakeResult } from "./engine/engine";
import type { EmulatorInstance } from "./instance";

export { startEmulator, type EmulatorInstance, type EmulatorOptions, type EmulatorCounters, type EmulatorFaults } from "./instance";
export type { CatalogSnapshot, CheckHandshakeOptions, DatabaseInfo, DatabaseLayer, HandshakeResult, InjectedError, MirroringConnectionRow, SessionRole } from "./engine/engine";
export {
  ConnectionManager,
  EndpointConnection,
  Link,
  type CloseReason,
  type ConnectOptions,
  type ConnectResult,
  type LinkOptions,
  type LinkState,
  type LinkStatus,
  type ListenerStatus,
  type Message,
  type PeerInfo,
  type TransportError,
} from "./hadr/manager";

/** Options of {@link checkHandshake}. */
export interface HandshakeCheckOptions extends CheckHandshakeOptions {
  /** Bound on connecting and on each handshake step, in ms. Default 5000. */
  timeoutMs?: number;
}

/**
 * Would instance `from` be accepted by `to` on a mirroring / availability-group connection
 * authenticated by certificates? A real connection attempt from `from`'s endpoint to `to`'s
 * (`to.hadr.endpointUrl`, or a `TCP://host:port` URL), closed once the handshake is over. Resolves
 * to `{ ok: true }`, or the error the failing side's error log shows: a refusal by `to` (e.g. 28034
 * when the login behind `from`'s certificate lacks CONNECT), a failure on `from` (e.g. 28023 when
 * its certificate has expired), or 1474 when nothing accepts connections at that address (a
 * stopped or dropped endpoint, a port taken by another program, a wrong URL). `options.at` sets the
 * moment of `from`'s own certificate checks; `to` judges by its own clock.
 */
export async function checkHandshake(from: EmulatorInstance, to: EmulatorInstance | string, options: HandshakeCheckOptions = {}): Promise<HandshakeResult> {
  const url = typeof to === "string" ? to : to.hadr.endpointUrl;
  // No endpoint was ever created on `to`: there is no address to connect to.
  if (url === undefined) return { ok: false, error: { number: 28080, message: messageText(28080, ENDPOINT_KIND, 2) } };
  return from.hadr.probe(url, options);
}
