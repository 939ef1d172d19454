/**
 * The interop rows against GnuTLS (`gnutls-serv` / `gnutls-cli`, TLS 1.3
 * only). The rows, their ids and labels are those of interop/cases.ts; this
 * file only says how each one runs with GnuTLS as the peer, or why it
 * cannot (a string: the table's "n/a" footnote).
 *
 *   client: our ClientConnection ↔ `gnutls-serv --echo`
 *   server: `gnutls-cli`         ↔ our ServerConnection
 *
 * Every priority string starts from NORMAL with every version but TLS 1.3
 * removed; a case then narrows the suite, group or signature it tests.
 * gnutls-serv echoes what it reads, so in the client direction the data
 * "from the peer" is our own line coming back; gnutls-cli prints what it
 * reads and sends the lines written to its stdin.
 */
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClientConfig, ConnectionState } from '../src/config.js';
import type { ClientConnection } from '../src/connection.js';
import type { Driven } from './driver.js';
import type { PeerProcess } from './peer.js';
import {
  ccsCount,
  clientCert,
  closeQuietly,
  keyUpdates,
  ourClient,
  ourServer,
  resumeWithEarlyData,
  serverHandshake,
  token,
} from './shared.js';
import type { ServerCertName } from './pki.js';
import { check, equal, type CaseContext, type Direction } from './runner.js';

type Run = (ctx: CaseContext) => Promise<void>;
/** A run, or why the row does not apply to GnuTLS. */
export type GnutlsCell = Run | string;
export type GnutlsRow = Record<Direction, GnutlsCell>;

/** What a parameter row tests (the fields of cases.ts's Suite, Group and CertKind that matter here). */
export interface GnutlsParams {
  readonly suite: { readonly name: string; readonly code: number; readonly short: string };
  readonly group: { readonly id: string; readonly expect: string; readonly hrr: boolean; readonly client: ClientConfig; readonly server: readonly number[] };
  readonly cert: { readonly id: ServerCertName; readonly scheme: string };
}

// --------------------------------------------------------- GnuTLS names

const SUITE_NAME: Record<string, string> = {
  TLS_AES_128_GCM_SHA256: 'AES-128-GCM',
  TLS_AES_256_GCM_SHA384: 'AES-256-GCM',
  TLS_CHACHA20_POLY1305_SHA256: 'CHACHA20-POLY1305',
};

const GROUP_NAME: Record<string, string> = { x25519: 'X25519', secp256r1: 'SECP256R1', secp384r1: 'SECP384R1' };

/** What GnuTLS prints for a signature scheme in its "Description" line. */
const SCHEME_NAME: Record<string, string> = {
  ecdsa_secp256r1_sha256: 'ECDSA-SECP256R1-SHA256',
  ecdsa_secp384r1_sha384: 'ECDSA-SECP384R1-SHA384',
  ed25519: 'EdDSA-Ed25519',
  rsa_pss_rsae_sha256: 'RSA-PSS-RSAE-SHA256',
};

const TLS13 = 'NORMAL:-VERS-ALL:+VERS-TLS1.3';

function priority(o: { suite?: string; groups?: readonly string[] } = {}): string {
  let p = TLS13;
  if (o.suite) p += `:-CIPHER-ALL:+${SUITE_NAME[o.suite]}`;
  if (o.groups) p += `:-GROUP-ALL${o.groups.map((g) => `:+GROUP-${GROUP_NAME[g]}`).join('')}`;
  return p;
}

// --------------------------------------------------------------- helpers






function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Our client's error, which must be `alert` from `side`. */
async function expectError(ctx: CaseContext, d: Driven, step: string, alerts: readonly string[], side: 'local' | 'remote'): Promise<string> {
  const err = await ctx.step(step, () => d.waitError());
  await ctx.step(side === 'local' ? 'alert sent' : 'alert received', () => {
    check(alerts.includes(err.alert), `alert: expected ${alerts.join(' or ')}, got ${err.alert} (${err.message})`);
    equal(err.side, side, 'side');
  });
  return err.alert;
}

interface ServOptions {
  readonly cert?: ServerCertName;
  readonly priority?: string;
  readonly args?: readonly string[];
}

/**
 * Starts `gnutls-serv --echo` on a free port. It listens on every address
 * and prints its port before it accepts, but only as what was asked for, so
 * we pick the port and wait for the "listening" line.
 */
