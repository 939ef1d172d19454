/**
 * Every config hook, synchronous and asynchronous, accepting and rejecting:
 * getConfigForClient, getCertificate, verifyPeerCertificate,
 * verifyConnection, keyLog, trace, shapeMessage, random and now;
 * insecureSkipVerify.
 */
import { describe, expect, it } from 'vitest';
import type { ClientHelloInfo, ConnectionState, ServerConfig } from '../../src/config.js';
import { ClientConnection } from '../../src/connection.js';
import { TLSError } from '../../src/errors.js';
import type { TraceEntry } from '../../src/handshake/events.js';
import { loadCertifiedKey } from '../../src/handshake/settings.js';
import { CipherSuite, ContentType, NamedGroup, ProtocolVersion, SignatureScheme } from '../../src/registry.js';
import { toHex } from '../../src/util/bytes.js';
import type { ClientHello } from '../../src/wire/index.js';
import { parseCertificates, type Certificate } from '../../src/x509/index.js';
import {
  IMPOSTOR_ROOT,
  KeyLog,
  ROOT,
  certified,
  delayed,
  drive,
  exchangeData,
  expectConnected,
  expectFailed,
  handshake,
  newPair,
  now,
  payload,
  pkiText,
  plaintextMessages,
  records,
  seededRandom,
  sendHalfRttData,
} from './pair.js';

const P256 = certified('leaf-p256');
const KEYS = {
  'p256.test': loadCertifiedKey(P256),
  'p384.test': loadCertifiedKey(certified('leaf-p384')),
  'ed25519.test': loadCertifiedKey(certified('leaf-ed25519')),
  'rsa.test': loadCertifiedKey(certified('leaf-rsa')),
} as const;
type Host = keyof typeof KEYS;

function der(name: string): Uint8Array {
  return parseCertificates(pkiText(`${name}.pem`))[0]!.raw;
}

const LEAF_FOR: Record<Host, string> = {
  'p256.test': 'leaf-p256',
  'p384.test': 'leaf-p384',
  'ed25519.test': 'leaf-ed25519',
  'rsa.test': 'leaf-rsa',
};

function client(extra: object = {}) {
  return { ca: ROOT, now, groups: [NamedGroup.x25519], sessionCache: false as const, ...extra };
}

// ---------------------------------------------------------- getConfigForClient

