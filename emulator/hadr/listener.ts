/**
 * The TCP listener of one DATABASE_MIRRORING endpoint: bound to one address and port, handing every
 * accepted socket to the connection manager. Closing it destroys every socket it accepted that is
 * still open (the manager cuts the established connections first, so they close for the right reason).
 */
import * as net from "node:net";

/** A bound listener. */
export interface EndpointListener {
  /** The address bound. */
  readonly host: string;
  /** The port bound. */
  readonly port: number;
  /** Stops accepting and destroys the sockets it accepted that are still open. */
  close(): Promise<void>;
}

/** Why a listener could not be bound: the Node error code (EADDRINUSE, EADDRNOTAVAIL, EACCES, …). */
export class ListenError extends Error {
  constructor(
    /** Node's error code. */
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = "ListenError";
  }
}

/**
 * Binds `host:port` exactly (never a wider address) and calls `onSocket` for each accepted socket.
 * Rejects with a {@link ListenError}.
 */
export async function listen(host: string, port: number, onSocket: (socket: net.Socket) => void): Promise<EndpointListener> {
  const accepted = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    accepted.add(socket);
    socket.once("close", () => accepted.delete(socket));
    onSocket(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) => reject(new ListenError(e.code, e.message)));
    // exclusive: no sharing of the port with another process's cluster workers.
    server.listen({ host, port, exclusive: true }, () => resolve());
  });
  // After startup a listener error (e.g. EMFILE on accept) must not crash the process.
  server.on("error", () => undefined);
  return {
    host,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        // server.close waits for every accepted socket to end: end them all.
        server.close(() => resolve());
        for (const socket of accepted) socket.destroy();
      }),
  };
}
