/**
 * Key log check (issue 5 item 7): the NSS key log lines our client writes
 * (config.keyLog) must let Wireshark decrypt a real connection.
 *
 * Our ClientConnection talks to `openssl s_server -www` over 127.0.0.1 and
 * sends "GET / HTTP/1.0"; the server answers with an HTML page, both sides
 * send close_notify and close. The conversation becomes a capture file two
 * ways:
 *   - recorded: our socket sees every byte both ways, in order, and
 *     ./pcap.ts writes them as Ethernet/IPv4/TCP packets (needs no capture
 *     privilege, so it runs wherever tshark and openssl are installed);
 *   - live: `tshark -i lo` captures the connection off the loopback
 *     interface, when this machine allows packet capture.
 * Given our key log, tshark must then decrypt every handshake message, both
 * close_notify alerts and the HTTP exchange (byte for byte what we sent and
 * received), and flag no malformed packet and no expert error. With an empty
 * or a corrupted key log it must decrypt nothing: the positive checks can fail.
 *
 * Needs `openssl` and `tshark` (Debian: apt-get install tshark; .ci/run
 * installs both) and skips, saying so in its title, without them.
 * KEYLOG_KEEP=1 keeps the captures, key logs and tshark outputs in the
 * temporary directory for a look in Wireshark.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ClientConnection } from '../../src/connection.js';
import { CipherSuite } from '../../src/registry.js';
import { concat, fromHex, fromUtf8, toHex, utf8 } from '../../src/util/bytes.js';
import { PKI_DIR, ROOT, now } from '../handshake/pair.js';
import { type Chunk, writePcap } from './pcap.js';

// ----------------------------------------------------------------- tools

function versionOf(cmd: string, args: string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n')[0]!.trim() : undefined;
}

const OPENSSL = versionOf('openssl', ['version']);
const TSHARK = versionOf('tshark', ['--version']);
const MISSING = [OPENSSL ? '' : '`openssl`', TSHARK ? '' : '`tshark` (Debian package tshark)'].filter((m) => m !== '').join(' and ');
const TITLE = MISSING
  ? `key log decrypts in Wireshark (SKIPPED: no ${MISSING} on the PATH)`
  : `key log decrypts in Wireshark (${TSHARK}; ${OPENSSL})`;

/** Whether this machine lets us open `lo` for capture (dumpcap -L opens the device). */
const CAPTURE_PROBE = TSHARK ? spawnSync('dumpcap', ['-L', '-i', 'lo'], { encoding: 'utf8' }) : undefined;
const CAN_CAPTURE = MISSING === '' && CAPTURE_PROBE?.status === 0;
const LIVE_TITLE = CAN_CAPTURE
  ? 'live capture: tshark -i lo'
  : `live capture on lo (SKIPPED: ${MISSING ? `no ${MISSING}` : `capture not permitted here: ${(CAPTURE_PROBE?.stderr ?? '').trim().split('\n').pop()}`}; the recorded captures still check decryption)`;

const SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'] as const;
type SuiteName = (typeof SUITES)[number];

const REQUEST = 'GET / HTTP/1.0\r\n\r\n';

/** Handshake message types as tshark reports them (RFC 8446 §4). */
const H = { client_hello: 1, server_hello: 2, new_session_ticket: 4, encrypted_extensions: 8, certificate: 11, certificate_verify: 15, finished: 20, key_update: 24 };
/** Wireshark's PI_ERROR expert severity. */
const SEVERITY_ERROR = 0x00800000;

// ----------------------------------------------------- files, processes

/** A temporary directory, made on first use (so skipped runs leave nothing behind). */
let dir: string | undefined;
function workDir(): string {
  dir ??= mkdtempSync(join(tmpdir(), 'tls13-keylog-'));
  return dir;
}
/** tshark reads no user profile (the empty work directory stands in): what it needs is given with -o. */
function env(): NodeJS.ProcessEnv {
  return { ...process.env, WIRESHARK_CONFIG_DIR: workDir() };
}
let fileCount = 0;

function tempPath(name: string): string {
  return join(workDir(), `${++fileCount}-${name}`);
}

function tempFile(name: string, contents: string | Uint8Array): string {
  const path = tempPath(name);
  writeFileSync(path, contents);
  return path;
}

const children = new Set<ChildProcess>();

/** Ends a process we started, by its pid, and waits for it. */
async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  children.delete(child);
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    process.kill(child.pid, signal);
  } catch {
    return; // it exited in the meantime
  }
  await exited;
}