describe('getConfigForClient', () => {
  const other: ServerConfig = { certificates: [certified('leaf-ed25519')], alpnProtocols: ['http/1.1'], now };
  const base = (hook: ServerConfig['getConfigForClient']): ServerConfig => ({
    certificates: [P256],
    alpnProtocols: ['h2'],
    now,
    getConfigForClient: hook,
  });

  it('sees the ClientHello and may return another config (certificate and ALPN change)', async () => {
    const seen: ClientHelloInfo[] = [];
    const p = await handshake(
      client({ alpnProtocols: ['h2', 'http/1.1'], keyShareGroups: [NamedGroup.x25519] }),
      base((hello) => {
        seen.push(hello);
        return hello.serverName === 'ed25519.test' ? other : undefined;
      }),
      'ed25519.test',
    );
    expectConnected(p);
    expect(p.client.conn.state.alpnProtocol).toBe('http/1.1');
    expect(p.client.conn.state.signatureScheme?.name).toBe('ed25519');
    expect(p.client.conn.state.peerCertificates[0]).toEqual(der('leaf-ed25519'));
    expect(seen).toHaveLength(1);
    const info = seen[0]!;
    expect(info.serverName).toBe('ed25519.test');
    expect(info.alpnProtocols).toEqual(['h2', 'http/1.1']);
    expect(info.supportedGroups).toEqual([NamedGroup.x25519]);
    expect(info.keyShareGroups).toEqual([NamedGroup.x25519]);
    expect(info.supportedVersions).toEqual([ProtocolVersion.TLS1_3]);
    expect(info.cipherSuites).toEqual([
      CipherSuite.TLS_AES_128_GCM_SHA256,
      CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
      CipherSuite.TLS_AES_256_GCM_SHA384,
    ]);
    expect(info.signatureSchemes).toContain(SignatureScheme.ed25519);
    expect(info.offersEarlyData).toBe(false);
    // raw is the whole ClientHello, header included, as sent.
    expect(info.raw[0]).toBe(1);
    const sent = plaintextMessages(p.wire.toServer[0]!)[0] as ClientHello;
    expect(sent.random).toEqual(info.raw.subarray(6, 38));
  });

  it('returning undefined keeps the original config', async () => {
    const p = await handshake(client({ alpnProtocols: ['h2'] }), base(() => undefined), 'localhost');
    expectConnected(p);
    expect(p.client.conn.state.alpnProtocol).toBe('h2');
    expect(p.client.conn.state.peerCertificates[0]).toEqual(der('leaf-p256'));
  });

  it('an asynchronous hook (Promise settled later) is waited for', async () => {
    const p = await handshake(
      client({ alpnProtocols: ['http/1.1'] }),
      base(() => delayed(10, () => other)),
      'ed25519.test',
    );
    expectConnected(p);
    expect(p.server.conn.state.alpnProtocol).toBe('http/1.1');
    await exchangeData(p, payload(100, 1), payload(100, 2));
  });

  it('a throwing hook → internal_error with its message; the client learns the alert', async () => {
    const p = await handshake(
      client(),
      base(() => {
        throw new Error('tenant suspended');
      }),
      'localhost',
    );
    const err = expectFailed(p.server, 'internal_error', p.client);
    expect(err.message).toBe('getConfigForClient rejected the connection: tenant suspended');
  });

  it('a rejecting Promise → internal_error with its message', async () => {
    const p = await handshake(client(), base(() => delayed(5, () => Promise.reject(new Error('config store down')))), 'localhost');
    const err = expectFailed(p.server, 'internal_error', p.client);
    expect(err.message).toBe('getConfigForClient rejected the connection: config store down');
  });

  it('a hook that throws a TLSError sends that alert (unrecognized_name for an unknown SNI)', async () => {
    const p = await handshake(
      client(),
      base((hello) => {
        throw new TLSError('unrecognized_name', `no site named ${hello.serverName ?? '(none)'}`);
      }),
      'nosuch.test',
    );
    const err = expectFailed(p.server, 'unrecognized_name', p.client);
    expect(err.message).toBe('no site named nosuch.test');
  });
});

// -------------------------------------------------------------- getCertificate

describe('getCertificate', () => {
  const bySni = (hello: ClientHelloInfo) => KEYS[hello.serverName as Host];

  for (const host of Object.keys(KEYS) as Host[]) {
    it(`picks by SNI among several: ${host}`, async () => {
      const p = await handshake(client(), { getCertificate: bySni, now }, host);
      expectConnected(p);
      expect(p.client.conn.state.peerCertificates[0]).toEqual(der(LEAF_FOR[host]));
    });
  }

  it('an asynchronous hook works', async () => {
    const p = await handshake(client(), { getCertificate: (h) => delayed(5, () => bySni(h)), now }, 'rsa.test');
    expectConnected(p);
    expect(p.client.conn.state.signatureScheme?.name).toBe('rsa_pss_rsae_sha256');
  });

  it('returning undefined falls back to `certificates`', async () => {
    const p = await handshake(client(), { certificates: [P256], getCertificate: () => undefined, now }, 'localhost');
    expectConnected(p);
    expect(p.client.conn.state.peerCertificates[0]).toEqual(der('leaf-p256'));
  });

  it('returning undefined with no `certificates` → handshake_failure', async () => {
    const p = await handshake(client(), { getCertificate: () => undefined, now }, 'localhost');
    const err = expectFailed(p.server, 'handshake_failure', p.client);
    expect(err.message).toMatch(/no certificate to offer/);
  });

  it('a throwing hook → internal_error with its message', async () => {
    const p = await handshake(
      client(),
      {
        getCertificate: () => {
          throw new Error('HSM offline');
        },
        now,
      },
      'localhost',
    );
    expect(expectFailed(p.server, 'internal_error', p.client).message).toBe('getCertificate rejected the connection: HSM offline');
  });

  it('a rejecting Promise → internal_error with its message', async () => {
    const p = await handshake(client(), { getCertificate: () => delayed(3, () => Promise.reject(new Error('vault timeout'))), now }, 'localhost');
    expect(expectFailed(p.server, 'internal_error', p.client).message).toBe('getCertificate rejected the connection: vault timeout');
  });

  it('without a hook, `certificates` are chosen by SNI', async () => {
    const server: ServerConfig = {
      certificates: [certified('leaf-p256'), certified('leaf-p384'), certified('leaf-ed25519'), certified('leaf-rsa')],
      now,
    };
    for (const host of Object.keys(KEYS) as Host[]) {
      const p = await handshake(client(), server, host);
      expectConnected(p);
      expect(p.client.conn.state.peerCertificates[0]).toEqual(der(LEAF_FOR[host]));
    }
  });

  it('without a hook, a certificate whose key the client cannot verify is skipped', async () => {
    const server: ServerConfig = { certificates: [certified('leaf-rsa'), certified('leaf-ed25519')], now };
    // SNI matches nothing useful; the client accepts only Ed25519.
    const p = await handshake(client({ signatureSchemes: [SignatureScheme.ed25519] }), server, 'ed25519.test');
    expectConnected(p);
    expect(p.client.conn.state.peerCertificates[0]).toEqual(der('leaf-ed25519'));
  });
});

