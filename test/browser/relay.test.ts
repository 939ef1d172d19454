/**
 * The example's WebSocket relay (examples/browser/relay.ts), spoken to
 * byte by byte over a raw TCP socket: the RFC 6455 opening handshake, masked
 * binary frames relayed to a TCP echo server, ping/pong, the closing
 * handshake, and the refusals (unmasked or text frames, foreign origins,
 * other protocol versions).
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameError, FrameParser, acceptKey, attachRelay, encodeFrame, type Relay } from '../../examples/browser/relay.js';

/** A client frame: FIN, the opcode, masked with a random key (§5.3). */
function clientFrame(opcode: number, payload: Uint8Array, { mask = true, fin = true } = {}): Buffer {
  const length = payload.length;
  const header = length < 126 ? 2 : length < 0x10000 ? 4 : 10;
  const key = mask ? randomBytes(4) : Buffer.alloc(0);
  const out = Buffer.alloc(header + key.length + length);
  out[0] = (fin ? 0x80 : 0) | opcode;
  if (length < 126) out[1] = length;
  else if (length < 0x10000) {
    out[1] = 126;
    out.writeUInt16BE(length, 2);
  } else {
    out[1] = 127;
    out.writeBigUInt64BE(BigInt(length), 2);
  }
  if (mask) out[1]! |= 0x80;
  key.copy(out, header);
  for (let i = 0; i < length; i++) out[header + key.length + i] = payload[i]! ^ (mask ? key[i & 3]! : 0);
  return out;
}

/** Reads the HTTP response head, then unmasked server frames. */
class RawClient {
  private buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  ended = false;

  constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, d]);
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('close', () => {
      this.ended = true;
      for (const w of this.waiters.splice(0)) w();
    });
  }

  private async until<T>(take: () => T | undefined): Promise<T> {
    for (;;) {
      const v = take();
      if (v !== undefined) return v;
      if (this.ended) throw new Error('connection closed');
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  head(): Promise<string> {
    return this.until(() => {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return undefined;
      const head = this.buffer.subarray(0, end).toString('latin1');
      this.buffer = this.buffer.subarray(end + 4);
      return head;
    });
  }

  frame(): Promise<{ opcode: number; payload: Buffer }> {
    return this.until(() => {
      const b = this.buffer;
      if (b.length < 2) return undefined;
      expect(b[1]! & 0x80).toBe(0); // §5.1: servers never mask
      let length = b[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (b.length < 4) return undefined;
        length = b.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (b.length < 10) return undefined;
        length = Number(b.readBigUInt64BE(2));
        offset = 10;
      }
      if (b.length < offset + length) return undefined;
      this.buffer = b.subarray(offset + length);
      return { opcode: b[0]! & 0x0f, payload: Buffer.from(b.subarray(offset, offset + length)) };
    });
  }

  closed(): Promise<void> {
    return this.until(() => (this.ended ? true : undefined)).then(() => undefined);
  }
}

let echo: net.Server;
let server: http.Server;
let relay: Relay;
let port: number;

beforeAll(async () => {
  echo = net.createServer((s) => s.pipe(s));
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  server = http.createServer((_req, res) => res.writeHead(426).end());
  relay = attachRelay(server, { target: { host: '127.0.0.1', port: (echo.address() as net.AddressInfo).port }, maxFrame: 70_000 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});

afterAll(async () => {
  relay.closeAll();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await new Promise((resolve) => echo.close(resolve));
});

async function open(headers: Record<string, string> = {}): Promise<{ client: RawClient; head: string }> {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise((resolve) => socket.once('connect', resolve));
  const client = new RawClient(socket);
  const all: Record<string, string> = {
    Host: `127.0.0.1:${port}`,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version': '13',
    ...headers,
  };
  socket.write(`GET /relay HTTP/1.1\r\n${Object.entries(all).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
  return { client, head: await client.head() };
}

describe('the opening handshake (RFC 6455 §4.2)', () => {
  it('computes Sec-WebSocket-Accept as in the RFC’s example (§1.3)', () => {
    expect(acceptKey('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('switches protocols for a valid request from the page’s own origin', async () => {
    const { client, head } = await open({ Origin: `http://127.0.0.1:${port}` });
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 101 Switching Protocols');
    expect(head).toContain('Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    client.socket.destroy();
  });

  it('refuses another origin (403), another version (426) and a malformed key (400)', async () => {
    expect((await open({ Origin: 'https://evil.example' })).head).toMatch(/^HTTP\/1\.1 403 /);
    const version = (await open({ 'Sec-WebSocket-Version': '8' })).head;
    expect(version).toMatch(/^HTTP\/1\.1 426 /);
    expect(version).toContain('Sec-WebSocket-Version: 13');
    expect((await open({ 'Sec-WebSocket-Key': 'short' })).head).toMatch(/^HTTP\/1\.1 400 /);
  });
});

describe('relaying', () => {
  it('forwards binary frames to the target and its bytes back, answers pings, and closes cleanly', async () => {
    const { client } = await open();
    const big = randomBytes(70_000);
    client.socket.write(clientFrame(0x2, Buffer.from('hello ')));
    // A message in two fragments: binary, then a continuation (§5.4).
    client.socket.write(clientFrame(0x2, Buffer.from('wor'), { fin: false }));
    client.socket.write(clientFrame(0x0, Buffer.from('ld')));
    let echoed = Buffer.alloc(0);
    while (echoed.length < 11) {
      const f = await client.frame();
      expect(f.opcode).toBe(0x2);
      echoed = Buffer.concat([echoed, f.payload]);
    }
    expect(echoed.toString()).toBe('hello world');

    client.socket.write(clientFrame(0x9, Buffer.from('are you there')));
    expect(await client.frame()).toEqual({ opcode: 0xa, payload: Buffer.from('are you there') });

    client.socket.write(clientFrame(0x2, big));
    echoed = Buffer.alloc(0);
    while (echoed.length < big.length) echoed = Buffer.concat([echoed, (await client.frame()).payload]);
    expect(echoed.equals(big)).toBe(true);

    const code = Buffer.alloc(2);
    code.writeUInt16BE(1000);
    client.socket.write(clientFrame(0x8, code));
    const close = await client.frame();
    expect(close.opcode).toBe(0x8);
    expect(close.payload.readUInt16BE(0)).toBe(1000);
    await client.closed();
  });

  it('closes with 1002 on an unmasked frame and 1003 on a text frame', async () => {
    for (const [frame, expected] of [
      [clientFrame(0x2, Buffer.from('x'), { mask: false }), 1002],
      [clientFrame(0x1, Buffer.from('text')), 1003],
      [clientFrame(0x2, Buffer.alloc(70_001)), 1009],
    ] as const) {
      const { client } = await open();
      client.socket.write(frame);
      const close = await client.frame();
      expect(close.opcode).toBe(0x8);
      expect(close.payload.readUInt16BE(0)).toBe(expected);
      client.socket.destroy();
    }
  });
});

describe('FrameParser', () => {
  it('reassembles frames from single bytes, with 7-, 16- and 64-bit lengths', () => {
    const payloads = [Buffer.from('a'), randomBytes(300), randomBytes(66_000)];
    const wire = Buffer.concat(payloads.map((p) => clientFrame(0x2, p)));
    const parser = new FrameParser(1 << 20);
    const frames = [];
    for (let i = 0; i < wire.length; i++) frames.push(...parser.push(wire.subarray(i, i + 1)));
    expect(frames.map((f) => f.payload)).toEqual(payloads);
  });

  it('rejects lengths not in minimal form and fragmented control frames', () => {
    const notMinimal = Buffer.from([0x82, 0x80 | 126, 0x00, 0x05, 1, 2, 3, 4, 0, 0, 0, 0, 0]);
    expect(() => new FrameParser(1024).push(notMinimal)).toThrow(FrameError);
    expect(() => new FrameParser(1024).push(clientFrame(0x9, Buffer.from('p'), { fin: false }))).toThrow(/control frames/);
  });

  it('server frames use the shortest length form (§5.2)', () => {
    expect([...encodeFrame(0x2, new Uint8Array(125)).subarray(0, 2)]).toEqual([0x82, 125]);
    expect([...encodeFrame(0x2, new Uint8Array(126)).subarray(0, 4)]).toEqual([0x82, 126, 0, 126]);
    expect([...encodeFrame(0x2, new Uint8Array(65_536)).subarray(0, 10)]).toEqual([0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0]);
  });
});
