/**
 * Web Streams adapter: TLS over any `{ readable, writable }` pair of byte
 * streams, the shape every modern runtime gives a connection: Deno's
 * `Deno.connect`, Bun's and Cloudflare Workers' `connect()`, a WebSocket
 * (see `webSocketStreams`), or an in-memory pair (`streamPair`).
 *
 *   const tls = connectStreams(await Deno.connect({ hostname, port: 443 }), { ca }, { serverName: hostname });
 *   const writer = tls.writable.getWriter();
 *   await writer.write(new TextEncoder().encode('GET / HTTP/1.0\r\n\r\n'));
 *   for await (const chunk of tls.readable) ...
 *
 * What the secure streams promise:
 * - Flow control end to end: the transport is read only while our reader
 *   has room (its queue is below `highWaterMark`), and a plaintext write
 *   resolves only once the transport's writer is ready for more.
 * - The two directions close independently, as TLS 1.3 allows (RFC 8446
 *   §6.1): closing our writable sends close_notify; the peer's close_notify
 *   ends our readable, and we may go on writing until we close too
 *   (`readable.pipeTo(writable)` does that for an echo). The transport is
 *   closed once both directions are, and `closed` resolves.
 * - The transport ending without close_notify is a truncation, reported as
 *   an error (`ERR_TLS_TRUNCATED`) unless `allowTruncation`: an attacker can
 *   always cut a TCP connection, and only close_notify says the data is whole.
 * - `abort()` on the writable or `cancel()` on the readable tears the
 *   connection down: both streams error, the transport is aborted.
 * - 0-RTT data a server receives is held back until the handshake is
 *   confirmed (the client's Finished verified, §8): the readable never
 *   yields bytes an attacker could have replayed. `onEvent` still sees them,
 *   flagged `early`, for applications that know their requests are safe to replay.
 *
 * No `node:` imports and no platform timers beyond setTimeout: this runs
 * unchanged in Node, browsers, Deno, Bun and Workers (DESIGN.md, layer 8).
 */
import type { ClientConfig, ConnectionState, ServerConfig } from '../config.js';
import { ClientConnection, ServerConnection, type ConnectionEvent } from '../connection.js';
import { TLSError } from '../errors.js';
import type { ClientOptions } from '../handshake/client.js';
import type { Chopper } from './memory.js';

/** A bidirectional byte stream: what a socket looks like in the Web Streams world. */
export interface ByteStreams {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
}

/** Behaviour of the secure streams (all optional). */
export interface StreamOptions {
  /** Milliseconds for the handshake to complete before the connection is torn down (default 30 000; 0 disables). */
  readonly handshakeTimeout?: number;
  /** Milliseconds without traffic either way before the connection is torn down (default 0: never). */
  readonly idleTimeout?: number;
  /** Plaintext bytes queued for our reader before we stop reading the transport (default 64 KiB). */
  readonly highWaterMark?: number;
  /** Treat the transport ending without close_notify as a clean end instead of an error (default false). */
  readonly allowTruncation?: boolean;
  /**
   * Sees every connection event (tickets, key updates, alerts, 0-RTT data
   * with its `early` flag, ...). The adapter consumes `connection.events()`
   * itself, so this is where to look for anything the streams do not carry.
   */
  readonly onEvent?: (event: ConnectionEvent) => void;
  /** Sees the ciphertext crossing the transport, e.g. `TraceRecorder.wire` to show the records. */
  readonly onWire?: (direction: 'sent' | 'received', bytes: Uint8Array) => void;
}

/** Options of `connectStreams`: whom we talk to, plus stream behaviour. */
export interface ClientStreamOptions extends ClientOptions, StreamOptions {}

/** TLS over a pair of byte streams: plaintext streams plus the connection behind them. */
export interface SecureStreams<C extends ClientConnection | ServerConnection = ClientConnection | ServerConnection>
  extends ByteStreams {
  /** The sans-I/O connection doing the protocol work: for `state`, `exportKeyingMaterial`, `updateKeys`, ... */
  readonly connection: C;
  /** Resolves with the negotiated parameters when the handshake completes; rejects if it fails. */
  readonly handshake: Promise<ConnectionState>;
  /** Resolves once both sides have closed cleanly and the transport is closed; rejects with the failure otherwise. */
  readonly closed: Promise<void>;
}