// ------------------------------------------------------- verifyPeerCertificate

describe('verifyPeerCertificate', () => {
  const subjects = (chains: readonly (readonly Certificate[])[]) => chains.map((c) => c.map((x) => x.subject.text));

  it('the client hook sees the raw certificates and the verified chains', async () => {
    const calls: { raw: readonly Uint8Array[]; chains: readonly (readonly Certificate[])[] }[] = [];
    const p = await handshake(
      client({ verifyPeerCertificate: (raw: readonly Uint8Array[], chains: readonly (readonly Certificate[])[]) => void calls.push({ raw, chains }) }),
      { certificates: [P256], now },
      'localhost',
    );
    expectConnected(p);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.raw).toEqual([der('leaf-p256'), der('int-ec')]);
    expect(subjects(calls[0]!.chains)).toEqual([
      [expect.stringContaining('p256.test'), expect.stringContaining('Test Intermediate CA'), expect.stringContaining('Test Root CA')],
    ]);
    expect(calls[0]!.chains[0]![2]!.raw).toEqual(der('root-ec'));
  });

  it('the server hook sees the client chain', async () => {
    const calls: (readonly Uint8Array[])[] = [];
    const p = await handshake(
      client({ certificates: [certified('leaf-client')] }),
      { certificates: [P256], clientAuth: 'require-and-verify', clientCa: ROOT, now, verifyPeerCertificate: (raw) => void calls.push(raw) },
      'localhost',
    );
    expectConnected(p);
    expect(calls).toEqual([[der('leaf-client'), der('int-ec')]]);
  });

  it('the server hook runs for an unverified client certificate with empty chains', async () => {
    const chains: number[] = [];
    const p = await handshake(
      client({ certificates: [certified('leaf-client')] }),
      { certificates: [P256], clientAuth: 'require', now, verifyPeerCertificate: (_raw, c) => void chains.push(c.length) },
      'localhost',
    );
    expectConnected(p);
    expect(chains).toEqual([0]);
  });

  it('a throwing client hook → bad_certificate carrying its message', async () => {
    const p = await handshake(
      client({
        verifyPeerCertificate: () => {
          throw new Error('certificate not pinned');
        },
      }),
      { certificates: [P256], now },
      'localhost',
    );
    const err = expectFailed(p.client, 'bad_certificate', p.server);
    expect(err.message).toBe('verifyPeerCertificate rejected the connection: certificate not pinned');
    expect(p.server.completed).toBe(false);
  });

  it('an asynchronous client hook that accepts', async () => {
    let called = 0;
    const p = await handshake(
      client({ verifyPeerCertificate: () => delayed(10, () => void called++) }),
      { certificates: [P256], now },
      'localhost',
    );
    expectConnected(p);
    expect(called).toBe(1);
  });

  it('an asynchronous client hook that rejects → bad_certificate carrying its message', async () => {
    const p = await handshake(
      client({ verifyPeerCertificate: () => delayed(10, () => Promise.reject(new Error('CT log check failed'))) }),
      { certificates: [P256], now },
      'localhost',
    );
    expect(expectFailed(p.client, 'bad_certificate', p.server).message).toBe(
      'verifyPeerCertificate rejected the connection: CT log check failed',
    );
  });

  it('a rejecting server hook → bad_certificate to the client', async () => {
    const p = await handshake(
      client({ certificates: [certified('leaf-client')] }),
      {
        certificates: [P256],
        clientAuth: 'require-and-verify',
        clientCa: ROOT,
        now,
        verifyPeerCertificate: () => delayed(2, () => Promise.reject(new Error('client revoked'))),
      },
      'localhost',
    );
    expect(expectFailed(p.server, 'bad_certificate', p.client).message).toBe('verifyPeerCertificate rejected the connection: client revoked');
  });

  it('a hook throwing a TLSError sends that alert', async () => {
    const p = await handshake(
      client({
        verifyPeerCertificate: () => {
          throw new TLSError('certificate_revoked', 'serial 2001 is revoked');
        },
      }),
      { certificates: [P256], now },
      'localhost',
    );
    expect(expectFailed(p.client, 'certificate_revoked', p.server).message).toBe('serial 2001 is revoked');
  });

  it('is not reached when chain verification already failed', async () => {
    let called = false;
    const p = await handshake(
      client({
        ca: IMPOSTOR_ROOT,
        verifyPeerCertificate: () => {
          called = true;
        },
      }),
      { certificates: [P256], now },
      'localhost',
    );
    expectFailed(p.client, 'unknown_ca', p.server);
    expect(called).toBe(false);
  });
});

