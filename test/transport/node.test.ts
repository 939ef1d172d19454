/**
 * The Node adapter over real loopback sockets (127.0.0.1, ephemeral ports)
 * and over in-process Duplex pairs. Every server is closed and every socket
 * destroyed in afterEach, so a failing test cannot leave handles behind.
 */
import { X509Certificate, randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientConnection, ServerConnection } from '../../src/connection.js';
import { LruSessionCache } from '../../src/handshake/sessions.js';
import { TLSError } from '../../src/errors.js';
import { TLSSocket, connect, createServer, type ConnectOptions, type Server, type ServerOptions } from '../../src/transport/node.js';
import {
  CLIENT_CERT,
  IMPOSTOR_ROOT,
  LOCALHOST,
  LOOPBACK_IP,
  NOW,
  ROOT,
  clientConfig,
  closeServer,
  duplexPair,
  listen,
  once,
  portOf,
  readAll,
  serverConfig,
  sha256,
} from './helpers.js';

const servers: net.Server[] = [];
const sockets: Duplex[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map(closeServer));
});

function track<T extends Duplex>(socket: T): T {
  sockets.push(socket);
  return socket;
}

/** Our server on 127.0.0.1; accepted sockets are tracked for teardown. */
async function startServer(options: ServerOptions, onSecure?: (socket: TLSSocket) => void): Promise<Server> {
  const server = createServer(options, (socket) => {
    track(socket);
    onSecure?.(socket);
  });
  server.on('connection', (raw: net.Socket) => track(raw));
  servers.push(server);
  return listen(server);
}

function dial(server: net.Server, options: Partial<ConnectOptions> = {}): TLSSocket {
  return track(connect({ ...clientConfig, host: '127.0.0.1', servername: 'localhost', port: portOf(server), ...options }));
}

/** Writes `data` in `chunk`-sized pieces, honouring write()'s backpressure; resolves with how often it had to wait. */
async function writeWithBackpressure(socket: Duplex, data: Uint8Array, chunk = 64 * 1024): Promise<number> {
  let waits = 0;
  for (let at = 0; at < data.length; at += chunk) {
    if (!socket.write(data.subarray(at, at + chunk))) {
      waits++;
      await once(socket, 'drain');
    }
  }
  return waits;
}

