/**
 * One client connection: PRELOGIN → [TLS] → LOGIN7 → requests, strictly one request at a time
 * (MARS is refused in PRELOGIN). Requests queue behind the one running; ATTENTION cancels the
 * running and queued ones with the two-message rule (the cancelled request's reply, then a
 * separate DONE(ATTN) message). Any protocol violation closes this connection and nothing else.
 */
import type * as net from "node:net";
import { authenticate } from "./authenticate";
import type { SessionReply, TdsHandler, TdsSession } from "./handler";
import { parseLogin7 } from "./login7";
import { encodeMessage, MessageAssembler, type TdsMessage } from "./packets";
import { answerEncryption, Encryption, parsePrelogin, buildPreloginReply, type ServerVersion } from "./prelogin";
import { PreparedStatements } from "./procedures";
import { DoneStatus, PacketStatus, PacketType, TdsProtocolError } from "./protocol";
import { planRequest } from "./request-plan";
import * as replies from "./responses";
import { TdsTransport, type TlsContexts } from "./tls";
import { TransactionDescriptors, type TransactionChange } from "./transactions";

/** What every connection of one server shares. */
export interface ConnectionSettings {
  /** ServerName of ERROR/INFO tokens. */
  serverName: string;
  /** PRELOGIN VERSION and LOGINACK version. */
  version: ServerVersion;
  /** Answers logins. */
  handler: TdsHandler;
  /** Certificates for TLS inside PRELOGIN and for strict mode. */
  tls: TlsContexts;
  /** Largest client message, and most bytes queued behind the running request. */
  maxMessageBytes: number;
  /** How long a cancelled request's handler may take to notice its AbortSignal before the cancel is acknowledged anyway. */
  attentionGraceMs: number;
  /** Time allowed from accept to a completed login. */
  loginTimeoutMs: number;
  /** A new server-unique transaction descriptor. */
  newTransactionDescriptor(): Buffer;
  /** Diagnostics sink (protocol violations, dropped replies). */
  log(line: string): void;
}

/** Where a request stands. */
interface RequestState {
  readonly controller: AbortController;
  /** ATTENTION arrived for it. */
  cancelled: boolean;
  /** Its reply message has been sent. */
  answered: boolean;
  /** Attention acknowledgements to send right after its reply. */
  acks: number;
}

type Phase = "prelogin" | "login" | "authenticating" | "ready" | "closed";

/** SQL Server's packet size bounds; LOGIN7 asks, the server clamps. */
const MIN_PACKET_SIZE = 512;
const MAX_PACKET_SIZE = 32767;
/** Largest packet accepted from a client: a 32 KiB packet size, the most any client negotiates. */
const MAX_INCOMING_PACKET = 32768;
/** How long a gracefully ended connection may linger before it is destroyed. */
const END_LINGER_MS = 2000;
/**
 * Reply bytes the client may leave unread before the next request waits for it to catch up, so
 * a client that sends requests but never reads cannot make the server buffer replies without end.
 */
const MAX_UNREAD_REPLY_BYTES = 1024 * 1024;

/** Handles one accepted socket until it closes. */
export class TdsConnection {
  private phase: Phase = "prelogin";
  private readonly transport: TdsTransport;
  private readonly frames: MessageAssembler;
  private packetSize = replies.DEFAULT_PACKET_SIZE;
  private session: TdsSession | undefined;
  private readonly queue: { message: TdsMessage; state: RequestState }[] = [];
  private queuedBytes = 0;
  private current: RequestState | undefined;
  private pumping = false;
  private sessionClosed = false;
  private readonly transactions: TransactionDescriptors;
  private readonly prepared = new PreparedStatements();
  private readonly loginTimer: NodeJS.Timeout;

  /** Takes over `socket`: from here on the connection owns its events and its lifetime. */
  constructor(
    private readonly socket: net.Socket,
    /** Server process id of this connection. */
    readonly spid: number,
    private readonly settings: ConnectionSettings,
    /** Called once when the socket has closed. */
    onClosed: () => void,
  ) {
    socket.setNoDelay(true);
    this.loginTimer = setTimeout(() => this.fail(new TdsProtocolError(`no login within ${settings.loginTimeoutMs} ms`)), settings.loginTimeoutMs);
    this.loginTimer.unref();
    this.frames = new MessageAssembler({ maxPacketLength: MAX_INCOMING_PACKET, maxMessageBytes: settings.maxMessageBytes });
    this.transactions = new TransactionDescriptors(settings.newTransactionDescriptor);
    this.transport = new TdsTransport(socket, settings.tls, spid, {
      onData: (chunk) => this.receive(chunk),
      onError: (error) => this.fail(error),
    });
    socket.on("error", (error) => this.fail(error));
    socket.on("close", () => {
      this.stop();
      this.transport.destroy();
      onClosed();
    });
  }

