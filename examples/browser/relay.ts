/**
 * A WebSocket-to-TCP relay, so that a page can speak TLS to an ordinary TCP
 * server: the browser opens a WebSocket, the relay opens a TCP connection
 * to one fixed target, and bytes flow both ways untouched. The TLS session
 * runs end to end between the page and the target; the relay sees only
 * ciphertext.
 *
 *   npx tsx examples/browser/relay.ts --listen 127.0.0.1:8081 --target 127.0.0.1:4433
 *
 * Node 20 has a WebSocket client but no server, so this file carries the
 * server side of RFC 6455 itself: the opening handshake (§4.2), binary
 * framing with client masking (§5), ping/pong and the closing handshake
 * (§5.5, §7). It refuses text frames (a byte relay has no use for them)
 * and, by default, pages from other origins (§10.2: a WebSocket server
 * must check Origin, or any web page could use it to reach the target).
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';

/** §1.3: the GUID every server appends to the client's key. */
const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Opcodes (§5.2). */
const Op = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** Close codes (§7.4.1). */
const Close = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  unsupportedData: 1003,
  tooBig: 1009,
  internalError: 1011,
} as const;

export interface RelayTarget {
  readonly host: string;
  readonly port: number;
}

export interface RelayOptions {
  /** Where every WebSocket is connected to. Fixed: a relay that let the page choose would be an open proxy. */
  readonly target: RelayTarget;
  /** Only upgrade requests for this path (default "/relay"). */
  readonly path?: string;
  /**
   * Origins allowed to connect (e.g. "http://127.0.0.1:8080"). Requests
   * without an Origin header (non-browser clients) are allowed. Default:
   * only the origin of the HTTP server itself.
   */
  readonly allowedOrigins?: readonly string[];
  /** Largest frame payload accepted from a client (default 1 MiB). */
  readonly maxFrame?: number;
  /** Told about every connection and why it ended. */
  readonly log?: (line: string) => void;
}

export interface Relay {
  /** Open relayed connections. */
  readonly active: number;
  /** Connections relayed so far. */
  readonly total: number;
  /** Closes every relayed connection (the HTTP server is the caller's to close). */
  closeAll(): void;
}

/** The value of Sec-WebSocket-Accept for a client's Sec-WebSocket-Key (§4.2.2 step 5.4). */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + WEBSOCKET_GUID).digest('base64');
}

/** Hooks the relay into an HTTP server's 'upgrade' event. */
export function attachRelay(server: http.Server, options: RelayOptions): Relay {
  const path = options.path ?? '/relay';
  const sessions = new Set<RelaySession>();
  let total = 0;
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://relay.invalid');
    if (url.pathname !== path) {
      reject(socket, 404, 'Not Found');
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigin(server, origin, options.allowedOrigins)) {
      options.log?.(`relay: refused origin ${origin}`);
      reject(socket, 403, 'Forbidden');
      return;
    }
    const accept = openingHandshake(req);
    if (typeof accept !== 'string') {
      reject(socket, accept.status, accept.reason, accept.headers);
      return;
    }
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\n' +
        'Upgrade: websocket\r\n' +
        'Connection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    total++;
    const session = new RelaySession(socket, options, () => sessions.delete(session));
    sessions.add(session);
    if (head.length > 0) session.receive(head);
  });
  return {
    get active() {
      return sessions.size;
    },
    get total() {
      return total;
    },
    closeAll() {
      for (const s of sessions) s.destroy();
      sessions.clear();
    },
  };
}

function allowedOrigin(server: http.Server, origin: string, allowed: readonly string[] | undefined): boolean {
  if (allowed) return allowed.includes(origin);
  const address = server.address();
  if (address === null || typeof address === 'string') return false;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return origin === `http://${host}:${address.port}` || origin === `http://localhost:${address.port}`;
}

/** Checks the client's opening handshake (§4.2.1); returns the accept value or why it was refused. */
function openingHandshake(
  req: http.IncomingMessage,
): string | { status: number; reason: string; headers?: Record<string, string> } {
  const tokens = (value: string | undefined): string[] => (value ?? '').toLowerCase().split(',').map((t) => t.trim());
  if (req.method !== 'GET') return { status: 405, reason: 'Method Not Allowed' };
  if (!tokens(req.headers.upgrade).includes('websocket')) return { status: 400, reason: 'Bad Request' };
  if (!tokens(req.headers.connection).includes('upgrade')) return { status: 400, reason: 'Bad Request' };
  if (req.headers['sec-websocket-version'] !== '13') {
    // §4.4: say which version we speak.
    return { status: 426, reason: 'Upgrade Required', headers: { 'Sec-WebSocket-Version': '13' } };
  }
  const key = req.headers['sec-websocket-key'];
  // §4.1: a base64-encoded 16-byte nonce.
  if (typeof key !== 'string' || !/^[A-Za-z0-9+/]{22}==$/.test(key)) return { status: 400, reason: 'Bad Request' };
  return acceptKey(key);
}