/**
 * A failure of the transport rather than of TLS, with a Node-style `code`:
 * ECONNRESET (closed before the handshake completed), ERR_TLS_TRUNCATED (ended
 * without close_notify), ERR_TLS_HANDSHAKE_TIMEOUT, ETIMEDOUT (idle),
 * EPIPE (write after close), ABORT_ERR (aborted or cancelled by the application).
 */
export class StreamError extends Error {
  override readonly name = 'StreamError';
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const DEFAULT_STREAM_HANDSHAKE_TIMEOUT = 30_000;
const DEFAULT_HIGH_WATER_MARK = 64 * 1024;
/**
 * Plaintext handed to the connection at once: four maximal records. Large
 * writes are cut so that backpressure is felt between pieces instead of the
 * whole write being encrypted into memory first.
 */
const WRITE_SLICE = 4 * 16_384;
/** How long the transport may stay open after both close_notify alerts before we stop waiting for it to end. */
const CLOSE_GRACE = 2_000;

// ---------------------------------------------------------------- entry points

/** Runs a TLS client over `transport`; the handshake starts at once. */
export function connectStreams(
  transport: ByteStreams,
  config: ClientConfig = {},
  options: ClientStreamOptions = {},
): SecureStreams<ClientConnection> {
  const clientOptions: ClientOptions = {
    ...(options.serverName === undefined ? {} : { serverName: options.serverName }),
    ...(options.session === undefined ? {} : { session: options.session }),
  };
  return secureStreams(transport, new ClientConnection(config, clientOptions), options);
}

/** Runs a TLS server over `transport` (one accepted connection). Throws at once on an unusable config. */
export function acceptStreams(
  transport: ByteStreams,
  config: ServerConfig,
  options: StreamOptions = {},
): SecureStreams<ServerConnection> {
  return secureStreams(transport, new ServerConnection(config), options);
}

/** Wraps a connection you created yourself (e.g. with a trace recorder attached) around `transport`. */
export function secureStreams<C extends ClientConnection | ServerConnection>(
  transport: ByteStreams,
  connection: C,
  options: StreamOptions = {},
): SecureStreams<C> {
  return new StreamSession(transport, connection, options).result;
}

// ------------------------------------------------------------------ the driver

type Deferred<T> = { promise: Promise<T>; resolve: (value: T) => void; reject: (reason: unknown) => void; settled: boolean };

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // The caller may never look at it; an unobserved failure is still reported through the streams.
  promise.catch(() => undefined);
  const d: Deferred<T> = {
    promise,
    settled: false,
    resolve: (v) => {
      d.settled = true;
      resolve(v);
    },
    reject: (e) => {
      d.settled = true;
      reject(e);
    },
  };
  return d;
}

/** Accepts any view of bytes a transport may hand over (ArrayBuffer from a WebSocket, Buffer from Node). */
function asBytes(chunk: unknown): Uint8Array | undefined {
  if (chunk instanceof Uint8Array) return chunk;
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return undefined;
}

function describeChunk(chunk: unknown): string {
  return typeof chunk === 'string' ? 'a string' : chunk === null ? 'null' : typeof chunk;
}

type Timer = ReturnType<typeof setTimeout>;

/**
 * One secure connection over one transport: a read loop that feeds the
 * connection, a plaintext writable that feeds it the other way, and the
 * bookkeeping that ties their ends together.
 */
class StreamSession<C extends ClientConnection | ServerConnection> {
  readonly result: SecureStreams<C>;

  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  private readController!: ReadableStreamDefaultController<Uint8Array>;
  private writeController!: WritableStreamDefaultController;
  private readonly handshakeDone = deferred<ConnectionState>();
  private readonly closedDone = deferred<void>();

  /** Our readable: 'open' until the peer's close_notify ends it or a failure errors it. */
  private readState: 'open' | 'ended' | 'errored' = 'open';
  /** Set once the session is over, cleanly (finish) or not (fail). */
  private done = false;
  private failure: unknown;
  private transportWriterClosed = false;
  /** The transport's readable has ended (or we stopped reading it). */
  private transportReadEnded = false;
  /** Our writable was closed: close_notify sent. */
  private ourSideClosed = false;
  /** Server: 0-RTT data waiting for the handshake to be confirmed. */
  private readonly heldEarly: Uint8Array[] = [];
  private wakeReader: (() => void) | undefined;
  private handshakeTimer: Timer | undefined;
  private idleTimer: Timer | undefined;