describe('connect / createServer over loopback', () => {
  it('echoes data and exposes the negotiated parameters on both sides', async () => {
    let serverSide: TLSSocket | undefined;
    const server = await startServer({ ...serverConfig, alpnProtocols: ['echo/1'] }, (s) => {
      serverSide = s;
      s.pipe(s);
    });
    const client = dial(server, { alpnProtocols: ['other/2', 'echo/1'] });
    await once(client, 'secureConnect');

    expect(client.encrypted).toBe(true);
    expect(client.getProtocol()).toBe('TLSv1.3');
    expect(client.getCipher()).toEqual({ name: 'TLS_AES_128_GCM_SHA256', standardName: 'TLS_AES_128_GCM_SHA256', version: 'TLSv1.3' });
    expect(client.authorized).toBe(true);
    expect(client.authorizationError).toBeUndefined();
    expect(client.alpnProtocol).toBe('echo/1');
    expect(client.isSessionReused()).toBe(false);
    expect(client.earlyData).toBe(false);
    await client.confirmHandshake();

    client.write('hello, ');
    client.end('world');
    expect((await readAll(client)).toString()).toBe('hello, world');

    expect(serverSide).toBeDefined();
    await serverSide!.confirmHandshake();
    expect(serverSide!.servername).toBe('localhost');
    expect(serverSide!.alpnProtocol).toBe('echo/1');
    // No client certificate was asked for.
    expect(serverSide!.authorized).toBe(false);
    expect(serverSide!.getPeerCertificate()).toBeUndefined();
    // Both ends derive the same exporter values (RFC 8446 §7.5).
    const ctx = Buffer.from('context');
    expect(client.exportKeyingMaterial(32, 'EXPORTER-test', ctx)).toEqual(serverSide!.exportKeyingMaterial(32, 'EXPORTER-test', ctx));
    expect(client.exportKeyingMaterial(32, 'EXPORTER-test', ctx)).not.toEqual(client.exportKeyingMaterial(32, 'EXPORTER-other', ctx));
  });

  it('verifies an IP address against iPAddress entries and sends no SNI for it', async () => {
    let sni: string | false | undefined;
    const server = await startServer({ certificates: [LOOPBACK_IP], now: NOW }, (s) => {
      sni = s.servername;
      s.end('ok');
    });
    const client = track(connect({ ...clientConfig, host: '127.0.0.1', port: portOf(server) }));
    expect((await readAll(client)).toString()).toBe('ok');
    expect(client.authorized).toBe(true);
    expect(sni).toBe(false);
  });

  it('describes the peer certificate as node:crypto does', async () => {
    const server = await startServer(serverConfig, (s) => s.end());
    const client = dial(server);
    await once(client, 'secureConnect');
    const cert = client.getPeerCertificate(true)!;
    const reference = new X509Certificate(LOCALHOST.cert);
    expect(cert.raw).toEqual(reference.raw);
    expect(cert.fingerprint256).toBe(reference.fingerprint256);
    expect(cert.fingerprint).toBe(reference.fingerprint);
    expect(cert.fingerprint512).toBe(reference.fingerprint512);
    expect(cert.serialNumber).toBe(reference.serialNumber);
    expect(cert.valid_from).toBe(reference.validFrom);
    expect(cert.valid_to).toBe(reference.validTo);
    expect(cert.subjectaltname).toBe(reference.subjectAltName);
    expect(cert.subject).toBe('CN=p256.test, O=tls13 test');
    expect(cert.issuer).toBe('CN=Test Intermediate CA, O=tls13 test');
    // Detailed: linked up the verified chain to the self-signed root.
    expect(cert.issuerCertificate?.subject).toBe('CN=Test Intermediate CA, O=tls13 test');
    const root = cert.issuerCertificate?.issuerCertificate;
    expect(root?.raw).toEqual(new X509Certificate(ROOT).raw);
    expect(root?.issuerCertificate).toBe(root);
    expect(client.getPeerCertificate()!.issuerCertificate).toBeUndefined();
  });

  it('runs asynchronous hooks on both sides', async () => {
    const delay = (): Promise<void> => new Promise((r) => setTimeout(r, 10));
    const seen: string[] = [];
    const server = await startServer(
      {
        ...serverConfig,
        async getConfigForClient(hello) {
          await delay();
          seen.push(`server: ${hello.serverName}`);
          return undefined;
        },
      },
      (s) => s.pipe(s),
    );
    const client = dial(server, {
      async verifyPeerCertificate(raw) {
        await delay();
        seen.push(`client: ${raw.length}`);
      },
    });
    client.end('async');
    expect((await readAll(client)).toString()).toBe('async');
    expect(seen).toEqual(['server: localhost', 'client: 2']);
  });

  it('keeps working across a KeyUpdate', async () => {
    const keyUpdates: string[] = [];
    const server = await startServer(serverConfig, (s) => {
      s.on('keyUpdate', (direction: string) => keyUpdates.push(direction));
      s.pipe(s);
    });
    const client = dial(server);
    await once(client, 'secureConnect');
    client.write('before ');
    client.updateKeys(true);
    client.end('after');
    expect((await readAll(client)).toString()).toBe('before after');
    // The server switched its read keys, then (asked to) its write keys (§4.6.3).
    expect(keyUpdates).toEqual(['read', 'write']);
  });

  it('uses the system roots when `ca` is not given (and so rejects the test PKI)', async () => {
    const server = await startServer(serverConfig, (s) => s.end());
    const { ca: _ca, ...noCa } = clientConfig;
    const client = track(connect({ ...noCa, host: '127.0.0.1', servername: 'localhost', port: portOf(server) }));
    const err = await once<TLSError>(client, 'error');
    expect(err).toBeInstanceOf(TLSError);
    expect(err.alert).toBe('unknown_ca');
    // Not "no trust anchors configured": the default trust store was there.
    expect(err.message).not.toMatch(/no trust anchors/);
  });

  it('rejects a server signed by an unknown CA: TLSError on the client, tlsClientError on the server', async () => {
    let secure = 0;
    const server = await startServer(serverConfig, () => secure++);
    const serverError = new Promise<[Error, TLSSocket]>((resolve) =>
      server.once('tlsClientError', (err: Error, socket: TLSSocket) => resolve([err, socket])),
    );
    const client = dial(server, { ca: IMPOSTOR_ROOT });
    const closed = new Promise((resolve) => client.once('close', resolve));
    const clientError = await once<TLSError>(client, 'error');
    expect(clientError).toBeInstanceOf(TLSError);
    expect(clientError.alert).toBe('unknown_ca');
    expect(clientError.side).toBe('local');

    const [err, socket] = await serverError;
    expect(err).toBeInstanceOf(TLSError);
    expect((err as TLSError).alert).toBe('unknown_ca');
    expect((err as TLSError).side).toBe('remote');
    expect(socket).toBeInstanceOf(TLSSocket);
    expect(secure).toBe(0);
    await closed;
    expect(client.destroyed).toBe(true);
  });

  it('with rejectUnauthorized: false completes the handshake and reports why the peer is not authorized', async () => {
    const server = await startServer(serverConfig, (s) => s.end('hi'));
    const untrusted = dial(server, { ca: IMPOSTOR_ROOT, rejectUnauthorized: false });
    expect((await readAll(untrusted)).toString()).toBe('hi');
    expect(untrusted.authorized).toBe(false);
    expect(untrusted.authorizationError).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');

    const wrongName = dial(server, { servername: 'wrong.test', rejectUnauthorized: false });
    expect((await readAll(wrongName)).toString()).toBe('hi');
    expect(wrongName.authorized).toBe(false);
    expect(wrongName.authorizationError).toBe('ERR_TLS_CERT_ALTNAME_INVALID');

    const fine = dial(server, { rejectUnauthorized: false });
    expect((await readAll(fine)).toString()).toBe('hi');
    expect(fine.authorized).toBe(true);
    expect(fine.authorizationError).toBeUndefined();
  });

  it('authenticates a client certificate when the server requires one', async () => {
    let peer: string | undefined;
    let authorized: boolean | undefined;
    const server = await startServer({ ...serverConfig, clientAuth: 'require-and-verify', ca: ROOT }, (s) => {
      peer = s.getPeerCertificate()?.subject;
      authorized = s.authorized;
      s.end('welcome');
    });
    const client = dial(server, { certificates: [CLIENT_CERT] });
    expect((await readAll(client)).toString()).toBe('welcome');
    expect(peer).toBe('CN=client.test');
    expect(authorized).toBe(true);

    const anonymous = dial(server);
    const err = await once<TLSError>(anonymous, 'error');
    expect(err.alert).toBe('certificate_required');
  });

  it("resumes with the Buffer of a 'session' event, as node:tls", async () => {
    const server = await startServer(serverConfig, (s) => s.end('hi'));
    const first = dial(server);
    const session = new Promise<Buffer>((resolve) => first.once('session', resolve));
    expect((await readAll(first)).toString()).toBe('hi');
    expect(first.isSessionReused()).toBe(false);
    const ticket = await session;
    expect(ticket).toBeInstanceOf(Buffer);
    expect(first.getSession()).toBeInstanceOf(Buffer);

    const second = dial(server, { session: ticket });
    expect((await readAll(second)).toString()).toBe('hi');
    expect(second.isSessionReused()).toBe(true);
    // The chain from the original handshake is still reported.
    expect(second.getPeerCertificate()?.subject).toBe('CN=p256.test, O=tls13 test');
  });

  it('does not mistake a FIN that arrives while a hook is pending for a failed handshake', async () => {
    // The client's Certificate, Finished, data, close_notify and FIN arrive
    // together while the server is still checking the certificate.
    const server = await startServer(
      {
        ...serverConfig,
        clientAuth: 'require-and-verify',
        ca: ROOT,
        async verifyPeerCertificate() {
          await new Promise((r) => setTimeout(r, 100));
        },
        allowHalfOpen: true,
      },
      (s) => {
        readAll(s).then((request) => s.end(`got ${request}`), () => undefined);
      },
    );
    const client = dial(server, { certificates: [CLIENT_CERT], allowHalfOpen: true });
    client.end('everything at once');
    expect((await readAll(client)).toString()).toBe('got everything at once');
  });

  it('refuses to create a server without a certificate', () => {
    expect(() => createServer({})).toThrow(TLSError);
  });
});