// ------------------------------------------ input that arrives while a hook waits

describe('input arriving while an asynchronous hook is pending', () => {
  it("the server's 0.5-RTT data is held until the hook accepts, then delivered after the handshake event", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const p = newPair(client({ verifyPeerCertificate: () => gate }), { certificates: [P256], now }, 'localhost');
    sendHalfRttData(p.server, payload(30, 4));
    // Deliver the ClientHello, then the whole server flight (with the data) while the hook waits.
    p.server.receive(p.client.conn.takeOutgoing());
    await p.server.conn.settled();
    p.client.receive(p.server.conn.takeOutgoing());
    p.client.poll();
    expect(p.client.completed).toBe(false);
    expect(p.client.dataEvents).toEqual([]);
    release();
    await p.client.conn.settled();
    p.client.poll();
    expect(p.client.completed).toBe(true);
    expect(p.client.data).toEqual(payload(30, 4));
    const kinds = p.client.events.map((e) => e.type);
    expect(kinds.indexOf('handshake')).toBeLessThan(kinds.indexOf('data'));
  });

  it('... and never delivered when the hook rejects', async () => {
    const p = newPair(client({ verifyPeerCertificate: () => delayed(10, () => Promise.reject(new Error('pin mismatch'))) }), { certificates: [P256], now }, 'localhost');
    sendHalfRttData(p.server, payload(30, 5));
    await drive(p);
    expectFailed(p.client, 'bad_certificate', p.server);
  });
});

// ------------------------------------------------------------ verifyConnection

