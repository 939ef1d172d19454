/**
 * The Web Streams adapter: TLS over `{ readable, writable }` byte streams,
 * in memory (streamPair), over a real TCP socket wrapped as web streams,
 * and over WebSocket-shaped objects. Node 20 has the WHATWG stream classes
 * as globals, so these are the same streams a browser or Deno hands out.
 */
import net from 'node:net';
import { Readable, Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClientConfig, ServerConfig } from '../../src/config.js';
import { TLSError } from '../../src/errors.js';
import { NamedGroup } from '../../src/registry.js';
import { createServer, type TLSSocket } from '../../src/transport/node.js';
import { chopRandomly } from '../../src/transport/memory.js';
import {
  StreamError,
  acceptStreams,
  connectStreams,
  streamPair,
  webSocketStreams,
  type ByteStreams,
  type WebSocketLike,
} from '../../src/transport/webstreams.js';
import { IMPOSTOR_ROOT, clientConfig, closeServer, listen, portOf, seeded, serverConfig, sha256 } from './helpers.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const decode = (b: Uint8Array): string => new TextDecoder().decode(b);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Classical groups only: the hybrid ML-KEM share is exercised elsewhere and costs time here. */
const FAST = [NamedGroup.x25519, NamedGroup.secp256r1];
const client: ClientConfig = { ...clientConfig, groups: FAST };
const server: ServerConfig = { ...serverConfig, groups: FAST };

async function readAll(readable: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  const reader = readable.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    length += value.length;
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Deterministic bytes that are not a repeating pattern (a misplaced record would show). */
function payload(length: number, seed: number): Uint8Array {
  const random = seeded(seed);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += 4) {
    const v = Math.floor(random() * 2 ** 32);
    out[i] = v & 0xff;
    out[i + 1] = (v >>> 8) & 0xff;
    out[i + 2] = (v >>> 16) & 0xff;
    out[i + 3] = v >>> 24;
  }
  return out;
}

/** Resolves to 'pending' if `promise` has not settled after the current turn of the event loop. */
async function status(promise: Promise<unknown>): Promise<'fulfilled' | 'rejected' | 'pending'> {
  let state: 'fulfilled' | 'rejected' | 'pending' = 'pending';
  promise.then(
    () => (state = 'fulfilled'),
    () => (state = 'rejected'),
  );
  await sleep(0);
  return state;
}

function pair(options: Parameters<typeof streamPair>[0] = {}) {
  const [a, b] = streamPair(options);
  const s = acceptStreams(b, server);
  const c = connectStreams(a, client, { serverName: 'localhost' });
  return { c, s };
}