describe('node:https integration', () => {
  async function startHttpsServer(): Promise<{ server: Server; app: http.Server }> {
    const app = http.createServer((req, res) => {
      const encrypted = (req.socket as unknown as TLSSocket).encrypted;
      res.setHeader('content-type', 'text/plain');
      res.end(`${req.method} ${req.url} encrypted=${encrypted}`);
    });
    // Our TLS server accepts; Node's HTTP server speaks HTTP over the decrypted stream.
    const server = await startServer(serverConfig, (socket) => app.emit('connection', socket));
    return { server, app };
  }

  function get(url: string, options: https.RequestOptions): Promise<{ status: number; body: string; socket: unknown }> {
    return new Promise((resolve, reject) => {
      const req = https.get(url, options, (res) => {
        readAll(res).then((body) => resolve({ status: res.statusCode ?? 0, body: body.toString(), socket: res.socket }), reject);
      });
      req.on('error', reject);
    });
  }

  it('works as createConnection for https.get', async () => {
    const { server } = await startHttpsServer();
    const port = portOf(server);
    let created = 0;
    const res = await get(`https://localhost:${port}/path?q=1`, {
      createConnection: (opts: https.RequestOptions) => {
        created++;
        return track(connect({ ...clientConfig, host: '127.0.0.1', port, servername: String(opts.host) }));
      },
    });
    expect(created).toBe(1);
    expect(res.status).toBe(200);
    expect(res.body).toBe('GET /path?q=1 encrypted=true');
  });

  it('works as the connection factory of a keep-alive https.Agent', async () => {
    const { server } = await startHttpsServer();
    const port = portOf(server);
    let created = 0;
    class Agent extends https.Agent {
      override createConnection(opts: https.RequestOptions): Duplex {
        created++;
        return track(connect({ ...clientConfig, host: '127.0.0.1', port, servername: opts.servername ?? 'localhost' }));
      }
    }
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await get(`https://localhost:${port}/one`, { agent });
      const second = await get(`https://localhost:${port}/two`, { agent });
      expect(first.body).toBe('GET /one encrypted=true');
      expect(second.body).toBe('GET /two encrypted=true');
      // The TLS connection was kept alive and reused for the second request.
      expect(created).toBe(1);
      expect(second.socket).toBe(first.socket);
    } finally {
      agent.destroy();
    }
  });
});

