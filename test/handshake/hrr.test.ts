/**
 * HelloRetryRequest (RFC 8446 §4.1.4): group mismatch and cookie round trips
 * between our own client and server, with and without middlebox
 * compatibility mode (Appendix D.4); then a scripted server and a reshaping
 * client that break each rule a HelloRetryRequest exchange has.
 */
import { describe, expect, it } from 'vitest';
import type { ClientConfig, ServerConfig } from '../../src/config.js';
import { ClientConnection } from '../../src/connection.js';
import type { TraceEntry } from '../../src/handshake/events.js';
import { CipherSuite, ContentType, NamedGroup, ProtocolVersion } from '../../src/registry.js';
import {
  type ClientHello,
  type ClientHelloExtension,
  type HandshakeMessage,
  type HelloRetryRequestExtension,
  type ServerHello,
  findExtension,
  helloRetryRequest,
} from '../../src/wire/index.js';
import {
  CCS_RECORD,
  Endpoint,
  ROOT,
  certified,
  exchangeData,
  expectConnected,
  expectFailed,
  handshake,
  now,
  payload,
  plaintextAlerts,
  plaintextMessages,
  plaintextRecord,
  records,
  type Pair,
} from './pair.js';

const SERVER_CERT = certified('leaf-p256');

function ccsCount(transfers: readonly Uint8Array[]): number {
  return transfers.flatMap((b) => records(b)).filter((r) => r.type === ContentType.change_cipher_spec).length;
}

/** Every plaintext ClientHello the client sent, in order. */
function clientHellos(p: Pair): ClientHello[] {
  return p.wire.toServer.flatMap((b) => plaintextMessages(b)).filter((m): m is ClientHello => m.type === 'client_hello');
}

/** The server's plaintext ServerHello-shaped messages (HRR and SH), in order. */
function serverHellos(p: Pair): ServerHello[] {
  return p.wire.toClient.flatMap((b) => plaintextMessages(b)).filter((m): m is ServerHello => m.type === 'server_hello');
}

function sharedGroups(hello: ClientHello): number[] {
  return findExtension(hello.extensions, 'key_share')!.clientShares.map((s) => s.group);
}

