/**
 * Drives one of our sans-I/O connections over a node:net socket, for the
 * interop cases. Deliberately independent of src/transport: the suite checks
 * the connections themselves against OpenSSL, and a bug in an adapter must
 * not hide (or cause) a failure here.
 *
 * The driver keeps everything a case asserts on: every event, the trace,
 * the application data received (as a SHA-256, a byte count and the first
 * 64 KiB as text), and the sizes of the records we sent.
 */
import net from 'node:net';
import { createHash, type Hash } from 'node:crypto';
import { ClientConnection, ServerConnection, type ConnectionEvent } from '../src/connection.js';
import type { ClientConfig, ConnectionState, ServerConfig } from '../src/config.js';
import type { ClientOptions } from '../src/handshake/client.js';
import type { TraceEntry } from '../src/handshake/events.js';
import type { TLSError } from '../src/errors.js';

export type AnyConnection = ClientConnection | ServerConnection;

/** Application data kept as text for matching (the rest is only hashed). */
const KEEP_TEXT = 64 * 1024;
/** TLS record header: type(1) version(2) length(2) (RFC 8446 §5.1). */
const RECORD_HEADER = 5;
const CONTENT_TYPE_APPLICATION_DATA = 23;

export class Driven<C extends AnyConnection = AnyConnection> {
  readonly events: ConnectionEvent[] = [];
  readonly trace: TraceEntry[] = [];
  /** Application data received: total, SHA-256, first 64 KiB as latin1 text. */
  receivedBytes = 0;
  private readonly receivedHash: Hash = createHash('sha256');
  receivedText = '';
  /** 0-RTT data received (server side), kept apart from 1-RTT data. */
  earlyText = '';
  /** Largest record we sent (bytes after the header) and how many records of each length. */
  readonly sentRecordLengths = new Map<number, number>();
  /** Lengths of the application-data records we received. */
  readonly receivedRecordLengths = new Map<number, number>();
  socketEnded = false;
  socketClosed = false;
  socketError: Error | undefined;
  private readonly listeners = new Set<() => void>();
  private readonly outScan = new RecordScanner((type, len) => bump(this.sentRecordLengths, len, type));
  private readonly inScan = new RecordScanner((type, len) => {
    if (type === CONTENT_TYPE_APPLICATION_DATA) bump(this.receivedRecordLengths, len, type);
  });

