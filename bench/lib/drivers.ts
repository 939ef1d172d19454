/**
 * How the benches move bytes:
 *
 * - in memory: a client and a server connection in one process, bytes
 *   handed over with takeOutgoing()/receive() until both are quiet;
 * - loopback TCP: node:net on 127.0.0.1 (port 0), our sans-I/O connections
 *   driven straight from the sockets' 'data' events (no stream adapter in
 *   between, so the figure is the engine plus the kernel's loopback);
 * - node:tls: the same loopback, with Node's OpenSSL TLS on both ends.
 *
 * Both ends always run in this one process, on one core, as in the in-memory
 * case: the figures are "handshakes per second of one core doing both sides".
 */
import net from 'node:net';
import tls from 'node:tls';
import type { ClientConfig, ServerConfig } from '../../src/config.js';
import { ClientConnection, ServerConnection, type ConnectionEvent } from '../../src/connection.js';

// ---------------------------------------------------------------- in memory

export interface HandshakeExpectation {
  readonly resumed?: boolean;
  readonly earlyDataAccepted?: boolean;
  /** Group code point, or null for none (psk_ke). */
  readonly group?: number | null;
  readonly scheme?: number;
}

/** Throws unless the connection negotiated what the row claims to measure. */
export function checkNegotiated(conn: ClientConnection | ServerConnection, expect: HandshakeExpectation, where: string): void {
  const st = conn.state;
  if (conn.error) throw new Error(`${where}: ${conn.error.alert}: ${conn.error.message}`);
  if (!st.handshakeComplete) throw new Error(`${where}: handshake did not complete`);
  if (expect.resumed !== undefined && st.resumed !== expect.resumed) throw new Error(`${where}: resumed=${st.resumed}, wanted ${expect.resumed}`);
  if (expect.earlyDataAccepted !== undefined && st.earlyDataAccepted !== expect.earlyDataAccepted) {
    throw new Error(`${where}: earlyDataAccepted=${st.earlyDataAccepted}, wanted ${expect.earlyDataAccepted}`);
  }
  if (expect.group !== undefined && (st.group?.code ?? null) !== expect.group) throw new Error(`${where}: group ${st.group?.name}, wanted ${expect.group}`);
  if (expect.scheme !== undefined && st.signatureScheme?.code !== expect.scheme && !st.resumed) {
    throw new Error(`${where}: scheme ${st.signatureScheme?.name}, wanted ${expect.scheme}`);
  }
}

/** Shuttles bytes both ways until neither side has anything to send. */
export async function pumpPair(client: ClientConnection, server: ServerConnection): Promise<void> {
  for (let round = 0; round < 64; round++) {
    await client.settled();
    const toServer = client.takeOutgoing();
    if (toServer.length > 0) server.receive(toServer);
    await server.settled();
    const toClient = server.takeOutgoing();
    if (toClient.length > 0) client.receive(toClient);
    if (toServer.length === 0 && toClient.length === 0) return;
  }
  throw new Error('pumpPair: still talking after 64 round trips');
}

export interface MemoryPair {
  readonly client: ClientConnection;
  readonly server: ServerConnection;
  readonly clientEvents: ConnectionEvent[];
  readonly serverEvents: ConnectionEvent[];
}

/** One complete in-memory handshake (tickets delivered too), checked against `expect`. */
export async function memoryHandshake(
  clientConfig: ClientConfig,
  serverConfig: ServerConfig,
  serverName: string,
  expect: HandshakeExpectation = {},
  early?: Uint8Array,
): Promise<MemoryPair> {
  const client = new ClientConnection(clientConfig, { serverName });
  const server = new ServerConnection(serverConfig);
  if (early) client.write(early);
  await pumpPair(client, server);
  checkNegotiated(client, expect, 'client');
  checkNegotiated(server, expect, 'server');
  return { client, server, clientEvents: client.events(), serverEvents: server.events() };
}

// ------------------------------------------------------------ loopback (ours)

type Waiter = () => void;

/** Completion of the server side of each connection, keyed by the client's local port. */
class Completions {
  private readonly done = new Set<number>();
  private readonly waiters = new Map<number, Waiter>();
  private failure: Error | undefined;

  complete(port: number): void {
    const w = this.waiters.get(port);
    if (w) {
      this.waiters.delete(port);
      w();
    } else this.done.add(port);
  }

  fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiters.values()) w();
    this.waiters.clear();
  }

  wait(port: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.done.delete(port)) return Promise.resolve();
    return new Promise((resolve, reject) =>
      this.waiters.set(port, () => (this.failure ? reject(this.failure) : resolve())),
    );
  }
}