describe('HelloRetryRequest between our client and server', () => {
  for (const compat of [true, false]) {
    const mode = compat ? 'compat mode' : 'no compat mode';

    it(`group mismatch: x25519 share, server wants secp256r1 (${mode})`, async () => {
      const trace: TraceEntry[] = [];
      const client: ClientConfig = {
        ca: ROOT,
        now,
        groups: [NamedGroup.x25519, NamedGroup.secp256r1],
        keyShareGroups: [NamedGroup.x25519],
        middleboxCompat: compat,
        trace: (e) => trace.push(e),
      };
      const server: ServerConfig = { certificates: [SERVER_CERT], groups: [NamedGroup.secp256r1], middleboxCompat: compat, now };
      const p = await handshake(client, server, 'localhost');
      expectConnected(p);
      for (const st of [p.client.conn.state, p.server.conn.state]) expect(st.group?.name).toBe('secp256r1');

      const [ch1, ch2] = clientHellos(p);
      expect(clientHellos(p)).toHaveLength(2);
      expect(sharedGroups(ch1!)).toEqual([NamedGroup.x25519]);
      expect(sharedGroups(ch2!)).toEqual([NamedGroup.secp256r1]);
      // §4.1.2: the same hello, only the key share replaced.
      expect(ch2!.random).toEqual(ch1!.random);
      expect(ch2!.legacySessionId).toEqual(ch1!.legacySessionId);
      expect(ch2!.cipherSuites).toEqual(ch1!.cipherSuites);
      expect(findExtension(ch2!.extensions, 'cookie')).toBeUndefined();

      const [hrr, sh] = serverHellos(p);
      expect(hrr!.helloRetryRequest).toBe(true);
      expect(sh!.helloRetryRequest).toBe(false);
      expect(findExtension(hrr!.extensions, 'key_share')).toEqual({ type: 'key_share', selectedGroup: NamedGroup.secp256r1 });
      expect(findExtension(hrr!.extensions, 'cookie')).toBeUndefined();
      expect(sh!.cipherSuite).toBe(hrr!.cipherSuite);

      // Appendix D.4: one CCS each way in compat mode (client: before CH2; server: after HRR), none otherwise.
      expect(ccsCount(p.wire.toServer)).toBe(compat ? 1 : 0);
      expect(ccsCount(p.wire.toClient)).toBe(compat ? 1 : 0);
      expect(ch1!.legacySessionId.length).toBe(compat ? 32 : 0);
      if (compat) {
        // The client's CCS sits between CH1 and CH2, i.e. at the head of the second transfer.
        expect(records(p.wire.toServer[1]!)[0]!.type).toBe(ContentType.change_cipher_spec);
      }
      // The client's view: two hellos out, two ServerHello-shaped messages in, then the usual flight.
      const messages = trace.flatMap((e) => (e.kind === 'message' ? [`${e.direction} ${e.message.type}`] : []));
      expect(messages.slice(0, messages.indexOf('sent finished') + 1)).toEqual([
        'sent client_hello',
        'received server_hello',
        'sent client_hello',
        'received server_hello',
        'received encrypted_extensions',
        'received certificate',
        'received certificate_verify',
        'received finished',
        'sent finished',
      ]);
      const transitions = trace.flatMap((e) => (e.kind === 'transition' ? [`${e.from}>${e.to}`] : []));
      expect(transitions[0]).toBe('START>WAIT_SH');
      expect(transitions).toContain('WAIT_FINISHED>CONNECTED');
      await exchangeData(p, payload(100, 1), payload(100, 2));
    });

    it(`cookie: the server asks for a round trip although the share is fine (${mode})`, async () => {
      const serverTrace: TraceEntry[] = [];
      const client: ClientConfig = { ca: ROOT, now, groups: [NamedGroup.x25519], middleboxCompat: compat };
      const server: ServerConfig = {
        certificates: [SERVER_CERT],
        requireCookie: true,
        middleboxCompat: compat,
        now,
        trace: (e) => serverTrace.push(e),
      };
      const p = await handshake(client, server, 'localhost');
      expectConnected(p);
      const [hrr] = serverHellos(p);
      expect(hrr!.helloRetryRequest).toBe(true);
      const cookie = findExtension(hrr!.extensions, 'cookie');
      expect(cookie?.cookie.length).toBeGreaterThan(0);
      expect(findExtension(hrr!.extensions, 'key_share')).toBeUndefined();
      const [ch1, ch2] = clientHellos(p);
      expect(findExtension(ch1!.extensions, 'cookie')).toBeUndefined();
      expect(findExtension(ch2!.extensions, 'cookie')?.cookie).toEqual(cookie!.cookie);
      // Without a new group the client keeps its x25519 share (a fresh one).
      expect(sharedGroups(ch2!)).toEqual([NamedGroup.x25519]);
      expect(ccsCount(p.wire.toServer)).toBe(compat ? 1 : 0);
      expect(ccsCount(p.wire.toClient)).toBe(compat ? 1 : 0);
      // The server passed through START twice (RFC 8446 A.2: HRR returns to START).
      const serverTransitions = serverTrace.flatMap((e) => (e.kind === 'transition' ? [`${e.from}>${e.to}`] : []));
      expect(serverTransitions.slice(0, 3)).toEqual(['START>RECVD_CH', 'RECVD_CH>START', 'START>RECVD_CH']);
      expect(serverTransitions).toContain('NEGOTIATED>WAIT_FLIGHT2');
      expect(serverTransitions.at(-1)).toBe('WAIT_FINISHED>CONNECTED');
      await exchangeData(p, payload(10, 3), payload(10, 4));
    });

    it(`cookie and group together (${mode})`, async () => {
      const p = await handshake(
        { ca: ROOT, now, groups: [NamedGroup.x25519, NamedGroup.secp384r1], keyShareGroups: [NamedGroup.x25519], middleboxCompat: compat },
        { certificates: [SERVER_CERT], groups: [NamedGroup.secp384r1], requireCookie: true, middleboxCompat: compat, now },
        'localhost',
      );
      expectConnected(p);
      const [hrr] = serverHellos(p);
      expect(findExtension(hrr!.extensions, 'key_share')).toEqual({ type: 'key_share', selectedGroup: NamedGroup.secp384r1 });
      expect(findExtension(hrr!.extensions, 'cookie')).toBeDefined();
      expect(p.server.conn.state.group?.name).toBe('secp384r1');
    });
  }

  it('HRR to the hybrid group: a client that shared only x25519 moves to X25519MLKEM768', async () => {
    const p = await handshake(
      { ca: ROOT, now, groups: [NamedGroup.x25519, NamedGroup.X25519MLKEM768], keyShareGroups: [NamedGroup.x25519] },
      { certificates: [SERVER_CERT], groups: [NamedGroup.X25519MLKEM768], now },
      'localhost',
    );
    expectConnected(p);
    expect(p.client.conn.state.group?.name).toBe('X25519MLKEM768');
    expect(serverHellos(p)[0]!.helloRetryRequest).toBe(true);
  });

  it('HRR from the hybrid to secp384r1 with the SHA-384 suite', async () => {
    const p = await handshake(
      { ca: ROOT, now, cipherSuites: [CipherSuite.TLS_AES_256_GCM_SHA384] },
      { certificates: [certified('leaf-p384')], groups: [NamedGroup.secp384r1], now },
      'p384.test',
    );
    expectConnected(p);
    expect(p.client.conn.state.group?.name).toBe('secp384r1');
    expect(p.client.conn.state.cipherSuite?.name).toBe('TLS_AES_256_GCM_SHA384');
  });

  it('no HelloRetryRequest when the client already shared an acceptable group', async () => {
    const p = await handshake(
      { ca: ROOT, now, groups: [NamedGroup.x25519, NamedGroup.secp256r1], keyShareGroups: [NamedGroup.x25519, NamedGroup.secp256r1] },
      { certificates: [SERVER_CERT], groups: [NamedGroup.secp256r1, NamedGroup.x25519], now },
      'localhost',
    );
    expectConnected(p);
    expect(serverHellos(p)).toHaveLength(1);
    expect(p.client.conn.state.group?.name).toBe('secp256r1');
  });

  it("the server prefers a group the client sent a share for over a better one it would have to ask for", async () => {
    const p = await handshake(
      { ca: ROOT, now, groups: [NamedGroup.x25519, NamedGroup.secp384r1], keyShareGroups: [NamedGroup.x25519] },
      { certificates: [SERVER_CERT], groups: [NamedGroup.secp384r1, NamedGroup.x25519], now },
      'localhost',
    );
    expectConnected(p);
    expect(serverHellos(p)).toHaveLength(1);
    expect(p.client.conn.state.group?.name).toBe('x25519');
  });
});

