/**
 * The connection manager of one emulated instance: its DATABASE_MIRRORING endpoint's listener, the
 * connections made through that endpoint in both directions, and the links the higher layers
 * (availability groups, mirroring sessions) keep to their peers. Reached as `instance.hadr`.
 *
 * ```ts
 * const link = a.hadr.openLink(b.hadr.endpointUrl!, { role: "replica" });
 * await link.waitFor("connected");
 * b.hadr.onConnection((c) => c.onMessage((m) => console.log(c.peer.serverName, m.channel, m.body.toString())));
 * link.send("heartbeat", "1");
 * link.close();
 * ```
 *
 * Rules (emulator/README.md "Endpoints, connections and the handshake" cites each):
 * - The endpoint listens on the instance's host only, following the catalog after every committed
 *   change ({@link EndpointReconciler}).
 * - One connection authenticates its initiator to its acceptor ({@link acceptHandshake}); each
 *   instance opens its own connections to the peers it needs. Either side may then send messages.
 * - Connections are authorized when they are made: revoking CONNECT, dropping the peer certificate
 *   or the certificate's expiry does not cut an established connection; the next attempt fails.
 * - Cuts: the local endpoint leaving STARTED (or dropped, or moved), the instance's stop or restart,
 *   `faults.dropEndpointConnections()`, `close()` of a connection or link, or the peer doing any of these.
 * - Every wait is bounded (connect and handshake timeouts, backoff up to `retry.maxMs`), timers are
 *   unref'd, and {@link ConnectionManager.close} (the instance's `stop()`) ends all of it.
 */
import { randomUUID } from "node:crypto";
import * as net from "node:net";
import type { Engine, HandshakeResult, MirroringConnectionRow } from "../engine/engine";
import { EndpointConnection } from "./connection";
import { connectFailed, connectionErrorLine, localFailureLine, type TransportError } from "./failures";
import { Link, type ConnectOptions, type ConnectResult, type LinkHost, type LinkOptions } from "./link";
import { acceptHandshake, HANDSHAKE_MAX_FRAME_BYTES, initiateHandshake, sendAccept } from "./protocol";
import { EndpointReconciler, type ListenerStatus } from "./reconcile";
import { formatEndpointUrl, parseEndpointUrl } from "./url";
import { Wire } from "./wire";

export { EndpointConnection, type CloseReason, type PeerInfo } from "./connection";
export type { Message } from "./framing";
export { Link, type ConnectOptions, type ConnectResult, type LinkOptions, type LinkState, type LinkStatus } from "./link";
export type { ListenerStatus } from "./reconcile";
export type { TransportError } from "./failures";

/** Options of a {@link ConnectionManager}. */
export interface ConnectionManagerOptions {
  /** The instance's @@SERVERNAME (announced in handshakes). */
  serverName: string;
  /** The instance's host: where its endpoint listens and what its endpoint URL names. */
  host: string;
  /** The instance's error log. Default: discarded. */
  log?: (line: string) => void;
  /** The instance's clock (connection and link timestamps). Default: the system clock. */
  now?: () => Date;
  /** Default bound on connecting and on each handshake step, ms. Default 5000. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5000;

/** See the module comment. */
export class ConnectionManager {
  private engine?: Engine;
  private unsubscribe?: () => void;
  private running = false;
  private stopped = false;
  private reconciling: Promise<void> = Promise.resolve();
  private readonly reconciler: EndpointReconciler;
  private readonly established = new Set<EndpointConnection>();
  private readonly handshaking = new Set<net.Socket>();
  private readonly openLinks = new Set<Link>();
  private readonly connectionHandlers = new Set<(connection: EndpointConnection) => void>();
  private runningWaiters: Array<(running: boolean) => void> = [];
  private lastUrl?: string;
  private readonly log: (line: string) => void;
  private readonly clock: () => Date;
  private readonly timeoutMs: number;
  private readonly linkHost: LinkHost;

  constructor(private readonly options: ConnectionManagerOptions) {
    this.log = options.log ?? (() => undefined);
    this.clock = options.now ?? (() => new Date());
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.reconciler = new EndpointReconciler({
      host: options.host,
      log: this.log,
      onSocket: (socket) => void this.accept(socket),
      cutAll: () => this.cutAll("endpoint"),
    });
    this.linkHost = {
      connect: (url, o) => this.connect(url, o),
      whenRunning: () => this.whenRunning(),
      now: this.clock,
      forget: (link) => this.openLinks.delete(link),
    };
  }

