/**
 * Drives a sans-I/O connection over a node:net socket: what arrives on the
 * socket goes to `receive()`, what `takeOutgoing()` yields goes to the
 * socket, and the connection's events go to the command.
 *
 * The CLI does this itself rather than through src/transport/node.ts so that
 * it sees every event the core raises, in particular which data arrived as
 * 0-RTT (`early`), the server's early-data answer, and `confirmHandshake()`.
 */
import type { Socket } from 'node:net';
import type { ClientConnection, ConnectionEvent, ServerConnection } from '../src/index.js';

export type AnyConnection = ClientConnection | ServerConnection;

export interface DriverHandlers {
  /** Every event, in order. The handler may call `driver.write/close`; output is flushed after it. */
  onEvent(event: ConnectionEvent): void;
  /** The TCP stream ended. `clean` is true when the peer had sent close_notify first. */
  onSocketEnd?(clean: boolean): void;
  /** The socket failed (reset, refused, ...). */
  onSocketError?(err: Error): void;
  /** The socket is fully closed. */
  onSocketClose?(): void;
}

export class Driver {
  private flushing = false;
  private again = false;
  private peerClosed = false;
  private ended = false;

  constructor(
    readonly socket: Socket,
    readonly connection: AnyConnection,
    private readonly handlers: DriverHandlers,
  ) {
    socket.on('data', (chunk: Buffer) => {
      connection.receive(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.flush();
    });
    socket.on('end', () => {
      this.flush();
      handlers.onSocketEnd?.(this.peerClosed);
    });
    socket.on('error', (err) => handlers.onSocketError?.(err));
    socket.on('close', () => handlers.onSocketClose?.());
  }

  /** Queues application data (sent at once, as 0-RTT, or after the handshake, as the connection decides). */
  write(data: Uint8Array): void {
    // After a failure the 'error' event has already told the command; there is nothing to send.
    if (this.connection.error) return;
    this.connection.write(data);
    this.flush();
  }

  /** Sends close_notify, then ends the TCP stream once everything queued has been written. */
  close(): void {
    this.connection.close();
    this.flush();
    this.endAfterFlush();
  }

  /** Sends what is pending, and hands out the events; re-entrant calls are folded into one loop. */
  flush(): void {
    if (this.flushing) {
      this.again = true;
      return;
    }
    this.flushing = true;
    void this.loop();
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        // A hook or provider step may still be running (certificate verification is asynchronous).
        await this.connection.settled();
        this.sendPending();
        for (const event of this.connection.events()) {
          if (event.type === 'end') this.peerClosed = true;
          try {
            this.handlers.onEvent(event);
          } catch (err) {
            // A bug in a command's handler ends this connection, not the whole process (a server keeps serving).
            this.socket.destroy(err instanceof Error ? err : new Error(String(err)));
            return;
          }
          this.sendPending();
        }
      } while (this.again);
    } finally {
      this.flushing = false;
    }
    if (this.ended) this.finishEnd();
  }

  private sendPending(): void {
    const out = this.connection.takeOutgoing();
    if (out.length > 0 && !this.socket.destroyed && this.socket.writable) this.socket.write(out);
  }

  private endAfterFlush(): void {
    this.ended = true;
    if (!this.flushing) this.finishEnd();
  }

  private finishEnd(): void {
    this.sendPending();
    if (!this.socket.destroyed && this.socket.writable) this.socket.end();
  }

  /** After a fatal error: send the alert the connection queued, then end the stream. */
  abort(): void {
    this.endAfterFlush();
  }
}
