/**
 * Node.js adapter: a `node:tls`-shaped API over the sans-I/O connections.
 *
 *   const socket = connect({ host: 'example.com', port: 443 }, () => socket.write('hi'));
 *   const server = createServer({ certificates: [{ cert, key }] }, (s) => s.pipe(s)).listen(8443);
 *
 * A `TLSSocket` is a Duplex wrapped around any other Duplex (normally a
 * `net.Socket`): ciphertext flows through the inner stream, plaintext through
 * the TLSSocket. It can stand in where Node expects a socket, e.g. as
 * `createConnection` for `https.request`, or be handed to an `http.Server`
 * with `httpServer.emit('connection', socket)`.
 *
 * This is the only place in the library that knows about sockets, timers
 * and Node's streams (DESIGN.md, layer 8); it holds no protocol logic.
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import type { CertificateSource, ClientConfig, ConnectionState, ServerConfig } from '../config.js';
import { ClientConnection, ServerConnection, type ConnectionEvent } from '../connection.js';
import { nobleCrypto } from '../crypto/noble.js';
import { TLSError } from '../errors.js';
import { exportSession, importSession, type ClientSession } from '../handshake/sessions.js';
import { loadCertificates, serverSettings } from '../handshake/settings.js';
import {
  X509VerificationError,
  colonHex,
  parseCertificate,
  verifyChain,
  type Certificate,
  type VerificationReason,
} from '../x509/index.js';

/** Node's default for tls.connect is 120 s; a client that waits that long for a dead peer rarely wants to. */
export const DEFAULT_HANDSHAKE_TIMEOUT = 30_000;

/**
 * The system trust store Node ships (Mozilla's list), one array object for
 * the whole process, so anything that caches by source identity parses it once.
 */
const DEFAULT_CA: readonly string[] = tls.rootCertificates;


/** What `getPeerCertificate()` returns: the fields of Node's object that people read. */
export interface PeerCertificate {
  /** The certificate's DER. */
  readonly raw: Buffer;
  /** RFC 4514 text, e.g. "CN=localhost, O=Example" (Node gives an object here). */
  readonly subject: string;
  readonly issuer: string;
  /** As Node prints it: "DNS:a.example, IP Address:127.0.0.1". */
  readonly subjectaltname: string | undefined;
  /** OpenSSL's date format, as Node's: "Jan  1 00:00:00 2025 GMT". */
  readonly valid_from: string;
  readonly valid_to: string;
  /** Upper-case hex, as Node gives it. */
  readonly serialNumber: string;
  /** SHA-1 and SHA-256 of the DER, colon-separated upper-case hex. */
  readonly fingerprint: string;
  readonly fingerprint256: string;
  readonly fingerprint512: string;
  /** The parsed certificate, for everything else. */
  readonly certificate: Certificate;
  /** With `getPeerCertificate(true)`: the next certificate up the chain (the root's issuer is itself, as in Node). */
  issuerCertificate?: PeerCertificate;
}

/** Options for `connect`: the client configuration plus where to connect. */
export interface ConnectOptions extends ClientConfig {
  readonly host?: string;
  readonly port?: number;
  /** Name sent as SNI and checked against the certificate; defaults to `host`. An empty string sends none. */
  readonly servername?: string;
  /** An already connected stream to run TLS over (a net.Socket or any Duplex) instead of dialling host:port. */
  readonly socket?: Duplex;
  /** Milliseconds for the handshake to complete before the socket is destroyed (default 30 000; 0 disables). */
  readonly handshakeTimeout?: number;
  /** Milliseconds without traffic either way after which the socket is destroyed with ETIMEDOUT (default 0: never). */
  readonly idleTimeout?: number;
  /**
   * When false, a certificate that fails verification does not abort the
   * handshake; `authorized` and `authorizationError` tell the outcome (as in
   * node:tls). Default true. Prefer fixing `ca`.
   */
  readonly rejectUnauthorized?: boolean;
  /** Keep our side writable after the peer's close_notify (default false, as node:tls). */
  readonly allowHalfOpen?: boolean;
  /**
   * A session to resume: the Buffer of a 'session' event or `getSession()`
   * (as node:tls), or a ClientSession. Without it, tickets kept in
   * `sessionCache` are used (pass one shared cache to resume across connect() calls).
   */
  readonly session?: Uint8Array | ClientSession;
}