function reject(socket: Duplex, status: number, reason: string, headers: Record<string, string> = {}): void {
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n${extra}\r\n`);
}

/** A server frame: FIN set, never masked (§5.1: servers must not mask). */
export function encodeFrame(opcode: number, payload: Uint8Array): Buffer {
  const length = payload.length;
  const headerLength = length < 126 ? 2 : length < 0x10000 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = 0x80 | opcode;
  if (length < 126) {
    frame[1] = length;
  } else if (length < 0x10000) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  frame.set(payload, headerLength);
  return frame;
}

export interface Frame {
  readonly fin: boolean;
  readonly opcode: number;
  readonly payload: Buffer;
}

/** A protocol violation by the client, with the close code to answer it (§7.4.1). */
export class FrameError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Cuts client frames out of the byte stream (§5.2), unmasking them. Every
 * rule a client must follow is checked: masking on (§5.1), reserved bits
 * off (no extension was negotiated), control frames short and unfragmented
 * (§5.5), lengths in minimal form and below our limit.
 */
export class FrameParser {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /**
   * Bytes needed before parsing is worth trying again. Input is only joined
   * once that many have arrived, so a frame sent a byte at a time costs
   * linear, not quadratic, work.
   */
  private need = 2;

  constructor(private readonly maxFrame: number) {}

  push(bytes: Buffer): Frame[] {
    if (bytes.length > 0) {
      this.chunks.push(bytes);
      this.buffered += bytes.length;
    }
    const frames: Frame[] = [];
    while (this.buffered >= this.need) {
      const b = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
      const result = this.parse(b);
      if (typeof result === 'number') {
        this.chunks = [b];
        this.need = result;
        continue;
      }
      const rest = b.subarray(result.consumed);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      this.need = 2;
      frames.push(result.frame);
    }
    return frames;
  }

  /** A whole frame and its size, or how many bytes must be buffered before it can be. */
  private parse(b: Buffer): { frame: Frame; consumed: number } | number {
    const fin = (b[0]! & 0x80) !== 0;
    if ((b[0]! & 0x70) !== 0) throw new FrameError(Close.protocolError, 'reserved bits set without a negotiated extension');
    const opcode = b[0]! & 0x0f;
    const masked = (b[1]! & 0x80) !== 0;
    if (!masked) throw new FrameError(Close.protocolError, 'client frames must be masked (RFC 6455 §5.1)');
    let length = b[1]! & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (b.length < 4) return 4;
      length = b.readUInt16BE(2);
      offset = 4;
      if (length < 126) throw new FrameError(Close.protocolError, 'length not in minimal form');
    } else if (length === 127) {
      if (b.length < 10) return 10;
      const long = b.readBigUInt64BE(2);
      if (long >> 63n !== 0n) throw new FrameError(Close.protocolError, 'the most significant length bit must be 0');
      if (long > BigInt(this.maxFrame)) throw new FrameError(Close.tooBig, `frame larger than ${this.maxFrame} bytes`);
      length = Number(long);
      offset = 10;
      if (length < 0x10000) throw new FrameError(Close.protocolError, 'length not in minimal form');
    }
    if (opcode >= 0x8 && (!fin || length > 125)) {
      throw new FrameError(Close.protocolError, 'control frames must be unfragmented and at most 125 bytes');
    }
    if (length > this.maxFrame) throw new FrameError(Close.tooBig, `frame larger than ${this.maxFrame} bytes`);
    const total = offset + 4 + length;
    if (b.length < total) return total;
    const mask = b.subarray(offset, offset + 4);
    const payload = Buffer.from(b.subarray(offset + 4, total));
    // §5.3: octet i of the payload is XORed with octet i mod 4 of the masking key.
    for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i & 3]!;
    return { frame: { fin, opcode, payload }, consumed: total };
  }
}

/** One WebSocket and the TCP connection it is relayed to. */
class RelaySession {
  private readonly parser: FrameParser;
  private readonly tcp: net.Socket;
  private closeSent = false;
  private inMessage = false;
  private ended = false;
  private tcpPaused = false;

  constructor(
    private readonly ws: Duplex,
    private readonly options: RelayOptions,
    private readonly onEnd: () => void,
  ) {
    this.parser = new FrameParser(options.maxFrame ?? 1024 * 1024);
    const { host, port } = options.target;
    this.tcp = net.connect({ host, port, allowHalfOpen: true });
    this.tcp.setNoDelay(true);
    options.log?.(`relay: WebSocket → tcp://${host}:${port}`);

    ws.on('data', (bytes: Buffer) => this.receive(bytes));
    ws.on('end', () => this.destroy(this.closeSent ? undefined : 'the browser dropped the connection without a close frame'));
    ws.on('error', (err: Error) => this.destroy(`WebSocket socket error: ${err.message}`));
    ws.on('close', () => this.destroy());
    // Backpressure, target → browser: stop reading the target while the WebSocket's socket is full.
    ws.on('drain', () => {
      if (this.tcpPaused) {
        this.tcpPaused = false;
        this.tcp.resume();
      }
    });

    this.tcp.on('data', (bytes: Buffer) => {
      if (this.closeSent) return;
      if (!this.ws.write(encodeFrame(Op.binary, bytes))) {
        this.tcpPaused = true;
        this.tcp.pause();
      }
    });
    // The target finished: pass it on as a normal closure (§7.1.2).
    this.tcp.on('end', () => this.sendClose(Close.normal, 'target closed'));
    this.tcp.on('error', (err: Error) => this.sendClose(Close.internalError, `target: ${err.message}`.slice(0, 120)));
    this.tcp.on('close', () => this.sendClose(Close.normal, 'target closed'));
    // Backpressure, browser → target.
    this.tcp.on('drain', () => this.ws.resume());
  }

  receive(bytes: Buffer): void {
    if (this.ended) return;
    let frames: Frame[];
    try {
      frames = this.parser.push(bytes);
    } catch (err) {
      const e = err instanceof FrameError ? err : new FrameError(Close.protocolError, String(err));
      this.sendClose(e.code, e.message);
      return;
    }
    for (const frame of frames) this.onFrame(frame);
  }

  private onFrame(frame: Frame): void {
    switch (frame.opcode) {
      case Op.binary:
      case Op.continuation: {
        // A continuation must follow an unfinished data frame (§5.4).
        if ((frame.opcode === Op.continuation) !== this.inMessage) {
          this.sendClose(Close.protocolError, 'unexpected continuation state');
          return;
        }
        this.inMessage = !frame.fin;
        // Message boundaries mean nothing to a byte stream: forward payloads as they come.
        if (frame.payload.length > 0 && !this.tcp.destroyed && !this.tcp.write(frame.payload)) this.ws.pause();
        return;
      }
      case Op.text:
        this.sendClose(Close.unsupportedData, 'binary frames only');
        return;
      case Op.ping:
        // §5.5.2: answer with a pong carrying the same data.
        if (!this.closeSent) this.ws.write(encodeFrame(Op.pong, frame.payload));
        return;
      case Op.pong:
        return;
      case Op.close: {
        // §5.5.1: echo the status code, then the server closes the TCP connection (§7.1.1).
        const code = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : Close.normal;
        this.sendClose(code === 1005 || code === 1006 || code === 1015 ? Close.normal : code, '');
        this.tcp.end();
        this.ws.end();
        return;
      }
      default:
        this.sendClose(Close.protocolError, `unknown opcode ${frame.opcode}`);
    }
  }

  /** Sends our close frame once (§5.5.1), stops forwarding, and closes the target. */
  private sendClose(code: number, reason: string): void {
    if (this.closeSent) return;
    this.closeSent = true;
    this.options.log?.(`relay: closing with ${code}${reason ? ` (${reason})` : ''}`);
    const body = Buffer.alloc(2 + Buffer.byteLength(reason));
    body.writeUInt16BE(code, 0);
    body.write(reason, 2);
    if (!this.ws.destroyed && this.ws.writable) this.ws.write(encodeFrame(Op.close, body));
    this.tcp.end();
    // Give the browser a moment to answer our close, then let go of the socket.
    const timer = setTimeout(() => this.destroy(), 1000);
    timer.unref();
  }

  destroy(why?: string): void {
    if (this.ended) return;
    this.ended = true;
    if (why) this.options.log?.(`relay: ${why}`);
    this.tcp.destroy();
    if (!this.ws.destroyed) this.ws.end();
    const timer = setTimeout(() => this.ws.destroy(), 200);
    timer.unref();
    this.onEnd();
  }
}