// -------------------------------------------------------- a scripted server

const SCRIPTED_CLIENT: ClientConfig = {
  ca: ROOT,
  now,
  groups: [NamedGroup.x25519, NamedGroup.secp256r1],
  keyShareGroups: [NamedGroup.x25519],
  cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_CHACHA20_POLY1305_SHA256],
};

interface Scripted {
  readonly client: Endpoint<ClientConnection>;
  readonly hello: ClientHello;
}

function scriptedClient(config: ClientConfig = SCRIPTED_CLIENT): Scripted {
  const client = new Endpoint(new ClientConnection(config, { serverName: 'localhost' }), 'client');
  const hello = plaintextMessages(client.conn.takeOutgoing())[0] as ClientHello;
  return { client, hello };
}

function hrr(hello: ClientHello, extensions: HelloRetryRequestExtension[], overrides: Partial<{ sessionId: Uint8Array; suite: number }> = {}): Uint8Array {
  return plaintextRecord(
    helloRetryRequest({
      legacySessionIdEcho: overrides.sessionId ?? hello.legacySessionId,
      cipherSuite: overrides.suite ?? CipherSuite.TLS_AES_128_GCM_SHA256,
      extensions,
    }),
  );
}

const TLS13: HelloRetryRequestExtension = { type: 'supported_versions', selectedVersion: ProtocolVersion.TLS1_3 };
const ASK_P256: HelloRetryRequestExtension = { type: 'key_share', selectedGroup: NamedGroup.secp256r1 };

/** Feeds `bytes` to the scripted client and checks it failed with `alert`, sent in the clear. */
async function expectClientRejects(s: Scripted, bytes: Uint8Array, alert: Parameters<typeof expectFailed>[1]): Promise<void> {
  s.client.receive(bytes);
  await s.client.conn.settled();
  s.client.poll();
  const err = expectFailed(s.client, alert);
  expect(plaintextAlerts(s.client.conn.takeOutgoing())).toEqual([alert]);
  expect(err.message.length).toBeGreaterThan(20);
}

/** Feeds a valid HRR asking for secp256r1 and returns the client's second hello. */
async function retryOnce(s: Scripted): Promise<ClientHello> {
  s.client.receive(hrr(s.hello, [ASK_P256, TLS13]));
  await s.client.conn.settled();
  expect(s.client.error).toBeUndefined();
  const messages = plaintextMessages(s.client.conn.takeOutgoing());
  expect(messages).toHaveLength(1);
  return messages[0] as ClientHello;
}