/** Options for `createServer`: the server configuration plus socket behaviour. */
export interface ServerOptions extends ServerConfig {
  /** Milliseconds a client gets to complete the handshake (default 30 000; 0 disables). */
  readonly handshakeTimeout?: number;
  /** Milliseconds without traffic either way after which the socket is destroyed with ETIMEDOUT (default 0: never). */
  readonly idleTimeout?: number;
  /** Keep accepted sockets writable after the client's close_notify (default false, as node:tls). */
  readonly allowHalfOpen?: boolean;
}

/** Construction options of a TLSSocket around an existing connection. */
export interface TLSSocketOptions {
  readonly handshakeTimeout?: number;
  readonly idleTimeout?: number;
  readonly allowHalfOpen?: boolean;
  /**
   * Decides `authorized` once the handshake is done (used when verification
   * was deferred by `rejectUnauthorized: false`). Default: authorized when
   * the connection verified a chain.
   */
  readonly authorize?: (state: ConnectionState) => Promise<{ authorized: boolean; error?: string }>;
}

/** A Node error with a `code`, like the ones net and tls raise. */
function nodeError(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

const EMPTY = new Uint8Array(0);

type Waiting = { chunk: Buffer; callback: (error?: Error | null) => void };

/**
 * TLS over a Duplex. Plaintext written to it is encrypted into the inner
 * stream; ciphertext read from the inner stream comes out decrypted.
 *
 * Flow control runs end to end: when our reader is full we pause the inner
 * stream (so TCP pushes back on the peer), and a write completes only when
 * the inner stream has accepted its ciphertext.
 */
export class TLSSocket extends Duplex {
  readonly encrypted = true;
  /** The sans-I/O connection doing the protocol work (for inspection). */
  readonly connection: ClientConnection | ServerConnection;
  /** The stream carrying the ciphertext. */
  readonly transport: Duplex;
  /** Whether the peer's certificate was verified (clients; servers with client authentication). */
  authorized = false;
  /** Why `authorized` is false, as a Node-style code (e.g. "UNABLE_TO_VERIFY_LEAF_SIGNATURE"). */
  authorizationError: string | undefined;
  /** The negotiated ALPN protocol, or false (as node:tls). */
  alpnProtocol: string | false = false;
  /**
   * Whether 0-RTT data was accepted on this connection (a server with
   * `maxEarlyData` that took a client's early data). Such data reaches the
   * stream only once the handshake is confirmed. This adapter's client writes
   * wait for the handshake, so it never sends 0-RTT itself; use the sans-I/O
   * ClientConnection (or `tls13 client --early-data`) for that.
   */
  get earlyData(): boolean {
    return this.connection.state.earlyDataAccepted;
  }

  private readonly isServer: boolean;
  private readonly authorize: TLSSocketOptions['authorize'];
  private secure = false;
  /** Events taken from the connection but not yet acted on (held while `authorize` runs). */
  private readonly backlog: ConnectionEvent[] = [];
  private holding = false;
  private session: Buffer | undefined;
  private pausedTransport = false;
  private endPushed = false;
  private transportEnded = false;
  private transportClosed = false;
  private closing = false;
  /** A write or end() that arrived before the handshake finished. */
  private waitingWrite: Waiting | undefined;
  private waitingFinal: ((error?: Error | null) => void) | undefined;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private idleTimeout = 0;
  private readonly confirmers: { resolve: () => void; reject: (err: Error) => void }[] = [];

  constructor(transport: Duplex, connection: ClientConnection | ServerConnection, options: TLSSocketOptions = {}) {
    super({ allowHalfOpen: options.allowHalfOpen ?? false });
    this.transport = transport;
    this.connection = connection;
    this.isServer = connection instanceof ServerConnection;
    this.authorize = options.authorize;

    const timeout = options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT;
    if (timeout > 0) {
      this.handshakeTimer = setTimeout(() => {
        this.destroy(nodeError('ERR_TLS_HANDSHAKE_TIMEOUT', `TLS handshake timeout: no handshake within ${timeout} ms`));
      }, timeout);
    }

    // An idle connection holds memory and a descriptor; a server facing the
    // open network should not keep one forever (issue: hostile peers).
    const idle = options.idleTimeout ?? 0;
    if (idle > 0) {
      this.setTimeout(idle, () => this.destroy(nodeError('ETIMEDOUT', `TLS connection idle for ${idle} ms`)));
    }

    transport.on('data', this.onTransportData);
    transport.on('end', this.onTransportEnd);
    transport.on('close', this.onTransportClose);
    transport.on('error', this.onTransportError);
    // The client's ClientHello may already be waiting (or be produced by an async provider).
    this.service();
  }

  // ------------------------------------------------------------ node:tls API

  /** Always TLS 1.3 once the handshake is done; null before (as node:tls). */
  getProtocol(): 'TLSv1.3' | null {
    return this.secure ? 'TLSv1.3' : null;
  }

  /** The negotiated cipher suite (OpenSSL and IANA names agree for TLS 1.3). */
  getCipher(): { name: string; standardName: string; version: 'TLSv1.3' } | undefined {
    const suite = this.connection.state.cipherSuite;
    return suite && { name: suite.name, standardName: suite.name, version: 'TLSv1.3' };
  }

  /** The peer's leaf certificate (with `detailed`, linked to its issuers), or undefined when it sent none. */
  getPeerCertificate(detailed = false): PeerCertificate | undefined {
    const state = this.connection.state;
    const chain: readonly Uint8Array[] = state.verifiedChains[0]?.map((c) => c.raw) ?? state.peerCertificates;
    if (chain.length === 0) return undefined;
    const described = (detailed ? chain : chain.slice(0, 1)).map(describeCertificate);
    for (let i = 0; i + 1 < described.length; i++) described[i]!.issuerCertificate = described[i + 1]!;
    const top = described[described.length - 1]!;
    if (detailed && top.certificate.selfIssued) top.issuerCertificate = top;
    return described[0];
  }

  /**
   * The most recent session (clients), serialised as the 'session' event
   * passes it; give it to `connect({ session })` to resume. It holds the
   * resumption secret: store it as you would a key.
   */
  getSession(): Buffer | undefined {
    return this.session;
  }

  isSessionReused(): boolean {
    return this.connection.state.resumed;
  }

  /** RFC 8446 §7.5 exporter, in node:tls's argument order. */
  exportKeyingMaterial(length: number, label: string, context?: Uint8Array): Buffer {
    const out = this.connection.exportKeyingMaterial(label, context ?? EMPTY, length);
    return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  }

  /**
   * Resolves once the handshake is confirmed: for a client when it completes,
   * for a server once the client's Finished was verified (which is when a
   * server may trust that data is not a 0-RTT replay).
   */
  confirmHandshake(): Promise<void> {
    if (this.connection.state.handshakeConfirmed && this.secure) return Promise.resolve();
    if (this.destroyed) return Promise.reject(this.errored ?? nodeError('ERR_STREAM_DESTROYED', 'the socket was destroyed'));
    return new Promise((resolve, reject) => this.confirmers.push({ resolve, reject }));
  }

  /** Sends a KeyUpdate (RFC 8446 §4.6.3), by default asking the peer to update its keys too. */
  updateKeys(requestPeerUpdate = true): void {
    this.connection.updateKeys(requestPeerUpdate);
    this.service();
  }

  /** TLS 1.3 has no renegotiation (RFC 8446 §4.6 replaced it with post-handshake messages). */
  renegotiate(_options: unknown, callback?: (err: Error | null) => void): false {
    const err = nodeError('ERR_TLS_RENEGOTIATION_DISABLED', 'TLS 1.3 has no renegotiation; use updateKeys() for new keys');
    if (callback) process.nextTick(callback, err);
    return false;
  }

  /** Ends our side gracefully, then destroys the socket once everything was written. */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  /** Emits 'timeout' after `ms` without traffic either way (0 turns it off), as net.Socket does. */
  setTimeout(ms: number, callback?: () => void): this {
    this.idleTimeout = ms;
    if (callback) {
      if (ms === 0) this.off('timeout', callback);
      else this.once('timeout', callback);
    }
    this.touch();
    return this;
  }

  setNoDelay(noDelay = true): this {
    if (this.transport instanceof net.Socket) this.transport.setNoDelay(noDelay);
    return this;
  }

  setKeepAlive(enable = false, initialDelay = 0): this {
    if (this.transport instanceof net.Socket) this.transport.setKeepAlive(enable, initialDelay);
    return this;
  }

  ref(): this {
    if (this.transport instanceof net.Socket) this.transport.ref();
    return this;
  }

  unref(): this {
    if (this.transport instanceof net.Socket) this.transport.unref();
    this.handshakeTimer?.unref();
    this.idleTimer?.unref();
    return this;
  }

  address(): net.AddressInfo | Record<string, never> {
    return this.transport instanceof net.Socket ? this.transport.address() : {};
  }

  get remoteAddress(): string | undefined {
    return this.transport instanceof net.Socket ? this.transport.remoteAddress : undefined;
  }
  get remotePort(): number | undefined {
    return this.transport instanceof net.Socket ? this.transport.remotePort : undefined;
  }
  get remoteFamily(): string | undefined {
    return this.transport instanceof net.Socket ? this.transport.remoteFamily : undefined;
  }
  get localAddress(): string | undefined {
    return this.transport instanceof net.Socket ? this.transport.localAddress : undefined;
  }
  get localPort(): number | undefined {
    return this.transport instanceof net.Socket ? this.transport.localPort : undefined;
  }
  /** True while the inner net.Socket is still connecting. */
  get connecting(): boolean {
    return this.transport instanceof net.Socket && this.transport.connecting;
  }
  /** The server name the client asked for (SNI), once known. */
  get servername(): string | false {
    return this.connection.state.serverName ?? false;
  }

  // ------------------------------------------------------- Duplex plumbing

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    // Application data waits for the handshake: 0-RTT is not offered here, and
    // holding the callback makes early writers feel backpressure.
    if (!this.secure) {
      this.waitingWrite = { chunk, callback };
      return;
    }
    this.writeNow(chunk, callback);
  }

  private writeNow(chunk: Buffer, callback: (error?: Error | null) => void): void {
    this.touch();
    try {
      this.connection.write(chunk);
    } catch (err) {
      callback(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    this.sendOutgoing(callback);
  }

  /** end(): close_notify (RFC 8446 §6.1), then end the inner stream's write side. */
  override _final(callback: (error?: Error | null) => void): void {
    if (!this.secure) {
      this.waitingFinal = callback;
      return;
    }
    this.connection.close();
    const bytes = this.connection.takeOutgoing();
    if (this.transport.writableEnded || this.transport.destroyed) {
      callback();
      return;
    }
    // Errors on the inner stream surface through its 'error' event.
    this.transport.end(bytes, () => callback());
  }

  override _read(): void {
    if (this.pausedTransport) {
      this.pausedTransport = false;
      this.transport.resume();
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.handshakeTimer);
    clearTimeout(this.idleTimer);
    this.transport.off('data', this.onTransportData);
    const failure = error ?? nodeError('ERR_STREAM_DESTROYED', 'the socket was destroyed');
    for (const c of this.confirmers.splice(0)) c.reject(failure);
    this.closeTransport(error);
    callback(error);
  }

  // -------------------------------------------------------------- internals

  private readonly onTransportData = (chunk: Buffer): void => {
    this.touch();
    this.connection.receive(chunk);
    this.service();
  };

  private readonly onTransportEnd = (): void => {
    this.transportEnded = true;
    this.afterSettled();
  };

  private readonly onTransportClose = (): void => {
    this.transportClosed = true;
    this.afterSettled();
  };

  /**
   * The inner stream ended or closed. Decide only once the connection has
   * worked through everything that arrived before (an asynchronous hook may
   * still hold the last handshake flight).
   */
  private afterSettled(): void {
    void this.connection.settled().then(() => {
      this.drain();
      this.checkTransportGone();
    });
  }

  private checkTransportGone(): void {
    if (this.destroyed || this.holding || !(this.transportEnded || this.transportClosed)) return;
    if (!this.secure) {
      this.destroy(nodeError('ECONNRESET', 'the peer closed the connection before the TLS handshake completed'));
      return;
    }
    // A FIN without close_notify ends the stream too, as in node:tls; HTTP and
    // other framed protocols detect truncation themselves.
    this.endReadable();
    if (this.transportClosed && !this.closing) {
      this.closing = true;
      // Let the reader take what is buffered before the socket goes away.
      if (this.readableEnded) this.destroy();
      else this.once('end', () => this.destroy());
    }
  }

  private readonly onTransportError = (err: Error): void => {
    this.destroy(err);
  };

  /**
   * Acts on whatever the connection produced: sends its bytes and handles its
   * events now, and again once any asynchronous step (a hook, WebCrypto) has
   * settled, since only then do its results appear.
   */
  private service(): void {
    this.drain();
    void this.connection.settled().then(() => this.drain());
  }

  private drain(): void {
    if (this.destroyed) return;
    this.flushOutgoing();
    this.backlog.push(...this.connection.events());
    while (!this.holding && !this.destroyed) {
      const event = this.backlog.shift();
      if (!event) break;
      this.handleEvent(event);
    }
    if (this.destroyed) return;
    this.flushOutgoing();
    // A server's handshake is confirmed by the client's Finished, which may come after 'secure'.
    if (this.secure && this.confirmers.length > 0 && this.connection.state.handshakeConfirmed) {
      for (const c of this.confirmers.splice(0)) c.resolve();
    }
  }

  private handleEvent(event: ConnectionEvent): void {
    switch (event.type) {
      case 'handshake':
        this.onHandshake(event.state);
        return;
      case 'data':
        if (!this.push(Buffer.from(event.bytes.buffer, event.bytes.byteOffset, event.bytes.byteLength))) this.pauseTransport();
        return;
      case 'ticket': {
        // node:tls hands out sessions as opaque Buffers that `connect({ session })` takes back.
        const bytes = exportSession(event.session);
        this.session = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        this.emit('session', this.session, event.session);
        return;
      }
      case 'key_update':
        this.emit('keyUpdate', event.direction);
        return;
      case 'end':
        // The peer's close_notify (§6.1).
        this.endReadable();
        return;
      case 'alert':
        this.emit('alert', event.alert);
        return;
      case 'error':
        this.flushOutgoing();
        this.destroy(event.error);
        return;
      default:
        // 'close' (both directions done) needs nothing: the stream closes when
        // both of its sides have; other events have no node:tls counterpart.
        return;
    }
  }

  private onHandshake(state: ConnectionState): void {
    clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
    this.alpnProtocol = state.alpnProtocol ?? false;
    if (this.authorize) {
      // Verification deferred by rejectUnauthorized: false; hold every later
      // event so nothing is delivered before 'secureConnect'.
      this.holding = true;
      this.authorize(state).then(
        (result) => {
          if (this.destroyed) return;
          this.holding = false;
          this.authorized = result.authorized;
          this.authorizationError = result.error;
          this.becomeSecure();
          this.drain();
          this.checkTransportGone();
        },
        (err: unknown) => this.destroy(err instanceof Error ? err : new Error(String(err))),
      );
      return;
    }
    this.authorized = state.verifiedChains.length > 0;
    if (!this.authorized) {
      this.authorizationError = state.peerCertificates.length === 0 ? 'NO_PEER_CERTIFICATE' : 'VERIFICATION_SKIPPED';
    }
    this.becomeSecure();
  }

  private becomeSecure(): void {
    this.secure = true;
    this.emit(this.isServer ? 'secure' : 'secureConnect');
    // Release what end() and write() left waiting for the handshake, in order.
    const write = this.waitingWrite;
    this.waitingWrite = undefined;
    if (write) this.writeNow(write.chunk, write.callback);
    const final = this.waitingFinal;
    this.waitingFinal = undefined;
    if (final) this._final(final);
  }

  /** Writes what the connection has to send; `callback` runs when the inner stream can take more. */
  private sendOutgoing(callback: (error?: Error | null) => void): void {
    const bytes = this.connection.takeOutgoing();
    if (bytes.length === 0) {
      callback();
      return;
    }
    if (this.transport.writableEnded || this.transport.destroyed) {
      callback(nodeError('EPIPE', 'write after the underlying connection was closed'));
      return;
    }
    if (this.transport.write(bytes)) callback();
    else this.transport.once('drain', () => callback());
  }

  private flushOutgoing(): void {
    const bytes = this.connection.takeOutgoing();
    if (bytes.length > 0 && !this.transport.writableEnded && !this.transport.destroyed) this.transport.write(bytes);
  }

  private pauseTransport(): void {
    if (this.pausedTransport) return;
    this.pausedTransport = true;
    this.transport.pause();
  }

  private endReadable(): void {
    if (this.endPushed) return;
    this.endPushed = true;
    this.push(null);
  }

  /**
   * Lets the inner stream go. After a TLS error we raised, the alert is on
   * its way: end the stream so it is flushed, and destroy it once it is (or
   * after a grace period, against a peer that stopped reading).
   */
  private closeTransport(error: Error | null): void {
    const t = this.transport;
    t.off('end', this.onTransportEnd);
    t.off('close', this.onTransportClose);
    if (t.destroyed) return;
    const sendAlert = error instanceof TLSError && error.side === 'local' && !t.writableEnded;
    if (!sendAlert) {
      t.destroy();
      return;
    }
    const grace = setTimeout(() => t.destroy(), 1000);
    grace.unref();
    t.end(() => {
      clearTimeout(grace);
      t.destroy();
    });
  }

  private touch(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.idleTimeout > 0 && !this.destroyed) {
      this.idleTimer = setTimeout(() => this.emit('timeout'), this.idleTimeout);
    }
  }
}

// ------------------------------------------------------------------ client

/** node:tls's connect: dials host:port (or uses `options.socket`) and runs a TLS 1.3 handshake. */
export function connect(options: ConnectOptions, secureConnectListener?: () => void): TLSSocket {
  const serverName = options.servername ?? options.host ?? 'localhost';
  const profile = clientProfile(options);
  const session = options.session instanceof Uint8Array ? importSession(options.session) : options.session;
  const connection = new ClientConnection(profile.config, {
    ...(serverName === '' ? {} : { serverName }),
    ...(session ? { session } : {}),
  });
  const transport =
    options.socket ?? net.connect({ host: options.host ?? 'localhost', port: options.port ?? 443, allowHalfOpen: true });
  const socket = new TLSSocket(transport, connection, {
    ...(options.handshakeTimeout === undefined ? {} : { handshakeTimeout: options.handshakeTimeout }),
    ...(options.idleTimeout === undefined ? {} : { idleTimeout: options.idleTimeout }),
    ...(options.allowHalfOpen === undefined ? {} : { allowHalfOpen: options.allowHalfOpen }),
    ...(profile.authorize ? { authorize: profile.authorize(serverName === '' ? undefined : serverName) } : {}),
  });
  if (secureConnectListener) socket.once('secureConnect', secureConnectListener);
  return socket;
}

interface ClientProfile {
  readonly config: ClientConfig;
  readonly authorize?: (serverName: string | undefined) => (state: ConnectionState) => Promise<{ authorized: boolean; error?: string }>;
}

/**
 * The ClientConfig derived from connect()'s options, kept per options object:
 * the connection layer caches its parsed settings (the trust store above
 * all) per config object, so reusing one options object saves reparsing.
 */
const profiles = new WeakMap<ConnectOptions, ClientProfile>();

function clientProfile(options: ConnectOptions): ClientProfile {
  let profile = profiles.get(options);
  if (profile) return profile;
  const ca: CertificateSource = options.ca ?? DEFAULT_CA;
  if (options.rejectUnauthorized === false && !options.insecureSkipVerify) {
    // Complete the handshake whatever the certificate, then verify it
    // ourselves so `authorized`/`authorizationError` say how it went.
    let roots: Certificate[] | undefined;
    const config: ClientConfig = { ...options, ca, insecureSkipVerify: true };
    profile = {
      config,
      authorize: (serverName) => (state) => {
        roots ??= loadCertificates(ca, 'ca');
        return authorizeServer(state, roots, config, serverName);
      },
    };
  } else {
    profile = { config: options.ca === undefined ? { ...options, ca } : options };
  }
  profiles.set(options, profile);
  return profile;
}

async function authorizeServer(
  state: ConnectionState,
  roots: readonly Certificate[],
  config: ClientConfig,
  serverName: string | undefined,
): Promise<{ authorized: boolean; error?: string }> {
  const [leaf, ...rest] = state.peerCertificates;
  if (!leaf) return { authorized: false, error: 'NO_PEER_CERTIFICATE' };
  try {
    await verifyChain({
      leaf,
      intermediates: rest,
      roots,
      now: (config.now ?? (() => new Date()))(),
      provider: config.crypto ?? nobleCrypto,
      usage: 'server',
      ...(serverName === undefined ? {} : { serverName }),
    });
    return { authorized: true };
  } catch (err) {
    if (err instanceof X509VerificationError) return { authorized: false, error: NODE_VERIFY_CODES[err.reason] };
    return { authorized: false, error: err instanceof Error ? err.message : String(err) };
  }
}

/** The closest OpenSSL/Node verification codes, for code that switches on them. */
const NODE_VERIFY_CODES: Readonly<Record<VerificationReason, string>> = {
  'unknown-authority': 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  expired: 'CERT_HAS_EXPIRED',
  'not-yet-valid': 'CERT_NOT_YET_VALID',
  'hostname-mismatch': 'ERR_TLS_CERT_ALTNAME_INVALID',
  'not-a-ca': 'INVALID_CA',
  'path-length': 'PATH_LENGTH_EXCEEDED',
  'bad-signature': 'CERT_SIGNATURE_FAILURE',
  eku: 'INVALID_PURPOSE',
  'name-constraints': 'PERMITTED_SUBTREE_VIOLATION',
  'unhandled-critical-extension': 'UNHANDLED_CRITICAL_EXTENSION',
  malformed: 'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
};

// ------------------------------------------------------------------ server

/**
 * A TCP server whose connections speak TLS 1.3. Events as node:tls.Server:
 * 'connection' (the raw socket), 'secureConnection' (our TLSSocket, after
 * the handshake), 'tlsClientError' (error, socket) when a handshake fails.
 */
export class Server extends net.Server {
  readonly config: ServerConfig;
  private readonly handshakeTimeout: number | undefined;
  private readonly idleTimeout: number | undefined;
  private readonly halfOpen: boolean;

  constructor(options: ServerOptions, secureConnectionListener?: (socket: TLSSocket) => void) {
    // The raw sockets are half-open so a TLS-level half-close stays possible;
    // whether our TLSSocket allows it is `options.allowHalfOpen`.
    super({ allowHalfOpen: true });
    this.config = serverConfig(options);
    // Fail at creation, not at the first client, on a bad certificate or key.
    serverSettings(this.config);
    this.handshakeTimeout = options.handshakeTimeout;
    this.idleTimeout = options.idleTimeout;
    this.halfOpen = options.allowHalfOpen ?? false;
    this.on('connection', (raw: net.Socket) => this.accept(raw));
    if (secureConnectionListener) this.on('secureConnection', secureConnectionListener);
  }

  private accept(raw: net.Socket): void {
    let connection: ServerConnection;
    try {
      connection = new ServerConnection(this.config);
    } catch (err) {
      raw.destroy();
      this.emit('tlsClientError', err, undefined);
      return;
    }
    const socket = new TLSSocket(raw, connection, {
      ...(this.handshakeTimeout === undefined ? {} : { handshakeTimeout: this.handshakeTimeout }),
      ...(this.idleTimeout === undefined ? {} : { idleTimeout: this.idleTimeout }),
      allowHalfOpen: this.halfOpen,
    });
    // Until the handshake is done, failures belong to the server, not to an
    // application that has not seen the socket yet.
    const onError = (err: Error): void => {
      this.emit('tlsClientError', err, socket);
    };
    socket.on('error', onError);
    socket.once('secure', () => {
      socket.off('error', onError);
      this.emit('secureConnection', socket);
    });
  }
}

/** Servers verifying client certificates default to the system roots, as clients do. */
function serverConfig(options: ServerOptions): ServerConfig {
  const verifies = options.clientAuth === 'verify-if-given' || options.clientAuth === 'require-and-verify';
  if (verifies && options.ca === undefined && options.clientCa === undefined) return { ...options, ca: DEFAULT_CA };
  return options;
}

/** node:tls's createServer. */
export function createServer(options: ServerOptions, secureConnectionListener?: (socket: TLSSocket) => void): Server {
  return new Server(options, secureConnectionListener);
}

// ------------------------------------------------------------ certificates

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** OpenSSL's ASN1_TIME_print format, which Node's valid_from/valid_to use. */
function opensslDate(d: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  const time = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${time} ${d.getUTCFullYear()} GMT`;
}

function fingerprint(algorithm: 'sha1' | 'sha256' | 'sha512', der: Uint8Array): string {
  return colonHex(createHash(algorithm).update(der).digest());
}

function describeCertificate(der: Uint8Array): PeerCertificate {
  const cert = parseCertificate(der);
  const san = cert.subjectAltName?.names
    .map((n) => {
      switch (n.type) {
        case 'dns':
          return `DNS:${n.value}`;
        case 'ip':
          return `IP Address:${n.text}`;
        case 'email':
          return `email:${n.value}`;
        case 'uri':
          return `URI:${n.value}`;
        case 'directory':
          return `DirName:${n.name.text}`;
        case 'other':
          return `othername:<unsupported>`;
      }
    })
    .join(', ');
  return {
    raw: Buffer.from(der),
    subject: cert.subject.text,
    issuer: cert.issuer.text,
    subjectaltname: san,
    valid_from: opensslDate(cert.notBefore),
    valid_to: opensslDate(cert.notAfter),
    serialNumber: cert.serialHex.toUpperCase(),
    fingerprint: fingerprint('sha1', der),
    fingerprint256: fingerprint('sha256', der),
    fingerprint512: fingerprint('sha512', der),
    certificate: cert,
  };
}