  constructor(
    readonly conn: C,
    readonly socket: net.Socket,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (b: Buffer) => {
      const bytes = new Uint8Array(b.buffer, b.byteOffset, b.length);
      this.inScan.feed(bytes);
      conn.receive(bytes);
      this.pump();
      // A hook that returned a Promise: pump again once it settles.
      void conn.settled().then(() => this.pump());
    });
    socket.on('end', () => {
      this.socketEnded = true;
      this.notify();
    });
    socket.on('close', () => {
      this.socketClosed = true;
      this.notify();
    });
    socket.on('error', (err) => {
      this.socketError = err;
      this.notify();
    });
    this.pump();
  }

  /** Records a trace entry (the config's `trace` hook points here). */
  traced(entry: TraceEntry): void {
    this.trace.push(entry);
  }

  get state(): ConnectionState {
    return this.conn.state;
  }

  get error(): TLSError | undefined {
    return this.conn.error;
  }

  /** SHA-256 (hex) of the application data received so far. */
  receivedDigest(): string {
    return this.receivedHash.copy().digest('hex');
  }

  /** Sends what the connection has queued and takes its new events. */
  pump(): void {
    const out = this.conn.takeOutgoing();
    if (out.length > 0) {
      this.outScan.feed(out);
      if (!this.socket.destroyed && this.socket.writable) this.socket.write(out);
    }
    for (const ev of this.conn.events()) this.handle(ev);
    this.notify();
  }

  private handle(ev: ConnectionEvent): void {
    this.events.push(ev);
    if (ev.type === 'data') {
      if (ev.early) {
        if (this.earlyText.length < KEEP_TEXT) this.earlyText += latin1(ev.bytes);
        return;
      }
      this.receivedBytes += ev.bytes.length;
      this.receivedHash.update(ev.bytes);
      if (this.receivedText.length < KEEP_TEXT) this.receivedText += latin1(ev.bytes);
    }
  }

  /** Writes application data and sends it (queued until the handshake completes). */
  write(data: string | Uint8Array): void {
    this.conn.write(typeof data === 'string' ? new TextEncoder().encode(data) : data);
    this.pump();
  }

  /**
   * Writes a large buffer in chunks, waiting for the socket to drain, so a
   * 16 MiB transfer never holds more than a few chunks in memory.
   */
  async writeBulk(data: Uint8Array, chunk = 256 * 1024): Promise<void> {
    for (let off = 0; off < data.length; off += chunk) {
      if (this.conn.error) throw this.conn.error;
      this.conn.write(data.subarray(off, off + chunk));
      const out = this.conn.takeOutgoing();
      this.outScan.feed(out);
      for (const ev of this.conn.events()) this.handle(ev);
      if (!this.socket.write(out)) await new Promise<void>((resolve) => this.socket.once('drain', resolve));
    }
    this.pump();
  }

  /** Sends close_notify. */
  close(): void {
    this.conn.close();
    this.pump();
  }

  /** Sends a KeyUpdate. */
  updateKeys(requestPeer: boolean): void {
    this.conn.updateKeys(requestPeer);
    this.pump();
  }

  /** Closes the socket (after close_notify or a failure). */
  destroy(): void {
    this.socket.destroy();
  }

  /**
   * Waits until `cond` holds. Rejects when the connection fails (unless
   * `allowError`) or the socket closes first, with a message naming `what`.
   */
  until(what: string, cond: () => boolean, opts: { allowError?: boolean } = {}): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        if (cond()) {
          resolve();
          return true;
        }
        const err = this.conn.error;
        if (err && !opts.allowError) {
          reject(new Error(`${what}: the connection failed: ${err.alert} (${err.side}): ${err.message}`));
          return true;
        }
        if (this.socketClosed) {
          reject(new Error(`${what}: the socket closed first${this.socketError ? ` (${this.socketError.message})` : ''}`));
          return true;
        }
        return false;
      };
      if (check()) return;
      const listener = (): void => {
        if (check()) this.listeners.delete(listener);
      };
      this.listeners.add(listener);
    });
  }

  /** Waits for the handshake to complete and returns the connection state. */
  async handshake(): Promise<ConnectionState> {
    await this.until('handshake', () => this.events.some((e) => e.type === 'handshake'));
    return this.state;
  }

  /** Waits until the received 1-RTT text contains `s`. */
  waitText(s: string): Promise<void> {
    return this.until(`data "${s.trim()}"`, () => this.receivedText.includes(s));
  }

  /** Waits for the connection to fail and returns the error. */
  async waitError(): Promise<TLSError> {
    await new Promise<void>((resolve, reject) => {
      const check = (): boolean => {
        if (this.conn.error) {
          resolve();
          return true;
        }
        if (this.socketClosed) {
          reject(new Error('expected a TLS error, but the socket closed without one'));
          return true;
        }
        return false;
      };
      if (check()) return;
      const listener = (): void => {
        if (check()) this.listeners.delete(listener);
      };
      this.listeners.add(listener);
    });
    return this.conn.error!;
  }

  /** Counts events of a type. */
  count(type: ConnectionEvent['type'], pred: (e: ConnectionEvent) => boolean = () => true): number {
    return this.events.filter((e) => e.type === type && pred(e)).length;
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }
}

/** Counts record lengths, by content type for the outer header (always 23 once encrypted). */
function bump(map: Map<number, number>, len: number, _type: number): void {
  map.set(len, (map.get(len) ?? 0) + 1);
}

/**
 * Walks a stream of TLS records and reports each header: the record layer
 * is what decides record sizes, and this checks it from outside.
 */