/** A listening server on 127.0.0.1 that speaks our TLS from a ServerConfig. */
export class OurLoopbackServer {
  private readonly server: net.Server;
  private readonly completions = new Completions();
  /** Application bytes received per connection (bulk runs). */
  readonly received = new Map<number, { bytes: number; waiter?: { target: number; resolve: () => void } }>();
  port = 0;

  constructor(private readonly config: ServerConfig) {
    this.server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
  }

  listen(): Promise<void> {
    return new Promise((resolve) =>
      this.server.listen(0, '127.0.0.1', () => {
        this.port = (this.server.address() as net.AddressInfo).port;
        resolve();
      }),
    );
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  serverDone(clientPort: number): Promise<void> {
    return this.completions.wait(clientPort);
  }

  /** Resolves once the connection from `clientPort` has delivered `total` application bytes. */
  receivedBytes(clientPort: number, total: number): Promise<void> {
    const entry = this.received.get(clientPort);
    if (!entry) throw new Error('no such connection');
    if (entry.bytes >= total) return Promise.resolve();
    return new Promise((resolve) => (entry.waiter = { target: total, resolve }));
  }

  private accept(socket: net.Socket): void {
    const port = socket.remotePort!;
    const conn = new ServerConnection(this.config);
    const counter: { bytes: number; waiter?: { target: number; resolve: () => void } } = { bytes: 0 };
    this.received.set(port, counter);
    socket.on('error', () => undefined);
    socket.on('close', () => this.received.delete(port));
    socket.on('end', () => socket.end());
    socket.on('data', (chunk: Buffer) => {
      conn.receive(chunk);
      for (const ev of conn.events()) {
        if (ev.type === 'handshake') this.completions.complete(port);
        else if (ev.type === 'data') {
          counter.bytes += ev.bytes.length;
          if (counter.waiter && counter.bytes >= counter.waiter.target) {
            const w = counter.waiter;
            counter.waiter = undefined;
            w.resolve();
          }
        } else if (ev.type === 'error') this.completions.fail(new Error(`server: ${ev.error.alert}: ${ev.error.message}`));
      }
      const out = conn.takeOutgoing();
      if (out.length > 0) socket.write(out);
    });
  }
}

export interface LoopbackClient {
  readonly socket: net.Socket;
  readonly conn: ClientConnection;
  readonly localPort: number;
}

/**
 * Connects over TCP and runs the client side until its handshake completes
 * (and, with `waitTicket`, until a ticket has arrived, so the next resumed
 * handshake has one). `keepOpen` leaves the socket open for a bulk run.
 */
export function ourLoopbackClient(
  port: number,
  config: ClientConfig,
  serverName: string,
  options: { early?: Uint8Array; waitTicket?: boolean; expect?: HandshakeExpectation } = {},
): Promise<LoopbackClient> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    const conn = new ClientConnection(config, { serverName });
    if (options.early) conn.write(options.early);
    let complete = false;
    let ticket = false;
    let settledOnce = false;
    const flush = () => {
      const out = conn.takeOutgoing();
      if (out.length > 0) socket.write(out);
    };
    const finish = () => {
      if (settledOnce) return;
      settledOnce = true;
      try {
        checkNegotiated(conn, options.expect ?? {}, 'client (loopback)');
      } catch (err) {
        socket.destroy();
        reject(err);
        return;
      }
      resolve({ socket, conn, localPort: socket.localPort! });
    };
    socket.on('connect', flush);
    socket.on('error', (err) => {
      if (!settledOnce) {
        settledOnce = true;
        reject(err);
      }
    });
    socket.on('data', (chunk: Buffer) => {
      conn.receive(chunk);
      for (const ev of conn.events()) {
        if (ev.type === 'handshake') complete = true;
        else if (ev.type === 'ticket') ticket = true;
        else if (ev.type === 'error' && !settledOnce) {
          settledOnce = true;
          reject(new Error(`client: ${ev.error.alert}: ${ev.error.message}`));
        }
      }
      flush();
      if (complete && (!options.waitTicket || ticket)) finish();
    });
  });
}

/** One whole loopback handshake of ours: both sides complete, then the connection closes. */
export async function ourLoopbackHandshake(
  server: OurLoopbackServer,
  config: ClientConfig,
  serverName: string,
  options: { early?: Uint8Array; waitTicket?: boolean; expect?: HandshakeExpectation } = {},
): Promise<void> {
  const c = await ourLoopbackClient(server.port, config, serverName, options);
  await server.serverDone(c.localPort);
  c.socket.end();
}

