/**
 * Makes the endpoint's listener follow the catalog. After every committed change (the engine's
 * `onCommitted`), at start and after a restart, the manager calls {@link EndpointReconciler.apply}
 * with the catalog's DATABASE_MIRRORING endpoint:
 *
 * - STARTED listens and serves; DISABLED listens but refuses every connection (9666, from the
 *   acceptance rule); STOPPED, or no endpoint, does not listen ("CREATE ENDPOINT (Transact-SQL)",
 *   STATE; the older sys.endpoints page describes the two the other way round, reference §3).
 * - The address is the instance's host. `LISTENER_IP = ALL` means that host and never a wider
 *   address; a LISTENER_IP that is not an address of the host cannot be bound (26024 + 9693).
 * - A port held by another process leaves the endpoint created but not listening (26023 + 9692).
 *   A failed bind is not retried until the endpoint's state, port or address changes (or the
 *   instance restarts).
 * - Leaving STARTED (STOPPED, DISABLED, dropped, or listening elsewhere) cuts every established
 *   connection, inbound and outbound: they all run through the endpoint. Other changes (certificate,
 *   encryption, role, permissions) leave established connections alone: connections are authorized
 *   when they are made.
 */
import * as os from "node:os";
import type { Socket } from "node:net";
import type { MirroringEndpointInfo } from "../engine/engine";
import { cannotListenLines, listeningLines, portInUseLines, stoppedListeningLines, type TransportError } from "./failures";
import { ListenError, listen, type EndpointListener } from "./listener";

/** What the listener is doing. */
export interface ListenerStatus {
  /** True while the endpoint's port is bound. */
  listening: boolean;
  /** The address bound, or attempted. */
  host?: string;
  /** The port bound, or attempted. */
  port?: number;
  /** Why an endpoint that should listen does not: 9692 (port in use) or 9693 (cannot listen, e.g. an address of another host). */
  error?: TransportError;
}

/** What the reconciler needs from the manager. */
export interface ReconcilerHooks {
  /** The instance's host (where the endpoint listens). */
  host: string;
  /** The instance's error log. */
  log(line: string): void;
  /** A socket accepted on the listener. */
  onSocket(socket: Socket): void;
  /** Cuts every established connection: the endpoint stopped serving. */
  cutAll(): void;
}

/** The address an endpoint binds: the host for ALL, the LISTENER_IP when it is one of the host's addresses, else none. */
export function bindAddress(ip: string | null, host: string): string | undefined {
  if (ip === null) return host;
  const wanted = ip.toLowerCase();
  let addresses: string[];
  if (host === "0.0.0.0" || host === "::") {
    addresses = Object.values(os.networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address));
  } else if (host.toLowerCase() === "localhost") {
    addresses = ["127.0.0.1", "::1"];
  } else {
    addresses = [host];
  }
  return addresses.some((a) => a.toLowerCase() === wanted) ? ip : undefined;
}

/** The listener side of the manager (see the module comment). */
export class EndpointReconciler {
  private listener?: EndpointListener;
  /** `id:host:port` the listener was opened for. */
  private listenerWhere?: string;
  /** `id:host:port` of the endpoint while it serves (STARTED and bound). */
  private serving?: string;
  /** `id:host:port:state` last applied, so a failed bind is not retried for an unrelated change. */
  private applied?: string;
  private current: ListenerStatus = { listening: false };

  constructor(private readonly hooks: ReconcilerHooks) {}

  /** What the listener is doing now. */
  get status(): ListenerStatus {
    return { ...this.current };
  }

  /** The endpoint's state as last applied (undefined: no endpoint). */
  endpointState?: MirroringEndpointInfo["state"];

  /** Follows `endpoint` (the catalog's, or undefined when there is none). Calls must not overlap. */
  async apply(endpoint: MirroringEndpointInfo | undefined): Promise<void> {
    this.endpointState = endpoint?.state;
    const listens = endpoint !== undefined && endpoint.state !== "STOPPED";
    const address = endpoint && listens ? bindAddress(endpoint.ip, this.hooks.host) : undefined;
    const where = endpoint ? `${endpoint.id}:${address ?? endpoint.ip}:${endpoint.port}` : undefined;
    const key = listens ? `${where}:${endpoint!.state}` : undefined;
    const serving = endpoint?.state === "STARTED" && address !== undefined ? where : undefined;

    if (this.serving !== undefined && this.serving !== serving) this.hooks.cutAll();
    if (this.listener && this.listenerWhere !== (listens ? where : undefined)) await this.closeListener();
    if (!listens) {
      this.applied = undefined;
      this.current = { listening: false };
    } else if (!this.listener && key !== this.applied) {
      this.applied = key;
      await this.open(address, endpoint!);
      if (this.listener) this.listenerWhere = where;
    }
    this.serving = this.listener ? serving : undefined;
  }

  private async open(address: string | undefined, endpoint: MirroringEndpointInfo): Promise<void> {
    if (address === undefined) {
      const { lines, error } = cannotListenLines(endpoint.ip!, endpoint.port, "EADDRNOTAVAIL");
      lines.forEach((l) => this.hooks.log(l));
      this.current = { listening: false, host: endpoint.ip!, port: endpoint.port, error };
      return;
    }
    try {
      this.listener = await listen(address, endpoint.port, (socket) => this.hooks.onSocket(socket));
      listeningLines(address, endpoint.port).forEach((l) => this.hooks.log(l));
      this.current = { listening: true, host: address, port: endpoint.port };
    } catch (e) {
      if (!(e instanceof ListenError)) throw e;
      const { lines, error } = e.code === "EADDRINUSE" ? portInUseLines(address, endpoint.port) : cannotListenLines(address, endpoint.port, e.code);
      lines.forEach((l) => this.hooks.log(l));
      this.current = { listening: false, host: address, port: endpoint.port, error };
    }
  }

  private async closeListener(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    this.listenerWhere = undefined;
    if (!listener) return;
    await listener.close();
    stoppedListeningLines().forEach((l) => this.hooks.log(l));
  }

  /** Stops listening (instance stop or restart): established connections are cut by the caller. */
  async close(): Promise<void> {
    this.serving = undefined;
    this.applied = undefined;
    this.endpointState = undefined;
    await this.closeListener();
    this.current = { listening: false };
  }
}