class RecordScanner {
  private header = new Uint8Array(RECORD_HEADER);
  private have = 0;
  private skip = 0;

  constructor(private readonly onRecord: (type: number, length: number) => void) {}

  feed(bytes: Uint8Array): void {
    let i = 0;
    while (i < bytes.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, bytes.length - i);
        this.skip -= n;
        i += n;
        continue;
      }
      this.header[this.have++] = bytes[i++]!;
      if (this.have === RECORD_HEADER) {
        const length = (this.header[3]! << 8) | this.header[4]!;
        this.onRecord(this.header[0]!, length);
        this.skip = length;
        this.have = 0;
      }
    }
  }
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
}

// ------------------------------------------------------------ connecting

/** A config with the driver's trace hook added (keeping any the case set). */
function withTrace<T extends ClientConfig | ServerConfig>(config: T, sink: { traced(e: TraceEntry): void }): T {
  const user = config.trace;
  return {
    ...config,
    trace: (e: TraceEntry) => {
      sink.traced(e);
      user?.(e);
    },
  };
}

/**
 * Connects our client to 127.0.0.1:port. The trace goes to the returned
 * driver. Note: the session cache belongs to the config object, so a case
 * that resumes must pass the same `config` twice; the trace hook is added
 * through a per-config forwarder for that reason.
 */
export function connectClient(port: number, config: ClientConfig, options: ClientOptions): Promise<Driven<ClientConnection>> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      const sink = traceSink(config);
      // The constructor already sends (and traces) the ClientHello.
      const early: TraceEntry[] = [];
      sink.target = { traced: (e) => early.push(e) };
      const conn = new ClientConnection(config, options);
      const driven = new Driven(conn, socket);
      driven.trace.unshift(...early);
      sink.target = driven;
      resolve(driven);
    });
  });
}

/**
 * The trace hook must be part of the config object (settings are cached per
 * config object, and resumption needs the same object each time), so the
 * config carries a forwarder whose target is the current connection's driver.
 */
interface TraceForwarder {
  target: { traced(e: TraceEntry): void } | undefined;
}
const forwarders = new WeakMap<object, TraceForwarder>();

function traceSink(config: ClientConfig | ServerConfig): TraceForwarder {
  const f = forwarders.get(config);
  if (!f) throw new Error('interop: create configs with traced() so the driver can see the trace');
  return f;
}

/**
 * Wraps a config so the driver receives its trace. Call once per config
 * object; reuse the result for every connection that must share its state
 * (session cache, ticket keys, anti-replay store).
 */
export function traced<T extends ClientConfig | ServerConfig>(config: T): T {
  const forwarder: TraceForwarder = { target: undefined };
  const wrapped = withTrace(config, { traced: (e) => forwarder.target?.traced(e) });
  forwarders.set(wrapped, forwarder);
  return wrapped;
}

/** Our server on 127.0.0.1, an ephemeral port, one driver per accepted socket. */
export class Listener {
  readonly server: net.Server;
  private readonly accepted: Driven<ServerConnection>[] = [];
  private readonly waiting: ((d: Driven<ServerConnection>) => void)[] = [];
  port = 0;

  constructor(
    readonly config: ServerConfig,
    onConnection?: (d: Driven<ServerConnection>) => void,
  ) {
    const sink = traceSink(config);
    this.server = net.createServer((socket) => {
      const conn = new ServerConnection(config);
      const driven = new Driven(conn, socket);
      onConnection?.(driven);
      // Connections are served one at a time by each case, so one forwarder target suffices.
      sink.target = driven;
      const w = this.waiting.shift();
      if (w) w(driven);
      else this.accepted.push(driven);
    });
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        this.port = (this.server.address() as net.AddressInfo).port;
        resolve(this.port);
      });
    });
  }

  /** The next accepted connection. */
  accept(): Promise<Driven<ServerConnection>> {
    const d = this.accepted.shift();
    if (d) return Promise.resolve(d);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  close(): void {
    this.server.close();
  }
}
