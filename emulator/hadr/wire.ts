/**
 * One TCP socket speaking frames: sends frames, receives them either one at a time with a deadline
 * (the handshake) or as a stream (an established connection), and counts the traffic that
 * `sys.dm_db_mirroring_connections` reports.
 */
import type { Socket } from "node:net";
import { FrameDecoder, FramingError, encodeFrame, type Frame } from "./framing";

/** Why {@link Wire.receive} gave up. */
export class WireClosedError extends Error {
  constructor(
    /** `timeout`: no frame within the deadline; `closed`: the socket ended or failed; `framing`: the peer broke the framing. */
    readonly reason: "timeout" | "closed" | "framing",
    message: string,
  ) {
    super(message);
    this.name = "WireClosedError";
  }
}

/** Traffic counters of one socket. */
export interface WireTotals {
  /** Bytes written, frame headers included. */
  bytesSent: number;
  /** Bytes read. */
  bytesReceived: number;
  /** Socket writes. */
  sends: number;
  /** Socket reads ('data' events). */
  receives: number;
}

interface Waiter {
  resolve(frame: Frame): void;
  reject(error: WireClosedError): void;
  timer: NodeJS.Timeout;
}

/** A framed socket. */
export class Wire {
  readonly totals: WireTotals = { bytesSent: 0, bytesReceived: 0, sends: 0, receives: 0 };
  /** Last send or receive (the instance's clock). */
  lastActivity: Date;
  private readonly decoder: FrameDecoder;
  private readonly queue: Frame[] = [];
  private waiter?: Waiter;
  private streaming?: (frame: Frame) => void;
  private closedWith?: WireClosedError;
  private readonly closeHandlers: Array<(error: WireClosedError) => void> = [];

  constructor(
    readonly socket: Socket,
    maxFrameBytes: number,
    private readonly clock: () => Date,
  ) {
    this.decoder = new FrameDecoder(maxFrameBytes);
    this.lastActivity = clock();
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (e) => this.finish(new WireClosedError("closed", e.message)));
    socket.on("close", () => this.finish(new WireClosedError("closed", "the connection was closed")));
    // A half-closed peer has nothing more to say: end our side too, so both close.
    socket.on("end", () => socket.end());
  }

  /** True once the socket has ended, failed or been destroyed. */
  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /** Raises the frame-size limit (after authentication). */
  set maxFrameBytes(bytes: number) {
    this.decoder.maxFrameBytes = bytes;
  }

  /** Sends one frame; false when the socket is gone (a peer that broke the framing can still be told why). */
  send(type: number, payload: Buffer): boolean {
    if (this.socket.destroyed || !this.socket.writable) return false;
    const bytes = encodeFrame(type, payload);
    this.totals.bytesSent += bytes.length;
    this.totals.sends++;
    this.lastActivity = this.clock();
    this.socket.write(bytes);
    return true;
  }

  /** The next frame, or a {@link WireClosedError} after `timeoutMs` or when the socket ends. */
  receive(timeoutMs: number): Promise<Frame> {
    const next = this.queue.shift();
    if (next) return Promise.resolve(next);
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (this.waiter) throw new Error("one receive at a time");
    return new Promise<Frame>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new WireClosedError("timeout", `no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      this.waiter = { resolve, reject, timer };
    });
  }

  /** From now on every frame (queued ones first) goes to `handler`. */
  stream(handler: (frame: Frame) => void): void {
    this.streaming = handler;
    for (const frame of this.queue.splice(0)) handler(frame);
  }

  /** Called once when the socket is gone (at once if it already is). */
  onClose(handler: (error: WireClosedError) => void): void {
    if (this.closedWith) handler(this.closedWith);
    else this.closeHandlers.push(handler);
  }

  /** Ends the socket after what was written is flushed (a refusal's last frame reaches the peer). */
  end(): void {
    this.socket.end();
    // A peer that never reads must not keep the socket: bound the wait for its FIN.
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  /** Destroys the socket now. */
  destroy(): void {
    this.socket.destroy();
    this.finish(new WireClosedError("closed", "the connection was closed locally"));
  }

  private onData(chunk: Buffer): void {
    this.totals.bytesReceived += chunk.length;
    this.totals.receives++;
    this.lastActivity = this.clock();
    let frames: Frame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (e) {
      if (!(e instanceof FramingError)) throw e;
      // Nothing more is read; the owner refuses (end) or cuts (destroy).
      this.socket.pause();
      this.finish(new WireClosedError("framing", e.message));
      return;
    }
    for (const frame of frames) this.deliver(frame);
  }

  private deliver(frame: Frame): void {
    if (this.closedWith) return;
    if (this.streaming) return this.streaming(frame);
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      clearTimeout(waiter.timer);
      waiter.resolve(frame);
    } else {
      this.queue.push(frame);
    }
  }

  private finish(error: WireClosedError): void {
    if (this.closedWith) return;
    this.closedWith = error;
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    for (const handler of this.closeHandlers.splice(0)) handler(error);
  }
}