describe('handshake and data over an in-memory streamPair', () => {
  it('completes the handshake and echoes through pipeTo, then closes cleanly', async () => {
    const { c, s } = pair();
    const echo = s.readable.pipeTo(s.writable);
    const [cs, ss] = await Promise.all([c.handshake, s.handshake]);
    expect(cs.version).toBe('TLSv1.3');
    expect(cs.cipherSuite).toEqual(ss.cipherSuite);
    expect(ss.serverName).toBe('localhost');
    expect(cs.verifiedChains.length).toBeGreaterThan(0);
    expect(c.connection.handshakeState).toBe('CONNECTED');

    const writer = c.writable.getWriter();
    await writer.write(text('hello, '));
    await writer.write(text('streams'));
    await writer.close();
    // Our close_notify ends the server's readable; pipeTo then closes its writable (its close_notify).
    expect(decode(await readAll(c.readable))).toBe('hello, streams');
    await Promise.all([echo, c.closed, s.closed]);
    expect(c.connection.closed).toBe(true);
    expect(s.connection.closed).toBe(true);
  });

  it('reassembles records from a transport that cuts every chunk into 1..7 bytes', async () => {
    const { c, s } = pair({ chop: chopRandomly(7, seeded(8446)) });
    const echo = s.readable.pipeTo(s.writable);
    const data = payload(40_000, 1);
    const writer = c.writable.getWriter();
    const written = writer.write(data).then(() => writer.close());
    expect(sha256(await readAll(c.readable))).toBe(sha256(data));
    await Promise.all([written, echo, c.closed, s.closed]);
  });

  it('accepts ArrayBuffer views and rejects strings with a clear message', async () => {
    const { c, s } = pair();
    const writer = c.writable.getWriter();
    await writer.write(new DataView(text('view').buffer) as unknown as Uint8Array);
    const reader = s.readable.getReader();
    expect(decode((await reader.read()).value!)).toBe('view');
    await expect(writer.write('text' as unknown as Uint8Array)).rejects.toThrow(/TextEncoderStream/);
  });

  it('moves 4 MiB each way intact', async () => {
    const { c, s } = pair();
    const up = payload(4 * 1024 * 1024, 2);
    const down = payload(4 * 1024 * 1024, 3);
    const send = async (w: WritableStream<Uint8Array>, data: Uint8Array): Promise<void> => {
      const writer = w.getWriter();
      // Mixed chunk sizes: below, at and above the record size.
      for (let at = 0, n = 1; at < data.length; n = (n * 7) % 100_003) {
        const size = Math.min(data.length - at, 1 + (n % 70_000));
        await writer.write(data.subarray(at, at + size));
        at += size;
      }
      await writer.close();
    };
    const [, , atServer, atClient] = await Promise.all([
      send(c.writable, up),
      send(s.writable, down),
      readAll(s.readable),
      readAll(c.readable),
    ]);
    expect(atServer.length).toBe(up.length);
    expect(sha256(atServer)).toBe(sha256(up));
    expect(sha256(atClient)).toBe(sha256(down));
    await Promise.all([c.closed, s.closed]);
  });

  it('honours backpressure: a stalled reader stops the transport, and the writer waits', async () => {
    let sent = 0;
    const [a, b] = streamPair({ highWaterMark: 16 * 1024 });
    const s = acceptStreams(b, server, { highWaterMark: 16 * 1024, onWire: (d, bytes) => d === 'sent' && (sent += bytes.length) });
    const c = connectStreams(a, client, { serverName: 'localhost', highWaterMark: 16 * 1024 });
    await s.handshake;
    const big = payload(2 * 1024 * 1024, 4);
    const writer = s.writable.getWriter();
    const write = writer.write(big);
    await sleep(50);
    // Nobody reads on the client: only a bounded amount can be in flight.
    expect(await status(write)).toBe('pending');
    expect(sent).toBeLessThan(512 * 1024);
    expect(c.readable.locked).toBe(false);
    const received = readAll(c.readable);
    await write;
    await writer.close();
    expect(sha256(await received)).toBe(sha256(big));
  });

  it('sends data written before the handshake once it completes', async () => {
    const [a, b] = streamPair();
    const c = connectStreams(a, client, { serverName: 'localhost' });
    const early = c.writable.getWriter().write(text('queued'));
    const s = acceptStreams(b, server);
    const reader = s.readable.getReader();
    expect(decode((await reader.read()).value!)).toBe('queued');
    await early;
  });
});