  /** True once the connection stopped processing (a getter, so checks after an `await` are not narrowed away). */
  private get closed(): boolean {
    return this.phase === "closed";
  }

  /** Drops the connection at once (fault injection, server shutdown, protocol violation). */
  destroy(): void {
    this.stop();
    this.transport.destroy();
    this.socket.destroy();
  }

  private fail(error: Error): void {
    if (this.closed) return;
    this.settings.log(`spid ${this.spid}: closing: ${error.message}`);
    this.destroy();
  }

  /** Sends what was already written, then closes (after a login failure or a fatal error). */
  private end(): void {
    this.stop();
    this.transport.end();
    setTimeout(() => this.socket.destroy(), END_LINGER_MS).unref();
  }

  /** Stops processing requests; the session is closed once no handler call is running. */
  private stop(): void {
    if (this.closed) return;
    this.phase = "closed";
    clearTimeout(this.loginTimer);
    this.current?.controller.abort();
    for (const { state } of this.queue) state.controller.abort();
    this.queue.length = 0;
    this.queuedBytes = 0;
    if (!this.pumping) this.closeSession();
  }

  private closeSession(): void {
    if (this.sessionClosed || !this.session) return;
    this.sessionClosed = true;
    try {
      this.session.close();
    } catch (error) {
      this.settings.log(`spid ${this.spid}: session.close threw: ${replies.describeError(error)}`);
    }
  }

  private send(payload: Buffer): void {
    if (!this.socket.destroyed) this.transport.send(encodeMessage(PacketType.Reply, payload, this.packetSize, this.spid));
  }