afterAll(async () => {
  for (const child of [...children]) await stop(child);
  if (dir && !process.env.KEYLOG_KEEP) rmSync(dir, { recursive: true, force: true });
});

interface Spawned {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
}

function start(cmd: string, args: string[], cwd?: string): Spawned {
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: env() });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString('utf8')));
  return { child, stdout: () => out, stderr: () => err };
}

async function until(cond: () => boolean, what: () => string, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** An ephemeral port: bind port 0, read what the OS gave, let it go. */
async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/**
 * `openssl s_server -www` limited to one suite. It prints ACCEPT once it
 * listens; waiting for that (rather than probing with connects) keeps the
 * capture free of stray connections.
 */
async function sServer(suite: SuiteName, extra: readonly string[]): Promise<{ port: number; proc: Spawned }> {
  const port = await freePort();
  const proc = start(
    'openssl',
    ['s_server', '-accept', `127.0.0.1:${port}`, '-tls1_3', '-www', '-ciphersuites', suite,
      '-cert', 'leaf-p256.pem', '-key', 'leaf-p256.key', '-cert_chain', 'int-ec.pem', ...extra],
    PKI_DIR,
  );
  await until(() => proc.stdout().includes('ACCEPT') || proc.child.exitCode !== null, () => `s_server: ${proc.stderr()}`, 5000);
  if (!proc.stdout().includes('ACCEPT')) throw new Error(`s_server did not start: ${proc.stderr()}`);
  return { port, proc };
}

// ------------------------------------------------------------- a session

interface Session {
  readonly suite: SuiteName;
  readonly serverPort: number;
  readonly clientPort: number;
  /** The TCP byte streams as our socket saw them, in order. */
  readonly chunks: readonly Chunk[];
  readonly keyLog: readonly string[];
  readonly received: Uint8Array;
  readonly conn: ClientConnection;
  /** Events the connection raised, as `type` or `key_update:direction`. */
  readonly events: readonly string[];
}

interface SessionOptions {
  /** Send a KeyUpdate asking the server to update too, before the request. */
  readonly keyUpdate?: boolean;
  /** Extra s_server arguments. */
  readonly server?: readonly string[];
  /** Runs once the server listens and before our client connects (starts a live capture). */
  readonly beforeConnect?: (port: number) => Promise<void>;
}

/**
 * One HTTP/1.0 request from our client, recording every byte the socket
 * writes and reads. The server answers, sends close_notify; we answer with
 * ours and FIN; it closes. The server process is ended by pid afterwards.
 */
async function session(suite: SuiteName, options: SessionOptions = {}): Promise<Session> {
  const { port, proc } = await sServer(suite, options.server ?? []);
  try {
    await options.beforeConnect?.(port);
    return await converse(port);
  } finally {
    await stop(proc.child);
  }

  async function converse(port: number): Promise<Session> {
    const keyLog: string[] = [];
    const conn = new ClientConnection({ ca: ROOT, now, sessionCache: false, keyLog: (line) => keyLog.push(line) }, { serverName: 'localhost' });
    // allowHalfOpen: our close_notify must still go out after the server's FIN, whichever comes first.
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    try {
      await new Promise<void>((resolve, reject) => socket.once('connect', () => resolve()).once('error', reject));
      const clientPort = socket.localPort!;
      const chunks: Chunk[] = [];
      const events: string[] = [];
      let received: Uint8Array = new Uint8Array(0);

      const flush = (): void => {
        const out = conn.takeOutgoing();
        if (out.length === 0 || socket.destroyed || socket.writableEnded) return;
        chunks.push({ from: 'client', bytes: out });
        socket.write(out);
      };
      const onEvents = (): void => {
        for (const e of conn.events()) {
          events.push(e.type === 'key_update' ? `key_update:${e.direction}` : e.type);
          if (e.type === 'handshake') {
            if (options.keyUpdate) conn.updateKeys(true);
            conn.write(utf8(REQUEST));
          } else if (e.type === 'data') {
            received = concat(received, e.bytes);
          } else if (e.type === 'end') {
            conn.close();
            flush();
            socket.end();
            chunks.push({ from: 'client', fin: true });
          } else if (e.type === 'error') {
            socket.destroy(e.error);
          }
        }
        flush();
      };

      const closed = new Promise<void>((resolve, reject) => {
        socket.on('data', (d: Buffer) => {
          const bytes = new Uint8Array(d);
          chunks.push({ from: 'server', bytes });
          try {
            conn.receive(bytes);
          } catch (err) {
            // The design promises alerts, never exceptions, out of receive().
            socket.destroy(new Error(`exception escaped receive(): ${String(err)}`));
            return;
          }
          conn.settled().then(onEvents).catch((err: unknown) => socket.destroy(err instanceof Error ? err : new Error(String(err))));
        });
        socket.on('end', () => chunks.push({ from: 'server', fin: true }));
        socket.on('close', () => resolve());
        socket.on('error', reject);
      });
      flush();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`session timed out; events ${events.join(',')}`)), 8000);
      });
      await Promise.race([closed, timeout]).finally(() => clearTimeout(timer));
      return { suite, serverPort: port, clientPort, chunks, keyLog, received, conn, events };
    } finally {
      socket.destroy();
    }
  }
}