describe('closing', () => {
  it('closes each direction on its own: the server still answers after the client’s close_notify', async () => {
    const { c, s } = pair();
    const cw = c.writable.getWriter();
    await cw.write(text('question'));
    await cw.close();
    // The client's close_notify ends the server's readable (§6.1) ...
    expect(decode(await readAll(s.readable))).toBe('question');
    // ... but neither side is closed until the server closes its direction too.
    expect(await status(s.closed)).toBe('pending');
    expect(await status(c.closed)).toBe('pending');
    const sw = s.writable.getWriter();
    await sw.write(text('answer after your close_notify'));
    await sw.close();
    expect(decode(await readAll(c.readable))).toBe('answer after your close_notify');
    await Promise.all([c.closed, s.closed]);
    expect(c.connection.closed && s.connection.closed).toBe(true);
  });

  it('a close() before the handshake completes waits for it, then sends close_notify', async () => {
    const [a, b] = streamPair();
    const c = connectStreams(a, client, { serverName: 'localhost' });
    const closing = c.writable.getWriter().close();
    const s = acceptStreams(b, server);
    expect((await readAll(s.readable)).length).toBe(0);
    await closing;
    await s.writable.close();
    await Promise.all([c.closed, s.closed]);
  });

  it('ERR_TLS_TRUNCATED on a clean transport end without close_notify; allowTruncation makes it an end', async () => {
    for (const allowTruncation of [false, true]) {
      // Server-side transport whose writable we close by hand, bypassing TLS.
      const toClient = new TransformStream<Uint8Array, Uint8Array>();
      const toServer = new TransformStream<Uint8Array, Uint8Array>();
      const c = connectStreams({ readable: toClient.readable, writable: toServer.writable }, client, {
        serverName: 'localhost',
        allowTruncation,
      });
      const serverWriter = toClient.writable.getWriter();
      const s = acceptStreams({ readable: toServer.readable, writable: new WritableStream({ write: (chunk) => serverWriter.write(chunk) }) }, server);
      await s.handshake;
      await c.handshake;
      await serverWriter.close();
      if (allowTruncation) {
        expect((await readAll(c.readable)).length).toBe(0);
        // The read side is over; closing ours ends the connection.
        await c.writable.close();
        await c.closed;
      } else {
        await expect(readAll(c.readable)).rejects.toMatchObject({ code: 'ERR_TLS_TRUNCATED' });
        await expect(c.closed).rejects.toMatchObject({ code: 'ERR_TLS_TRUNCATED' });
      }
      await s.writable.abort().catch(() => undefined);
    }
  });

  it('abort() on the writable tears the connection down on both sides', async () => {
    const { c, s } = pair();
    await Promise.all([c.handshake, s.handshake]);
    const serverRead = readAll(s.readable);
    await c.writable.abort(new Error('user gave up'));
    await expect(c.closed).rejects.toMatchObject({ code: 'ABORT_ERR' });
    await expect(readAll(c.readable)).rejects.toMatchObject({ code: 'ABORT_ERR' });
    // The server's transport was aborted under it: an error, not a clean end.
    await expect(serverRead).rejects.toBeInstanceOf(StreamError);
    await expect(s.closed).rejects.toBeInstanceOf(StreamError);
  });

  it('cancel() on the readable tears the connection down too', async () => {
    const { c, s } = pair();
    await c.handshake;
    await c.readable.cancel('not interested');
    await expect(c.closed).rejects.toMatchObject({ code: 'ABORT_ERR' });
    await expect(c.writable.getWriter().write(text('x'))).rejects.toMatchObject({ code: 'ABORT_ERR' });
    await expect(s.closed).rejects.toBeInstanceOf(StreamError);
  });
});