  /**
   * (Re)starts on `engine` (the instance's start, or the end of a restart): follows its catalog from
   * now on and applies it once. Resolves once the listener is as the catalog says.
   */
  async attach(engine: Engine): Promise<void> {
    if (this.stopped) throw new Error("the connection manager is closed");
    this.unsubscribe?.();
    this.engine = engine;
    this.unsubscribe = engine.onCommitted(() => this.reconcile());
    this.running = true;
    for (const wake of this.runningWaiters.splice(0)) wake(true);
    await this.reconcile();
  }

  /** The local endpoint's URL, `TCP://<host>:<port>`; after a DROP ENDPOINT, the last one it had; undefined if it never had one. */
  get endpointUrl(): string | undefined {
    const e = this.engine?.mirroringEndpoint();
    if (e) this.lastUrl = formatEndpointUrl(this.options.host, e.port);
    return this.lastUrl;
  }

  /** Whether the endpoint listens, where, and why not when it cannot. */
  get listener(): ListenerStatus {
    return this.reconciler.status;
  }

  /** Established connections, both directions. */
  get connections(): readonly EndpointConnection[] {
    return [...this.established];
  }

  /** Open links. */
  get links(): readonly Link[] {
    return [...this.openLinks];
  }

  /**
   * One connection attempt from this instance's endpoint to `url`. Checks the local side first (no
   * network traffic when the own endpoint or certificate cannot be used: 28080, 9666, 28027,
   * 28036, 28037, 28022 / 28023), then connects (1474 when it cannot), runs the handshake and
   * resolves with the established connection — the caller owns it and closes it — or the refusal.
   * Throws a TypeError for a malformed URL or a witness addressing a witness, and an Error while the
   * instance is stopped or restarting.
   */
  async connect(url: string, options: ConnectOptions = {}): Promise<ConnectResult> {
    const role = options.role ?? "replica";
    const peerRole = options.peerRole ?? "partner";
    if (role === "witness" && peerRole === "witness") throw new TypeError("a witness only connects to partners (peerRole must be 'partner')");
    const address = parseEndpointUrl(url);
    const engine = this.requireRunning();
    const credentials = engine.endpointCredentials(options.at);
    if (!credentials.ok) {
      this.log(localFailureLine(credentials.error, url));
      return credentials;
    }
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const connectTime = this.clock();
    const socket = net.connect({ host: address.host, port: address.port });
    this.handshaking.add(socket);
    try {
      const connected = await this.connected(socket, timeoutMs);
      if (!connected.ok) return this.transportFailure(connectFailed(url, connected.code));
      const wire = new Wire(socket, HANDSHAKE_MAX_FRAME_BYTES, this.clock);
      const outcome = await initiateHandshake(wire, {
        engine: () => this.engine!,
        serverName: this.options.serverName,
        timeoutMs,
        url,
        role,
        peerRole,
        ...(options.at !== undefined ? { at: options.at } : {}),
      });
      if (!outcome.ok) return outcome.error.number === 1474 ? this.transportFailure(outcome.error) : outcome;
      if (!this.running || this.reconciler.endpointState !== "STARTED") {
        // The local endpoint stopped (or the instance) while the handshake ran.
        wire.destroy();
        return { ok: false, error: credentialsError(this.engine?.endpointCredentials(options.at)) ?? connectFailed(url, "ECONNRESET") };
      }
      const connection = new EndpointConnection(wire, "outbound", outcome.established, url, connectTime, this.clock(), randomUUID().toUpperCase());
      this.register(connection);
      return { ok: true, connection };
    } finally {
      this.handshaking.delete(socket);
    }
  }

  /** {@link connect}, then closes the connection: would `url` accept this instance now? */
  async probe(url: string, options: ConnectOptions = {}): Promise<HandshakeResult> {
    const result = await this.connect(url, options);
    if (!result.ok) return { ok: false, error: { number: result.error.number, message: result.error.message } };
    result.connection.close();
    return { ok: true };
  }

  /** Opens a link to `url`: connected as soon as it can be, and again after every cut, until closed. */
  openLink(url: string, options: LinkOptions = {}): Link {
    parseEndpointUrl(url);
    if (options.role === "witness" && options.peerRole === "witness") throw new TypeError("a witness only connects to partners (peerRole must be 'partner')");
    if (this.stopped) throw new Error("the instance is stopped");
    const link = new Link(this.linkHost, url, options);
    this.openLinks.add(link);
    return link;
  }

  /** Calls `handler` for every connection another instance opens to this one, once established. Returns the unsubscribe function. */
  onConnection(handler: (connection: EndpointConnection) => void): () => void {
    this.connectionHandlers.add(handler);
    return () => this.connectionHandlers.delete(handler);
  }