// ---------------------------------------------------------------- tshark

/** tshark on a capture with `keyLogFile`; the server port is decoded as TLS carrying HTTP. */
function tshark(pcap: string, keyLogFile: string, port: number, args: readonly string[]): Promise<string> {
  const argv = [
    '-r', pcap, '-n',
    '-o', `tls.keylog_file:${keyLogFile}`,
    '-o', 'tcp.desegment_tcp_streams:TRUE',
    '-o', 'tls.desegment_ssl_records:TRUE',
    '-o', 'tls.desegment_ssl_application_data:TRUE',
    // s_server's HTTP/1.0 answer has no Content-Length: dissect the headers
    // where they arrive instead of waiting for a body that ends with the stream.
    '-o', 'http.desegment_body:FALSE',
    '-d', `tcp.port==${port},tls`,
    '-d', `tls.port==${port},http`,
    ...args,
  ];
  return new Promise((resolve, reject) => {
    execFile('tshark', argv, { env: env(), timeout: 20_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`tshark ${argv.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

const FIELDS = [
  'frame.number',
  'tcp.srcport',
  'tls.handshake.type',
  'tls.handshake.random',
  'tls.handshake.ciphersuite',
  'tls.alert_message.desc',
  'http.request.method',
  'http.request.uri',
  'http.request.version',
  'http.response.code',
  'http.content_type',
  '_ws.malformed',
  '_ws.expert.severity',
  '_ws.expert.message',
] as const;
type Field = (typeof FIELDS)[number];
type Row = Record<Field, string[]>;

/** What tshark made of a capture. */
interface Dissection {
  /** Handshake message types it could read, per direction, in order. */
  readonly clientHandshake: number[];
  readonly serverHandshake: number[];
  readonly clientAlerts: number[];
  readonly serverAlerts: number[];
  readonly clientRandom: string | undefined;
  readonly cipherSuite: number | undefined;
  readonly http: { method?: string; uri?: string; version?: string; code?: string; contentType?: string };
  /** Decrypted application data of the first TCP stream ("Follow TLS Stream"), per direction. */
  readonly clientData: Uint8Array;
  readonly serverData: Uint8Array;
  /** Frames flagged malformed or with an expert note of severity error. */
  readonly problems: string[];
}

/** One tshark run: per-frame fields, then the followed TLS stream. */
async function dissect(pcap: string, keyLogFile: string, ports: { serverPort: number; clientPort: number }, extra: readonly string[] = []): Promise<Dissection> {
  const out = await tshark(pcap, keyLogFile, ports.serverPort, [
    ...extra,
    '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=\u001f', '-E', 'separator=/t',
    ...FIELDS.flatMap((f) => ['-e', f]),
    '-z', 'follow,tls,raw,0',
  ]);
  if (process.env.KEYLOG_KEEP) tempFile(`tshark-${basename(pcap)}.txt`, out);
  const [fieldPart = '', followPart = ''] = out.split(/^=+$/m);
  const rows = fieldPart
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line) => {
      const cols = line.split('\t');
      return Object.fromEntries(FIELDS.map((f, i) => [f, cols[i] ? cols[i]!.split('\u001f') : []])) as Row;
    });

  const from = (port: number): Row[] => rows.filter((r) => r['tcp.srcport'][0] === String(port));
  const nums = (rs: Row[], f: Field): number[] => rs.flatMap((r) => r[f].map(Number));
  const first = (f: Field): string | undefined => rows.flatMap((r) => r[f])[0];
  const hello = rows.find((r) => r['tls.handshake.type'][0] === String(H.client_hello));
  const serverHellos = from(ports.serverPort).filter((r) => r['tls.handshake.type'].includes(String(H.server_hello)));
  const http: Dissection['http'] = {};
  for (const [k, f] of [['method', 'http.request.method'], ['uri', 'http.request.uri'], ['version', 'http.request.version'],
    ['code', 'http.response.code'], ['contentType', 'http.content_type']] as const) {
    const v = first(f);
    if (v !== undefined) http[k] = v;
  }

  // Follow output: one hex line per chunk; the second node's lines are indented.
  const lines = followPart.split('\n').filter((l) => /^\t?[0-9a-f]+$/.test(l));
  const indented = concat(...lines.filter((l) => l.startsWith('\t')).map((l) => fromHex(l.slice(1))));
  const plain = concat(...lines.filter((l) => !l.startsWith('\t')).map((l) => fromHex(l)));
  const clientFirst = fromUtf8(indented).startsWith('GET ');

  return {
    clientHandshake: nums(from(ports.clientPort), 'tls.handshake.type'),
    serverHandshake: nums(from(ports.serverPort), 'tls.handshake.type'),
    clientAlerts: nums(from(ports.clientPort), 'tls.alert_message.desc'),
    serverAlerts: nums(from(ports.serverPort), 'tls.alert_message.desc'),
    clientRandom: hello?.['tls.handshake.random'][0],
    cipherSuite: serverHellos.length > 0 ? Number(serverHellos.at(-1)!['tls.handshake.ciphersuite'].at(-1)) : undefined,
    http,
    clientData: clientFirst ? indented : plain,
    serverData: clientFirst ? plain : indented,
    problems: rows
      .filter((r) => r['_ws.malformed'].length > 0 || r['_ws.expert.severity'].some((s) => Number(s) >= SEVERITY_ERROR))
      .map((r) => `frame ${r['frame.number'][0]}: ${r['_ws.expert.message'].join('; ')}`),
  };
}

/** The display-filter form of the problem check: the frames matching it, as tshark lists them. */
function problemFilter(pcap: string, keyLogFile: string, port: number, extra: readonly string[] = []): Promise<string> {
  return tshark(pcap, keyLogFile, port, [...extra, '-Y', '_ws.malformed || _ws.expert.severity >= error']).then((s) => s.trim());
}

function keyLogFile(lines: readonly string[]): string {
  return tempFile('keylog.txt', lines.map((l) => `${l}\n`).join(''));
}

function recordedPcap(s: Session): string {
  return tempFile(`${s.suite}.pcap`, writePcap(s.chunks, { clientPort: s.clientPort, serverPort: s.serverPort }));
}

/** tshark verifies our synthesized IPv4 and TCP checksums (live loopback ones are left to the NIC, so never for those). */
const CHECKSUMS = ['-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE'] as const;

/** The key log with every secret's first byte flipped: the right client random, the wrong keys. */
function corrupted(lines: readonly string[]): string[] {
  return lines.map((l) => {
    const [label, random, secret] = l.split(' ') as [string, string, string];
    const flipped = (parseInt(secret.slice(0, 2), 16) ^ 0xff).toString(16).padStart(2, '0');
    return `${label} ${random} ${flipped}${secret.slice(2)}`;
  });
}

interface Expected {
  /** Handshake messages before the usual ones (a HelloRetryRequest's pair). */
  readonly before?: { readonly client: number[]; readonly server: number[] };
  /** Post-handshake messages after the usual ones. */
  readonly after?: { readonly client: number[]; readonly server: number[] };
}

/** Everything a capture decrypted with our key log must show. */
function expectDecrypted(d: Dissection, s: Session, expected: Expected = {}): void {
  expect(d.problems).toEqual([]);

  // The key log names the connection by the ClientHello random on the wire.
  expect(d.clientRandom).toMatch(/^[0-9a-f]{64}$/);
  expect(s.keyLog.map((l) => l.split(' ')[1])).toEqual(s.keyLog.map(() => d.clientRandom));
  expect(d.cipherSuite).toBe(CipherSuite[s.suite]);

  // Every encrypted handshake message was readable: EncryptedExtensions,
  // Certificate, CertificateVerify and both Finished need the handshake
  // secrets; the tickets, close_notify alerts and HTTP the application ones.
  expect(d.serverHandshake).toEqual([
    ...(expected.before?.server ?? []),
    H.server_hello, H.encrypted_extensions, H.certificate, H.certificate_verify, H.finished,
    // OpenSSL sends two tickets as soon as it has our Finished.
    H.new_session_ticket, H.new_session_ticket,
    ...(expected.after?.server ?? []),
  ]);
  expect(d.clientHandshake).toEqual([...(expected.before?.client ?? []), H.client_hello, H.finished, ...(expected.after?.client ?? [])]);
  expect(d.clientAlerts).toEqual([0]);
  expect(d.serverAlerts).toEqual([0]);

  // tshark dissects the decrypted bytes as HTTP...
  expect(d.http).toEqual({ method: 'GET', uri: '/', version: 'HTTP/1.0', code: '200', contentType: 'text/html' });
  // ...and they are byte for byte what we sent and what we received.
  expect(fromUtf8(d.clientData)).toBe(REQUEST);
  expect(fromUtf8(s.received)).toMatch(/^HTTP\/1\.0 200 ok\r\n/);
  expect(toHex(d.serverData)).toBe(toHex(s.received));
}

/** With a useless key log tshark reads nothing beyond the cleartext hellos. */
function expectNothingDecrypted(d: Dissection, hellos = 1): void {
  expect(d.problems).toEqual([]);
  expect(d.serverHandshake).toEqual(Array<number>(hellos).fill(H.server_hello));
  expect(d.clientHandshake).toEqual(Array<number>(hellos).fill(H.client_hello));
  expect(d.clientAlerts).toEqual([]);
  expect(d.serverAlerts).toEqual([]);
  expect(d.http).toEqual({});
  expect(d.clientData).toHaveLength(0);
  expect(d.serverData).toHaveLength(0);
}

function expectKeyLogShape(s: Session): void {
  // NSS format: label, 32-byte client random, a secret as long as the suite's hash.
  const hashLength = s.suite === 'TLS_AES_256_GCM_SHA384' ? 48 : 32;
  expect(s.keyLog.map((l) => l.split(' ')[0]).sort()).toEqual([
    'CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'EXPORTER_SECRET',
    'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_TRAFFIC_SECRET_0',
  ]);
  for (const line of s.keyLog) expect(line).toMatch(new RegExp(`^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]{${hashLength * 2}}$`));
}

// =================================================================== tests

describe.skipIf(MISSING !== '')(TITLE, () => {
  describe.concurrent('recorded from our socket, written as pcap by the test', () => {
    for (const suite of SUITES) {
      it(`${suite}: tshark decrypts the handshake and the HTTP exchange with our key log, and nothing with an empty or corrupted one`, async () => {
        const s = await session(suite);
        expect(s.conn.error).toBeUndefined();
        expect(s.conn.state.cipherSuite?.name).toBe(suite);
        expectKeyLogShape(s);

        const pcap = recordedPcap(s);
        const [good, wrong] = await Promise.all([
          dissect(pcap, keyLogFile(s.keyLog), s, CHECKSUMS),
          dissect(pcap, keyLogFile(corrupted(s.keyLog)), s),
        ]);
        expectDecrypted(good, s);
        expectNothingDecrypted(wrong);
        if (suite === 'TLS_AES_128_GCM_SHA256') expectNothingDecrypted(await dissect(pcap, keyLogFile([]), s));
      });
    }

    it('after a KeyUpdate both ways tshark still decrypts: it derives the next secrets from the logged ones', async () => {
      const s = await session('TLS_AES_128_GCM_SHA256', { keyUpdate: true });
      expect(s.events.filter((e) => e.startsWith('key_update'))).toEqual(['key_update:write', 'key_update:read']);
      // The NSS format has no label for updated secrets: only the five first ones are logged.
      expectKeyLogShape(s);
      const d = await dissect(recordedPcap(s), keyLogFile(s.keyLog), s, CHECKSUMS);
      expectDecrypted(d, s, { after: { client: [H.key_update], server: [H.key_update] } });
    });

    it('after a HelloRetryRequest (s_server insists on P-384) the key log still decrypts everything', async () => {
      const s = await session('TLS_AES_256_GCM_SHA384', { server: ['-groups', 'P-384'] });
      expect(s.conn.state.group?.name).toBe('secp384r1');
      const pcap = recordedPcap(s);
      const log = keyLogFile(s.keyLog);
      const [good, filtered] = await Promise.all([dissect(pcap, log, s, CHECKSUMS), problemFilter(pcap, log, s.serverPort, CHECKSUMS)]);
      expectDecrypted(good, s, { before: { client: [H.client_hello], server: [H.server_hello] } });
      // The display-filter form of the problem check agrees: nothing.
      expect(filtered).toBe('');
    });

    it('the problem checks are not vacuous: a malformed ClientHello and a flipped payload bit are reported', async () => {
      const ports = { clientPort: 40000, serverPort: 443 };
      // A complete handshake record holding a 4-byte "ClientHello": too short for its random.
      const malformed = tempFile('malformed.pcap', writePcap([{ from: 'client', bytes: Uint8Array.of(0x16, 3, 1, 0, 8, 1, 0, 0, 4, 3, 3, 0, 0) }], ports));
      // A well-formed payload with one bit flipped after the checksums were computed.
      const flipped = writePcap([{ from: 'client', bytes: utf8('hello') }], ports);
      flipped[flipped.length - 1] = flipped[flipped.length - 1]! ^ 0x01;
      const none = keyLogFile([]);
      const [m, mFilter, bad, badFilter] = await Promise.all([
        dissect(malformed, none, ports),
        problemFilter(malformed, none, 443),
        dissect(tempFile('flipped.pcap', flipped), none, ports, CHECKSUMS),
        problemFilter(tempFile('flipped.pcap', flipped), none, 443, CHECKSUMS),
      ]);
      expect(m.problems).toEqual([expect.stringMatching(/^frame 4: .*Malformed Packet/)]);
      expect(mFilter).toMatch(/^4 .*Malformed Packet/);
      expect(bad.problems).toEqual([expect.stringMatching(/^frame 4: .*[Cc]hecksum/)]);
      expect(badFilter).toMatch(/^4 /);
    });
  });

  describe.skipIf(!CAN_CAPTURE)(LIVE_TITLE, { concurrent: true }, () => {
    for (const suite of SUITES) {
      it(`${suite}: tshark decrypts the connection it captured with our key log`, async () => {
        const live = tempPath(`live-${suite}.pcap`);
        let capture: Capture | undefined;
        const s = await session(suite, {
          beforeConnect: async (port) => {
            capture = await startCapture(port, live);
          },
        });
        // tshark prints each packet once it is in the file: stop (SIGINT: it
        // writes out and exits) when both FINs are there, not before.
        await until(() => capture!.finsFrom().size >= 2, () => `capture saw FINs from ${[...capture!.finsFrom()].join(', ') || 'nobody'}: ${capture!.stderr()}`);
        await stop(capture!.child, 'SIGINT');
        expect(capture!.stderr()).toMatch(/\b\d+ packets? captured/);
        expectKeyLogShape(s);
        expectDecrypted(await dissect(live, keyLogFile(s.keyLog), s), s);
      });
    }
  });
});

interface Capture extends Spawned {
  /** Source ports of the TCP FIN segments tshark has written so far. */
  finsFrom(): Set<string>;
}

/**
 * Starts `tshark -i lo` on `port`'s TCP traffic, printing one line per packet
 * written (-P -l, fields: udp.dstport, tcp.srcport, tcp.flags.fin).
 *
 * tshark says "Capturing on" a little before packets really flow, so we send
 * UDP datagrams to a second, unused port the filter also takes until tshark
 * prints one: from then on the capture sees everything.
 */
async function startCapture(port: number, file: string): Promise<Capture> {
  const beacon = await freePort();
  const proc = start('tshark', [
    '-i', 'lo', '-n', '-l', '-P', '-T', 'fields', '-e', 'udp.dstport', '-e', 'tcp.srcport', '-e', 'tcp.flags.fin',
    '-f', `tcp port ${port} or udp port ${beacon}`, '-w', file,
  ]);
  const rows = (): string[][] => proc.stdout().split('\n').map((l) => l.split('\t'));
  const capture: Capture = {
    ...proc,
    // Booleans print as 1 (tshark 4.0) or True (later versions).
    finsFrom: () => new Set(rows().filter((r) => /^(1|true)$/i.test(r[2] ?? '')).map((r) => r[1]!)),
  };
  const udp = createSocket('udp4');
  try {
    const deadline = Date.now() + 10_000;
    while (!rows().some((r) => r[0] === String(beacon))) {
      if (proc.child.exitCode !== null) throw new Error(`tshark could not capture: ${proc.stderr()}`);
      if (Date.now() > deadline) throw new Error(`tshark saw no beacon: ${proc.stderr()}`);
      udp.send('beacon', beacon, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    udp.close();
  }
  return capture;
}
