/**
 * A link: an outbound endpoint connection an instance wants to keep. While the link is open it
 * connects, and after every refusal or cut connects again, waiting between attempts with a bounded
 * exponential backoff; its state says whether it is connected and, when not, the last error (number
 * and text) with timestamps. Messages are sent over whichever connection is current; handlers stay
 * subscribed across reconnections.
 */
import type { EndpointConnection, CloseReason } from "./connection";
import { receiveFailed, type TransportError } from "./failures";
import type { Message } from "./framing";
import type { SessionRole } from "../engine/engine";

/** Options of one connection attempt. */
export interface ConnectOptions {
  /** The role this instance plays: `replica` (availability group, default), `partner` or `witness` (database mirroring). */
  role?: SessionRole;
  /** The role the peer plays in database mirroring: `partner` (default) or `witness`. */
  peerRole?: "partner" | "witness";
  /** The moment for this instance's own certificate checks. Default: the instance's clock. For tests. */
  at?: Date;
  /** Bound on connecting and on each handshake step, ms. Default: the manager's (5000). */
  timeoutMs?: number;
}

/** Result of one attempt. */
export type ConnectResult = { ok: true; connection: EndpointConnection } | { ok: false; error: TransportError };

/** Options of a link. */
export interface LinkOptions extends ConnectOptions {
  /**
   * Backoff between failed attempts: `initialMs` after the first failure (default 100), doubling up
   * to `maxMs` (default 2000). After a cut the first new attempt waits `initialMs`.
   */
  retry?: { initialMs?: number; maxMs?: number };
}

/** Where a link stands. */
export type LinkStatus = "connecting" | "connected" | "disconnected" | "closed";

/** A link's state; times are the instance's clock. */
export interface LinkState {
  status: LinkStatus;
  /** When `status` last changed. */
  since: Date;
  /** Connection attempts made so far. */
  attempts: number;
  /** When the current (or last) connection was established. */
  connectedAt?: Date;
  /** When the last connection ended. */
  disconnectedAt?: Date;
  /**
   * The last failure: a refusal (the acceptor's error-log number and text, e.g. 28034), a local
   * failure (9666, 28037, 28023, …), a connection error (1474), or a cut connection (1474, error 4).
   * Kept after a later success, so a connected link still shows why it was last down.
   */
  lastError?: TransportError & { at: Date };
}

/** What a link needs from its manager. */
export interface LinkHost {
  /** One connection attempt (the manager's `connect`). */
  connect(url: string, options: ConnectOptions): Promise<ConnectResult>;
  /** Resolves true once the instance runs, false if it stopped for good. */
  whenRunning(): Promise<boolean>;
  /** The instance's clock. */
  now(): Date;
  /** The link has ended: drop it from the manager's list. */
  forget(link: Link): void;
}

const DEFAULT_INITIAL_MS = 100;
const DEFAULT_MAX_MS = 2000;

/** See the module comment. */
export class Link {
  private current: LinkState;
  private connection?: EndpointConnection;
  private closedFlag = false;
  private wake?: () => void;
  private readonly messageHandlers = new Set<(message: Message, connection: EndpointConnection) => void>();
  private readonly stateHandlers = new Set<(state: LinkState) => void>();
  private readonly initialMs: number;
  private readonly maxMs: number;
  /** Resolves when the link's loop has ended (after {@link close} or the instance's stop). */
  readonly done: Promise<void>;

  constructor(
    private readonly host: LinkHost,
    /** The peer's endpoint URL, `TCP://host:port`. */
    readonly url: string,
    private readonly options: LinkOptions,
  ) {
    this.initialMs = Math.max(1, options.retry?.initialMs ?? DEFAULT_INITIAL_MS);
    this.maxMs = Math.max(this.initialMs, options.retry?.maxMs ?? DEFAULT_MAX_MS);
    this.current = { status: "connecting", since: host.now(), attempts: 0 };
    this.done = this.run();
  }

  /** The role this instance plays on the link. */
  get role(): SessionRole {
    return this.options.role ?? "replica";
  }

  /** A copy of the current state. */
  get state(): LinkState {
    return { ...this.current, ...(this.current.lastError ? { lastError: { ...this.current.lastError } } : {}) };
  }

