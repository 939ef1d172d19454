/**
 * The interop matrix: every row in both directions.
 *
 *   client: our ClientConnection ↔ `openssl s_server`
 *   server: `openssl s_client`   ↔ our ServerConnection
 *
 * Each case checks both ends: what our connection reports (negotiated
 * suite, group, signature scheme, events, errors with their alert) and what
 * openssl prints (its view of the same handshake, the data it received, the
 * alert it sent or got). A case is a sequence of named steps, so a failure
 * says where it happened.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClientConfig, ConnectionState } from '../src/config.js';
import type { ClientConnection, ServerConnection } from '../src/connection.js';
import type { ClientSession } from '../src/handshake/sessions.js';
import { CipherSuite, NamedGroup } from '../src/registry.js';
import type { ClientHello } from '../src/wire/index.js';
import type { Driven } from './driver.js';
import { gnutlsRow, type GnutlsParams } from './gnutls.js';
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
import type { PeerProcess, Peer } from './peer.js';
import type { ServerCertName } from './pki.js';
import { check, equal, type CaseContext, type Direction, type InteropCase } from './runner.js';

// ------------------------------------------------------------ parameters

interface Suite {
  readonly name: string;
  readonly short: string;
  readonly code: number;
}

const SUITES: readonly Suite[] = [
  { name: 'TLS_AES_128_GCM_SHA256', short: 'AES-128-GCM', code: CipherSuite.TLS_AES_128_GCM_SHA256 },
  { name: 'TLS_AES_256_GCM_SHA384', short: 'AES-256-GCM', code: CipherSuite.TLS_AES_256_GCM_SHA384 },
  { name: 'TLS_CHACHA20_POLY1305_SHA256', short: 'ChaCha20-Poly1305', code: CipherSuite.TLS_CHACHA20_POLY1305_SHA256 },
];

interface Group {
  readonly id: string;
  readonly label: string;
  /** Our registry name of the group the handshake must end on. */
  readonly expect: string;
  /** True when a HelloRetryRequest must happen first. */
  readonly hrr: boolean;
  /** Our client's config (client direction): which shares the first ClientHello carries. */
  readonly client: ClientConfig;
  /** `s_server -groups` (client direction). */
  readonly sServer: string;
  /** Our server's groups (server direction). */
  readonly server: readonly number[];
  /** `s_client -groups` (server direction): the first one gets the key share. */
  readonly sClient: string;
  /** What s_client prints for the key exchange (3.0: "Server Temp Key"; 3.5: "Peer Temp Key" or "Negotiated TLS1.3 group"). */
  readonly tempKey: RegExp;
}

const GROUPS: readonly Group[] = [
  {
    // Our default client: X25519MLKEM768 first, with an x25519 share beside it.
    id: 'x25519',
    label: 'X25519',
    expect: 'x25519',
    hrr: false,
    client: {},
    sServer: 'X25519',
    server: [NamedGroup.x25519],
    sClient: 'X25519',
    tempKey: /(Server|Peer) Temp Key: X25519,|Negotiated TLS1\.3 group: X25519\s/,
  },
  {
    id: 'p256',
    label: 'P-256',
    expect: 'secp256r1',
    hrr: false,
    client: { keyShareGroups: [NamedGroup.secp256r1] },
    sServer: 'P-256',
    server: [NamedGroup.secp256r1],
    sClient: 'P-256',
    tempKey: /(Server|Peer) Temp Key: ECDH, prime256v1\b|Negotiated TLS1\.3 group: (secp256r1|prime256v1|P-256)\s/,
  },
  {
    id: 'p384',
    label: 'P-384',
    expect: 'secp384r1',
    hrr: false,
    client: { keyShareGroups: [NamedGroup.secp384r1] },
    sServer: 'P-384',
    server: [NamedGroup.secp384r1],
    sClient: 'P-384',
    tempKey: /(Server|Peer) Temp Key: ECDH, secp384r1\b|Negotiated TLS1\.3 group: (secp384r1|P-384)\s/,
  },
  {
    // The server accepts only a group the client sent no share for.
    id: 'hrr',
    label: 'HRR → P-256',
    expect: 'secp256r1',
    hrr: true,
    client: {},
    sServer: 'P-256',
    server: [NamedGroup.secp256r1],
    sClient: 'X25519:P-256',
    tempKey: /(Server|Peer) Temp Key: ECDH, prime256v1\b|Negotiated TLS1\.3 group: (secp256r1|prime256v1|P-256)\s/,
  },
];

interface CertKind {
  readonly id: ServerCertName;
  readonly label: string;
  /** Our name of the CertificateVerify scheme. */
  readonly scheme: string;
  /** s_client's "Peer signature type". */
  readonly peerType: string;
}

const CERTS: readonly CertKind[] = [
  { id: 'p256', label: 'ECDSA P-256', scheme: 'ecdsa_secp256r1_sha256', peerType: 'ECDSA' },
  { id: 'p384', label: 'ECDSA P-384', scheme: 'ecdsa_secp384r1_sha384', peerType: 'ECDSA' },
  { id: 'ed25519', label: 'Ed25519', scheme: 'ed25519', peerType: 'ed25519' },
  { id: 'rsa', label: 'RSA-2048 (PSS)', scheme: 'rsa_pss_rsae_sha256', peerType: 'RSA-PSS' },
  { id: 'p256-int', label: 'P-256 via intermediate', scheme: 'ecdsa_secp256r1_sha256', peerType: 'ECDSA' },
];

/** 16 MiB: the bulk transfers. */
export const BULK_SIZE = 16 * 1024 * 1024;
/** A full record on the wire: 2^14 bytes of data, the content type byte and a 16-byte tag (§5.2). */
const FULL_RECORD = 16384 + 1 + 16;

const BASE_TIMEOUT = 20_000;
const MULTI_TIMEOUT = 40_000;
const BULK_TIMEOUT = 150_000;

// --------------------------------------------------------------- helpers





interface SServerOptions {
  readonly cert?: ServerCertName;
  readonly args?: readonly string[];
  /** `-quiet`: stdout is then exactly the data received (no ACCEPT line, so we pick the port). */
  readonly quiet?: boolean;
  readonly cwd?: string;
}

/** Starts `openssl s_server` (TLS 1.3 only) and learns its port. */
async function startSServer(ctx: CaseContext, o: SServerOptions = {}): Promise<{ proc: PeerProcess; port: number }> {
  const f = ctx.pki.server[o.cert ?? 'p256'];
  const args = ['s_server', '-tls1_3', '-cert', f.cert, '-key', f.key, ...(f.chain ? ['-cert_chain', f.chain] : []), ...(o.args ?? [])];
  const spawnOpts = o.cwd !== undefined ? { cwd: o.cwd } : {};
  return ctx.step('start s_server', async () => {
    if (o.quiet) {
      const port = await ctx.freePort();
      return { proc: ctx.spawn([...args, '-quiet', '-accept', `127.0.0.1:${port}`], spawnOpts), port };
    }
    const proc = ctx.spawn([...args, '-accept', '127.0.0.1:0'], spawnOpts);
    const m = await proc.waitFor(/ACCEPT 127\.0\.0\.1:(\d+)/, 'its ACCEPT line');
    return { proc, port: Number(m[1]) };
  });
}