async function startServ(ctx: CaseContext, o: ServOptions = {}): Promise<{ proc: PeerProcess; port: number }> {
  const f = ctx.pki.server[o.cert ?? 'p256'];
  // gnutls-serv wants the leaf and its intermediates in one file.
  const chainFile = join(ctx.workdir, `server-chain-${o.cert ?? 'p256'}.pem`);
  writeFileSync(chainFile, f.chainPem);
  return ctx.step('start gnutls-serv', async () => {
    const port = await ctx.freePort();
    const proc = ctx.spawn([
      'gnutls-serv',
      '--echo',
      '-p',
      String(port),
      '--x509certfile',
      chainFile,
      '--x509keyfile',
      f.key,
      '--priority',
      o.priority ?? priority(),
      ...(o.args ?? []),
    ]);
    await proc.waitFor(/listening on IPv4 .* port \d+\.\.\.done/, 'its listening line');
    return { proc, port };
  });
}

interface CliOptions {
  readonly priority?: string;
  readonly serverName?: string;
  readonly args?: readonly string[];
}

/** Starts `gnutls-cli` against our server, verifying our chain and host name. */
function startCli(ctx: CaseContext, port: number, o: CliOptions = {}): PeerProcess {
  const name = o.serverName ?? 'localhost';
  return ctx.spawn([
    'gnutls-cli',
    '-p',
    String(port),
    '127.0.0.1',
    '--x509cafile',
    ctx.pki.caFile,
    '--sni-hostname',
    name,
    '--verify-hostname',
    name,
    '--priority',
    o.priority ?? priority(),
    ...(o.args ?? []),
  ]);
}

async function clientHandshake(ctx: CaseContext, port: number, config: ClientConfig, serverName = 'localhost'): Promise<{ d: Driven<ClientConnection>; st: ConnectionState }> {
  const d = await ctx.step('connect', () => ctx.connect(port, config, { serverName }));
  const st = await ctx.step('handshake', () => d.handshake());
  return { d, st };
}


/** With gnutls-serv --echo: what we write comes back. */
async function exchangeWithServ(ctx: CaseContext, d: Driven, proc: PeerProcess, label = ''): Promise<void> {
  const t = token();
  await ctx.step(`data to peer and back${label}`, async () => {
    d.write(`tls13 says ${t}\n`);
    await d.waitText(`tls13 says ${t}\n`);
  });
  void proc;
}

/** With gnutls-cli: it prints what we send, and sends what it reads on stdin. */
async function exchangeWithCli(ctx: CaseContext, d: Driven, proc: PeerProcess, label = ''): Promise<void> {
  const t = token();
  await ctx.step(`data to peer${label}`, async () => {
    d.write(`tls13 says ${t}\n`);
    await proc.waitFor(`tls13 says ${t}`);
  });
  await ctx.step(`data from peer${label}`, async () => {
    await proc.write(`gnutls says ${t}\n`);
    await d.waitText(`gnutls says ${t}`);
  });
}

function helloRetry(d: Driven, direction: 'sent' | 'received'): boolean {
  return d.trace.some((e) => e.kind === 'message' && e.direction === direction && e.message.type === 'server_hello' && e.message.helloRetryRequest);
}


/** GnuTLS's one-line summary: "(TLS1.3-X.509)-(ECDHE-X25519)-(ECDSA-SECP256R1-SHA256)-(AES-128-GCM)". */
function description(p: GnutlsParams): string {
  return `(TLS1.3-X.509)-(ECDHE-${GROUP_NAME[p.group.expect]})-(${SCHEME_NAME[p.cert.scheme]})-(${SUITE_NAME[p.suite.name]})`;
}

// ------------------------------------------------------------ parameters

export function gnutlsParamsRow(p: GnutlsParams): GnutlsRow {
  const checkOurs = (st: ConnectionState, d: Driven, dir: Direction): void => {
    equal(st.cipherSuite?.name, p.suite.name, 'cipher suite');
    equal(st.group?.name, p.group.expect, 'group');
    equal(helloRetry(d, dir === 'client' ? 'received' : 'sent'), p.group.hrr, 'HelloRetryRequest');
    equal(st.signatureScheme?.name, p.cert.scheme, 'server signature scheme');
    if (dir === 'client') {
      check(st.verifiedChains.length > 0, 'the server chain was not verified');
      equal(st.verifiedChains[0]!.length, p.cert.id === 'p256-int' ? 3 : 2, 'verified chain length');
    }
  };
  return {
    client: async (ctx) => {
      const { proc, port } = await startServ(ctx, { cert: p.cert.id, priority: priority({ suite: p.suite.name, groups: [p.group.expect] }) });
      const { d, st } = await clientHandshake(ctx, port, ourClient(ctx, p.group.client));
      await ctx.step('negotiated parameters', () => checkOurs(st, d, 'client'));
      await exchangeWithServ(ctx, d, proc);
      await ctx.step('peer agrees', () => proc.waitFor(`Description: ${description(p)}`));
    },
    server: async (ctx) => {
      const l = await ctx.listen(ourServer(ctx, p.cert.id, { cipherSuites: [p.suite.code], groups: p.group.server }));
      // HRR: gnutls-cli offers x25519 then P-256, but sends a share for x25519 only.
      const groups = p.group.hrr ? ['x25519', p.group.expect] : [p.group.expect];
      const proc = startCli(ctx, l.port, { priority: priority({ suite: p.suite.name, groups }), args: p.group.hrr ? ['--single-key-share'] : [] });
      const { d, st } = await serverHandshake(ctx, () => l.accept());
      await ctx.step('negotiated parameters', () => checkOurs(st, d, 'server'));
      await exchangeWithCli(ctx, d, proc);
      await ctx.step('peer agrees', async () => {
        await proc.waitFor('The certificate is trusted');
        await proc.waitFor(`Description: ${description(p)}`);
      });
    },
  };
}