  constructor(
    transport: ByteStreams,
    private readonly connection: C,
    private readonly options: StreamOptions,
  ) {
    this.reader = transport.readable.getReader();
    this.writer = transport.writable.getWriter();
    const highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;

    const readable = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.readController = controller;
        },
        pull: () => {
          const wake = this.wakeReader;
          this.wakeReader = undefined;
          wake?.();
        },
        cancel: (reason: unknown) => {
          this.readState = 'errored';
          this.fail(new StreamError('ABORT_ERR', 'the readable was cancelled: connection torn down', { cause: reason }));
        },
      },
      { highWaterMark, size: (chunk) => chunk.byteLength },
    );
    const writable = new WritableStream<Uint8Array>({
      start: (controller) => {
        this.writeController = controller;
      },
      write: (chunk) => this.write(chunk),
      close: () => this.closeWrite(),
      abort: (reason: unknown) => {
        this.fail(new StreamError('ABORT_ERR', 'the writable was aborted: connection torn down', { cause: reason }));
      },
    });

    this.result = {
      readable,
      writable,
      connection,
      handshake: this.handshakeDone.promise,
      closed: this.closedDone.promise,
    };

    const timeout = options.handshakeTimeout ?? DEFAULT_STREAM_HANDSHAKE_TIMEOUT;
    if (timeout > 0) {
      this.handshakeTimer = setTimeout(() => {
        this.fail(new StreamError('ERR_TLS_HANDSHAKE_TIMEOUT', `TLS handshake timeout: no handshake within ${timeout} ms`));
      }, timeout);
    }
    this.touch();
    // The client's ClientHello is already waiting (or will be, once an async provider settles).
    this.service();
    void this.readLoop();
  }

  // ----------------------------------------------------------- reading side

  private async readLoop(): Promise<void> {
    while (!this.done && this.readState === 'open') {
      await this.roomToRead();
      if (this.done || this.readState !== 'open') return;
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await this.reader.read();
      } catch (err) {
        this.fail(new StreamError('ECONNRESET', `the transport failed: ${message(err)}`, { cause: err }));
        return;
      }
      if (this.done) return;
      if (result.done) {
        this.transportReadEnded = true;
        this.transportEnded();
        return;
      }
      const bytes = asBytes(result.value);
      if (!bytes) {
        this.fail(new StreamError('ERR_INVALID_ARG_TYPE', `the transport produced ${describeChunk(result.value)}, not bytes`));
        return;
      }
      this.touch();
      this.options.onWire?.('received', bytes);
      this.connection.receive(bytes);
      this.service();
      await this.connection.settled();
    }
  }

  /** Waits while our reader's queue is full: we stop reading, and the transport pushes back on the peer. */
  private async roomToRead(): Promise<void> {
    while (!this.done && this.readState === 'open' && (this.readController.desiredSize ?? 0) <= 0) {
      await new Promise<void>((resolve) => {
        this.wakeReader = resolve;
      });
    }
  }

  /** The transport's readable ended: fine after close_notify, a truncation or reset otherwise. */
  private transportEnded(): void {
    if (this.readState !== 'open') return;
    if (!this.connection.handshakeComplete) {
      this.fail(new StreamError('ECONNRESET', 'the peer closed the connection before the TLS handshake completed'));
      return;
    }
    if (!this.options.allowTruncation) {
      this.fail(
        new StreamError(
          'ERR_TLS_TRUNCATED',
          'the connection ended without close_notify: the data may have been truncated (RFC 8446 §6.1); set allowTruncation if the protocol above detects that itself',
        ),
      );
      return;
    }
    this.endReadable();
    // Nothing more can arrive: once our side is closed too (now or later), we are done.
    if (this.ourSideClosed) this.finish();
  }

  // ----------------------------------------------------------- writing side

  private async write(chunk: Uint8Array): Promise<void> {
    const bytes = asBytes(chunk);
    if (!bytes) throw new TypeError(`write bytes (a Uint8Array), not ${describeChunk(chunk)}; pipe text through a TextEncoderStream`);
    this.touch();
    let rest = bytes;
    if (!this.connection.handshakeComplete) {
      rest = this.writeEarly(rest);
      if (rest.length > 0) await this.handshakeDone.promise;
    }
    for (let at = 0; at < rest.length; at += WRITE_SLICE) {
      this.checkWritable();
      this.connection.write(rest.subarray(at, at + WRITE_SLICE));
      this.sendOutgoing();
      // Backpressure: resolve only once the transport can take more.
      await this.writer.ready;
    }
  }

  /** Client 0-RTT: what the session ticket allows goes now; the rest waits for the handshake. */
  private writeEarly(bytes: Uint8Array): Uint8Array {
    if (!(this.connection instanceof ClientConnection)) return bytes;
    const n = Math.min(this.connection.earlyDataWritable, bytes.length);
    if (n === 0) return bytes;
    this.checkWritable();
    this.connection.write(bytes.subarray(0, n));
    this.sendOutgoing();
    return bytes.subarray(n);
  }

  private checkWritable(): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.done || this.connection.closed) {
      throw new StreamError('EPIPE', 'write after the TLS connection was closed');
    }
  }

  /** Our writable closed: send close_notify once the handshake allows it (§6.1). */
  private async closeWrite(): Promise<void> {
    if (!this.connection.handshakeComplete && !this.done) await this.handshakeDone.promise;
    if (this.failure !== undefined) throw this.failure;
    this.closeOurSide();
    await this.writer.ready.catch(() => undefined);
  }

  private closeOurSide(): void {
    this.ourSideClosed = true;
    this.connection.close();
    this.service();
    // Without the peer's close_notify the connection never reports 'close'; the transport's end stands in for it.
    if (this.transportReadEnded) this.finish();
  }

  // ------------------------------------------------------------ the connection

  /** Sends what the connection produced and acts on its events, now and once an async step settles. */
  private service(): void {
    this.drain();
    if (!this.done) void this.connection.settled().then(() => this.drain());
  }

  private drain(): void {
    if (this.done) return;
    this.sendOutgoing();
    for (let events = this.connection.events(); events.length > 0; events = this.connection.events()) {
      for (const event of events) {
        if (this.done) return;
        this.handleEvent(event);
        try {
          this.options.onEvent?.(event);
        } catch (err) {
          this.fail(err);
          return;
        }
      }
      this.sendOutgoing();
    }
    if (this.heldEarly.length > 0 && this.connection.handshakeConfirmed) this.releaseEarly();
  }

  private handleEvent(event: ConnectionEvent): void {
    switch (event.type) {
      case 'handshake':
        this.clearHandshakeTimer();
        this.handshakeDone.resolve(event.state);
        return;
      case 'data':
        // Replayable bytes wait until the client's Finished proves this is no replay.
        if (event.early && !this.connection.handshakeConfirmed) {
          this.heldEarly.push(event.bytes);
          return;
        }
        this.releaseEarly();
        this.enqueue(event.bytes);
        return;
      case 'end':
        // The peer's close_notify: its direction is over (§6.1).
        this.releaseEarly();
        this.endReadable();
        return;
      case 'error':
        this.fail(event.error);
        return;
      case 'close':
        this.finish();
        return;
      default:
        // Tickets, key updates, user_canceled, the 0-RTT verdict: for onEvent only.
        return;
    }
  }

  private releaseEarly(): void {
    for (const bytes of this.heldEarly.splice(0)) this.enqueue(bytes);
  }

  private enqueue(bytes: Uint8Array): void {
    if (this.readState !== 'open') return;
    this.readController.enqueue(bytes);
  }

  private endReadable(): void {
    if (this.readState !== 'open') return;
    this.readState = 'ended';
    this.readController.close();
    this.wakeReader?.();
  }

  /** Writes the connection's pending bytes to the transport, in the order they were produced. */
  private sendOutgoing(): void {
    const bytes = this.connection.takeOutgoing();
    if (bytes.length === 0 || this.transportWriterClosed) return;
    this.touch();
    this.options.onWire?.('sent', bytes);
    this.writer.write(bytes).catch((err: unknown) => {
      this.fail(new StreamError('ECONNRESET', `the transport failed: ${message(err)}`, { cause: err }));
    });
  }

  // ---------------------------------------------------------------- endings

  /** Both directions closed cleanly: close the transport and resolve `closed`. */
  private finish(): void {
    if (this.done) return;
    this.sendOutgoing();
    this.done = true;
    this.clearTimers();
    if (!this.handshakeDone.settled) {
      this.handshakeDone.reject(new StreamError('ECONNRESET', 'the connection was closed before the TLS handshake completed'));
    }
    this.endReadable();
    this.wakeReader?.();
    this.transportWriterClosed = true;
    // Both close_notify alerts have crossed: the TLS connection ended cleanly,
    // so a transport that fails to close now (the peer already hung up) loses nothing.
    const closeTransport = this.writer.close().catch(() => undefined);
    void closeTransport.then(() => this.closedDone.resolve());
    this.drainTransport();
  }

  /**
   * Reads the transport to its end after the TLS close, discarding what
   * comes (§6.1: nothing after close_notify counts), so the transport can
   * finish its own close (a TCP socket sees the peer's FIN). A peer that
   * keeps the transport open gets a grace period, then it is cancelled.
   */
  private drainTransport(): void {
    const grace = setTimeout(() => {
      this.reader.cancel().catch(() => undefined);
    }, CLOSE_GRACE);
    unref(grace);
    const drain = async (): Promise<void> => {
      try {
        while (!(await this.reader.read()).done);
      } catch {
        // Cancelled or failed after the TLS close: nothing left to lose.
      }
      clearTimeout(grace);
    };
    void drain();
  }

  /**
   * A failure: error both plaintext streams, settle the promises, and let
   * the transport go. A TLS failure we raised has an alert queued: it is
   * flushed and the transport closed; anything else aborts the transport.
   */
  private fail(err: unknown): void {
    if (this.done) return;
    this.done = true;
    this.failure = err;
    this.clearTimers();
    if (!this.handshakeDone.settled) this.handshakeDone.reject(err);
    this.closedDone.reject(err);
    if (this.readState === 'open') {
      this.readState = 'errored';
      this.readController.error(err);
    }
    this.wakeReader?.();
    this.writeController.error(err);
    this.heldEarly.length = 0;

    const alert = err instanceof TLSError ? this.connection.takeOutgoing() : new Uint8Array(0);
    if (!this.transportWriterClosed) {
      this.transportWriterClosed = true;
      if (err instanceof TLSError) {
        if (alert.length > 0) {
          this.options.onWire?.('sent', alert);
          this.writer.write(alert).catch(() => undefined);
        }
        this.writer.close().catch(() => undefined);
      } else {
        this.writer.abort(err).catch(() => undefined);
      }
    }
    this.reader.cancel(err).catch(() => undefined);
  }

  // ----------------------------------------------------------------- timers

  /** Restarts the idle timer: called on every transfer either way. */
  private touch(): void {
    const ms = this.options.idleTimeout ?? 0;
    if (ms <= 0 || this.done) return;
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.fail(new StreamError('ETIMEDOUT', `no traffic for ${ms} ms: idle timeout`));
    }, ms);
  }

  private clearHandshakeTimer(): void {
    if (this.handshakeTimer !== undefined) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
  }

  private clearTimers(): void {
    this.clearHandshakeTimer();
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}