describe('verifyConnection', () => {
  it('the client hook sees the negotiated state before the handshake completes', async () => {
    const states: ConnectionState[] = [];
    const p = await handshake(
      client({ alpnProtocols: ['h2'], verifyConnection: (st: ConnectionState) => void states.push(st) }),
      { certificates: [P256], alpnProtocols: ['h2'], now },
      'localhost',
    );
    expectConnected(p);
    expect(states).toHaveLength(1);
    const st = states[0]!;
    expect(st.side).toBe('client');
    expect(st.handshakeComplete).toBe(false);
    expect(st.cipherSuite?.name).toBe('TLS_AES_128_GCM_SHA256');
    expect(st.group?.name).toBe('x25519');
    expect(st.signatureScheme?.name).toBe('ecdsa_secp256r1_sha256');
    expect(st.alpnProtocol).toBe('h2');
    expect(st.peerCertificates).toHaveLength(2);
    expect(st.verifiedChains).toHaveLength(1);
  });

  it('the server hook sees the client certificate', async () => {
    const states: ConnectionState[] = [];
    const p = await handshake(
      client({ certificates: [certified('leaf-client')] }),
      { certificates: [P256], clientAuth: 'require-and-verify', clientCa: ROOT, now, verifyConnection: (st) => void states.push(st) },
      'localhost',
    );
    expectConnected(p);
    expect(states[0]!.side).toBe('server');
    expect(states[0]!.peerCertificates[0]).toEqual(der('leaf-client'));
    expect(states[0]!.serverName).toBe('localhost');
  });

  it('a throwing client hook → bad_certificate with its message, no data delivered', async () => {
    const p = newPair(
      client({
        verifyConnection: (st: ConnectionState) => {
          if (st.alpnProtocol !== 'h2') throw new Error('the server must speak h2');
        },
      }),
      { certificates: [P256], now },
      'localhost',
    );
    p.server.conn.write(payload(10, 1));
    await drive(p);
    expect(expectFailed(p.client, 'bad_certificate', p.server).message).toBe(
      'verifyConnection rejected the connection: the server must speak h2',
    );
  });

  it('an asynchronous server hook that rejects → bad_certificate, and the client data is not delivered', async () => {
    const p = newPair(client(), { certificates: [P256], now, verifyConnection: () => delayed(5, () => Promise.reject(new Error('rate limited'))) }, 'localhost');
    p.client.conn.write(payload(10, 2));
    await drive(p);
    expect(expectFailed(p.server, 'bad_certificate', p.client).message).toBe('verifyConnection rejected the connection: rate limited');
  });

  it('an asynchronous client hook that accepts', async () => {
    const p = await handshake(client({ verifyConnection: () => delayed(5, () => undefined) }), { certificates: [P256], now }, 'localhost');
    expectConnected(p);
    await exchangeData(p, payload(10, 1), payload(10, 2));
  });
});

// ---------------------------------------------------------------------- keyLog

describe('keyLog', () => {
  const LABELS = [
    'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
    'SERVER_HANDSHAKE_TRAFFIC_SECRET',
    'CLIENT_TRAFFIC_SECRET_0',
    'SERVER_TRAFFIC_SECRET_0',
    'EXPORTER_SECRET',
  ];

  for (const [suite, hexLength] of [
    [CipherSuite.TLS_AES_128_GCM_SHA256, 64],
    [CipherSuite.TLS_AES_256_GCM_SHA384, 96],
  ] as const) {
    it(`writes NSS key log lines on both sides, and they decrypt the traffic (suite 0x${suite.toString(16)})`, async () => {
      const clientLog = new KeyLog();
      const serverLog = new KeyLog();
      const p = await handshake(
        client({ cipherSuites: [suite], keyLog: clientLog.log }),
        { certificates: [P256], now, keyLog: serverLog.log, ticketCount: 0 },
        'localhost',
      );
      expectConnected(p);
      const clientHello = plaintextMessages(p.wire.toServer[0]!)[0] as ClientHello;
      const random = toHex(clientHello.random);
      const shape = new RegExp(`^([A-Z_0-9]+) ${random} [0-9a-f]{${hexLength}}$`);
      for (const log of [clientLog, serverLog]) {
        expect(log.lines).toHaveLength(5);
        for (const line of log.lines) expect(line).toMatch(shape);
        expect(log.lines.map((l) => l.split(' ')[0]).sort()).toEqual([...LABELS].sort());
      }
      // Both sides derived the same secrets.
      expect([...clientLog.lines].sort()).toEqual([...serverLog.lines].sort());

      // The logged secrets open the records on the wire (what Wireshark does with them).
      const before = { c: p.wire.toClient.length, s: p.wire.toServer.length };
      await exchangeData(p, payload(77, 1), payload(88, 2));
      const toServer = records(p.wire.toServer[before.s]!);
      const toClient = records(p.wire.toClient[before.c]!);
      const clientApp = clientLog.opener('CLIENT_TRAFFIC_SECRET_0', suite);
      // The client's Finished went under its handshake keys, so the first application record here is data.
      expect(clientApp.open(toServer.at(-1)!.raw).content).toEqual(payload(77, 1));
      const serverApp = serverLog.opener('SERVER_TRAFFIC_SECRET_0', suite);
      expect(serverApp.open(toClient[0]!.raw)).toEqual({ type: ContentType.application_data, content: payload(88, 2) });
      // And the server's handshake flight opens with SERVER_HANDSHAKE_TRAFFIC_SECRET.
      const serverHs = serverLog.opener('SERVER_HANDSHAKE_TRAFFIC_SECRET', suite);
      const flight = records(p.wire.toClient[0]!).filter((r) => r.type === ContentType.application_data);
      const ee = serverHs.open(flight[0]!.raw);
      expect(ee.type).toBe(ContentType.handshake);
      expect(ee.content[0]).toBe(8); // EncryptedExtensions
    });
  }
});