  /** True while connected. */
  get connected(): boolean {
    return this.current.status === "connected";
  }

  /** Sends one message over the current connection; false when not connected (nothing is queued). */
  send(channel: string, body: Buffer | string): boolean {
    return this.connection?.send(channel, body) ?? false;
  }

  /** Receives the messages of every connection the link makes. Returns the unsubscribe function. */
  onMessage(handler: (message: Message, connection: EndpointConnection) => void): () => void {
    this.messageHandlers.add(handler);
    return () => this.messageHandlers.delete(handler);
  }

  /** Called after every state change. Returns the unsubscribe function. */
  onState(handler: (state: LinkState) => void): () => void {
    this.stateHandlers.add(handler);
    return () => this.stateHandlers.delete(handler);
  }

  /**
   * Resolves with the state once `wanted` holds (a status, or a test of the state); rejects after
   * `timeoutMs` (default 5000) with the state it ended in.
   */
  waitFor(wanted: LinkStatus | ((state: LinkState) => boolean), timeoutMs = 5000): Promise<LinkState> {
    const test = typeof wanted === "string" ? (s: LinkState) => s.status === wanted : wanted;
    if (test(this.state)) return Promise.resolve(this.state);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`link to ${this.url}: still ${JSON.stringify(this.state)} after ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      const off = this.onState((s) => {
        if (!test(s)) return;
        clearTimeout(timer);
        off();
        resolve(this.state);
      });
    });
  }

  /** Skips the current backoff wait: the next attempt starts now. */
  retryNow(): void {
    this.wake?.();
  }

  /** No longer wanted: closes the connection, stops retrying; the state becomes `closed`. */
  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.connection?.cut("closed");
    this.wake?.();
  }

  private set(patch: Partial<LinkState>): void {
    const status = patch.status ?? this.current.status;
    this.current = { ...this.current, ...patch, ...(status !== this.current.status ? { since: this.host.now() } : {}) };
    for (const handler of [...this.stateHandlers]) handler(this.state);
  }

  private async run(): Promise<void> {
    let failures = 0;
    try {
      while (!this.closedFlag) {
        if (!(await this.host.whenRunning()) || this.closedFlag) break;
        this.set({ status: "connecting", attempts: this.current.attempts + 1 });
        let result: ConnectResult;
        try {
          result = await this.host.connect(this.url, this.options);
        } catch {
          // The instance stopped or restarted under the attempt: wait, then for it to run again.
          await this.sleep(this.initialMs);
          continue;
        }
        if (this.closedFlag) {
          if (result.ok) result.connection.cut("closed");
          break;
        }
        let delay: number;
        if (result.ok) {
          failures = 0;
          const reason = await this.hold(result.connection);
          if (this.closedFlag) break;
          const now = this.host.now();
          this.set({ status: "disconnected", disconnectedAt: now, ...(cutByNetwork(reason) ? { lastError: { ...receiveFailed(this.url), at: now } } : {}) });
          delay = this.initialMs;
        } else {
          failures++;
          this.set({ status: "disconnected", lastError: { ...result.error, at: this.host.now() } });
          delay = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(failures - 1, 30));
        }
        await this.sleep(delay);
      }
    } finally {
      this.closedFlag = true;
      this.connection = undefined;
      this.set({ status: "closed" });
      this.host.forget(this);
    }
  }

  /** Keeps `connection` as the current one until it closes. */
  private async hold(connection: EndpointConnection): Promise<CloseReason> {
    this.connection = connection;
    const off = connection.onMessage((m) => {
      for (const handler of [...this.messageHandlers]) handler(m, connection);
    });
    this.set({ status: "connected", connectedAt: connection.loginTime });
    const reason = await connection.closed;
    off();
    this.connection = undefined;
    return reason;
  }

  private sleep(ms: number): Promise<void> {
    if (this.closedFlag) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      // A retry timer never keeps the process alive; stop() ends the loop anyway.
      timer.unref();
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }
}

/** Cuts that look like a network failure to the link's owner (the peer or the network went away). */
function cutByNetwork(reason: CloseReason): boolean {
  return reason === "peer" || reason === "fault" || reason === "protocol";
}