/** Runs `count` operations at once and returns how many were done (for measureOps). */
export async function concurrently(count: number, op: () => Promise<void>): Promise<number> {
  await Promise.all(Array.from({ length: count }, op));
  return count;
}

/** Writes `total` bytes in `chunk`-sized application writes, respecting the socket's backpressure. */
export async function writeChunks(write: (data: Uint8Array) => boolean, waitDrain: () => Promise<void>, payload: Uint8Array, total: number): Promise<void> {
  for (let sent = 0; sent < total; sent += payload.length) {
    if (!write(payload)) await waitDrain();
  }
}

// --------------------------------------------------------------- node:tls

export interface NodeTlsOptions {
  readonly chainPem: string;
  readonly keyPem: string;
  readonly rootPem: string;
  readonly host: string;
  readonly ecdhCurve: string;
  readonly sigalgs: string;
  readonly ciphersuites: string;
}

/** A node:tls server on 127.0.0.1 and the matching client options. */
export class NodeTlsLoopback {
  private readonly server: tls.Server;
  private readonly completions = new Completions();
  readonly received = new Map<number, { bytes: number; waiter?: { target: number; resolve: () => void } }>();
  port = 0;
  /** The latest session (ticket) a client received, for resumption. */
  session: Buffer | undefined;

  constructor(private readonly options: NodeTlsOptions) {
    this.server = tls.createServer(
      {
        key: options.keyPem,
        cert: options.chainPem,
        minVersion: 'TLSv1.3',
        ecdhCurve: options.ecdhCurve,
        sigalgs: options.sigalgs,
        ciphers: options.ciphersuites,
        noDelay: true,
      },
      (socket) => {
        const port = socket.remotePort!;
        const counter: { bytes: number; waiter?: { target: number; resolve: () => void } } = { bytes: 0 };
        this.received.set(port, counter);
        this.completions.complete(port);
        socket.on('data', (chunk: Buffer) => {
          counter.bytes += chunk.length;
          if (counter.waiter && counter.bytes >= counter.waiter.target) {
            const w = counter.waiter;
            counter.waiter = undefined;
            w.resolve();
          }
        });
        socket.on('error', () => undefined);
        socket.on('close', () => this.received.delete(port));
        socket.on('end', () => socket.end());
      },
    );
    this.server.on('tlsClientError', (err) => this.completions.fail(err));
  }

  listen(): Promise<void> {
    return new Promise((resolve) =>
      this.server.listen(0, '127.0.0.1', () => {
        this.port = (this.server.address() as net.AddressInfo).port;
        resolve();
      }),
    );
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Connects; resolves with the open socket once the client side is done (and has a ticket, if asked). */
  connect(resume: boolean, waitTicket: boolean): Promise<tls.TLSSocket> {
    return new Promise((resolve, reject) => {
      let ticket = false;
      let secure = false;
      let done = false;
      // noDelay reaches net.Socket#connect (Node ≥ 17.7), though the tls typings omit it.
      const connectOptions: tls.ConnectionOptions & { noDelay: boolean } = {
        host: '127.0.0.1',
        port: this.port,
        servername: this.options.host,
        ca: this.options.rootPem,
        minVersion: 'TLSv1.3',
        ecdhCurve: this.options.ecdhCurve,
        ciphers: this.options.ciphersuites,
        noDelay: true,
        ...(resume && this.session ? { session: this.session } : {}),
      };
      const socket = tls.connect(connectOptions);
      const finish = () => {
        if (done || !secure || (waitTicket && !ticket)) return;
        done = true;
        if (resume && !socket.isSessionReused()) {
          socket.destroy();
          reject(new Error('node:tls did not resume the session'));
          return;
        }
        resolve(socket);
      };
      socket.on('session', (session: Buffer) => {
        this.session = session;
        ticket = true;
        finish();
      });
      socket.on('secureConnect', () => {
        secure = true;
        finish();
      });
      socket.on('error', (err) => {
        if (!done) {
          done = true;
          reject(err);
        }
      });
    });
  }

  /** One whole handshake: client and server both done, then the connection closes. */
  async handshake(resume: boolean, waitTicket: boolean): Promise<void> {
    const socket = await this.connect(resume, waitTicket);
    await this.completions.wait(socket.localPort!);
    socket.end();
  }

  receivedBytes(clientPort: number, total: number): Promise<void> {
    const entry = this.received.get(clientPort);
    if (!entry) throw new Error('no such connection');
    if (entry.bytes >= total) return Promise.resolve();
    return new Promise((resolve) => (entry.waiter = { target: total, resolve }));
  }

  serverDone(clientPort: number): Promise<void> {
    return this.completions.wait(clientPort);
  }
}