/** Lets a Node process exit while a grace timer is pending (a no-op where timers are numbers). */
function unref(timer: unknown): void {
  if (typeof timer === 'object' && timer !== null && 'unref' in timer && typeof timer.unref === 'function') timer.unref();
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// ------------------------------------------------------------- in-memory pair

export interface StreamPairOptions {
  /** Bytes each direction buffers before the writer feels backpressure (default 64 KiB). */
  readonly highWaterMark?: number;
  /** Cuts every chunk in flight, as a network may (see `chopRandomly`): exercises record reassembly. */
  readonly chop?: Chopper;
}

/**
 * Two connected byte-stream transports, like the two ends of a TCP
 * connection: what one writes, the other reads. Closing a writable ends the
 * peer's readable (a half-close); aborting it errors the peer's readable.
 * Chunks are copied, so a writer may reuse its buffer.
 *
 *   const [a, b] = streamPair();
 *   const server = acceptStreams(b, serverConfig);
 *   const client = connectStreams(a, clientConfig, { serverName: 'localhost' });
 */
export function streamPair(options: StreamPairOptions = {}): [ByteStreams, ByteStreams] {
  const ab = oneWay(options);
  const ba = oneWay(options);
  return [
    { readable: ba.readable, writable: ab.writable },
    { readable: ab.readable, writable: ba.writable },
  ];
}

function oneWay(options: StreamPairOptions): TransformStream<Uint8Array, Uint8Array> {
  const highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
  const size = (chunk: Uint8Array): number => chunk.byteLength;
  return new TransformStream<Uint8Array, Uint8Array>(
    {
      transform(chunk, controller) {
        const bytes = asBytes(chunk);
        if (!bytes) throw new TypeError(`streamPair carries bytes, not ${describeChunk(chunk)}`);
        const pieces = options.chop ? options.chop(bytes) : [bytes];
        for (const piece of pieces) if (piece.length > 0) controller.enqueue(piece.slice());
      },
    },
    { highWaterMark, size },
    { highWaterMark, size },
  );
}

// ------------------------------------------------------------------ WebSocket

/** The part of the WHATWG WebSocket that `webSocketStreams` uses (browsers, Deno, Bun, Node ≥ 22). */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: string, listener: (event: Event) => void): void;
  removeEventListener(type: string, listener: (event: Event) => void): void;
}