  /** Fault hook: cuts every established connection now (links reconnect on their own). Returns how many were cut. */
  dropConnections(): number {
    return this.cutAll("fault");
  }

  /** The rows of `sys.dm_db_mirroring_connections`. */
  connectionRows(): MirroringConnectionRow[] {
    return [...this.established].map((c) => c.row());
  }

  /**
   * The instance is restarting: stops listening, cuts every connection and handshake; links wait
   * and reconnect after {@link attach}.
   */
  async suspend(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await this.reconciling;
    this.cutAll("instance");
    await this.reconciler.close();
  }

  /** The instance stops: {@link suspend}, and every link is closed for good. */
  async close(): Promise<void> {
    this.stopped = true;
    await this.suspend();
    const links = [...this.openLinks];
    for (const link of links) link.close();
    for (const wake of this.runningWaiters.splice(0)) wake(false);
    await Promise.all(links.map((l) => l.done));
  }

  private reconcile(): Promise<void> {
    this.reconciling = this.reconciling
      .then(async () => {
        if (!this.running || !this.engine) return;
        const endpoint = this.engine.mirroringEndpoint();
        if (endpoint) this.lastUrl = formatEndpointUrl(this.options.host, endpoint.port);
        await this.reconciler.apply(endpoint);
        // An endpoint that (again) serves: waiting links try now rather than at the end of their backoff.
        if (endpoint?.state === "STARTED") for (const link of this.openLinks) if (!link.connected) link.retryNow();
      })
      .catch((e: unknown) => this.log(`endpoint listener: ${e instanceof Error ? e.message : String(e)}`));
    return this.reconciling;
  }

  private requireRunning(): Engine {
    if (!this.running || !this.engine) throw new Error(this.stopped ? "the instance is stopped" : "the instance is restarting");
    return this.engine;
  }

  private whenRunning(): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    if (this.running) return Promise.resolve(true);
    return new Promise((resolve) => this.runningWaiters.push(resolve));
  }

  private transportFailure(error: TransportError): ConnectResult {
    this.log(connectionErrorLine(error));
    return { ok: false, error };
  }

  private connected(socket: net.Socket, timeoutMs: number): Promise<{ ok: true } | { ok: false; code: string | undefined }> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish({ ok: false, code: "ETIMEDOUT" }), timeoutMs);
      timer.unref();
      const onError = (e: NodeJS.ErrnoException) => finish({ ok: false, code: e.code });
      // destroy() by suspend / close while connecting.
      const onClose = () => finish({ ok: false, code: "ECONNRESET" });
      function finish(result: { ok: true } | { ok: false; code: string | undefined }): void {
        clearTimeout(timer);
        socket.off("error", onError);
        socket.off("close", onClose);
        socket.off("connect", onConnect);
        if (!result.ok) socket.destroy();
        resolve(result);
      }
      const onConnect = () => finish({ ok: true });
      socket.once("error", onError);
      socket.once("close", onClose);
      socket.once("connect", onConnect);
    });
  }

  private async accept(socket: net.Socket): Promise<void> {
    if (!this.running || !this.engine) {
      socket.destroy();
      return;
    }
    const connectTime = this.clock();
    const client = socket.remoteAddress ?? "unknown";
    const peerUrl = formatEndpointUrl(client, socket.remotePort ?? 0);
    const wire = new Wire(socket, HANDSHAKE_MAX_FRAME_BYTES, this.clock);
    const outcome = await acceptHandshake(wire, { engine: () => this.engine!, serverName: this.options.serverName, timeoutMs: this.timeoutMs, client, log: this.log });
    if (!outcome.ok) return;
    if (!this.running || this.reconciler.endpointState !== "STARTED" || wire.closed) {
      wire.destroy();
      return;
    }
    const connection = new EndpointConnection(wire, "inbound", outcome.established, peerUrl, connectTime, this.clock(), randomUUID().toUpperCase());
    this.register(connection);
    sendAccept(wire, outcome.established);
    for (const handler of [...this.connectionHandlers]) handler(connection);
  }

  private register(connection: EndpointConnection): void {
    this.established.add(connection);
    connection.onClose(() => this.established.delete(connection));
  }

  private cutAll(reason: "endpoint" | "instance" | "fault"): number {
    const all = [...this.established];
    for (const c of all) c.cut(reason);
    if (reason !== "fault") for (const socket of this.handshaking) socket.destroy();
    return all.length;
  }
}

function credentialsError(c: ReturnType<Engine["endpointCredentials"]> | undefined): TransportError | undefined {
  return c && !c.ok ? c.error : undefined;
}
