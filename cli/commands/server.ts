/**
 * `tls13 server`: a TLS 1.3 server on a TCP port, in the spirit of
 * `openssl s_server`. Without --www it echoes what each client sends; with
 * --www it answers one HTTP request per connection with a plain-text page
 * describing the connection, including whether the request came as 0-RTT.
 *
 * Once listening it prints one line on stdout, "ACCEPT host:port", so that
 * scripts (and tests using port 0) learn the port. Connection logs go to
 * stderr.
 */
import net from 'node:net';
import {
  MemoryReplayCache,
  ServerConnection,
  nobleCrypto,
  parseCertificate,
  type ClientAuthMode,
  type ServerConfig,
} from '../../src/index.js';
import { parseArgs, type CommandSpec } from '../args.js';
import { SHARED_FLAGS, describeState, sharedConfig, traceWriter } from '../common.js';
import { Driver } from '../driver.js';
import { readCertificates, readKeyPair } from '../files.js';

const CLIENT_AUTH_MODES: readonly ClientAuthMode[] = ['none', 'request', 'require', 'verify-if-given', 'require-and-verify'];

export const SERVER_SPEC: CommandSpec = {
  name: 'tls13 server',
  positionals: [],
  summary: 'Accept TLS 1.3 connections; echo what clients send, or (--www) answer HTTP requests with a status page.',
  flags: {
    host: { type: 'string', value: 'ADDR', help: 'address to listen on (default 127.0.0.1)' },
    port: { type: 'integer', value: 'PORT', max: 65535, help: 'TCP port (default 4433; 0 picks a free one)' },
    cert: { type: 'string', value: 'FILE', help: 'certificate chain, PEM, leaf first (required)' },
    key: { type: 'string', value: 'FILE', help: 'private key of the leaf, PEM (required)' },
    ca: { type: 'string', value: 'FILE', help: 'CA certificates that client certificates must chain to (implies --client-auth require-and-verify)' },
    'client-auth': { type: 'string', value: 'MODE', choices: CLIENT_AUTH_MODES, help: 'client certificate policy' },
    www: { type: 'boolean', help: 'answer each HTTP request with a page describing the connection, then close' },
    tickets: { type: 'integer', value: 'N', max: 16, help: 'session tickets sent after each handshake (default 2)' },
    'early-data': { type: 'integer', value: 'BYTES', max: 0xffffffff, help: 'accept up to BYTES of 0-RTT data per connection (default 0: off)' },
    naccept: { type: 'integer', value: 'N', min: 1, help: 'exit after N connections have closed' },
    ...SHARED_FLAGS,
  },
  epilogue: [
    'examples:',
    '  tls13 server --cert localhost.crt --key localhost.key --port 4433 --www --early-data 16384',
    '  tls13 server --cert localhost.crt --key localhost.key --ca ca/ca.crt      (mutual TLS)',
  ].join('\n'),
};