function serverHello(hello: ClientHello, suite: number, group: number, keyExchange: Uint8Array): Uint8Array {
  const sh: HandshakeMessage = {
    type: 'server_hello',
    helloRetryRequest: false,
    legacyVersion: ProtocolVersion.TLS1_2,
    random: new Uint8Array(32).fill(7),
    legacySessionIdEcho: hello.legacySessionId,
    cipherSuite: suite,
    extensions: [
      { type: 'key_share', serverShare: { group, keyExchange } },
      { type: 'supported_versions', selectedVersion: ProtocolVersion.TLS1_3 },
    ],
  };
  return plaintextRecord(sh);
}

describe('a misbehaving server: the client rejects the HelloRetryRequest', () => {
  it('a valid HRR is answered with CCS + ClientHello2 carrying the requested share', async () => {
    const s = scriptedClient();
    s.client.receive(hrr(s.hello, [ASK_P256, TLS13]));
    await s.client.conn.settled();
    const out = s.client.conn.takeOutgoing();
    expect(records(out).map((r) => r.type)).toEqual([ContentType.change_cipher_spec, ContentType.handshake]);
    const ch2 = plaintextMessages(out)[0] as ClientHello;
    expect(sharedGroups(ch2)).toEqual([NamedGroup.secp256r1]);
    expect(s.client.conn.handshakeState).toBe('WAIT_SH');
  });

  it('a second HelloRetryRequest → unexpected_message', async () => {
    const s = scriptedClient();
    await retryOnce(s);
    await expectClientRejects(s, hrr(s.hello, [{ type: 'cookie', cookie: new Uint8Array([1, 2, 3]) }, TLS13]), 'unexpected_message');
    expect(s.client.error!.message).toMatch(/second HelloRetryRequest/);
  });

  it('an HRR asking for a group the client already sent a share for → illegal_parameter', async () => {
    const s = scriptedClient();
    await expectClientRejects(s, hrr(s.hello, [{ type: 'key_share', selectedGroup: NamedGroup.x25519 }, TLS13]), 'illegal_parameter');
    expect(s.client.error!.message).toMatch(/already sent a share/);
  });

  it('an HRR asking for a group the client did not offer → illegal_parameter', async () => {
    const s = scriptedClient();
    await expectClientRejects(s, hrr(s.hello, [{ type: 'key_share', selectedGroup: NamedGroup.secp384r1 }, TLS13]), 'illegal_parameter');
    expect(s.client.error!.message).toMatch(/did not offer/);
  });

  it('an HRR that would not change the ClientHello (no key_share, no cookie) → illegal_parameter', async () => {
    const s = scriptedClient();
    await expectClientRejects(s, hrr(s.hello, [TLS13]), 'illegal_parameter');
  });

  it('an HRR selecting a cipher suite the client did not offer → illegal_parameter', async () => {
    const s = scriptedClient();
    await expectClientRejects(s, hrr(s.hello, [ASK_P256, TLS13], { suite: CipherSuite.TLS_AES_256_GCM_SHA384 }), 'illegal_parameter');
  });

  it('an HRR not echoing legacy_session_id → illegal_parameter', async () => {
    const s = scriptedClient();
    await expectClientRejects(s, hrr(s.hello, [ASK_P256, TLS13], { sessionId: new Uint8Array(32).fill(9) }), 'illegal_parameter');
  });

  it('an HRR selecting TLS 1.2 in supported_versions → illegal_parameter (§4.2.1)', async () => {
    const s = scriptedClient();
    await expectClientRejects(s, hrr(s.hello, [ASK_P256, { type: 'supported_versions', selectedVersion: ProtocolVersion.TLS1_2 }]), 'illegal_parameter');
  });

  it('an HRR with an extension the client did not offer → unsupported_extension (§4.1.4)', async () => {
    const s = scriptedClient();
    await expectClientRejects(s, hrr(s.hello, [ASK_P256, TLS13, { type: 'unknown', code: 0x7777, data: new Uint8Array(0) }]), 'unsupported_extension');
  });

  it('a ServerHello whose cipher suite differs from the HRR one → illegal_parameter (§4.1.4)', async () => {
    const s = scriptedClient();
    await retryOnce(s);
    await expectClientRejects(
      s,
      serverHello(s.hello, CipherSuite.TLS_CHACHA20_POLY1305_SHA256, NamedGroup.secp256r1, new Uint8Array(65).fill(4)),
      'illegal_parameter',
    );
    expect(s.client.error!.message).toMatch(/differs from the HelloRetryRequest/);
  });

  it('a ServerHello using the group of the first (discarded) share instead of the requested one → illegal_parameter (§4.2.8)', async () => {
    const s = scriptedClient();
    await retryOnce(s);
    await expectClientRejects(s, serverHello(s.hello, CipherSuite.TLS_AES_128_GCM_SHA256, NamedGroup.x25519, new Uint8Array(32).fill(9)), 'illegal_parameter');
  });

  it('a second HRR after a CCS still → unexpected_message; CCS alone is dropped', async () => {
    const s = scriptedClient();
    await retryOnce(s);
    s.client.receive(CCS_RECORD);
    await s.client.conn.settled();
    expect(s.client.error).toBeUndefined();
    await expectClientRejects(s, hrr(s.hello, [ASK_P256, TLS13]), 'unexpected_message');
  });
});