describe('errors and timeouts', () => {
  it('rejects a server signed by an unknown CA on both sides, with the alert', async () => {
    const [a, b] = streamPair();
    const s = acceptStreams(b, server);
    const c = connectStreams(a, { ...client, ca: IMPOSTOR_ROOT }, { serverName: 'localhost' });
    const clientError = await c.handshake.catch((e: unknown) => e);
    expect(clientError).toBeInstanceOf(TLSError);
    expect(clientError).toMatchObject({ alert: 'unknown_ca', side: 'local' });
    expect((clientError as Error).message).toMatch(/unknown authority|ca/i);
    const serverError = await s.handshake.catch((e: unknown) => e);
    expect(serverError).toMatchObject({ alert: 'unknown_ca', side: 'remote' });
    // Both streams carry the failure too.
    await expect(readAll(c.readable)).rejects.toBe(clientError);
    await expect(c.writable.getWriter().write(text('x'))).rejects.toBe(clientError);
    await expect(c.closed).rejects.toBe(clientError);
    await expect(s.closed).rejects.toBe(serverError);
  });

  it('turns garbage from the peer into a TLSError and sends an alert back', async () => {
    const [a, b] = streamPair();
    const s = acceptStreams(b, server);
    const peer = a.writable.getWriter();
    await peer.write(text('GET / HTTP/1.1\r\nHost: example\r\n\r\n'));
    const err = await s.handshake.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TLSError);
    // The alert record (content type 21) reached the transport.
    const back = await readAll(a.readable);
    expect(back[0]).toBe(21);
  });

  it('fires the handshake timeout against a peer that never answers', async () => {
    const [a] = streamPair();
    const started = Date.now();
    const c = connectStreams(a, client, { serverName: 'localhost', handshakeTimeout: 60 });
    await expect(c.handshake).rejects.toMatchObject({ code: 'ERR_TLS_HANDSHAKE_TIMEOUT' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    await expect(c.closed).rejects.toMatchObject({ code: 'ERR_TLS_HANDSHAKE_TIMEOUT' });
  });

  it('fires the idle timeout after a quiet spell, not while traffic flows', async () => {
    const [a, b] = streamPair();
    const s = acceptStreams(b, server);
    const c = connectStreams(a, client, { serverName: 'localhost', idleTimeout: 80 });
    await c.handshake;
    const writer = c.writable.getWriter();
    const reader = s.readable.getReader();
    for (let i = 0; i < 4; i++) {
      await sleep(40);
      await writer.write(text('tick'));
      await reader.read();
    }
    expect(await status(c.closed)).toBe('pending');
    await expect(c.closed).rejects.toMatchObject({ code: 'ETIMEDOUT' });
  });

  it('reports the peer closing before the handshake completed as ECONNRESET', async () => {
    const [a, b] = streamPair();
    const c = connectStreams(a, client, { serverName: 'localhost' });
    await b.writable.close();
    await expect(c.handshake).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('throws at once for a server config without a certificate', () => {
    const [, b] = streamPair();
    expect(() => acceptStreams(b, {})).toThrow();
  });
});

describe('0-RTT through the streams', () => {
  it('holds a server’s early data until the handshake is confirmed; onEvent sees it flagged early', async () => {
    const serverCfg: ServerConfig = { ...server, maxEarlyData: 4096 };
    const clientCfg: ClientConfig = { ...client, enableEarlyData: true };
    // First connection: the client config's session cache keeps the server's ticket.
    {
      const [a, b] = streamPair();
      const s = acceptStreams(b, serverCfg);
      const c = connectStreams(a, clientCfg, { serverName: 'localhost' });
      await Promise.all([c.handshake, s.handshake]);
      // Tickets follow the handshake: one round trip of data makes sure the client has read them.
      void s.readable.pipeTo(s.writable);
      const writer = c.writable.getWriter();
      await writer.write(text('first'));
      await c.readable.getReader().read();
      await writer.close();
    }
    // Second connection, with the client's bytes carried to the server by hand so the test decides when its Finished arrives.
    const toClient = new TransformStream<Uint8Array, Uint8Array>();
    const fromClient: Uint8Array[] = [];
    let feed!: ReadableStreamDefaultController<Uint8Array>;
    const forward = (): void => {
      for (const chunk of fromClient.splice(0)) feed.enqueue(chunk);
    };
    const earlyFlags: boolean[] = [];
    const s = acceptStreams(
      { readable: new ReadableStream({ start: (controller) => void (feed = controller) }), writable: toClient.writable },
      serverCfg,
      { onEvent: (e) => void (e.type === 'data' && earlyFlags.push(e.early)) },
    );
    const c = connectStreams(
      { readable: toClient.readable, writable: new WritableStream({ write: (chunk) => void fromClient.push(chunk.slice()) }) },
      clientCfg,
      { serverName: 'localhost' },
    );
    // Written before the handshake: it goes out as 0-RTT data in the first flight.
    const write = c.writable.getWriter().write(text('GET /early'));
    await sleep(20);
    forward(); // ClientHello and the early data
    const reading = s.readable.getReader().read();
    await sleep(50);
    // The server has the early data (onEvent saw it) but its reader gets nothing before the client's Finished.
    expect(earlyFlags).toEqual([true]);
    expect(s.connection.handshakeConfirmed).toBe(false);
    expect(await status(reading)).toBe('pending');
    forward(); // the client's Finished
    expect(decode((await reading).value!)).toBe('GET /early');
    expect(s.connection.handshakeConfirmed).toBe(true);
    expect((await c.handshake).earlyDataAccepted).toBe(true);
    await write;
  });
});

// ------------------------------------------------------------- real TCP

const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map(closeServer));
});

/** A node:net socket as web streams, the way Deno and Workers hand out sockets. */
function webSocketOf(socket: net.Socket): ByteStreams {
  return {
    readable: Readable.toWeb(socket) as unknown as ReadableStream<Uint8Array>,
    writable: Writable.toWeb(socket) as unknown as WritableStream<Uint8Array>,
  };
}