export async function serverCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(SERVER_SPEC, argv);
  const certPath = args.required('cert');
  const keyPath = args.required('key');
  const quiet = args.flag('quiet');
  const ca = args.string('ca');
  let clientAuth = args.string('client-auth') as ClientAuthMode | undefined;
  if (clientAuth === undefined) clientAuth = ca ? 'require-and-verify' : 'none';
  if ((clientAuth === 'verify-if-given' || clientAuth === 'require-and-verify') && !ca) {
    args.fail(`--client-auth ${clientAuth} needs --ca (the CAs client certificates must chain to)`);
  }

  const trace = args.flag('trace');
  const config: ServerConfig = {
    ...sharedConfig(args),
    certificates: [readKeyPair(certPath, keyPath)],
    clientAuth,
    ...(ca ? { clientCa: readCertificates(ca, 'CA file') } : {}),
    ticketCount: args.integer('tickets') ?? 2,
    maxEarlyData: args.integer('early-data') ?? 0,
    // --trace needs a config per connection (so the trace says which
    // connection it is); those copies must share what the library otherwise
    // keeps per config object: the ticket keys (or a ticket from one
    // connection would not open on the next) and the anti-replay store (or
    // 0-RTT data could be replayed from one connection to another).
    ...(trace ? { ticketKeys: [nobleCrypto.random(32)], antiReplay: new MemoryReplayCache() } : {}),
  };
  // Build the server's settings once now, so a bad certificate/key pair fails at start-up, not at the first client.
  new ServerConnection(config);
  const configFor = (prefix: string): ServerConfig => (trace ? { ...config, trace: traceWriter('server', `${prefix} `) } : config);

  const log = (line: string): void => {
    if (!quiet) process.stderr.write(`${line}\n`);
  };
  const naccept = args.integer('naccept');
  const www = args.flag('www');
  let accepted = 0;
  let closed = 0;
  const sockets = new Set<net.Socket>();

  return new Promise<number>((resolve, reject) => {
    const server = net.createServer((socket) => {
      const id = ++accepted;
      sockets.add(socket);
      if (naccept !== undefined && accepted >= naccept) server.close(); // take no more
      const peer = `${socket.remoteAddress}:${socket.remotePort}`;
      const prefix = `[#${id}]`;
      log(`${prefix} connection from ${peer}`);
      const connection = new ServerConnection(configFor(prefix));
      const handler = www ? new WwwHandler() : undefined;
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        sockets.delete(socket);
        closed++;
        if (naccept !== undefined && closed >= naccept) {
          server.close();
          resolve(0);
        }
      };
      const driver = new Driver(socket, connection, {
        onEvent(event) {
          switch (event.type) {
            case 'handshake': {
              log(`${prefix} handshake: ${describeState(event.state)}`);
              const clientCert = event.state.peerCertificates[0];
              if (clientCert) log(`${prefix} client certificate: ${subjectOf(clientCert)}`);
              return;
            }
            case 'data':
              if (event.early) log(`${prefix} received ${event.bytes.length} bytes of 0-RTT (early) data`);
              if (handler) handler.receive(event.bytes, event.early, driver, connection, log, prefix);
              else driver.write(event.bytes);
              return;
            case 'end':
              log(`${prefix} client sent close_notify`);
              if (!handler || !handler.answering) driver.close();
              return;
            case 'key_update':
              log(`${prefix} keys updated (${event.direction})`);
              return;
            case 'error':
              log(`${prefix} error: ${event.error.message}`);
              driver.abort();
              return;
            case 'close':
              log(`${prefix} closed`);
              return;
            default:
              return;
          }
        },
        onSocketEnd(clean) {
          if (!clean && !connection.error) log(`${prefix} TCP connection ended without close_notify`);
          if (!connection.closed) driver.close();
        },
        onSocketError(err) {
          log(`${prefix} socket error: ${err.message}`);
        },
        onSocketClose: finish,
      });
    });
    server.on('error', (err) => reject(err));
    const host = args.string('host') ?? '127.0.0.1';
    server.listen(args.integer('port') ?? 4433, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const shown = host.includes(':') ? `[${host}]` : host;
      process.stdout.write(`ACCEPT ${shown}:${port}\n`);
    });
    const stop = (): void => {
      server.close();
      for (const s of sockets) s.destroy();
      resolve(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

function subjectOf(der: Uint8Array): string {
  try {
    const c = parseCertificate(der);
    return `${c.subject.text || '(empty subject)'}, issued by ${c.issuer.text}`;
  } catch {
    return '(unparseable certificate)';
  }
}

/** Largest request head we wait for before answering anyway. */
const MAX_REQUEST = 16 * 1024;

/**
 * --www: collects one HTTP request head, waits until the handshake is
 * confirmed (the client's Finished verified: 0-RTT data is replayable until
 * then, RFC 8446 §8), answers with a text page about the connection, and
 * closes, as `openssl s_server -www` does.
 */
class WwwHandler {
  private request = '';
  private early = false;
  private earlyBytes = 0;
  answering = false;

  receive(
    bytes: Uint8Array,
    early: boolean,
    driver: Driver,
    connection: ServerConnection,
    log: (line: string) => void,
    prefix: string,
  ): void {
    if (this.answering) return;
    for (const b of bytes) this.request += String.fromCharCode(b);
    if (early) {
      this.early = true;
      this.earlyBytes += bytes.length;
    }
    if (!requestComplete(this.request) && this.request.length < MAX_REQUEST) return;
    this.answering = true;
    const requestLine = this.request.split(/\r?\n/, 1)[0] ?? '';
    log(`${prefix} request: ${requestLine}${this.early ? ' (arrived as 0-RTT early data)' : ''}`);
    connection.confirmHandshake().then(
      () => {
        driver.write(this.page(requestLine, connection));
        driver.close();
      },
      () => {
        // The connection failed before its handshake was confirmed; the error event reports it.
      },
    );
  }

  private page(requestLine: string, connection: ServerConnection): Uint8Array {
    const s = connection.state;
    const lines = [
      'tls13 server: connection status',
      '',
      `Request: ${requestLine}`,
      `Protocol: ${s.version ?? '?'}`,
      `Cipher: ${s.cipherSuite?.name ?? '?'}`,
      `Group: ${s.group?.name ?? 'none (psk_ke)'}`,
      `ALPN: ${s.alpnProtocol ?? '(none)'}`,
      `SNI: ${s.serverName ?? '(none)'}`,
      `Resumed: ${s.resumed ? 'yes' : 'no'}`,
      `Early data accepted: ${s.earlyDataAccepted ? 'yes' : 'no'}`,
      `Request arrived as early data: ${this.early ? `yes (${this.earlyBytes} bytes of 0-RTT data; replayable, answered only after the handshake was confirmed)` : 'no'}`,
      `Client certificate: ${s.peerCertificates[0] ? subjectOf(s.peerCertificates[0]) : '(none)'}`,
      '',
    ];
    const encoder = new TextEncoder();
    const body = encoder.encode(lines.join('\r\n'));
    const head = encoder.encode(
      `HTTP/1.0 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
    );
    const out = new Uint8Array(head.length + body.length);
    out.set(head);
    out.set(body, head.length);
    return out;
  }
}

/** A request head is complete at its blank line; an HTTP/0.9-style line ("GET /") at its end. */
function requestComplete(text: string): boolean {
  if (/\r?\n\r?\n/.test(text)) return true;
  const nl = text.indexOf('\n');
  return nl >= 0 && !/HTTP\/\d/.test(text.slice(0, nl));
}