  private receive(chunk: Buffer): void {
    if (this.closed) return;
    let messages: TdsMessage[];
    try {
      messages = this.frames.push(chunk);
    } catch (error) {
      this.fail(error as Error);
      return;
    }
    for (const message of messages) {
      if (message.type === PacketType.Attention) {
        this.attention();
        continue;
      }
      this.queuedBytes += message.payload.length;
      if (this.queuedBytes > this.settings.maxMessageBytes) {
        this.fail(new TdsProtocolError(`more than ${this.settings.maxMessageBytes} bytes queued behind the running request`));
        return;
      }
      this.queue.push({ message, state: { controller: new AbortController(), cancelled: false, answered: false, acks: 0 } });
    }
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        if (this.socket.writableLength > MAX_UNREAD_REPLY_BYTES) {
          await this.clientCaughtUp();
          if (this.closed) break;
        }
        const { message, state } = this.queue.shift()!;
        this.queuedBytes -= message.payload.length;
        await this.dispatch(message, state);
      }
    } catch (error) {
      this.fail(error as Error);
    } finally {
      this.pumping = false;
      if (this.closed) this.closeSession();
    }
  }

  /** Waits until the socket has flushed what the client left unread (or closed). */
  private async clientCaughtUp(): Promise<void> {
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.socket.off("drain", done);
        this.socket.off("close", done);
        resolve();
      };
      this.socket.on("drain", done);
      this.socket.on("close", done);
    });
  }

  private async dispatch(message: TdsMessage, state: RequestState): Promise<void> {
    const unexpected = (wanted: string) => new TdsProtocolError(`packet type 0x${message.type.toString(16)} where ${wanted} was expected`);
    if (this.phase === "prelogin") {
      if (message.type !== PacketType.Prelogin) throw unexpected("PRELOGIN");
      this.prelogin(message);
      return;
    }
    if (this.phase === "login") {
      if (message.type !== PacketType.Login7) throw unexpected("LOGIN7");
      await this.login(message);
      return;
    }
    if (this.phase !== "ready") throw new TdsProtocolError(`packet type 0x${message.type.toString(16)} during login`);
    if (message.status & PacketStatus.Ignore) {
      // The client abandoned this message part-way; it still expects one reply to it.
      this.answer(state, replies.encodeDone(DoneStatus.Final));
      return;
    }
    await this.request(message, state);
  }

  private prelogin(message: TdsMessage): void {
    const request = parsePrelogin(message.payload);
    const answer = answerEncryption(request, this.transport.mode === "strict");
    this.send(buildPreloginReply(this.settings.version, answer));
    if (answer === Encryption.On) this.transport.beginPreloginTls();
    this.phase = "login";
  }

  private async login(message: TdsMessage): Promise<void> {
    const login = parseLogin7(message.payload);
    this.phase = "authenticating";
    const outcome = await authenticate(login, this.settings.handler, {
      spid: this.spid,
      remoteAddress: this.socket.remoteAddress ?? "",
      remotePort: this.socket.remotePort ?? 0,
      encryption: this.transport.mode,
    });
    if ("error" in outcome) {
      this.send(replies.encodeLoginFailure(outcome.error, this.settings.serverName));
      this.end();
      return;
    }
    this.session = outcome.session;
    if (this.closed) return; // The client left during authentication; pump closes the session.
    this.packetSize = Math.min(MAX_PACKET_SIZE, Math.max(MIN_PACKET_SIZE, login.packetSize || replies.DEFAULT_PACKET_SIZE));
    this.phase = "ready";
    clearTimeout(this.loginTimer);
    this.send(
      replies.encodeLoginSuccess({
        database: outcome.database,
        language: login.language || "us_english",
        packetSize: this.packetSize,
        serverName: this.settings.serverName,
        version: this.settings.version,
      }),
    );
  }

  /** Runs one SQL_BATCH, RPC or TRANSACTION_MANAGER request and sends its reply. */
  private async request(message: TdsMessage, state: RequestState): Promise<void> {
    const session = this.session!;
    const leading: TransactionChange[] = [];
    if (message.status & PacketStatus.ResetConnection) {
      leading.push(replies.RESET_ACK);
      const rollback = this.transactions.reset();
      if (rollback) leading.push(rollback);
      this.callQuietly("session.reset", () => session.reset());
    }
    const ctx = { serverName: this.settings.serverName, transactions: this.transactions, leading };
    if (state.cancelled) {
      this.answer(state, replies.encodeReply([], { kind: "cancelled" }, ctx).payload);
      return;
    }
    const { shape, run } = planRequest(message, session, this.prepared, state.controller.signal);
    this.current = state;
    let reply: SessionReply | undefined;
    try {
      reply = await run();
    } catch (error) {
      reply = { outcomes: [{ kind: "error", error: replies.handlerFailure(replies.describeError(error)) }] };
    } finally {
      this.current = undefined;
    }
    if (reply?.disconnect === true) {
      this.settings.log(`spid ${this.spid}: handler asked to disconnect`);
      this.destroy();
      return;
    }
    if (this.closed) return;
    if (state.answered) {
      this.settings.log(`spid ${this.spid}: reply of a cancelled request arrived after the attention was acknowledged; dropped`);
      return;
    }
    const encoded = replies.encodeReply(reply?.outcomes, state.cancelled ? { kind: "cancelled" } : shape, ctx);
    this.answer(state, encoded.payload);
    if (encoded.fatal) this.end();
  }

  /** ATTENTION: cancel every request not yet answered; acknowledge after the last one's reply. */
  private attention(): void {
    if (this.phase !== "ready") {
      this.fail(new TdsProtocolError("ATTENTION before login completed"));
      return;
    }
    const pending = [this.current, ...this.queue.map((q) => q.state)].filter((s): s is RequestState => !!s && !s.answered);
    const last = pending.at(-1);
    if (!last) {
      this.send(replies.encodeDone(DoneStatus.Attention));
      return;
    }
    for (const state of pending) {
      state.cancelled = true;
      state.controller.abort();
    }
    last.acks++;
    const running = this.current;
    if (running && !running.answered) {
      setTimeout(() => {
        if (running.answered || this.closed) return;
        this.settings.log(`spid ${this.spid}: handler ignored the cancel for ${this.settings.attentionGraceMs} ms; acknowledging anyway`);
        this.answer(running, replies.encodeDone(DoneStatus.Final));
      }, this.settings.attentionGraceMs).unref();
    }
  }

  /** Sends a request's one reply message, then any attention acknowledgements owed after it. */
  private answer(state: RequestState, payload: Buffer): void {
    if (state.answered) return;
    state.answered = true;
    this.send(payload);
    for (; state.acks > 0; state.acks--) this.send(replies.encodeDone(DoneStatus.Attention));
  }

  private callQuietly(what: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.settings.log(`spid ${this.spid}: ${what} threw: ${replies.describeError(error)}`);
    }
  }
}