// --------------------------------------------------------- insecureSkipVerify

describe('insecureSkipVerify', () => {
  it('accepts an untrusted chain for the wrong name, still checks CertificateVerify and Finished', async () => {
    const p = await handshake(
      { now, groups: [NamedGroup.x25519], insecureSkipVerify: true },
      { certificates: [certified('leaf-p384root', [])], now },
      'not-the-name.example',
    );
    expectConnected(p);
    expect(p.client.conn.state.peerCertificates).toEqual([der('leaf-p384root')]);
    expect(p.client.conn.state.verifiedChains).toEqual([]);
    expect(p.client.conn.state.signatureScheme?.name).toBe('ecdsa_secp384r1_sha384');
  });

  it('works without a server name', async () => {
    const p = await handshake({ now, groups: [NamedGroup.x25519], insecureSkipVerify: true }, { certificates: [P256], now }, {});
    expectConnected(p);
    expect(p.server.conn.state.serverName).toBeUndefined();
  });

  it('still runs verifyPeerCertificate, with no verified chains', async () => {
    const seen: number[] = [];
    const p = await handshake(
      { now, groups: [NamedGroup.x25519], insecureSkipVerify: true, verifyPeerCertificate: (raw, chains) => void seen.push(raw.length, chains.length) },
      { certificates: [P256], now },
      'localhost',
    );
    expectConnected(p);
    expect(seen).toEqual([2, 0]);
  });

  it('does not skip the CertificateVerify signature check', async () => {
    const p = await handshake(
      { now, groups: [NamedGroup.x25519], insecureSkipVerify: true },
      {
        certificates: [certified('leaf-ed25519')],
        now,
        shapeMessage: (m) => (m.type === 'certificate_verify' ? { ...m, signature: m.signature.map((b, i) => (i === 0 ? b ^ 1 : b)) } : m),
      },
      'ed25519.test',
    );
    expectFailed(p.client, 'decrypt_error', p.server);
  });

  it('without it, a client with no server name is refused at construction, saying what to do', () => {
    expect(() => new ClientConnection(client(), {})).toThrow(/needs `serverName` to verify the server \(or set insecureSkipVerify/);
  });

  it('without it and without `ca`, the client says to configure trust anchors: unknown_ca', async () => {
    const p = await handshake({ now, groups: [NamedGroup.x25519] }, { certificates: [P256], now }, 'localhost');
    expect(expectFailed(p.client, 'unknown_ca', p.server).message).toMatch(/no trust anchors configured: set `ca`/);
  });
});

// ----------------------------------------------- trace, shapeMessage, random, now

describe('trace, shapeMessage, random and now', () => {
  it('trace reports every message, transition, key change and CCS in order', async () => {
    const trace: TraceEntry[] = [];
    const serverTrace: TraceEntry[] = [];
    const p = await handshake(
      client({ trace: (e: TraceEntry) => trace.push(e) }),
      { certificates: [P256], now, trace: (e) => serverTrace.push(e), ticketCount: 0 },
      'localhost',
    );
    expectConnected(p);
    const messages = trace.flatMap((e) => (e.kind === 'message' ? [`${e.direction} ${e.message.type}`] : []));
    expect(messages).toEqual([
      'sent client_hello',
      'received server_hello',
      'received encrypted_extensions',
      'received certificate',
      'received certificate_verify',
      'received finished',
      'sent finished',
    ]);
    const keys = trace.flatMap((e) => (e.kind === 'keys' ? [`${e.direction} ${e.level}`] : []));
    expect(keys).toEqual(['read handshake', 'read application', 'write handshake', 'write application']);
    // Secrets stay out of the trace unless asked for.
    expect(trace.some((e) => e.kind === 'keys' && e.secret !== undefined)).toBe(false);
    expect(trace.filter((e) => e.kind === 'change_cipher_spec').map((e) => (e as { direction: string }).direction)).toEqual(['received', 'sent']);
    const serverStates = serverTrace.flatMap((e) => (e.kind === 'transition' ? [e.to] : []));
    expect(serverStates).toEqual(['RECVD_CH', 'NEGOTIATED', 'WAIT_FLIGHT2', 'WAIT_FINISHED', 'CONNECTED']);
  });

  it('traceSecrets puts the traffic secrets in the trace', async () => {
    const trace: TraceEntry[] = [];
    const log = new KeyLog();
    const p = await handshake(client({ trace: (e: TraceEntry) => trace.push(e), traceSecrets: true, keyLog: log.log }), { certificates: [P256], now }, 'localhost');
    expectConnected(p);
    const secrets = trace.flatMap((e) => (e.kind === 'keys' && e.secret ? [toHex(e.secret)] : []));
    expect(secrets).toHaveLength(4);
    expect(secrets[0]).toBe(toHex(log.secret('SERVER_HANDSHAKE_TRAFFIC_SECRET')!));
  });

  it('trace reports alerts sent and received', async () => {
    const clientTrace: TraceEntry[] = [];
    const serverTrace: TraceEntry[] = [];
    const p = await handshake(
      client({ ca: IMPOSTOR_ROOT, trace: (e: TraceEntry) => clientTrace.push(e) }),
      { certificates: [P256], now, trace: (e) => serverTrace.push(e) },
      'localhost',
    );
    expectFailed(p.client, 'unknown_ca', p.server);
    expect(clientTrace.filter((e) => e.kind === 'alert')).toEqual([{ kind: 'alert', direction: 'sent', alert: 'unknown_ca', level: 'fatal' }]);
    expect(serverTrace.filter((e) => e.kind === 'alert')).toEqual([{ kind: 'alert', direction: 'received', alert: 'unknown_ca', level: 'fatal' }]);
  });

  it('shapeMessage may add a GREASE extension to the ClientHello; the server ignores it', async () => {
    const p = await handshake(
      client({
        shapeMessage: (m: import('../../src/wire/index.js').HandshakeMessage) =>
          m.type === 'client_hello' ? { ...m, extensions: [{ type: 'unknown', code: 0x0a0a, data: new Uint8Array([0]) }, ...m.extensions] } : m,
      }),
      { certificates: [P256], now },
      'localhost',
    );
    expectConnected(p);
    const sent = plaintextMessages(p.wire.toServer[0]!)[0] as ClientHello;
    expect(sent.extensions[0]).toEqual({ type: 'unknown', code: 0x0a0a, data: new Uint8Array([0]) });
  });

  it('shapeMessage may not change a message type: internal_error', async () => {
    const p = await handshake(
      { ...client(), certificates: [certified('leaf-client')] },
      {
        certificates: [P256],
        now,
        shapeMessage: (m) => (m.type === 'encrypted_extensions' ? { type: 'end_of_early_data' } : m),
      },
      'localhost',
    );
    expect(p.server.error?.alert).toBe('internal_error');
    expect(p.server.error?.message).toMatch(/must not change the message type/);
    expect(p.server.escaped).toEqual([]);
    expect(p.client.error?.alert).toBe('internal_error');
    expect(p.client.error?.side).toBe('remote');
  });

  it('random is injected: the same seed gives the same ClientHello', () => {
    const hello = () => {
      const p = newPair(client({ random: seededRandom(42) }), { certificates: [P256], now }, 'localhost');
      return p.client.conn.takeOutgoing();
    };
    const a = hello();
    expect(hello()).toEqual(a);
    const ch = plaintextMessages(a)[0] as ClientHello;
    expect(ch.random).toEqual(seededRandom(42)(32));
  });

  it('now is injected: the same certificate is expired in 2200 and valid in 2026', async () => {
    const later = await handshake(client({ now: () => new Date('2200-01-01T00:00:00Z') }), { certificates: [P256], now }, 'localhost');
    expectFailed(later.client, 'certificate_expired', later.server);
    const ok = await handshake(client(), { certificates: [P256], now }, 'localhost');
    expectConnected(ok);
  });
});