interface SClientOptions {
  readonly args?: readonly string[];
  /** SNI and the name verified; null: no SNI (-noservername). */
  readonly serverName?: string | null;
  readonly caFile?: string;
  readonly quiet?: boolean;
}

/** Starts `openssl s_client` (TLS 1.3 only, verifying our chain and name) against our server. */
function startSClient(ctx: CaseContext, port: number, o: SClientOptions = {}): PeerProcess {
  const name = o.serverName === undefined ? 'localhost' : o.serverName;
  const args = [
    's_client',
    '-connect',
    `127.0.0.1:${port}`,
    '-tls1_3',
    ...(name === null ? ['-noservername'] : ['-servername', name, '-verify_hostname', name]),
    '-CAfile',
    o.caFile ?? ctx.pki.caFile,
    '-verify_return_error',
    ...(o.quiet ? ['-quiet'] : []),
    ...(o.args ?? []),
  ];
  return ctx.spawn(args);
}

/** Our client's handshake against s_server. */
async function clientHandshake(ctx: CaseContext, port: number, config: ClientConfig, options: { serverName?: string; session?: ClientSession } = {}): Promise<{ d: Driven<ClientConnection>; st: ConnectionState }> {
  const d = await ctx.step('connect', () => ctx.connect(port, config, { serverName: 'localhost', ...options }));
  const st = await ctx.step('handshake', () => d.handshake());
  return { d, st };
}

/** Application data both ways with s_server: we write, it prints; it reads a line from stdin, we receive. */
async function exchangeWithSServer(ctx: CaseContext, d: Driven, proc: PeerProcess, label = ''): Promise<void> {
  const t = token();
  await ctx.step(`data to peer${label}`, async () => {
    d.write(`tls13 says ${t}\n`);
    await proc.waitFor(`tls13 says ${t}`);
  });
  await ctx.step(`data from peer${label}`, async () => {
    await proc.write(`openssl says ${t}\n`);
    await d.waitText(`openssl says ${t}`);
  });
}

/** The same with s_client. */
const exchangeWithSClient = exchangeWithSServer;


function sentHelloRetryRequest(d: Driven): boolean {
  return d.trace.some((e) => e.kind === 'message' && e.direction === 'sent' && e.message.type === 'server_hello' && e.message.helloRetryRequest);
}

function receivedHelloRetryRequest(d: Driven): boolean {
  return d.trace.some((e) => e.kind === 'message' && e.direction === 'received' && e.message.type === 'server_hello' && e.message.helloRetryRequest);
}


function firstClientHello(d: Driven): ClientHello {
  for (const e of d.trace) {
    if (e.kind === 'message' && e.direction === 'sent' && e.message.type === 'client_hello') return e.message;
  }
  throw new Error('no ClientHello in the trace');
}


function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Waits for the next ticket event and returns its session. */
async function ticket(d: Driven<ClientConnection>, atLeast = 1): Promise<ClientSession> {
  await d.until('a NewSessionTicket', () => d.count('ticket') >= atLeast);
  const ev = d.events.filter((e) => e.type === 'ticket').at(-1);
  if (ev?.type !== 'ticket') throw new Error('unreachable');
  return ev.session;
}