function dialTcp(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('over a real TCP socket wrapped as web streams', () => {
  it('web streams client ⇄ web streams server: echo and a 1 MiB hash check', async () => {
    const tcp = await listen(
      net.createServer({ allowHalfOpen: true }, (socket) => {
        const s = acceptStreams(webSocketOf(socket), server);
        void s.readable.pipeTo(s.writable).catch(() => undefined);
      }),
    );
    servers.push(tcp);
    const c = connectStreams(webSocketOf(await dialTcp(portOf(tcp))), client, { serverName: 'localhost' });
    const data = payload(1024 * 1024, 5);
    const writer = c.writable.getWriter();
    const sent = writer.write(data).then(() => writer.close());
    const back = await readAll(c.readable);
    await sent;
    expect(sha256(back)).toBe(sha256(data));
    expect((await c.handshake).serverName).toBe('localhost');
    await c.closed;
  });

  it('web streams client ⇄ the Node adapter’s server', async () => {
    const tlsServer = await listen(createServer(server, (socket: TLSSocket) => socket.pipe(socket)));
    servers.push(tlsServer);
    const c = connectStreams(webSocketOf(await dialTcp(portOf(tlsServer))), client, { serverName: 'localhost' });
    const writer = c.writable.getWriter();
    await writer.write(text('over node:net'));
    await writer.close();
    expect(decode(await readAll(c.readable))).toBe('over node:net');
    await c.closed;
  });
});

// ----------------------------------------------------------- WebSocket

/**
 * Two WHATWG-WebSocket-shaped objects wired to each other, delivering
 * messages asynchronously as a real socket does. Enough to test the
 * adapter's message, close and error handling without a network.
 */
class FakeWebSocket extends EventTarget implements WebSocketLike {
  binaryType = 'blob';
  readyState = 0;
  bufferedAmount = 0;
  peer: FakeWebSocket | undefined;
  closeCodes: number[] = [];

  static pair(): [FakeWebSocket, FakeWebSocket] {
    const a = new FakeWebSocket();
    const b = new FakeWebSocket();
    a.peer = b;
    b.peer = a;
    setTimeout(() => {
      a.open();
      b.open();
    }, 1);
    return [a, b];
  }

  open(): void {
    this.readyState = 1;
    this.dispatchEvent(new Event('open'));
  }

  send(data: Uint8Array): void {
    const copy = data.slice().buffer;
    setTimeout(() => this.peer?.deliver(copy), 0);
  }

  sendText(data: string): void {
    setTimeout(() => this.peer?.deliver(data), 0);
  }

  deliver(data: unknown): void {
    if (this.readyState !== 1) return;
    this.dispatchEvent(Object.assign(new Event('message'), { data }));
  }

  close(code = 1005): void {
    if (this.readyState >= 2) return;
    this.closeCodes.push(code);
    this.readyState = 3;
    setTimeout(() => {
      this.dispatchEvent(Object.assign(new Event('close'), { code, wasClean: true }));
      this.peer?.remoteClose(code);
    }, 0);
  }

  remoteClose(code: number): void {
    if (this.readyState >= 2) return;
    this.readyState = 3;
    this.dispatchEvent(Object.assign(new Event('close'), { code, wasClean: true }));
  }

  drop(): void {
    this.readyState = 3;
    this.dispatchEvent(Object.assign(new Event('close'), { code: 1006, wasClean: false }));
  }
}

describe('webSocketStreams', () => {
  it('runs TLS over a pair of WebSockets and closes them with code 1000', async () => {
    const [wa, wb] = FakeWebSocket.pair();
    const [ta, tb] = await Promise.all([webSocketStreams(wa), webSocketStreams(wb)]);
    expect(wa.binaryType).toBe('arraybuffer');
    const s = acceptStreams(tb, server);
    const echo = s.readable.pipeTo(s.writable);
    const c = connectStreams(ta, client, { serverName: 'localhost' });
    const writer = c.writable.getWriter();
    await writer.write(text('through a websocket'));
    const reader = c.readable.getReader();
    expect(decode((await reader.read()).value!)).toBe('through a websocket');
    // Closing ends the conversation: close_notify both ways, then the socket.
    await writer.close();
    expect((await reader.read()).done).toBe(true);
    await Promise.all([c.closed, s.closed, echo]);
    expect([...wa.closeCodes, ...wb.closeCodes]).toContain(1000);
  });

  it('errors the readable on a text message and on an abnormal close', async () => {
    const [wa, wb] = FakeWebSocket.pair();
    const ta = await webSocketStreams(wa);
    await webSocketStreams(wb);
    wb.sendText('not binary');
    await expect(ta.readable.getReader().read()).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(wa.closeCodes).toEqual([1003]);

    const [wc, wd] = FakeWebSocket.pair();
    const tc = await webSocketStreams(wc);
    await webSocketStreams(wd);
    wc.drop();
    await expect(tc.readable.getReader().read()).rejects.toMatchObject({ code: 'ECONNRESET' });
    await expect(tc.writable.getWriter().write(text('x'))).rejects.toMatchObject({ code: 'EPIPE' });
  });

  it('rejects when the socket closes before it opens', async () => {
    const ws = new FakeWebSocket();
    const opening = webSocketStreams(ws);
    ws.drop();
    await expect(opening).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