// -------------------------------------------------- a misbehaving client

/** A client config whose second ClientHello is passed through `edit`. */
function reshapingClient(edit: (ch2: ClientHello) => ClientHello, extra: Partial<ClientConfig> = {}): ClientConfig {
  let hellos = 0;
  return {
    ca: ROOT,
    now,
    groups: [NamedGroup.x25519, NamedGroup.secp256r1],
    keyShareGroups: [NamedGroup.x25519],
    // Without the compatibility CCS, so that these cases test only the hello checks.
    middleboxCompat: false,
    ...extra,
    shapeMessage: (m) => {
      if (m.type !== 'client_hello') return m;
      return ++hellos === 2 ? edit(m) : m;
    },
  };
}

const P256_ONLY_SERVER: ServerConfig = { certificates: [SERVER_CERT], groups: [NamedGroup.secp256r1], now };
const COOKIE_SERVER: ServerConfig = { certificates: [SERVER_CERT], requireCookie: true, now };

function withExtensions(ch: ClientHello, f: (exts: readonly ClientHelloExtension[]) => ClientHelloExtension[]): ClientHello {
  return { ...ch, extensions: f(ch.extensions) };
}

describe('a misbehaving client: the server rejects the second ClientHello', () => {
  const cases: [string, ClientConfig, ServerConfig][] = [
    ['a different random', reshapingClient((ch) => ({ ...ch, random: new Uint8Array(32).fill(1) })), P256_ONLY_SERVER],
    ['a different legacy_session_id', reshapingClient((ch) => ({ ...ch, legacySessionId: new Uint8Array(32).fill(2) })), P256_ONLY_SERVER],
    ['different cipher suites', reshapingClient((ch) => ({ ...ch, cipherSuites: [...ch.cipherSuites].reverse() })), P256_ONLY_SERVER],
    [
      'no share for the requested group (still x25519)',
      reshapingClient((ch) =>
        withExtensions(ch, (exts) =>
          exts.map((e) => (e.type === 'key_share' ? { type: 'key_share', clientShares: [{ group: NamedGroup.x25519, keyExchange: new Uint8Array(32).fill(5) }] } : e)),
        ),
      ),
      P256_ONLY_SERVER,
    ],
    [
      'an empty key_share',
      reshapingClient((ch) => withExtensions(ch, (exts) => exts.map((e) => (e.type === 'key_share' ? { type: 'key_share', clientShares: [] } : e)))),
      P256_ONLY_SERVER,
    ],
    ['early_data after a HelloRetryRequest', reshapingClient((ch) => withExtensions(ch, (exts) => [...exts, { type: 'early_data' }])), P256_ONLY_SERVER],
    ['the cookie left out', reshapingClient((ch) => withExtensions(ch, (exts) => exts.filter((e) => e.type !== 'cookie'))), COOKIE_SERVER],
    [
      'an altered cookie',
      reshapingClient((ch) =>
        withExtensions(ch, (exts) => exts.map((e) => (e.type === 'cookie' ? { type: 'cookie', cookie: e.cookie.map((b) => b ^ 1) } : e))),
      ),
      COOKIE_SERVER,
    ],
  ];
  for (const [name, client, server] of cases) {
    it(`ClientHello2 with ${name} → illegal_parameter`, async () => {
      const p = await handshake(client, server, 'localhost');
      expectFailed(p.server, 'illegal_parameter', p.client);
      expect(p.client.completed).toBe(false);
      expect(p.client.dataEvents).toEqual([]);
    });
  }
});