// ------------------------------------------------------------ other rows

const NOT_MAPPED = 'not mapped for GnuTLS yet';

const ROWS: Record<string, GnutlsRow> = {
  'default-groups': {
    client: async (ctx) => {
      const { proc, port } = await startServ(ctx);
      const { d, st } = await clientHandshake(ctx, port, ourClient(ctx));
      await ctx.step('negotiated group', () => {
        equal(st.group?.name, 'x25519', 'group');
        equal(helloRetry(d, 'received'), false, 'HelloRetryRequest received');
      });
      await exchangeWithServ(ctx, d, proc);
    },
    server: async (ctx) => {
      const l = await ctx.listen(ourServer(ctx));
      const proc = startCli(ctx, l.port);
      const { d, st } = await serverHandshake(ctx, () => l.accept());
      await ctx.step('negotiated group', () => {
        check(['x25519', 'secp256r1'].includes(st.group?.name ?? ''), `group ${st.group?.name}`);
        equal(helloRetry(d, 'sent'), false, 'HelloRetryRequest sent');
      });
      await exchangeWithCli(ctx, d, proc);
    },
  },
  mlkem: {
    client: 'GnuTLS 3.7 has no X25519MLKEM768',
    server: 'GnuTLS 3.7 has no X25519MLKEM768',
  },
  alpn: {
    client: async (ctx) => {
      const { proc, port } = await startServ(ctx, { args: ['--alpn', 'http/1.1'] });
      const { d, st } = await clientHandshake(ctx, port, ourClient(ctx, { alpnProtocols: ['h2', 'http/1.1'] }));
      await ctx.step('negotiated ALPN', () => equal(st.alpnProtocol, 'http/1.1', 'ALPN protocol'));
      await exchangeWithServ(ctx, d, proc);
    },
    server: async (ctx) => {
      const l = await ctx.listen(ourServer(ctx, 'p256', { alpnProtocols: ['h2', 'http/1.1'] }));
      const proc = startCli(ctx, l.port, { args: ['--alpn', 'http/1.1', '--alpn', 'h2'] });
      const { d, st } = await serverHandshake(ctx, () => l.accept());
      await ctx.step('negotiated ALPN', () => equal(st.alpnProtocol, 'h2', 'ALPN protocol (server preference)'));
      await exchangeWithCli(ctx, d, proc);
      await ctx.step('peer agrees', () => proc.waitFor(/Application protocol: h2/));
    },
  },
  'alpn-mismatch': {
    client: async (ctx) => {
      // --alpn-fatal: gnutls-serv refuses a ClientHello with no protocol in common (RFC 7301 §3.2).
      const { proc, port } = await startServ(ctx, { args: ['--alpn', 'http/1.1', '--alpn-fatal'] });
      const d = await ctx.step('connect', () => ctx.connect(port, ourClient(ctx, { alpnProtocols: ['h2'] })));
      await expectError(ctx, d, 'peer refuses', ['no_application_protocol'], 'remote');
      await ctx.step('no handshake', () => equal(d.count('handshake'), 0, 'handshake events'));
      void proc;
    },
    server: async (ctx) => {
      const l = await ctx.listen(ourServer(ctx, 'p256', { alpnProtocols: ['h2'] }));
      const proc = startCli(ctx, l.port, { args: ['--alpn', 'http/1.1'] });
      const d = await ctx.step('accept', () => l.accept());
      await expectError(ctx, d, 'our server refuses', ['no_application_protocol'], 'local');
      await ctx.step('peer reports the alert', () => proc.waitFor(/alert \[?120\]?|No supported application protocol/i));
    },
  },
  sni: {
    client: async (ctx) => {
      // gnutls-serv holds one certificate; --sni-hostname-fatal makes it refuse any other name, so
      // the handshake proves our server_name arrived as "localhost".
      const { proc, port } = await startServ(ctx, { args: ['--sni-hostname', 'localhost', '--sni-hostname-fatal'] });
      const { d } = await clientHandshake(ctx, port, ourClient(ctx));
      await exchangeWithServ(ctx, d, proc);
      await ctx.step('peer saw the name', () => proc.waitFor('Given server name[1]: localhost'));
    },
    server: async (ctx) => {
      const l = await ctx.listen(ourServer(ctx, ['p256', 'other']));
      const proc = startCli(ctx, l.port, { serverName: 'other.example' });
      const { d, st } = await serverHandshake(ctx, () => l.accept());
      await ctx.step('server name', () => equal(st.serverName, 'other.example', 'server name'));
      await exchangeWithCli(ctx, d, proc);
      await ctx.step('peer got the other.example certificate', async () => {
        await proc.waitFor(/subject `CN=other\.example/);
        await proc.waitFor('The certificate is trusted');
      });
    },
  },
  ip: {
    client: async (ctx) => {
      const { proc, port } = await startServ(ctx);
      const { d, st } = await clientHandshake(ctx, port, ourClient(ctx), '127.0.0.1');
      await ctx.step('no SNI for an IP literal', () => check(st.verifiedChains.length > 0, 'chain not verified against the IP SAN'));
      await exchangeWithServ(ctx, d, proc);
      await ctx.step('peer got no server name', () => check(!/Given server name/.test(proc.text), 'gnutls-serv got a server name'));
    },
    server: async (ctx) => {
      const l = await ctx.listen(ourServer(ctx));
      const proc = ctx.spawn(['gnutls-cli', '-p', String(l.port), '127.0.0.1', '--x509cafile', ctx.pki.caFile, '--disable-sni', '--verify-hostname', '127.0.0.1', '--priority', priority()]);
      const { d, st } = await serverHandshake(ctx, () => l.accept());
      await ctx.step('no server name', () => equal(st.serverName, undefined, 'server name'));
      await exchangeWithCli(ctx, d, proc);
      await ctx.step('peer verified the IP SAN', () => proc.waitFor('The certificate is trusted'));
    },
  },
  'client-auth': {
    client: async (ctx) => {
      const { proc, port } = await startServ(ctx, { args: ['--require-client-cert', '--verify-client-cert', '--x509cafile', ctx.pki.clientCaFile] });
      const f = ctx.pki.client.client;
      const { d } = await clientHandshake(ctx, port, ourClient(ctx, { certificates: [{ cert: f.chainPem, key: f.keyPem }] }));
      await exchangeWithServ(ctx, d, proc);
      check(!/not trusted|invalid/i.test(proc.text), 'gnutls-serv did not trust our certificate');
    },
    server: async (ctx) => {
      const l = await ctx.listen(ourServer(ctx, 'p256', { clientAuth: 'require-and-verify', clientCa: ctx.pki.clientCaPem }));
      const f = ctx.pki.client.client;
      const proc = startCli(ctx, l.port, { args: ['--x509certfile', f.cert, '--x509keyfile', f.key] });
      const { d, st } = await serverHandshake(ctx, () => l.accept());
      await ctx.step('client certificate verified', () => {
        equal(st.peerCertificates.length, 1, 'client certificates received');
        check(st.verifiedChains.length > 0, 'client chain not verified');
      });
      await exchangeWithCli(ctx, d, proc);
    },
  },
  'client-auth-missing': {
    client: async (ctx) => {
      const { proc, port } = await startServ(ctx, { args: ['--require-client-cert', '--verify-client-cert', '--x509cafile', ctx.pki.clientCaFile] });
      const d = await ctx.step('connect', () => ctx.connect(port, ourClient(ctx)));
      const alert = await expectError(ctx, d, 'peer refuses', ['certificate_required'], 'remote');
      ctx.note(`gnutls-serv sent ${alert}`);
      void proc;
    },
    server: async (ctx) => {
      const l = await ctx.listen(ourServer(ctx, 'p256', { clientAuth: 'require-and-verify', clientCa: ctx.pki.clientCaPem }));
      const proc = startCli(ctx, l.port);
      const d = await ctx.step('accept', () => l.accept());
      await expectError(ctx, d, 'our server refuses', ['certificate_required'], 'local');
      await ctx.step('peer reports the alert', () => proc.waitFor(/alert \[?116\]?|certificate is required/i));
    },
  },
  'client-auth-unknown-ca': {
    client: async (ctx) => {
      const { proc, port } = await startServ(ctx, { args: ['--require-client-cert', '--verify-client-cert', '--x509cafile', ctx.pki.clientCaFile] });
      const d = await ctx.step('connect', () => ctx.connect(port, ourClient(ctx, { certificates: [clientCert(ctx, 'client-untrusted')] })));
      // GnuTLS 3.7 answers a client chain it cannot verify with access_denied (§6.2 allows it).
      const alert = await expectError(ctx, d, 'peer refuses', ['unknown_ca', 'bad_certificate', 'certificate_unknown', 'access_denied'], 'remote');
      ctx.note(`gnutls-serv sent ${alert}`);
      void proc;
    },
    server: async (ctx) => {
      const l = await ctx.listen(ourServer(ctx, 'p256', { clientAuth: 'require-and-verify', clientCa: ctx.pki.clientCaPem }));
      const f = ctx.pki.client['client-untrusted'];
      const proc = startCli(ctx, l.port, { args: ['--x509certfile', f.cert, '--x509keyfile', f.key] });
      const d = await ctx.step('accept', () => l.accept());
      await expectError(ctx, d, 'our server refuses', ['unknown_ca'], 'local');
      await ctx.step('peer reports the alert', () => proc.waitFor(/alert \[?48\]?|Unknown CA|unknown certificate authority/i));
    },
  },
  resumption: {
    client: async (ctx) => {
      const { proc, port } = await startServ(ctx);
      const config = ourClient(ctx);
      const first = await clientHandshake(ctx, port, config);
      await exchangeWithServ(ctx, first.d, proc, ' (first connection)');
      await ctx.step('ticket', () => first.d.until('a NewSessionTicket', () => first.d.count('ticket') > 0));
      closeQuietly(first.d);
      const second = await clientHandshake(ctx, port, config);
      await ctx.step('resumed', () => {
        equal(second.st.resumed, true, 'resumed');
        equal(second.st.signatureScheme, undefined, 'signature scheme (none on resumption)');
      });
      await exchangeWithServ(ctx, second.d, proc, ' (resumed)');
    },
    server: async (ctx) => {
      // gnutls-cli --resume: a full handshake, wait for the ticket, then a second connection resuming it.
      const l = await ctx.listen(ourServer(ctx));
      const proc = startCli(ctx, l.port, { args: ['--resume', '--waitresumption'] });
      const first = await serverHandshake(ctx, () => l.accept());
      await ctx.step('first connection', () => equal(first.st.resumed, false, 'resumed'));
      const { d, st } = await serverHandshake(ctx, () => l.accept());
      await ctx.step('resumed', () => equal(st.resumed, true, 'resumed'));
      await ctx.step('peer reports reuse', () => proc.waitFor('This is a resumed session'));
      await exchangeWithCli(ctx, d, proc, ' (resumed)');
    },
  },
  'early-accepted': {
    client: async (ctx) => {
      const { proc, port } = await startServ(ctx, { args: ['--earlydata', '--maxearlydata', '16384'] });
      const config = ourClient(ctx, { enableEarlyData: true });
      const first = await clientHandshake(ctx, port, config);
      await exchangeWithServ(ctx, first.d, proc, ' (first connection)');
      await ctx.step('ticket', () => first.d.until('a NewSessionTicket', () => first.d.count('ticket') > 0));
      closeQuietly(first.d);
      const { d, st, t } = await resumeWithEarlyData(ctx, port, config);
      await ctx.step('0-RTT accepted', () => {
        equal(st.resumed, true, 'resumed');
        equal(st.earlyDataAccepted, true, 'early data accepted');
      });
      // gnutls-serv neither echoes nor prints 0-RTT data (seen with 3.7.9): the peer's side of the
      // check is that it resumed and that the connection goes on under the 1-RTT keys.
      await ctx.step('peer resumed', () => proc.waitFor('This is a resumed session'));
      await exchangeWithServ(ctx, d, proc, ' (after 0-RTT)');
      check(!d.receivedText.includes(`early ${t}`), '0-RTT data came back: gnutls-serv echoes it after all (tighten this case)');
    },
    server: async (ctx) => {
      const l = await ctx.listen(ourServer(ctx, 'p256', { maxEarlyData: 16384 }));
      const t = token();
      const early = join(ctx.workdir, 'early.txt');
      writeFileSync(early, `early ${t}\n`);
      const proc = startCli(ctx, l.port, { args: ['--resume', '--waitresumption', '--earlydata', early] });
      await serverHandshake(ctx, () => l.accept());
      const { d, st } = await serverHandshake(ctx, () => l.accept());
      await ctx.step('0-RTT accepted', async () => {
        equal(st.resumed, true, 'resumed');
        equal(st.earlyDataAccepted, true, 'early data accepted');
        await d.until('early data', () => d.earlyText.includes(`early ${t}`));
        equal(d.receivedText.includes(`early ${t}`), false, '0-RTT data delivered as 1-RTT');
      });
      await exchangeWithCli(ctx, d, proc, ' (after 0-RTT)');
    },
  },
  'early-rejected': {
    // Checked with 3.7.9: --maxearlydata without --earlydata issues tickets with no early_data extension.
    client: 'gnutls-serv issues 0-RTT tickets only when it also accepts 0-RTT',
    server: async (ctx) => {
      const l = await ctx.listen(ourServer(ctx, 'p256', { maxEarlyData: 16384, acceptEarlyData: () => false }));
      const early = join(ctx.workdir, 'early.txt');
      writeFileSync(early, `early ${token()}\n`);
      const proc = startCli(ctx, l.port, { args: ['--resume', '--waitresumption', '--earlydata', early] });
      await serverHandshake(ctx, () => l.accept());
      const { d, st } = await serverHandshake(ctx, () => l.accept());
      await ctx.step('0-RTT rejected', () => {
        equal(st.resumed, true, 'resumed');
        equal(st.earlyDataAccepted, false, 'early data accepted');
      });
      await exchangeWithCli(ctx, d, proc, ' (after rejection)');
      equal(d.earlyText, '', 'early data delivered although rejected');
    },
  },
  'early-replay': {
    // Checked with 3.7.9: the same ticket's early data is accepted twice (gnutls-serv sets up no anti-replay).
    client: 'gnutls-serv accepts a replayed 0-RTT ticket (no anti-replay)',
    server: 'gnutls-cli cannot offer one ticket twice',
  },
  'keyupdate-ours': keyUpdateOurs(false),
  'keyupdate-ours-requested': keyUpdateOurs(true),
  'keyupdate-peer': keyUpdatePeer(false),
  'keyupdate-peer-requested': keyUpdatePeer(true),
  'bulk-out': {
    client: async (ctx) => {
      // gnutls-serv --echo returns the 16 MiB: what comes back must hash the same. It echoes line by
      // line and drops a connection whose line never ends, so the data is random hex in 4 KiB lines.
      const { proc, port } = await startServ(ctx);
      const { d } = await clientHandshake(ctx, port, ourClient(ctx));
      const data = hexLines(BULK_SIZE, 4096);
      await ctx.step('send 16 MiB', () => d.writeBulk(data));
      await ctx.step('echoed back', () => d.until('16 MiB back', () => d.receivedBytes >= BULK_SIZE));
      await ctx.step('SHA-256 matches', () => {
        equal(d.receivedBytes, BULK_SIZE, 'bytes echoed');
        equal(d.receivedDigest(), sha256(data), 'SHA-256 of the data');
      });
      await ctx.step('record sizes', () => checkFullRecords(d));
      void proc;
    },
    server: async (ctx) => {
      const l = await ctx.listen(ourServer(ctx));
      // --logfile: gnutls-cli's own messages go there, so stdout is exactly the data.
      const proc = startCli(ctx, l.port, { args: ['--logfile', join(ctx.workdir, 'cli.log')] });
      const { d } = await serverHandshake(ctx, () => l.accept());
      const data = randomBytes(BULK_SIZE);
      await ctx.step('send 16 MiB', () => d.writeBulk(data));
      await ctx.step('peer received 16 MiB', () => proc.waitForStdoutBytes(BULK_SIZE));
      await ctx.step('SHA-256 matches', () => {
        equal(proc.stdoutBytes, BULK_SIZE, 'bytes printed by gnutls-cli');
        equal(proc.stdoutDigest(), sha256(data), 'SHA-256 of the data');
      });
      await ctx.step('record sizes', () => checkFullRecords(d));
    },
  },
  'bulk-in': {
    client: async (ctx) => {
      // gnutls-serv --echo is the only way to make it send: 16 MiB of hex lines, echoed back.
      const { port } = await startServ(ctx);
      const { d } = await clientHandshake(ctx, port, ourClient(ctx));
      const data = hexLines(BULK_SIZE, 4096);
      await ctx.step('send 16 MiB', () => d.writeBulk(data));
      await ctx.step('receive 16 MiB', () => d.until('16 MiB', () => d.receivedBytes >= BULK_SIZE));
      await ctx.step('SHA-256 matches', () => {
        equal(d.receivedBytes, BULK_SIZE, 'bytes received');
        equal(d.receivedDigest(), sha256(data), 'SHA-256 of the data');
      });
      ctx.note(`peer record sizes: ${[...d.receivedRecordLengths.entries()].map(([k, v]) => `${v}×${k}`).join(', ')}`);
    },
    server: async (ctx) => {
      const l = await ctx.listen(ourServer(ctx));
      const proc = startCli(ctx, l.port, { args: ['--logfile', join(ctx.workdir, 'cli.log')] });
      const { d } = await serverHandshake(ctx, () => l.accept());
      const data = randomBytes(BULK_SIZE);
      await ctx.step('peer sends 16 MiB', async () => {
        await proc.write(data);
        await d.until('16 MiB', () => d.receivedBytes >= BULK_SIZE);
      });
      await ctx.step('SHA-256 matches', () => {
        equal(d.receivedBytes, BULK_SIZE, 'bytes received');
        equal(d.receivedDigest(), sha256(data), 'SHA-256 of the data');
      });
      ctx.note(`peer record sizes: ${[...d.receivedRecordLengths.entries()].map(([k, v]) => `${v}×${k}`).join(', ')}`);
    },
  },
  'close-by-us': {
    client: async (ctx) => {
      const { proc, port } = await startServ(ctx);
      const { d } = await clientHandshake(ctx, port, ourClient(ctx));
      await exchangeWithServ(ctx, d, proc);
      await ctx.step('close_notify', () => d.close());
      await ctx.step("peer's close_notify", () => d.until('close_notify from the peer', () => d.count('end') > 0));
      check(d.error === undefined, `connection error: ${d.error?.message}`);
    },
    server: async (ctx) => {
      const l = await ctx.listen(ourServer(ctx));
      const proc = startCli(ctx, l.port);
      const { d } = await serverHandshake(ctx, () => l.accept());
      await exchangeWithCli(ctx, d, proc);
      await ctx.step('close_notify', async () => {
        d.close();
        await proc.waitFor('Peer has closed the GnuTLS connection');
      });
      check(d.error === undefined, `connection error: ${d.error?.message}`);
    },
  },
  'close-by-peer': {
    client: 'gnutls-serv --echo never closes first',
    server: async (ctx) => {
      const l = await ctx.listen(ourServer(ctx));
      const proc = startCli(ctx, l.port);
      const { d } = await serverHandshake(ctx, () => l.accept());
      await exchangeWithCli(ctx, d, proc);
      await ctx.step("peer's close_notify", async () => {
        proc.endStdin(); // gnutls-cli sends close_notify when its stdin ends
        await d.until('close_notify from the peer', () => d.count('end') > 0);
      });
      await ctx.step('we close too', () => {
        d.close();
        check(d.conn.closed, 'connection not closed after both close_notify');
        check(d.error === undefined, `connection error: ${d.error?.message}`);
      });
    },
  },
  'middlebox-on': middlebox(true, undefined),
  'middlebox-mixed': middlebox(false, undefined),
  'middlebox-off': middlebox(false, '%DISABLE_TLS13_COMPAT_MODE'),
  'unknown-ca': {
    client: async (ctx) => {
      const { port } = await startServ(ctx, { cert: 'untrusted' });
      const d = await ctx.step('connect', () => ctx.connect(port, ourClient(ctx)));
      await expectError(ctx, d, 'we refuse', ['unknown_ca'], 'local');
    },
    server: async (ctx) => {
      const l = await ctx.listen(ourServer(ctx, 'untrusted'));
      const proc = startCli(ctx, l.port);
      const d = await ctx.step('accept', () => l.accept());
      const alert = await expectError(ctx, d, 'peer refuses', ['unknown_ca', 'bad_certificate', 'certificate_unknown'], 'remote');
      ctx.note(`gnutls-cli sent ${alert}`);
      await ctx.step('peer reports why', () => proc.waitFor(/issuer is unknown|NOT trusted/));
    },
  },
  'wrong-host': {
    client: async (ctx) => {
      const { port } = await startServ(ctx);
      const d = await ctx.step('connect', () => ctx.connect(port, ourClient(ctx), { serverName: 'wrong.example' }));
      await expectError(ctx, d, 'we refuse', ['bad_certificate'], 'local');
    },
    server: async (ctx) => {
      const l = await ctx.listen(ourServer(ctx));
      const proc = startCli(ctx, l.port, { serverName: 'wrong.example' });
      const d = await ctx.step('accept', () => l.accept());
      const alert = await expectError(ctx, d, 'peer refuses', ['bad_certificate', 'certificate_unknown'], 'remote');
      ctx.note(`gnutls-cli sent ${alert}`);
      await ctx.step('peer reports why', () => proc.waitFor(/does not match|NOT trusted/));
    },
  },
};

function middlebox(ours: boolean, peerPriority: string | undefined): GnutlsRow {
  const prio = peerPriority ? `${priority()}:${peerPriority}` : priority();
  const peerOn = peerPriority === undefined;
  return {
    client: async (ctx) => {
      const { proc, port } = await startServ(ctx, { priority: prio });
      const { d } = await clientHandshake(ctx, port, ourClient(ctx, { middleboxCompat: ours }));
      await ctx.step('records', () => {
        equal(ccsCount(d, 'sent'), ours ? 1 : 0, 'change_cipher_spec records sent');
        // A server in compatibility mode sends its CCS only when the client echoes a session id (§D.4).
        ctx.note(`peer sent ${ccsCount(d, 'received')} change_cipher_spec record(s)`);
        if (ours) equal(ccsCount(d, 'received'), 1, 'change_cipher_spec records received');
      });
      await exchangeWithServ(ctx, d, proc);
    },
    server: async (ctx) => {
      const l = await ctx.listen(ourServer(ctx, 'p256', { middleboxCompat: ours }));
      const proc = startCli(ctx, l.port, { priority: prio });
      const { d } = await serverHandshake(ctx, () => l.accept());
      await exchangeWithCli(ctx, d, proc);
      await ctx.step('records', () => {
        equal(ccsCount(d, 'sent'), ours ? 1 : 0, 'change_cipher_spec records sent');
        equal(ccsCount(d, 'received'), peerOn ? 1 : 0, 'change_cipher_spec records received');
      });
    },
  };
}

/** 16 MiB: the bulk transfers. */
const BULK_SIZE = 16 * 1024 * 1024;
/** A full record on the wire: 2^14 bytes of data, the content type byte and a 16-byte tag (§5.2). */
const FULL_RECORD = 16384 + 1 + 16;

/** `size` bytes of random hex, a newline ending every `line` bytes. */
function hexLines(size: number, line: number): Uint8Array {
  const out = Buffer.from(randomBytes(size / 2).toString('hex'), 'latin1');
  for (let i = line - 1; i < size; i += line) out[i] = 0x0a;
  return out;
}

function checkFullRecords(d: Driven): void {
  const full = d.sentRecordLengths.get(FULL_RECORD) ?? 0;
  const largest = Math.max(...d.sentRecordLengths.keys());
  equal(largest, FULL_RECORD, 'largest record we sent (bytes after the header)');
  check(full >= BULK_SIZE / 16384, `only ${full} full-size records for ${BULK_SIZE} bytes`);
}


function keyUpdateOurs(requested: boolean): GnutlsRow {
  const ours = async (ctx: CaseContext, d: Driven, exchange: () => Promise<void>): Promise<void> => {
    await ctx.step(`KeyUpdate${requested ? ', update_requested' : ''}`, () => d.updateKeys(requested));
    await exchange();
    await ctx.step('peer response', () => {
      equal(keyUpdates(d, 'write'), 1, 'our write-key updates');
      equal(keyUpdates(d, 'read'), requested ? 1 : 0, 'peer KeyUpdates received');
    });
    await exchange();
  };
  return {
    client: async (ctx) => {
      const { proc, port } = await startServ(ctx);
      const { d } = await clientHandshake(ctx, port, ourClient(ctx));
      await exchangeWithServ(ctx, d, proc);
      await ours(ctx, d, () => exchangeWithServ(ctx, d, proc, ' (after KeyUpdate)'));
    },
    server: async (ctx) => {
      const l = await ctx.listen(ourServer(ctx));
      const proc = startCli(ctx, l.port);
      const { d } = await serverHandshake(ctx, () => l.accept());
      await exchangeWithCli(ctx, d, proc);
      await ours(ctx, d, () => exchangeWithCli(ctx, d, proc, ' (after KeyUpdate)'));
    },
  };
}

/** gnutls-cli's inline commands: ^rekey1^ updates its own keys only, ^rekey^ also asks us to update ours. */
function keyUpdatePeer(requested: boolean): GnutlsRow {
  return {
    client: 'gnutls-serv has no command to send a KeyUpdate',
    server: async (ctx) => {
      const l = await ctx.listen(ourServer(ctx));
      const proc = startCli(ctx, l.port, { args: ['--inline-commands'] });
      const { d } = await serverHandshake(ctx, () => l.accept());
      await exchangeWithCli(ctx, d, proc);
      await ctx.step(`peer KeyUpdate (${requested ? '^rekey^' : '^rekey1^'})`, async () => {
        await proc.write(requested ? '^rekey^\n' : '^rekey1^\n');
        await d.until('the peer KeyUpdate', () => keyUpdates(d, 'read') > 0);
      });
      await exchangeWithCli(ctx, d, proc, ' (after KeyUpdate)');
      await ctx.step('our response', () => {
        equal(keyUpdates(d, 'read'), 1, 'peer KeyUpdates received');
        equal(keyUpdates(d, 'write'), requested ? 1 : 0, 'our write-key updates in response');
      });
      await exchangeWithCli(ctx, d, proc, ' (second round)');
    },
  };
}

/** How a row of cases.ts runs with GnuTLS; rows with no mapping are n/a with the reason. */
export function gnutlsRow(id: string, params?: GnutlsParams): GnutlsRow {
  if (params) return gnutlsParamsRow(params);
  return ROWS[id] ?? { client: NOT_MAPPED, server: NOT_MAPPED };
}