// ------------------------------------------------------------------ command line

function parseHostPort(text: string | undefined, what: string): RelayTarget {
  const m = /^(.+):(\d+)$/.exec(text ?? '');
  if (!m) throw new Error(`${what}: expected host:port, got ${text ?? 'nothing'}`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

function main(argv: readonly string[]): void {
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  if (argv.includes('--help') || !arg('--target')) {
    console.log('usage: tsx examples/browser/relay.ts --target host:port [--listen 127.0.0.1:8081] [--origin http://127.0.0.1:8080]');
    process.exitCode = argv.includes('--help') ? 0 : 2;
    return;
  }
  const target = parseHostPort(arg('--target'), '--target');
  const listen = parseHostPort(arg('--listen') ?? '127.0.0.1:8081', '--listen');
  const origin = arg('--origin');
  const server = http.createServer((_req, res) => {
    res.writeHead(426, { 'Content-Type': 'text/plain', Upgrade: 'websocket' }).end('WebSocket relay: connect with ws://…/relay\n');
  });
  attachRelay(server, { target, log: (l) => console.log(l), ...(origin ? { allowedOrigins: [origin] } : {}) });
  server.listen(listen.port, listen.host, () => {
    console.log(`relay: ws://${listen.host}:${listen.port}/relay → tcp://${target.host}:${target.port}`);
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main(process.argv.slice(2));