describe('flow control and closing', () => {
  it('moves 16 MiB each way intact, honouring backpressure', async () => {
    const server = await startServer(serverConfig, (s) => s.pipe(s));
    const client = dial(server);
    await once(client, 'secureConnect');
    const data = randomBytes(16 * 1024 * 1024);
    const received = readAll(client);
    const waits = await writeWithBackpressure(client, data);
    client.end();
    const echoed = await received;
    expect(echoed.length).toBe(data.length);
    expect(sha256(echoed)).toBe(sha256(data));
    // 16 MiB cannot fit in the buffers: the writer must have been told to wait.
    expect(waits).toBeGreaterThan(0);
  }, 120_000);

  it('stops reading the transport while the reader is full, so a stalled reader bounds the buffers', async () => {
    const [clientEnd, serverEnd] = duplexPair(64 * 1024);
    const server = new TLSSocket(serverEnd, new ServerConnection(serverConfig));
    const client = track(connect({ ...clientConfig, socket: clientEnd }));
    track(server);
    await Promise.all([once(client, 'secureConnect'), once(server, 'secure')]);

    const data = randomBytes(4 * 1024 * 1024);
    let accepted = 0;
    const writing = (async () => {
      for (let at = 0; at < data.length; at += 16 * 1024) {
        const ok = server.write(data.subarray(at, at + 16 * 1024), () => (accepted += 16 * 1024));
        if (!ok) await once(server, 'drain');
      }
      server.end();
    })();

    // The client reads nothing for a while: the sender must stall well short of 4 MiB.
    client.pause();
    await new Promise((r) => setTimeout(r, 300));
    expect(accepted).toBeLessThan(1024 * 1024);
    expect(client.readableLength).toBeLessThan(512 * 1024);

    const received = readAll(client);
    client.resume();
    await writing;
    const all = await received;
    expect(sha256(all)).toBe(sha256(data));
  }, 60_000);

  it('half-closes: the client ends, the server still answers, then ends', async () => {
    const order: string[] = [];
    const server = await startServer({ ...serverConfig, allowHalfOpen: true }, (s) => {
      readAll(s).then((request) => {
        order.push(`server got end after "${request}"`);
        // Still writable after the client's close_notify.
        s.write('response to ');
        setTimeout(() => s.end(request), 20);
      }, () => undefined);
    });
    const client = dial(server);
    const closed = new Promise((resolve) => client.once('close', resolve));
    client.end('request');
    client.on('finish', () => order.push('client finished writing'));
    const response = await readAll(client);
    order.push('client got end');
    expect(response.toString()).toBe('response to request');
    expect(order).toEqual(['client finished writing', 'server got end after "request"', 'client got end']);
    await closed;
  });

  it('without allowHalfOpen the server side ends when the client does, as node:tls', async () => {
    let serverClosed!: Promise<unknown>;
    const server = await startServer(serverConfig, (s) => {
      serverClosed = new Promise((resolve) => s.once('close', resolve));
      s.resume();
    });
    const client = dial(server);
    const closed = new Promise((resolve) => client.once('close', resolve));
    await once(client, 'secureConnect');
    const ended = readAll(client);
    client.end();
    // The server's side ended its writing on its own, which ends our reading.
    expect((await ended).length).toBe(0);
    await closed;
    await serverClosed;
  });

  it('wraps an existing net.Socket passed as `socket`', async () => {
    const server = await startServer(serverConfig, (s) => s.pipe(s));
    const raw = track(net.connect({ host: '127.0.0.1', port: portOf(server), allowHalfOpen: true }));
    const client = track(connect({ ...clientConfig, socket: raw, servername: 'localhost' }));
    await once(client, 'secureConnect');
    expect(client.remoteAddress).toBe('127.0.0.1');
    expect(client.remotePort).toBe(portOf(server));
    expect(client.localAddress).toBe('127.0.0.1');
    client.end('over my socket');
    expect((await readAll(client)).toString()).toBe('over my socket');
  });
});