export interface WebSocketStreamsOptions {
  /** A write resolves once the socket buffers at most this many bytes (default 64 KiB). */
  readonly highWaterMark?: number;
}

const WS_OPEN = 1;
const WS_CLOSING = 2;

/**
 * A WebSocket as a byte-stream transport, to run TLS through a relay (see
 * examples/browser). Resolves once the socket is open. WebSocket has no
 * flow control of its own: writes wait while `bufferedAmount` is above the
 * high-water mark, and messages are queued as they arrive. Binary messages
 * only: TLS records are bytes, and a text message means the other end is
 * not a byte relay.
 */
export function webSocketStreams(socket: WebSocketLike, options: WebSocketStreamsOptions = {}): Promise<ByteStreams> {
  const highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
  socket.binaryType = 'arraybuffer';
  let readController!: ReadableStreamDefaultController<Uint8Array>;
  let readDone = false;
  const endRead = (error?: unknown): void => {
    if (readDone) return;
    readDone = true;
    if (error === undefined) readController.close();
    else readController.error(error);
  };

  const readable = new ReadableStream<Uint8Array>({
    start(controller) {
      readController = controller;
    },
    cancel() {
      readDone = true;
      socket.close(1000);
    },
  });
  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      if (socket.readyState !== WS_OPEN) throw new StreamError('EPIPE', 'write after the WebSocket closed');
      socket.send(chunk);
      while (socket.bufferedAmount > highWaterMark && socket.readyState === WS_OPEN) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    close() {
      if (socket.readyState < WS_CLOSING) socket.close(1000);
    },
    abort() {
      // 4000-4999 are for applications (RFC 6455 §7.4.2).
      if (socket.readyState < WS_CLOSING) socket.close(4000, 'aborted');
    },
  });

  socket.addEventListener('message', (event) => {
    if (readDone) return;
    const data: unknown = (event as Event & { data?: unknown }).data;
    const bytes = asBytes(data);
    if (!bytes) {
      endRead(new StreamError('ERR_INVALID_ARG_TYPE', `the WebSocket delivered ${describeChunk(data)}: the relay must send binary messages`));
      socket.close(1003, 'binary only');
      return;
    }
    readController.enqueue(bytes);
  });
  socket.addEventListener('close', (event) => {
    const { code, wasClean } = event as Event & { code?: number; wasClean?: boolean };
    if (wasClean === false) endRead(new StreamError('ECONNRESET', `the WebSocket closed abnormally (code ${code ?? 'unknown'})`));
    else endRead();
  });
  socket.addEventListener('error', () => {
    endRead(new StreamError('ECONNRESET', 'the WebSocket failed'));
  });

  return new Promise((resolve, reject) => {
    if (socket.readyState === WS_OPEN) {
      resolve({ readable, writable });
      return;
    }
    if (socket.readyState >= WS_CLOSING) {
      reject(new StreamError('ECONNREFUSED', 'the WebSocket is already closed'));
      return;
    }
    const onOpen = (): void => {
      cleanup();
      resolve({ readable, writable });
    };
    const onFail = (): void => {
      cleanup();
      reject(new StreamError('ECONNREFUSED', 'the WebSocket could not be opened'));
    };
    const cleanup = (): void => {
      socket.removeEventListener('open', onOpen);
      socket.removeEventListener('error', onFail);
      socket.removeEventListener('close', onFail);
    };
    socket.addEventListener('open', onOpen);
    socket.addEventListener('error', onFail);
    socket.addEventListener('close', onFail);
  });
}