/** Polls until `file` exists and contains `marker`. */
async function waitForFile(ctx: CaseContext, file: string, marker: string): Promise<void> {
  while (!ctx.ended) {
    try {
      if (readFileSync(file, 'latin1').includes(marker)) return;
    } catch {
      // Not there yet.
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${file} never held ${marker}`);
}


/** s_client prints a session ticket only once it has read it: then ending its stdin closes the connection. */
async function sClientFirstConnection(ctx: CaseContext, port: number, accept: () => Promise<Driven<ServerConnection>>, sessFile: string): Promise<void> {
  const p = startSClient(ctx, port, { args: ['-sess_out', sessFile] });
  const { d } = await serverHandshake(ctx, accept);
  await exchangeWithSClient(ctx, d, p, ' (first connection)');
  // s_client prints the ticket through buffered stdio (seen late), but writes -sess_out at once.
  await ctx.step('ticket reaches s_client', () => waitForFile(ctx, sessFile, 'BEGIN SSL SESSION PARAMETERS'));
  await ctx.step('first connection closes', async () => {
    p.endStdin();
    await p.waitExit();
    closeQuietly(d);
  });
}

// ----------------------------------------------------------- case table

interface RowSpec {
  readonly id: string;
  readonly section: string;
  readonly row: string;
  readonly timeoutMs?: number;
  readonly notApplicable?: (peer: Peer) => string | undefined;
  /** Parameter rows: what they test, so the GnuTLS peer can run them too (interop/gnutls.ts). */
  readonly params?: GnutlsParams;
  readonly client: (ctx: CaseContext) => Promise<void>;
  readonly server: (ctx: CaseContext) => Promise<void>;
}

/**
 * Both directions of a row. A GnuTLS peer runs the row's GnuTLS version
 * (interop/gnutls.ts) instead, or marks it n/a with the reason given there.
 */
function both(spec: RowSpec): InteropCase[] {
  const gnutls = gnutlsRow(spec.id, spec.params);
  return (['client', 'server'] as const satisfies readonly Direction[]).map((direction) => {
    const g = gnutls[direction];
    return {
      id: `${spec.id}/${direction}`,
      section: spec.section,
      row: spec.row,
      direction,
      timeoutMs: spec.timeoutMs ?? BASE_TIMEOUT,
      notApplicable: (peer: Peer) => (peer.kind === 'gnutls' ? (typeof g === 'string' ? g : undefined) : spec.notApplicable?.(peer)),
      run: (ctx: CaseContext) => {
        if (ctx.peer.kind !== 'gnutls') return spec[direction](ctx);
        if (typeof g === 'string') throw new Error(`not applicable to GnuTLS: ${g}`);
        return g(ctx);
      },
    };
  });
}

const noMlkem = (peer: Peer): string | undefined =>
  peer.capabilities.mlkem ? undefined : `OpenSSL ${peer.capabilities.version} has no X25519MLKEM768 (3.5+)`;

// ----------------------------------------- parameters: suite × group × cert

function parameterRows(): RowSpec[] {
  const rows: RowSpec[] = [];
  for (const suite of SUITES) {
    for (const group of GROUPS) {
      for (const cert of CERTS) {
        rows.push({
          id: `params-${suite.short}-${group.id}-${cert.id}`.toLowerCase(),
          section: 'parameters (suite · group · server certificate)',
          row: `${suite.short} · ${group.label} · ${cert.label}`,
          params: { suite, group, cert },
          client: async (ctx) => {
            const { proc, port } = await startSServer(ctx, { cert: cert.id, args: ['-ciphersuites', suite.name, '-groups', group.sServer] });
            const { d, st } = await clientHandshake(ctx, port, ourClient(ctx, group.client));
            await ctx.step('negotiated parameters', () => {
              equal(st.cipherSuite?.name, suite.name, 'cipher suite');
              equal(st.group?.name, group.expect, 'group');
              equal(receivedHelloRetryRequest(d), group.hrr, 'HelloRetryRequest received');
              equal(st.signatureScheme?.name, cert.scheme, 'server signature scheme');
              check(st.verifiedChains.length > 0, 'the server chain was not verified');
              equal(st.verifiedChains[0]!.length, cert.id === 'p256-int' ? 3 : 2, 'verified chain length');
            });
            await exchangeWithSServer(ctx, d, proc);
            await ctx.step('peer agrees', () => proc.waitFor(`CIPHER is ${suite.name}`));
          },
          server: async (ctx) => {
            const l = await ctx.listen(ourServer(ctx, cert.id, { cipherSuites: [suite.code], groups: group.server }));
            const proc = startSClient(ctx, l.port, { args: ['-groups', group.sClient] });
            const { d, st } = await serverHandshake(ctx, () => l.accept());
            await ctx.step('negotiated parameters', () => {
              equal(st.cipherSuite?.name, suite.name, 'cipher suite');
              equal(st.group?.name, group.expect, 'group');
              equal(sentHelloRetryRequest(d), group.hrr, 'HelloRetryRequest sent');
              equal(st.signatureScheme?.name, cert.scheme, 'our signature scheme');
            });
            await exchangeWithSClient(ctx, d, proc);
            await ctx.step('peer agrees', async () => {
              await proc.waitFor(`Cipher is ${suite.name}`);
              await proc.waitFor(group.tempKey, `"${group.tempKey.source}"`);
              // 3.0 prints the key type (ECDSA, RSA-PSS, ed25519); later versions the scheme name.
              await proc.waitFor(new RegExp(`Peer signature type: (${cert.peerType}|${cert.scheme})\\b`), `its signature type ${cert.peerType}`);
              await proc.waitFor('Verify return code: 0 (ok)');
            });
          },
        });
      }
    }
  }
  return rows;
}

// ------------------------------------------------------- key exchange

const keyExchangeRows: RowSpec[] = [
  {
    id: 'default-groups',
    section: 'key exchange',
    row: 'default groups (X25519MLKEM768 first, x25519 share too)',
    client: async (ctx) => {
      const { proc, port } = await startSServer(ctx);
      const { d, st } = await clientHandshake(ctx, port, ourClient(ctx));
      await ctx.step('negotiated group', () => {
        const ks = firstClientHello(d).extensions.find((e) => e.type === 'key_share');
        check(ks && 'clientShares' in ks, 'no key_share in our ClientHello');
        equal(ks.clientShares.map((s) => s.group).join(','), `${NamedGroup.X25519MLKEM768},${NamedGroup.x25519}`, 'key shares offered');
        equal(st.group?.name, ctx.peer.capabilities.mlkem ? 'X25519MLKEM768' : 'x25519', 'group');
        equal(receivedHelloRetryRequest(d), false, 'HelloRetryRequest received');
      });
      await exchangeWithSServer(ctx, d, proc);
    },
    server: async (ctx) => {
      const l = await ctx.listen(ourServer(ctx));
      const proc = startSClient(ctx, l.port);
      const { d, st } = await serverHandshake(ctx, () => l.accept());
      await ctx.step('negotiated group', () => {
        equal(st.group?.name, ctx.peer.capabilities.mlkem ? 'X25519MLKEM768' : 'x25519', 'group');
        equal(sentHelloRetryRequest(d), false, 'HelloRetryRequest sent');
      });
      await exchangeWithSClient(ctx, d, proc);
    },
  },
  {
    id: 'mlkem',
    section: 'key exchange',
    row: 'X25519MLKEM768 only',
    notApplicable: noMlkem,
    client: async (ctx) => {
      const { proc, port } = await startSServer(ctx, { args: ['-groups', 'X25519MLKEM768'] });
      const { d, st } = await clientHandshake(ctx, port, ourClient(ctx, { groups: [NamedGroup.X25519MLKEM768] }));
      await ctx.step('negotiated group', () => equal(st.group?.name, 'X25519MLKEM768', 'group'));
      await exchangeWithSServer(ctx, d, proc);
    },
    server: async (ctx) => {
      const l = await ctx.listen(ourServer(ctx, 'p256', { groups: [NamedGroup.X25519MLKEM768] }));
      const proc = startSClient(ctx, l.port, { args: ['-groups', 'X25519MLKEM768'] });
      const { d, st } = await serverHandshake(ctx, () => l.accept());
      await ctx.step('negotiated group', () => equal(st.group?.name, 'X25519MLKEM768', 'group'));
      await exchangeWithSClient(ctx, d, proc);
      await ctx.step('peer agrees', () => proc.waitFor(/Negotiated TLS1\.3 group: X25519MLKEM768|Temp Key: X25519MLKEM768/));
    },
  },
];

// ------------------------------------------------------------- features

const featureRows: RowSpec[] = [
  {
    id: 'alpn',
    section: 'features',
    row: 'ALPN',
    client: async (ctx) => {
      const { proc, port } = await startSServer(ctx, { args: ['-alpn', 'http/1.1'] });
      const { d, st } = await clientHandshake(ctx, port, ourClient(ctx, { alpnProtocols: ['h2', 'http/1.1'] }));
      await ctx.step('negotiated ALPN', () => equal(st.alpnProtocol, 'http/1.1', 'ALPN protocol'));
      await exchangeWithSServer(ctx, d, proc);
    },
    server: async (ctx) => {
      const l = await ctx.listen(ourServer(ctx, 'p256', { alpnProtocols: ['h2', 'http/1.1'] }));
      const proc = startSClient(ctx, l.port, { args: ['-alpn', 'http/1.1,h2'] });
      const { d, st } = await serverHandshake(ctx, () => l.accept());
      await ctx.step('negotiated ALPN', () => equal(st.alpnProtocol, 'h2', 'ALPN protocol (server preference)'));
      await exchangeWithSClient(ctx, d, proc);
      await ctx.step('peer agrees', () => proc.waitFor('ALPN protocol: h2'));
    },
  },
  {
    id: 'alpn-mismatch',
    section: 'features',
    row: 'ALPN, no protocol in common',
    client: async (ctx) => {
      // s_server answers no_application_protocol (RFC 7301 §3.2); we must report exactly that.
      const { proc, port } = await startSServer(ctx, { args: ['-alpn', 'http/1.1'] });
      const d = await ctx.step('connect', () => ctx.connect(port, ourClient(ctx, { alpnProtocols: ['h2'] })));
      const err = await ctx.step('peer refuses', () => d.waitError());
      await ctx.step('alert received', () => {
        equal(err.alert, 'no_application_protocol', 'alert');
        equal(err.side, 'remote', 'side');
        equal(d.count('handshake'), 0, 'handshake events');
      });
      await ctx.step('peer reports why', () => proc.waitFor('no application protocol'));
    },
    server: async (ctx) => {
      // We refuse with no_application_protocol (RFC 7301 §3.2).
      const l = await ctx.listen(ourServer(ctx, 'p256', { alpnProtocols: ['h2'] }));
      const proc = startSClient(ctx, l.port, { args: ['-alpn', 'http/1.1'] });
      const d = await ctx.step('accept', () => l.accept());
      const err = await ctx.step('our server refuses', () => d.waitError());
      await ctx.step('alert sent', () => {
        equal(err.alert, 'no_application_protocol', 'alert');
        equal(err.side, 'local', 'side');
      });
      await ctx.step('peer reports the alert', () => proc.waitFor(/alert no application protocol|alert number 120/));
    },
  },
  {
    id: 'sni',
    section: 'features',
    row: 'SNI selects the certificate',
    client: async (ctx) => {
      // s_server's default certificate is for other.example; only SNI "localhost" selects the right one.
      const f = ctx.pki.server.p256;
      const { proc, port } = await startSServer(ctx, { cert: 'other', args: ['-servername', 'localhost', '-cert2', f.cert, '-key2', f.key] });
      const { d, st } = await clientHandshake(ctx, port, ourClient(ctx));
      await ctx.step('server name', () => {
        const sni = firstClientHello(d).extensions.some((e) => e.type === 'server_name');
        check(sni, 'our ClientHello carries no server_name');
        check(st.verifiedChains.length > 0, 'chain not verified');
      });
      await exchangeWithSServer(ctx, d, proc);
      await ctx.step('peer switched certificate', () => proc.waitFor('Switching server context'));
    },
    server: async (ctx) => {
      const l = await ctx.listen(ourServer(ctx, ['p256', 'other']));
      const proc = startSClient(ctx, l.port, { serverName: 'other.example' });
      const { d, st } = await serverHandshake(ctx, () => l.accept());
      await ctx.step('server name', () => equal(st.serverName, 'other.example', 'server name'));
      await exchangeWithSClient(ctx, d, proc);
      await ctx.step('peer got the other.example certificate', async () => {
        await proc.waitFor(/subject=.*CN ?= ?other\.example/);
        await proc.waitFor('Verify return code: 0 (ok)');
      });
    },
  },
  {
    id: 'ip',
    section: 'features',
    row: 'IP address (no SNI, IP SAN)',
    client: async (ctx) => {
      const { proc, port } = await startSServer(ctx);
      const { d, st } = await clientHandshake(ctx, port, ourClient(ctx), { serverName: '127.0.0.1' });
      await ctx.step('no SNI for an IP literal', () => {
        const sni = firstClientHello(d).extensions.some((e) => e.type === 'server_name');
        equal(sni, false, 'server_name sent (RFC 6066 §3 forbids IP literals)');
        check(st.verifiedChains.length > 0, 'chain not verified against the IP SAN');
      });
      await exchangeWithSServer(ctx, d, proc);
    },
    server: async (ctx) => {
      const l = await ctx.listen(ourServer(ctx));
      const proc = startSClient(ctx, l.port, { serverName: null, args: ['-verify_ip', '127.0.0.1'] });
      const { d, st } = await serverHandshake(ctx, () => l.accept());
      await ctx.step('no server name', () => equal(st.serverName, undefined, 'server name'));
      await exchangeWithSClient(ctx, d, proc);
      await ctx.step('peer verified the IP SAN', () => proc.waitFor('Verify return code: 0 (ok)'));
    },
  },
  {
    id: 'client-auth',
    section: 'client authentication',
    row: 'client certificate required and given',
    client: async (ctx) => {
      const { proc, port } = await startSServer(ctx, { args: ['-Verify', '1', '-CAfile', ctx.pki.clientCaFile, '-verify_return_error'] });
      const { d } = await clientHandshake(ctx, port, ourClient(ctx, { certificates: [clientCert(ctx, 'client')] }));
      await exchangeWithSServer(ctx, d, proc);
      await ctx.step('peer verified our certificate', () => proc.waitFor(/subject=.*CN ?= ?tls13 interop client/));
    },
    server: async (ctx) => {
      const l = await ctx.listen(ourServer(ctx, 'p256', { clientAuth: 'require-and-verify', clientCa: ctx.pki.clientCaPem }));
      const f = ctx.pki.client.client;
      const proc = startSClient(ctx, l.port, { args: ['-cert', f.cert, '-key', f.key] });
      const { d, st } = await serverHandshake(ctx, () => l.accept());
      await ctx.step('client certificate verified', () => {
        equal(st.peerCertificates.length, 1, 'client certificates received');
        check(st.verifiedChains.length > 0, 'client chain not verified');
      });
      await exchangeWithSClient(ctx, d, proc);
    },
  },
  {
    id: 'client-auth-missing',
    section: 'client authentication',
    row: 'client certificate required, none given',
    client: async (ctx) => {
      const { port, proc } = await startSServer(ctx, { args: ['-Verify', '1', '-CAfile', ctx.pki.clientCaFile, '-verify_return_error'] });
      const d = await ctx.step('connect', () => ctx.connect(port, ourClient(ctx)));
      const err = await ctx.step('peer refuses', () => d.waitError());
      await ctx.step('alert received', () => {
        equal(err.alert, 'certificate_required', 'alert');
        equal(err.side, 'remote', 'side');
      });
      await ctx.step('peer reports why', () => proc.waitFor('peer did not return a certificate'));
    },
    server: async (ctx) => {
      const l = await ctx.listen(ourServer(ctx, 'p256', { clientAuth: 'require-and-verify', clientCa: ctx.pki.clientCaPem }));
      const proc = startSClient(ctx, l.port);
      const d = await ctx.step('accept', () => l.accept());
      const err = await ctx.step('our server refuses', () => d.waitError());
      await ctx.step('alert sent', () => {
        equal(err.alert, 'certificate_required', 'alert');
        equal(err.side, 'local', 'side');
      });
      await ctx.step('peer reports the alert', () => proc.waitFor(/alert certificate required|alert number 116/));
    },
  },
  {
    id: 'client-auth-unknown-ca',
    section: 'client authentication',
    row: 'client certificate from an unknown CA',
    client: async (ctx) => {
      const { port, proc } = await startSServer(ctx, { args: ['-Verify', '1', '-CAfile', ctx.pki.clientCaFile, '-verify_return_error'] });
      const d = await ctx.step('connect', () => ctx.connect(port, ourClient(ctx, { certificates: [clientCert(ctx, 'client-untrusted')] })));
      const err = await ctx.step('peer refuses', () => d.waitError());
      await ctx.step('alert received', () => {
        equal(err.alert, 'unknown_ca', 'alert');
        equal(err.side, 'remote', 'side');
      });
      await ctx.step('peer reports why', () => proc.waitFor(/unable to get local issuer certificate|unknown ca/));
    },
    server: async (ctx) => {
      const l = await ctx.listen(ourServer(ctx, 'p256', { clientAuth: 'require-and-verify', clientCa: ctx.pki.clientCaPem }));
      const f = ctx.pki.client['client-untrusted'];
      const proc = startSClient(ctx, l.port, { args: ['-cert', f.cert, '-key', f.key] });
      const d = await ctx.step('accept', () => l.accept());
      const err = await ctx.step('our server refuses', () => d.waitError());
      await ctx.step('alert sent', () => {
        equal(err.alert, 'unknown_ca', 'alert');
        equal(err.side, 'local', 'side');
      });
      await ctx.step('peer reports the alert', () => proc.waitFor(/alert unknown ca|alert number 48/));
    },
  },
  {
    id: 'resumption',
    section: 'resumption and 0-RTT',
    row: 'resumption with a ticket',
    timeoutMs: MULTI_TIMEOUT,
    client: async (ctx) => {
      const { proc, port } = await startSServer(ctx);
      const config = ourClient(ctx);
      const first = await clientHandshake(ctx, port, config);
      await exchangeWithSServer(ctx, first.d, proc, ' (first connection)');
      await ctx.step('ticket', () => ticket(first.d));
      closeQuietly(first.d);
      const second = await clientHandshake(ctx, port, config);
      await ctx.step('resumed', () => {
        equal(second.st.resumed, true, 'resumed');
        equal(second.st.signatureScheme, undefined, 'signature scheme (none on resumption)');
      });
      await exchangeWithSServer(ctx, second.d, proc, ' (resumed)');
      await ctx.step('peer reports reuse', () => proc.waitFor('Reused session-id'));
    },
    server: async (ctx) => {
      const l = await ctx.listen(ourServer(ctx));
      const sess = join(ctx.workdir, 'session.pem');
      await sClientFirstConnection(ctx, l.port, () => l.accept(), sess);
      const proc = startSClient(ctx, l.port, { args: ['-sess_in', sess] });
      const { d, st } = await serverHandshake(ctx, () => l.accept());
      await ctx.step('resumed', () => equal(st.resumed, true, 'resumed'));
      await exchangeWithSClient(ctx, d, proc, ' (resumed)');
      await ctx.step('peer reports reuse', () => proc.waitFor(/Reused, TLSv1\.3/));
    },
  },
  {
    id: 'early-accepted',
    section: 'resumption and 0-RTT',
    row: '0-RTT accepted',
    timeoutMs: MULTI_TIMEOUT,
    client: async (ctx) => {
      const { proc, port } = await startSServer(ctx, { args: ['-early_data', '-max_early_data', '16384'] });
      const config = ourClient(ctx, { enableEarlyData: true });
      const first = await clientHandshake(ctx, port, config);
      await exchangeWithSServer(ctx, first.d, proc, ' (first connection)');
      const session = await ctx.step('ticket', () => ticket(first.d));
      await ctx.step('ticket allows 0-RTT', () => check(session.maxEarlyData > 0, `ticket max_early_data is ${session.maxEarlyData}`));
      closeQuietly(first.d);
      const { d, st, t } = await resumeWithEarlyData(ctx, port, config);
      await ctx.step('0-RTT accepted', () => {
        equal(st.resumed, true, 'resumed');
        equal(st.earlyDataAccepted, true, 'early data accepted');
        const ev = d.events.find((e) => e.type === 'early_data');
        check(ev?.type === 'early_data' && ev.accepted, 'no early_data event saying accepted');
      });
      // The data goes to stdout unbuffered, s_server's own lines through stdio: their order is not reliable.
      await ctx.step('peer read the early data', () => proc.waitFor(`early ${t}`));
      await exchangeWithSServer(ctx, d, proc, ' (after 0-RTT)');
      await ctx.step('peer says it was early data', () => proc.waitFor('Early data received:'));
    },
    server: async (ctx) => {
      const l = await ctx.listen(ourServer(ctx, 'p256', { maxEarlyData: 16384 }));
      const sess = join(ctx.workdir, 'session.pem');
      await sClientFirstConnection(ctx, l.port, () => l.accept(), sess);
      const t = token();
      const early = join(ctx.workdir, 'early.txt');
      writeFileSync(early, `early ${t}\n`);
      const proc = startSClient(ctx, l.port, { args: ['-sess_in', sess, '-early_data', early] });
      const { d, st } = await serverHandshake(ctx, () => l.accept());
      await ctx.step('0-RTT accepted', async () => {
        equal(st.resumed, true, 'resumed');
        equal(st.earlyDataAccepted, true, 'early data accepted');
        await d.until('early data', () => d.earlyText.includes(`early ${t}`));
        equal(d.receivedText.includes(`early ${t}`), false, '0-RTT data delivered as 1-RTT');
      });
      await ctx.step('peer reports acceptance', () => proc.waitFor('Early data was accepted'));
      await exchangeWithSClient(ctx, d, proc, ' (after 0-RTT)');
    },
  },
  {
    id: 'early-rejected',
    section: 'resumption and 0-RTT',
    row: '0-RTT rejected (resumption accepted)',
    timeoutMs: MULTI_TIMEOUT,
    client: async (ctx) => {
      // Tickets allow 0-RTT (-max_early_data) but this s_server never reads early data (no -early_data).
      const { proc, port } = await startSServer(ctx, { args: ['-max_early_data', '16384'] });
      const config = ourClient(ctx, { enableEarlyData: true, retryRejectedEarlyData: true });
      const first = await clientHandshake(ctx, port, config);
      await exchangeWithSServer(ctx, first.d, proc, ' (first connection)');
      const session = await ctx.step('ticket', () => ticket(first.d));
      await ctx.step('ticket allows 0-RTT', () => check(session.maxEarlyData > 0, `ticket max_early_data is ${session.maxEarlyData}`));
      closeQuietly(first.d);
      const { d, st, t } = await resumeWithEarlyData(ctx, port, config);
      await ctx.step('0-RTT rejected', () => {
        equal(st.resumed, true, 'resumed');
        equal(st.earlyDataAccepted, false, 'early data accepted');
        const ev = d.events.find((e) => e.type === 'early_data');
        check(ev?.type === 'early_data' && !ev.accepted, 'no early_data event saying rejected');
        equal(Buffer.from(ev.rejected).toString(), `early ${t}\n`, 'rejected bytes');
        equal(ev.resent, true, 'resent as 1-RTT');
      });
      await ctx.step('peer got the data again as 1-RTT', () => proc.waitFor(`early ${t}`));
      check(!/Early data received/.test(proc.text), 's_server says it read early data');
      await exchangeWithSServer(ctx, d, proc, ' (after rejection)');
    },
    server: async (ctx) => {
      const l = await ctx.listen(ourServer(ctx, 'p256', { maxEarlyData: 16384, acceptEarlyData: () => false }));
      const sess = join(ctx.workdir, 'session.pem');
      await sClientFirstConnection(ctx, l.port, () => l.accept(), sess);
      const early = join(ctx.workdir, 'early.txt');
      writeFileSync(early, `early ${token()}\n`);
      const proc = startSClient(ctx, l.port, { args: ['-sess_in', sess, '-early_data', early] });
      const { d, st } = await serverHandshake(ctx, () => l.accept());
      await ctx.step('0-RTT rejected', () => {
        equal(st.resumed, true, 'resumed');
        equal(st.earlyDataAccepted, false, 'early data accepted');
      });
      await ctx.step('peer reports rejection', () => proc.waitFor('Early data was rejected'));
      await exchangeWithSClient(ctx, d, proc, ' (after rejection)');
      equal(d.earlyText, '', 'early data delivered although rejected');
    },
  },
  {
    id: 'early-replay',
    section: 'resumption and 0-RTT',
    row: '0-RTT replayed ticket refused',
    timeoutMs: MULTI_TIMEOUT,
    client: async (ctx) => {
      // s_server's anti-replay (on by default) gives a reused ticket a full handshake.
      const { proc, port } = await startSServer(ctx, { args: ['-early_data', '-max_early_data', '16384'] });
      const config = ourClient(ctx, { enableEarlyData: true });
      const first = await clientHandshake(ctx, port, config);
      await exchangeWithSServer(ctx, first.d, proc, ' (first connection)');
      const session = await ctx.step('ticket', () => ticket(first.d));
      closeQuietly(first.d);
      for (const [i, label] of ['first use', 'replay'].entries()) {
        const t = token();
        const d = await ctx.step(`connect (${label})`, () => ctx.connect(port, config, { serverName: 'localhost', session }));
        await ctx.step(`write early data (${label})`, () => {
          check(d.conn.earlyDataWritable > 0, 'the connection offers no 0-RTT');
          d.write(`early ${t}\n`);
        });
        const st = await ctx.step(`handshake (${label})`, () => d.handshake());
        await ctx.step(i === 0 ? '0-RTT accepted' : '0-RTT refused on replay', () => {
          equal(st.earlyDataAccepted, i === 0, 'early data accepted');
          equal(st.resumed, i === 0, 'resumed');
          if (i === 1) check(st.verifiedChains.length > 0, 'the full handshake did not verify the chain');
        });
        await exchangeWithSServer(ctx, d, proc, ` (${label})`);
        closeQuietly(d);
      }
    },
    server: async (ctx) => {
      const l = await ctx.listen(ourServer(ctx, 'p256', { maxEarlyData: 16384 }));
      const sess = join(ctx.workdir, 'session.pem');
      await sClientFirstConnection(ctx, l.port, () => l.accept(), sess);
      for (const [i, label] of ['first use', 'replay'].entries()) {
        const t = token();
        const early = join(ctx.workdir, `early-${i}.txt`);
        writeFileSync(early, `early ${t}\n`);
        const proc = startSClient(ctx, l.port, { args: ['-sess_in', sess, '-early_data', early] });
        const { d, st } = await serverHandshake(ctx, () => l.accept());
        ctx.note(`${label}: resumed=${st.resumed}, early data accepted=${st.earlyDataAccepted}`);
        await ctx.step(i === 0 ? '0-RTT accepted' : '0-RTT refused on replay', async () => {
          equal(st.earlyDataAccepted, i === 0, 'early data accepted');
          if (i === 0) await d.until('early data', () => d.earlyText.includes(`early ${t}`));
          else equal(d.earlyText, '', 'replayed early data delivered');
        });
        await ctx.step(`peer reports ${i === 0 ? 'acceptance' : 'rejection'}`, () => proc.waitFor(i === 0 ? 'Early data was accepted' : 'Early data was rejected'));
        await exchangeWithSClient(ctx, d, proc, ` (${label})`);
        proc.endStdin();
        await proc.waitExit();
        closeQuietly(d);
      }
    },
  },
  ...keyUpdateRows(),
  ...bulkRows(),
  {
    id: 'close-by-us',
    section: 'closure',
    row: 'close_notify sent by us',
    client: async (ctx) => {
      const { proc, port } = await startSServer(ctx);
      const { d } = await clientHandshake(ctx, port, ourClient(ctx));
      await exchangeWithSServer(ctx, d, proc);
      await ctx.step('close_notify', async () => {
        d.close();
        await proc.waitFor(/DONE/);
      });
      await ctx.step("peer's close_notify", () => d.until('close_notify from the peer', () => d.count('end') > 0));
      check(d.error === undefined, `connection error: ${d.error?.message}`);
    },
    server: async (ctx) => {
      const l = await ctx.listen(ourServer(ctx));
      const proc = startSClient(ctx, l.port);
      const { d } = await serverHandshake(ctx, () => l.accept());
      await exchangeWithSClient(ctx, d, proc);
      await ctx.step('close_notify', async () => {
        d.close();
        await proc.waitFor(/closed/);
        await proc.waitExit();
      });
      await ctx.step("peer's close_notify", () => d.until('close_notify from the peer', () => d.count('end') > 0));
      check(d.error === undefined, `connection error: ${d.error?.message}`);
    },
  },
  {
    id: 'close-by-peer',
    section: 'closure',
    row: 'close_notify sent by the peer',
    client: async (ctx) => {
      // s_server sends close_notify after answering an HTTP request in -WWW mode.
      writeFileSync(join(ctx.workdir, 'hello.txt'), 'hello\n');
      const { port, proc } = await startSServer(ctx, { args: ['-WWW'] });
      const { d } = await clientHandshake(ctx, port, ourClient(ctx));
      await ctx.step('request', async () => {
        d.write('GET /hello.txt HTTP/1.0\r\n\r\n');
        await d.waitText('hello\n');
      });
      await ctx.step("peer's close_notify", () => d.until('close_notify from the peer', () => d.count('end') > 0));
      await ctx.step('we close too', () => {
        d.close();
        check(d.conn.closed, 'connection not closed after both close_notify');
        check(d.error === undefined, `connection error: ${d.error?.message}`);
      });
      void proc;
    },
    server: async (ctx) => {
      const l = await ctx.listen(ourServer(ctx));
      const proc = startSClient(ctx, l.port);
      const { d } = await serverHandshake(ctx, () => l.accept());
      await exchangeWithSClient(ctx, d, proc);
      await ctx.step("peer's close_notify", async () => {
        proc.endStdin(); // s_client sends close_notify when its stdin ends
        await d.until('close_notify from the peer', () => d.count('end') > 0);
      });
      await ctx.step('we close too', () => {
        d.close();
        check(d.conn.closed, 'connection not closed after both close_notify');
        check(d.error === undefined, `connection error: ${d.error?.message}`);
      });
    },
  },
  {
    id: 'middlebox-on',
    section: 'middlebox compatibility (RFC 8446 §D.4)',
    row: 'compatibility mode on',
    client: async (ctx) => {
      const { proc, port } = await startSServer(ctx);
      const { d } = await clientHandshake(ctx, port, ourClient(ctx, { middleboxCompat: true }));
      await ctx.step('compatibility records', () => {
        equal(firstClientHello(d).legacySessionId.length, 32, 'legacy_session_id length');
        equal(ccsCount(d, 'sent'), 1, 'change_cipher_spec records sent');
        equal(ccsCount(d, 'received'), 1, 'change_cipher_spec records received');
      });
      await exchangeWithSServer(ctx, d, proc);
    },
    server: async (ctx) => {
      const l = await ctx.listen(ourServer(ctx, 'p256', { middleboxCompat: true }));
      const proc = startSClient(ctx, l.port);
      const { d } = await serverHandshake(ctx, () => l.accept());
      await exchangeWithSClient(ctx, d, proc);
      await ctx.step('compatibility records', () => {
        equal(ccsCount(d, 'sent'), 1, 'change_cipher_spec records sent');
        equal(ccsCount(d, 'received'), 1, 'change_cipher_spec records received');
      });
    },
  },
  {
    id: 'middlebox-mixed',
    section: 'middlebox compatibility (RFC 8446 §D.4)',
    row: 'off here, on at the peer',
    client: async (ctx) => {
      // The peer still sends its CCS; a client must drop it whatever its own mode (§5).
      const { proc, port } = await startSServer(ctx);
      const { d } = await clientHandshake(ctx, port, ourClient(ctx, { middleboxCompat: false }));
      await ctx.step('records', () => {
        equal(firstClientHello(d).legacySessionId.length, 0, 'legacy_session_id length');
        equal(ccsCount(d, 'sent'), 0, 'change_cipher_spec records sent');
        ctx.note(`peer sent ${ccsCount(d, 'received')} change_cipher_spec record(s)`);
      });
      await exchangeWithSServer(ctx, d, proc);
    },
    server: async (ctx) => {
      // The client sends a CCS and a session id; we echo the id and drop its CCS, sending none ourselves.
      const l = await ctx.listen(ourServer(ctx, 'p256', { middleboxCompat: false }));
      const proc = startSClient(ctx, l.port);
      const { d } = await serverHandshake(ctx, () => l.accept());
      await exchangeWithSClient(ctx, d, proc);
      await ctx.step('records', () => {
        equal(ccsCount(d, 'sent'), 0, 'change_cipher_spec records sent');
        equal(ccsCount(d, 'received'), 1, 'change_cipher_spec records received');
      });
    },
  },
  {
    id: 'middlebox-off',
    section: 'middlebox compatibility (RFC 8446 §D.4)',
    row: 'compatibility mode off',
    client: async (ctx) => {
      const { proc, port } = await startSServer(ctx, { args: ['-no_middlebox'] });
      const { d } = await clientHandshake(ctx, port, ourClient(ctx, { middleboxCompat: false }));
      await ctx.step('no compatibility records', () => {
        equal(firstClientHello(d).legacySessionId.length, 0, 'legacy_session_id length');
        equal(ccsCount(d, 'sent'), 0, 'change_cipher_spec records sent');
        // OpenSSL 3.0's server may still send one; a client must accept it either way (§5).
        ctx.note(`peer sent ${ccsCount(d, 'received')} change_cipher_spec record(s)`);
      });
      await exchangeWithSServer(ctx, d, proc);
    },
    server: async (ctx) => {
      const l = await ctx.listen(ourServer(ctx, 'p256', { middleboxCompat: false }));
      const proc = startSClient(ctx, l.port, { args: ['-no_middlebox'] });
      const { d } = await serverHandshake(ctx, () => l.accept());
      await exchangeWithSClient(ctx, d, proc);
      await ctx.step('no compatibility records', () => {
        equal(ccsCount(d, 'sent'), 0, 'change_cipher_spec records sent');
        equal(ccsCount(d, 'received'), 0, 'change_cipher_spec records received');
      });
    },
  },
];

function keyUpdateRows(): RowSpec[] {
  const rows: RowSpec[] = [];
  for (const requested of [false, true]) {
    const suffix = requested ? ', update_requested' : '';
    // We send the KeyUpdate.
    const ours = async (ctx: CaseContext, d: Driven, proc: PeerProcess): Promise<void> => {
      await ctx.step(`KeyUpdate${suffix}`, () => d.updateKeys(requested));
      await exchangeWithSServer(ctx, d, proc, ' (after KeyUpdate)');
      await ctx.step('peer response', () => {
        equal(keyUpdates(d, 'write'), 1, 'our write-key updates');
        equal(keyUpdates(d, 'read'), requested ? 1 : 0, 'peer KeyUpdates received');
      });
      // A second round proves both directions still work under the new keys.
      await exchangeWithSServer(ctx, d, proc, ' (second round)');
    };
    rows.push({
      id: `keyupdate-ours${requested ? '-requested' : ''}`,
      section: 'KeyUpdate (RFC 8446 §4.6.3)',
      row: `sent by us${suffix}`,
      client: async (ctx) => {
        const { proc, port } = await startSServer(ctx);
        const { d } = await clientHandshake(ctx, port, ourClient(ctx));
        await exchangeWithSServer(ctx, d, proc);
        await ours(ctx, d, proc);
      },
      server: async (ctx) => {
        const l = await ctx.listen(ourServer(ctx));
        const proc = startSClient(ctx, l.port);
        const { d } = await serverHandshake(ctx, () => l.accept());
        await exchangeWithSClient(ctx, d, proc);
        await ours(ctx, d, proc);
      },
    });
    // The peer sends it: `k` / `K` on openssl's stdin.
    const theirs = async (ctx: CaseContext, d: Driven, proc: PeerProcess): Promise<void> => {
      await ctx.step(`peer KeyUpdate (${requested ? 'K' : 'k'})`, async () => {
        await proc.write(requested ? 'K\n' : 'k\n');
        // What openssl prints about it goes through buffered stdio: watch our side instead.
        await d.until('the peer KeyUpdate', () => keyUpdates(d, 'read') > 0);
      });
      await exchangeWithSServer(ctx, d, proc, ' (after KeyUpdate)');
      await ctx.step('our response', () => {
        equal(keyUpdates(d, 'read'), 1, 'peer KeyUpdates received');
        equal(keyUpdates(d, 'write'), requested ? 1 : 0, 'our write-key updates in response');
      });
      await exchangeWithSServer(ctx, d, proc, ' (second round)');
    };
    rows.push({
      id: `keyupdate-peer${requested ? '-requested' : ''}`,
      section: 'KeyUpdate (RFC 8446 §4.6.3)',
      row: `received from the peer${suffix} (${requested ? 'K' : 'k'})`,
      client: async (ctx) => {
        const { proc, port } = await startSServer(ctx);
        const { d } = await clientHandshake(ctx, port, ourClient(ctx));
        await exchangeWithSServer(ctx, d, proc);
        await theirs(ctx, d, proc);
      },
      server: async (ctx) => {
        const l = await ctx.listen(ourServer(ctx));
        const proc = startSClient(ctx, l.port);
        const { d } = await serverHandshake(ctx, () => l.accept());
        await exchangeWithSClient(ctx, d, proc);
        await theirs(ctx, d, proc);
      },
    });
  }
  return rows;
}

/** 16 MiB each way, checked by SHA-256; our records must be full-size. */
function bulkRows(): RowSpec[] {
  const checkFullRecords = (d: Driven): void => {
    const full = d.sentRecordLengths.get(FULL_RECORD) ?? 0;
    const largest = Math.max(...d.sentRecordLengths.keys());
    equal(largest, FULL_RECORD, 'largest record we sent (bytes after the header)');
    check(full >= BULK_SIZE / 16384, `only ${full} full-size records for ${BULK_SIZE} bytes`);
  };
  return [
    {
      id: 'bulk-out',
      section: 'bulk data',
      row: '16 MiB sent by us (full records)',
      timeoutMs: BULK_TIMEOUT,
      client: async (ctx) => {
        // -quiet: s_server's stdout is then exactly the data it received.
        const { proc, port } = await startSServer(ctx, { quiet: true });
        const { d } = await clientHandshake(ctx, port, ourClient(ctx));
        const data = randomBytes(BULK_SIZE);
        await ctx.step('send 16 MiB', () => d.writeBulk(data));
        await ctx.step('peer received 16 MiB', () => proc.waitForStdoutBytes(BULK_SIZE));
        await ctx.step('SHA-256 matches', () => {
          equal(proc.stdoutBytes, BULK_SIZE, 'bytes printed by s_server');
          equal(proc.stdoutDigest(), sha256(data), 'SHA-256 of the data');
        });
        await ctx.step('record sizes', () => checkFullRecords(d));
      },
      server: async (ctx) => {
        const l = await ctx.listen(ourServer(ctx));
        const proc = startSClient(ctx, l.port, { quiet: true });
        const { d } = await serverHandshake(ctx, () => l.accept());
        const data = randomBytes(BULK_SIZE);
        await ctx.step('send 16 MiB', async () => {
          await d.writeBulk(data);
          d.close();
        });
        await ctx.step('peer received 16 MiB', () => proc.waitForStdoutBytes(BULK_SIZE));
        await ctx.step('SHA-256 matches', () => {
          equal(proc.stdoutBytes, BULK_SIZE, 'bytes printed by s_client');
          equal(proc.stdoutDigest(), sha256(data), 'SHA-256 of the data');
        });
        await ctx.step('record sizes', () => checkFullRecords(d));
      },
    },
    {
      id: 'bulk-in',
      section: 'bulk data',
      row: '16 MiB received from the peer',
      timeoutMs: BULK_TIMEOUT,
      client: async (ctx) => {
        // s_server -WWW serves a file from its working directory.
        const data = randomBytes(BULK_SIZE);
        writeFileSync(join(ctx.workdir, 'payload.bin'), data);
        const { port } = await startSServer(ctx, { args: ['-WWW'] });
        const { d } = await clientHandshake(ctx, port, ourClient(ctx));
        d.write('GET /payload.bin HTTP/1.0\r\n\r\n');
        const header = await ctx.step('response header', async () => {
          await d.waitText('\r\n\r\n');
          const h = d.receivedText.slice(0, d.receivedText.indexOf('\r\n\r\n') + 4);
          check(/^HTTP\/1\.0 200 /.test(h), `response: ${JSON.stringify(h.slice(0, 60))}`);
          return Buffer.from(h, 'latin1');
        });
        await ctx.step('receive 16 MiB', () => d.until('16 MiB', () => d.receivedBytes >= header.length + BULK_SIZE));
        await ctx.step('SHA-256 matches', () => {
          equal(d.receivedBytes, header.length + BULK_SIZE, 'bytes received');
          equal(d.receivedDigest(), sha256(Buffer.concat([header, data])), 'SHA-256 of header and data');
        });
        ctx.note(`peer record sizes: ${[...d.receivedRecordLengths.entries()].map(([k, v]) => `${v}×${k}`).join(', ')}`);
      },
      server: async (ctx) => {
        const l = await ctx.listen(ourServer(ctx));
        // -nocommands: a chunk of random data starting with "Q" or "k" must not be read as a command.
        const proc = startSClient(ctx, l.port, { args: ['-nocommands'] });
        const { d } = await serverHandshake(ctx, () => l.accept());
        const data = randomBytes(BULK_SIZE);
        await ctx.step('peer sends 16 MiB', async () => {
          await proc.write(data);
          proc.endStdin();
          await d.until('16 MiB', () => d.receivedBytes >= BULK_SIZE);
        });
        await ctx.step('SHA-256 matches', () => {
          equal(d.receivedBytes, BULK_SIZE, 'bytes received');
          equal(d.receivedDigest(), sha256(data), 'SHA-256 of the data');
        });
        ctx.note(`peer record sizes: ${[...d.receivedRecordLengths.entries()].map(([k, v]) => `${v}×${k}`).join(', ')}`);
      },
    },
  ];
}

// ------------------------------------------------------ certificate failures

const failureRows: RowSpec[] = [
  {
    id: 'unknown-ca',
    section: 'certificate failures',
    row: 'server certificate from an unknown CA',
    client: async (ctx) => {
      const { proc, port } = await startSServer(ctx, { cert: 'untrusted' });
      const d = await ctx.step('connect', () => ctx.connect(port, ourClient(ctx)));
      const err = await ctx.step('we refuse', () => d.waitError());
      await ctx.step('alert sent', () => {
        equal(err.alert, 'unknown_ca', 'alert');
        equal(err.side, 'local', 'side');
      });
      await ctx.step('peer reports the alert', () => proc.waitFor(/alert unknown ca|alert number 48/));
    },
    server: async (ctx) => {
      const l = await ctx.listen(ourServer(ctx, 'untrusted'));
      const proc = startSClient(ctx, l.port);
      const d = await ctx.step('accept', () => l.accept());
      const err = await ctx.step('peer refuses', () => d.waitError());
      await ctx.step('alert received', () => {
        equal(err.alert, 'unknown_ca', 'alert');
        equal(err.side, 'remote', 'side');
      });
      await ctx.step('peer reports why', () => proc.waitFor(/unable to get local issuer certificate/));
    },
  },
  {
    id: 'wrong-host',
    section: 'certificate failures',
    row: 'wrong host name',
    client: async (ctx) => {
      const { proc, port } = await startSServer(ctx);
      const d = await ctx.step('connect', () => ctx.connect(port, ourClient(ctx), { serverName: 'wrong.example' }));
      const err = await ctx.step('we refuse', () => d.waitError());
      await ctx.step('alert sent', () => {
        equal(err.alert, 'bad_certificate', 'alert');
        equal(err.side, 'local', 'side');
        check(/wrong\.example/.test(err.message), `message does not name the host: ${err.message}`);
      });
      await ctx.step('peer reports the alert', () => proc.waitFor(/alert bad certificate|alert number 42/));
    },
    server: async (ctx) => {
      const l = await ctx.listen(ourServer(ctx));
      const proc = startSClient(ctx, l.port, { serverName: 'wrong.example' });
      const d = await ctx.step('accept', () => l.accept());
      const err = await ctx.step('peer refuses', () => d.waitError());
      await ctx.step('peer reports why', () => proc.waitFor(/hostname mismatch/));
      await ctx.step('alert received', () => {
        // What OpenSSL sends for X509_V_ERR_HOSTNAME_MISMATCH; we must report that alert, as remote.
        equal(err.side, 'remote', 'side');
        check(['bad_certificate', 'certificate_unknown'].includes(err.alert), `unexpected alert ${err.alert}`);
        ctx.note(`openssl sent ${err.alert} for the host name mismatch`);
      });
    },
  },
];

// ---------------------------------------------------------------- export

/** Every case, in table order. */
export const CASES: readonly InteropCase[] = [
  ...parameterRows(),
  ...keyExchangeRows,
  ...featureRows,
  ...failureRows,
].flatMap(both);

/** Selects cases whose id or row contains any of `filters` (case-insensitive). */
export function selectCases(filters: readonly string[]): InteropCase[] {
  if (filters.length === 0) return [...CASES];
  const f = filters.map((s) => s.toLowerCase());
  return CASES.filter((c) => f.some((x) => c.id.toLowerCase().includes(x) || c.row.toLowerCase().includes(x)));
}