describe('timeouts and transport failures', () => {
  it("fires the client's handshake timeout against a TCP server that never answers", async () => {
    const silent = net.createServer((raw) => track(raw));
    servers.push(silent);
    await listen(silent);
    const started = Date.now();
    const client = track(connect({ ...clientConfig, host: '127.0.0.1', servername: 'localhost', port: portOf(silent), handshakeTimeout: 200 }));
    const closed = new Promise((resolve) => client.once('close', resolve));
    const err = await once<Error & { code?: string }>(client, 'error');
    expect(err.code).toBe('ERR_TLS_HANDSHAKE_TIMEOUT');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    await closed;
    expect(client.transport.destroyed).toBe(true);
  });

  it("fires the server's handshake timeout for a client that never speaks", async () => {
    const server = await startServer({ ...serverConfig, handshakeTimeout: 200 });
    const clientError = new Promise<Error & { code?: string }>((resolve) => server.once('tlsClientError', resolve));
    const raw = track(net.connect({ host: '127.0.0.1', port: portOf(server) }));
    const closed = new Promise((resolve) => raw.once('close', resolve));
    raw.resume();
    const err = await clientError;
    expect(err.code).toBe('ERR_TLS_HANDSHAKE_TIMEOUT');
    // The server hung up on it.
    await closed;
  });

  it('reports ECONNRESET when the server hangs up before the handshake', async () => {
    const rude = net.createServer((raw) => raw.destroy());
    servers.push(rude);
    await listen(rude);
    const client = track(connect({ ...clientConfig, host: '127.0.0.1', servername: 'localhost', port: portOf(rude) }));
    const err = await once<Error & { code?: string }>(client, 'error');
    expect(err.code).toBe('ECONNRESET');
  });

  it('turns garbage from the peer into a TLSError and an alert', async () => {
    const garbage = net.createServer((raw) => {
      track(raw);
      raw.once('data', () => raw.write(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n')));
    });
    servers.push(garbage);
    await listen(garbage);
    const client = track(connect({ ...clientConfig, host: '127.0.0.1', servername: 'localhost', port: portOf(garbage) }));
    const err = await once<TLSError>(client, 'error');
    expect(err).toBeInstanceOf(TLSError);
    expect(err.side).toBe('local');
  });
});

describe('idle timeout', () => {
  it('a server with idleTimeout ends a connection that stays silent, and keeps one that talks', async () => {
    const serverErrors: string[] = [];
    const server = await startServer({ ...serverConfig, idleTimeout: 400 }, (s) => {
      s.on('error', (e: Error & { code?: string }) => serverErrors.push(e.code ?? e.message));
      s.pipe(s);
    });
    const idle = dial(server);
    const busy = dial(server);
    await Promise.all([once(idle, 'secureConnect'), once(busy, 'secureConnect')]);
    idle.on('error', () => {});
    idle.resume(); // read, so that its end (and close) can be seen
    const idleClosed = once(idle, 'close');
    busy.resume();
    // The busy client talks every 100 ms, well within the timeout.
    for (let i = 0; i < 8; i++) {
      busy.write('ping');
      await new Promise((r) => setTimeout(r, 100));
    }
    await idleClosed;
    expect(serverErrors).toContain('ETIMEDOUT');
    expect(busy.destroyed).toBe(false);
  });
});

describe('0-RTT through the server adapter', () => {
  it('earlyData says whether the client 0-RTT was accepted; the early bytes reach the stream once confirmed', async () => {
    const received: { early: boolean; text: string }[] = [];
    const server = await startServer({ ...serverConfig, maxEarlyData: 1024 }, (s) => {
      s.on('data', (d: Buffer) => received.push({ early: s.earlyData, text: d.toString() }));
    });
    const cache = new LruSessionCache();
    // A first connection earns a ticket that allows 0-RTT.
    const first = dial(server, { sessionCache: cache });
    await once(first, 'session');
    first.destroy();
    // The second speaks 0-RTT from the sans-I/O client over a plain socket.
    const conn = new ClientConnection({ ...clientConfig, sessionCache: cache, enableEarlyData: true }, { serverName: 'localhost' });
    conn.write(new TextEncoder().encode('early hello'));
    const raw = track(net.connect(portOf(server), '127.0.0.1'));
    raw.write(conn.takeOutgoing());
    raw.on('data', (d: Buffer) => {
      conn.receive(new Uint8Array(d));
      const out = conn.takeOutgoing();
      if (out.length > 0) raw.write(out);
    });
    for (let i = 0; i < 100 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(conn.state.earlyDataAccepted).toBe(true);
    expect(received).toEqual([{ early: true, text: 'early hello' }]);
  });
});
