/**
 * Session resumption (RFC 8446 §2.2, §4.2.11, §4.6.1) between our own
 * client and server: every suite, with and without HelloRetryRequest, in
 * psk_dhe_ke and psk_ke; every way a ticket can be unusable (each must fall
 * back to a full handshake, never fail); single-use tickets; ticket key
 * rotation; the wrapSession/unwrapSession hooks; exported sessions; binders.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ClientConfig, ServerConfig } from '../../src/config.js';
import { TLSError } from '../../src/errors.js';
import { LruSessionCache, exportSession, importSession, type ClientSession } from '../../src/handshake/sessions.js';
import { type SessionState, decodeSessionState, encodeSessionState } from '../../src/handshake/tickets.js';
import { CipherSuite, ContentType, NamedGroup, PskKeyExchangeMode } from '../../src/registry.js';
import { bytesEqual, utf8 } from '../../src/util/bytes.js';
import { type ClientHello, type HandshakeMessage, findExtension } from '../../src/wire/index.js';
import { MAX_TICKETS_PER_CONNECTION } from '../../src/handshake/client.js';
import {
  CLIENT_CERT,
  Clock,
  ROOT,
  bytes,
  clientConfig,
  clientHellos,
  connect,
  expectClean,
  expectResumed,
  firstSession,
  link,
  retries,
  run,
  serverConfig,
  splitRecords,
  tickets,
  type Link,
} from './pair.js';

const { TLS_AES_128_GCM_SHA256: AES128, TLS_AES_256_GCM_SHA384: AES256, TLS_CHACHA20_POLY1305_SHA256: CHACHA } = CipherSuite;
const SUITES = [
  { name: 'TLS_AES_128_GCM_SHA256', code: AES128 },
  { name: 'TLS_CHACHA20_POLY1305_SHA256', code: CHACHA },
  { name: 'TLS_AES_256_GCM_SHA384', code: AES256 },
];

/** Middlebox compatibility mode off (no CCS, empty legacy_session_id, Appendix D.4). */
const NO_COMPAT = { middleboxCompat: false } as const;

/** The identity the (last) ClientHello offered, if any. */
function offeredIdentity(l: Link): Uint8Array | undefined {
  const hellos = clientHellos(l);
  return findExtension(hellos[hellos.length - 1]!.extensions, 'pre_shared_key')?.identities[0]?.identity;
}

/** A ClientHello reshaper that offers psk_ke only (our client always offers psk_dhe_ke first otherwise). */
function offerOnlyPskKe(m: HandshakeMessage): HandshakeMessage {
  if (m.type !== 'client_hello') return m;
  const extensions = m.extensions.map((e) => (e.type === 'psk_key_exchange_modes' ? { ...e, modes: [PskKeyExchangeMode.psk_ke] } : e));
  return { ...m, extensions } as ClientHello;
}

/** Application data both ways after the handshake, byte for byte. */
async function expectDataFlows(l: Link): Promise<void> {
  const up = bytes(300, 3);
  const down = bytes(200, 4);
  l.client.conn.write(up);
  l.server.conn.write(down);
  await run(l);
  expect(l.server.data(false)).toEqual(up);
  expect(l.client.data(false)).toEqual(down);
}

function flip(b: Uint8Array, at: number): Uint8Array {
  const out = b.slice();
  out[at < 0 ? out.length + at : at]! ^= 0x01;
  return out;
}

describe('resumption for every suite, with and without HelloRetryRequest, in both PSK modes', () => {
  for (const suite of SUITES) {
    for (const hrr of [false, true]) {
      for (const mode of ['psk_dhe_ke', 'psk_ke'] as const) {
        it(`${suite.name}, ${hrr ? 'with' : 'without'} HRR, ${mode}`, async () => {
          const clock = new Clock();
          const pskKe = mode === 'psk_ke';
          // A cookie forces a HelloRetryRequest even in psk_ke, where no key share is needed;
          // in psk_dhe_ke the group mismatch (client shares x25519, server wants P-256) forces one too.
          const server = serverConfig(clock, {
            cipherSuites: [suite.code],
            allowPskOnlyResumption: pskKe,
            ...(hrr ? { requireCookie: true, groups: [NamedGroup.secp256r1] } : {}),
          });
          const client = clientConfig(clock, {
            cipherSuites: [suite.code],
            allowPskOnlyResumption: pskKe,
            ...(pskKe ? { shapeMessage: offerOnlyPskKe } : {}),
          });
          const first = await connect(client, server);
          expectResumed(first, false);
          expect(tickets(first)).toHaveLength(2);
          const chain = first.client.conn.state.peerCertificates;
          expect(chain).toHaveLength(2);

          const l = await connect(client, server);
          expectResumed(l, true);
          expect(retries(l)).toBe(hrr ? 1 : 0);
          expect(offeredIdentity(l)).toBeDefined();
          for (const side of [l.client, l.server]) {
            const st = side.conn.state;
            expect(st.cipherSuite).toEqual({ code: suite.code, name: suite.name });
            // psk_ke: no (EC)DHE at all, so no group (§4.2.9).
            if (pskKe) expect(st.group).toBeUndefined();
            else expect(st.group?.code).toBe(hrr ? NamedGroup.secp256r1 : NamedGroup.x25519);
            expect(st.signatureScheme).toBeUndefined();
          }
          // The server's chain from the full handshake is shown again (§2.2: it is not resent).
          expect(l.client.conn.state.peerCertificates).toEqual(chain);
          await expectDataFlows(l);
          // The resumed connection is issued fresh tickets too.
          expect(tickets(l)).toHaveLength(2);
        });
      }
    }
  }
});

describe('PSK and cipher suites (§4.2.11: the suite must have the ticket hash)', () => {
  it('a SHA-384 ticket is refused by a server that picks a SHA-256 suite: full handshake', async () => {
    const clock = new Clock();
    const keys = [bytes(32, 9)];
    const client = clientConfig(clock, { cipherSuites: [AES256, AES128], sessionCache: false });
    const [s1, s2] = tickets(await connect(client, serverConfig(clock, { cipherSuites: [AES256], ticketKeys: keys })));
    expect(s1!.cipherSuite).toBe(AES256);
    // Control: the same ticket keys on a SHA-384 server resume it, so only the hash rule refuses below.
    expectResumed(await connect(client, serverConfig(clock, { cipherSuites: [AES256], ticketKeys: keys }), { session: s1! }), true);

    const l = await connect(client, serverConfig(clock, { cipherSuites: [AES128], ticketKeys: keys }), { session: s2! });
    expectResumed(l, false);
    expect(offeredIdentity(l)).toEqual(s2!.ticket);
    expect(l.client.conn.state.cipherSuite?.code).toBe(AES128);
    expect(l.client.conn.state.signatureScheme).toBeDefined();
  });

  it('a SHA-256 ticket is refused by a server that only has SHA-384 (the other direction)', async () => {
    const clock = new Clock();
    const keys = [bytes(32, 10)];
    const client = clientConfig(clock, { cipherSuites: [AES128, AES256] });
    const s = await firstSession(client, serverConfig(clock, { cipherSuites: [AES128], ticketKeys: keys }));
    const l = await connect(client, serverConfig(clock, { cipherSuites: [AES256], ticketKeys: keys }), { session: s });
    expectResumed(l, false);
    expect(l.server.conn.state.cipherSuite?.code).toBe(AES256);
  });

  it('with a HelloRetryRequest to a suite of another hash, the client drops the PSK from ClientHello2', async () => {
    const clock = new Clock();
    const keys = [bytes(32, 11)];
    const client = clientConfig(clock, { cipherSuites: [AES256, AES128], ...NO_COMPAT });
    const s = await firstSession(client, serverConfig(clock, { cipherSuites: [AES256], ticketKeys: keys }));
    const l = await connect(client, serverConfig(clock, { cipherSuites: [AES128], ticketKeys: keys, groups: [NamedGroup.secp256r1], ...NO_COMPAT }), {
      session: s,
    });
    expectResumed(l, false);
    expect(retries(l)).toBe(1);
    const [ch1, ch2] = clientHellos(l);
    expect(findExtension(ch1!.extensions, 'pre_shared_key')).toBeDefined();
    expect(findExtension(ch2!.extensions, 'pre_shared_key')).toBeUndefined();
  });

  it('resumes across suites of the same hash (AES-128-GCM ticket, ChaCha20 connection)', async () => {
    const clock = new Clock();
    const keys = [bytes(32, 12)];
    const client = clientConfig(clock, { cipherSuites: [AES128, CHACHA] });
    const s = await firstSession(client, serverConfig(clock, { cipherSuites: [AES128], ticketKeys: keys }));
    const l = await connect(client, serverConfig(clock, { cipherSuites: [CHACHA], ticketKeys: keys }), { session: s });
    expectResumed(l, true);
    expect(l.client.conn.state.cipherSuite?.code).toBe(CHACHA);
    await expectDataFlows(l);
  });

  it('the client does not offer a session whose suite it no longer allows', async () => {
    const clock = new Clock();
    const server = serverConfig(clock);
    const s = await firstSession(clientConfig(clock, { cipherSuites: [AES256] }), server);
    const l = await connect(clientConfig(clock, { cipherSuites: [AES128] }), server, { session: s });
    expectResumed(l, false);
    expect(offeredIdentity(l)).toBeUndefined();
  });
});

describe('psk_ke needs both sides (§4.2.9)', () => {
  it('our client offers psk_dhe_ke first, and the server prefers it even when both allow psk_ke', async () => {
    const clock = new Clock();
    const server = serverConfig(clock, { allowPskOnlyResumption: true });
    const client = clientConfig(clock, { allowPskOnlyResumption: true });
    await firstSession(client, server);
    const l = await connect(client, server);
    expectResumed(l, true);
    const modes = findExtension(clientHellos(l)[0]!.extensions, 'psk_key_exchange_modes')!.modes;
    expect(modes).toEqual([PskKeyExchangeMode.psk_dhe_ke, PskKeyExchangeMode.psk_ke]);
    expect(l.server.conn.state.group?.code).toBe(NamedGroup.x25519);
    expect(l.client.conn.state.group?.code).toBe(NamedGroup.x25519);
  });

  it('without allowPskOnlyResumption the client offers psk_dhe_ke only', async () => {
    const clock = new Clock();
    const l = await connect(clientConfig(clock), serverConfig(clock));
    expect(findExtension(clientHellos(l)[0]!.extensions, 'psk_key_exchange_modes')!.modes).toEqual([PskKeyExchangeMode.psk_dhe_ke]);
  });

  it('a psk_ke-only offer to a server that does not allow psk_ke: full handshake with (EC)DHE', async () => {
    const clock = new Clock();
    const keys = [bytes(32, 13)];
    const client = clientConfig(clock, { allowPskOnlyResumption: true, shapeMessage: offerOnlyPskKe });
    const s = await firstSession(client, serverConfig(clock, { allowPskOnlyResumption: true, ticketKeys: keys }));
    const strict = serverConfig(clock, { ticketKeys: keys });
    const l = await connect(client, strict, { session: s });
    expectResumed(l, false);
    expect(l.server.conn.state.group?.code).toBe(NamedGroup.x25519);
    // Nor does it issue tickets the client could only use in a mode it refuses.
    expect(tickets(l)).toHaveLength(0);
  });

  it('psk_ke when both allow it and the client offers only it: no group on either side', async () => {
    const clock = new Clock();
    const server = serverConfig(clock, { allowPskOnlyResumption: true });
    const client = clientConfig(clock, { allowPskOnlyResumption: true, shapeMessage: offerOnlyPskKe });
    await firstSession(client, server);
    const l = await connect(client, server);
    expectResumed(l, true);
    expect(l.client.conn.state.group).toBeUndefined();
    expect(l.server.conn.state.group).toBeUndefined();
    await expectDataFlows(l);
  });
});

describe('unusable tickets fall back to a full handshake', () => {
  /** A session from a full handshake with `server`, then a connection offering `session` (maybe altered). */
  async function fallback(server: ServerConfig, alter: (s: ClientSession) => ClientSession, client?: ClientConfig, clock = new Clock()) {
    const c = client ?? clientConfig(clock);
    const s = await firstSession(c, server);
    const l = await connect(c, server, { session: alter(s) });
    return { l, s };
  }

  it('a ticket past its lifetime on the server clock (client clock disagrees, so it offers it)', async () => {
    const clientClock = new Clock();
    const serverClock = new Clock();
    const server = serverConfig(serverClock, { ticketLifetime: 3600 });
    const client = clientConfig(clientClock);
    const s = await firstSession(client, server);
    expect(s.lifetime).toBe(3600);
    serverClock.advance(3600_000);
    const l = await connect(client, server);
    expectResumed(l, false);
    expect(offeredIdentity(l)).toEqual(s.ticket);
  });

  it('a ticket one second before its lifetime ends still resumes (control)', async () => {
    const clock = new Clock();
    const server = serverConfig(clock, { ticketLifetime: 3600 });
    const client = clientConfig(clock);
    await firstSession(client, server);
    clock.advance(3599_000);
    expectResumed(await connect(client, server), true);
  });

  it('an expired ticket is not even offered by the client, and leaves its cache', async () => {
    const clock = new Clock();
    const cache = new LruSessionCache();
    const server = serverConfig(clock, { ticketLifetime: 60 });
    const client = clientConfig(clock, { sessionCache: cache });
    await firstSession(client, server);
    expect(cache.size).toBe(2);
    clock.advance(61_000);
    const l = link(client, server);
    expect(cache.size).toBe(1);
    await run(l);
    expectResumed(l, false);
    expect(offeredIdentity(l)).toBeUndefined();
  });

  for (const [where, at] of [
    ['key name', 0],
    ['nonce', 10],
    ['sealed state', 40],
    ['authentication tag', -1],
  ] as const) {
    it(`a ticket altered in its ${where}`, async () => {
      const clock = new Clock();
      const { l, s } = await fallback(serverConfig(clock), (s) => ({ ...s, ticket: flip(s.ticket, at) }), undefined, clock);
      expectResumed(l, false);
      expect(offeredIdentity(l)).toEqual(flip(s.ticket, at));
      await expectDataFlows(l);
    });
  }

  it('a truncated ticket', async () => {
    const clock = new Clock();
    const { l } = await fallback(serverConfig(clock), (s) => ({ ...s, ticket: s.ticket.subarray(0, 30) }), undefined, clock);
    expectResumed(l, false);
  });

  it("an unknown ticket (another server's random keys)", async () => {
    const clock = new Clock();
    const client = clientConfig(clock);
    const s = await firstSession(client, serverConfig(clock));
    const l = await connect(client, serverConfig(clock), { session: s });
    expectResumed(l, false);
    expect(offeredIdentity(l)).toEqual(s.ticket);
  });

  it('a ticket sealed under a key with the same name but other bytes (wrong key)', async () => {
    const clock = new Clock();
    const k1 = bytes(32, 20);
    const k2 = k1.slice();
    k2[31]! ^= 0xff; // same 8-byte key name, different AES key
    const client = clientConfig(clock);
    const s = await firstSession(client, serverConfig(clock, { ticketKeys: [k1] }));
    // Control: another server config sharing k1 resumes it (tickets work across a fleet).
    expectResumed(await connect(client, serverConfig(clock, { ticketKeys: [k1] }), { session: s }), true);
    const s2 = tickets(await connect(client, serverConfig(clock, { ticketKeys: [k1] })))[0]!;
    const l = await connect(client, serverConfig(clock, { ticketKeys: [k2] }), { session: s2 });
    expectResumed(l, false);
  });

  it('a ticket for another server name (SNI differs from the original connection)', async () => {
    const clock = new Clock();
    const server = serverConfig(clock);
    const client = clientConfig(clock);
    const s = await firstSession(client, server);
    const l = await connect(client, server, { serverName: 'p256.test', session: s });
    expectResumed(l, false);
    expect(offeredIdentity(l)).toEqual(s.ticket);
    expect(l.server.conn.state.serverName).toBe('p256.test');
  });

  it('a server that requires client certificates does not resume a session without one', async () => {
    const clock = new Clock();
    const keys = [bytes(32, 21)];
    const client = clientConfig(clock, { certificates: [CLIENT_CERT] });
    const s = await firstSession(client, serverConfig(clock, { ticketKeys: keys }));
    const l = await connect(client, serverConfig(clock, { ticketKeys: keys, clientAuth: 'require-and-verify', ca: ROOT }), { session: s });
    expectResumed(l, false);
    expect(l.server.conn.state.peerCertificates).toHaveLength(2);
  });

  it('a server with ticketCount 0 sends no tickets and does not resume', async () => {
    const clock = new Clock();
    const keys = [bytes(32, 22)];
    const client = clientConfig(clock);
    const s = await firstSession(client, serverConfig(clock, { ticketKeys: keys }));
    const l = await connect(client, serverConfig(clock, { ticketKeys: keys, ticketCount: 0 }), { session: s });
    expectResumed(l, false);
    expect(tickets(l)).toHaveLength(0);
  });
});

describe('NewSessionTicket (§4.6.1)', () => {
  it('each ticket of a connection has its own nonce and PSK, also past 256 tickets; the client keeps 16', async () => {
    const clock = new Clock();
    const sealed: SessionState[] = [];
    let id = 0;
    const server = serverConfig(clock, {
      ticketCount: 0,
      wrapSession: (state: SessionState) => {
        sealed.push(state);
        return new Uint8Array([id >> 8, id++ & 0xff, 1, 2, 3, 4, 5, 6]);
      },
    });
    const l = await connect(clientConfig(clock, { sessionCache: false }), server);
    expect(tickets(l)).toHaveLength(0);
    l.server.conn.sendTickets(260);
    await run(l);
    // "ticket_nonce: a per-ticket value that is unique across all tickets issued on this connection".
    expect(sealed).toHaveLength(260);
    expect(new Set(sealed.map((t) => Buffer.from(t.psk).toString('hex'))).size).toBe(260);
    // The client keeps the first 16 and ignores the rest (a flood guard), each with the server's PSK.
    const issued = tickets(l);
    expect(issued).toHaveLength(MAX_TICKETS_PER_CONNECTION);
    expect(issued.map((t) => Buffer.from(t.psk).toString('hex'))).toEqual(
      sealed.slice(0, MAX_TICKETS_PER_CONNECTION).map((t) => Buffer.from(t.psk).toString('hex')),
    );
  });

  it('sendTickets before the handshake completes is refused', () => {
    const clock = new Clock();
    const l = link(clientConfig(clock), serverConfig(clock));
    expect(() => l.server.conn.sendTickets(1)).toThrow(/after the handshake/);
  });
});

describe('tickets are single-use by default (RFC 8446 §C.4)', () => {
  it('two connections with one ticket: the first resumes, the second does a full handshake', async () => {
    const clock = new Clock();
    const cache = new LruSessionCache();
    const server = serverConfig(clock, { ticketCount: 1 });
    const client = clientConfig(clock, { sessionCache: cache });
    const s = await firstSession(client, server);
    expect(cache.size).toBe(1);
    // Both connections start (and pick a ticket) before either finishes.
    const a = link(client, server);
    const b = link(client, server);
    expect(cache.size).toBe(0);
    await run(a);
    await run(b);
    expectResumed(a, true);
    expectResumed(b, false);
    expect(offeredIdentity(a)).toEqual(s.ticket);
    expect(offeredIdentity(b)).toBeUndefined();
  });

  it('with reuseTickets both connections offer the same ticket and resume', async () => {
    const clock = new Clock();
    const cache = new LruSessionCache();
    const server = serverConfig(clock, { ticketCount: 1 });
    const client = clientConfig(clock, { sessionCache: cache, reuseTickets: true });
    const s = await firstSession(client, server);
    const a = link(client, server);
    const b = link(client, server);
    expect(cache.size).toBe(1);
    await run(a);
    await run(b);
    expectResumed(a, true);
    expectResumed(b, true);
    expect(offeredIdentity(a)).toEqual(s.ticket);
    expect(offeredIdentity(b)).toEqual(s.ticket);
  });

  it('two tickets from one handshake allow two resumptions, then a full handshake', async () => {
    const clock = new Clock();
    const server = serverConfig(clock, { ticketCount: 2 });
    const client = clientConfig(clock);
    const issued = tickets(await connect(client, server));
    const conns = [link(client, server), link(client, server), link(client, server)];
    for (const c of conns) await run(c);
    expect(conns.map((c) => c.client.conn.state.resumed)).toEqual([true, true, false]);
    const offered = conns.slice(0, 2).map((c) => offeredIdentity(c));
    expect(offered).toContainEqual(issued[0]!.ticket);
    expect(offered).toContainEqual(issued[1]!.ticket);
  });

  it('sessionCache false: no tickets kept, no resumption', async () => {
    const clock = new Clock();
    const server = serverConfig(clock);
    const client = clientConfig(clock, { sessionCache: false });
    const first = await connect(client, server);
    expect(tickets(first)).toHaveLength(2); // still reported, so the user may export them
    const l = await connect(client, server);
    expectResumed(l, false);
    expect(offeredIdentity(l)).toBeUndefined();
  });
});

describe('ticket key rotation', () => {
  it('a ticket sealed under the previous key opens after one rotation, not after two', async () => {
    const clock = new Clock();
    const server = serverConfig(clock, { ticketKeyRotation: 1000 });
    const client = clientConfig(clock);
    const [a1, a2] = tickets(await connect(client, server));
    expect(a1 && a2).toBeTruthy();
    // All tickets of one period carry the same key name (their first 8 bytes).
    expect(a1!.ticket.subarray(0, 8)).toEqual(a2!.ticket.subarray(0, 8));

    // One rotation: a full handshake 1.5 s later seals its tickets under a new key.
    clock.advance(1500);
    const fresh = () => clientConfig(clock);
    const b = tickets(await connect(fresh(), server));
    expect(b[0]!.ticket.subarray(0, 8)).not.toEqual(a1!.ticket.subarray(0, 8));
    const afterOne = await connect(fresh(), server, { session: a1! });
    expectResumed(afterOne, true);

    // A second rotation: the first key is gone.
    clock.advance(1500);
    const c = tickets(await connect(fresh(), server));
    expect(c[0]!.ticket.subarray(0, 8)).not.toEqual(b[0]!.ticket.subarray(0, 8));
    const afterTwo = await connect(fresh(), server, { session: a2! });
    expectResumed(afterTwo, false);
    expect(offeredIdentity(afterTwo)).toEqual(a2!.ticket);
    // ...while a ticket of the previous period (b) still opens.
    expectResumed(await connect(fresh(), server, { session: b[0]! }), true);
  });

  it('configured ticketKeys do not rotate, and a fleet shares them', async () => {
    const clock = new Clock();
    const keys = [bytes(32, 30)];
    const client = clientConfig(clock);
    const s = tickets(await connect(client, serverConfig(clock, { ticketKeys: keys, ticketKeyRotation: 1000 })));
    clock.advance(5000);
    const other = serverConfig(clock, { ticketKeys: keys, ticketKeyRotation: 1000 });
    const t = tickets(await connect(clientConfig(clock), other));
    // The key's name (in every ticket, in the clear) is a one-way function of
    // the key, the same on both servers, and not a piece of the key.
    const name = createHmac('sha256', keys[0]!).update('tls13 ticket key name').digest().subarray(0, 8);
    expect(t[0]!.ticket.subarray(0, 8)).toEqual(new Uint8Array(name));
    expect(s[0]!.ticket.subarray(0, 8)).toEqual(new Uint8Array(name));
    expect(t[0]!.ticket.subarray(0, 8)).not.toEqual(keys[0]!.subarray(0, 8));
    expectResumed(await connect(clientConfig(clock), other, { session: s[0]! }), true);
  });

  it('ticket keys that are not 32 bytes are refused when the config is first used', () => {
    const clock = new Clock();
    expect(() => link(clientConfig(clock), serverConfig(clock, { ticketKeys: [new Uint8Array(16)] }))).toThrow(/32 bytes/);
  });
});

describe('wrapSession / unwrapSession (Go-style stateful tickets)', () => {
  function statefulServer(clock: Clock, async = false) {
    const store = new Map<string, SessionState>();
    let next = 0;
    const unwrapped: (SessionState | undefined)[] = [];
    const maybeLater = <T>(v: T): T | Promise<T> => (async ? new Promise<T>((r) => setTimeout(() => r(v), 2)) : v);
    const config = serverConfig(clock, {
      alpnProtocols: ['h2'],
      wrapSession(session) {
        const id = `id-${next++}`;
        store.set(id, session);
        return maybeLater(utf8(id));
      },
      unwrapSession(ticket) {
        const id = new TextDecoder().decode(ticket);
        const session = store.get(id);
        store.delete(id); // single use on the server side too
        unwrapped.push(session);
        return maybeLater(session);
      },
    });
    return { config, store, unwrapped };
  }

  for (const async of [false, true]) {
    it(`tickets are the hook's ids and resume through the store (${async ? 'async' : 'sync'} hooks)`, async () => {
      const clock = new Clock();
      const { config, store, unwrapped } = statefulServer(clock, async);
      const client = clientConfig(clock, { alpnProtocols: ['h2'] });
      const first = await connect(client, config);
      expectResumed(first, false);
      expect(tickets(first).map((s) => new TextDecoder().decode(s.ticket))).toEqual(['id-0', 'id-1']);
      expect([...store.keys()]).toEqual(['id-0', 'id-1']);
      const state = store.get('id-1')!;
      expect(state).toMatchObject({ cipherSuite: AES128, serverName: 'localhost', alpn: 'h2', peerCertificates: [], maxEarlyData: 0 });
      expect(state.createdAt).toBe(clock.t);
      expect(decodeSessionState(encodeSessionState(state))).toEqual(state);

      const l = await connect(client, config);
      expectResumed(l, true);
      expect(unwrapped).toEqual([state]);
      expect(store.has('id-1')).toBe(false);
      expect(l.client.conn.state.alpnProtocol).toBe('h2');
      // The resumed connection's own tickets went through wrapSession too.
      expect([...store.keys()]).toEqual(['id-0', 'id-2', 'id-3']);
    });
  }

  it('unwrapSession answering undefined ("not ours") means a full handshake', async () => {
    const clock = new Clock();
    const { config, store } = statefulServer(clock);
    const client = clientConfig(clock, { alpnProtocols: ['h2'] });
    await connect(client, config);
    store.clear();
    const l = await connect(client, config);
    expectResumed(l, false);
    expect(offeredIdentity(l)).toEqual(utf8('id-1'));
  });

  it('a stored session whose PSK the client does not hold: the binder fails (decrypt_error)', async () => {
    const clock = new Clock();
    const { config, store } = statefulServer(clock);
    const client = clientConfig(clock, { alpnProtocols: ['h2'] });
    await connect(client, config);
    const s = store.get('id-1')!;
    store.set('id-1', { ...s, psk: bytes(32, 77) });
    const l = await connect(client, config);
    expect(l.server.error?.alert).toBe('decrypt_error');
    expect(l.server.error?.side).toBe('local');
    expect(l.client.error?.alert).toBe('decrypt_error');
    expect(l.client.error?.side).toBe('remote');
  });
});

describe('exportSession / importSession', () => {
  it('round-trips every field, and an imported session resumes from a client with no cache', async () => {
    const clock = new Clock();
    const server = serverConfig(clock, { alpnProtocols: ['h2'], maxEarlyData: 4096 });
    const s = await firstSession(clientConfig(clock, { alpnProtocols: ['h2'] }), server);
    const file = exportSession(s);
    const back = importSession(file);
    expect(back).toEqual(s);
    expect(back).toMatchObject({ serverName: 'localhost', alpn: 'h2', maxEarlyData: 4096, cipherSuite: AES128 });

    const client = clientConfig(clock, { sessionCache: false, alpnProtocols: ['h2'] });
    const l = await connect(client, server, { session: back });
    expectResumed(l, true);
    expect(l.client.conn.state.peerCertificates).toEqual(s.peerCertificates);
    expect(l.client.conn.state.peerCertificates).toHaveLength(2);
    await expectDataFlows(l);
  });

  it('refuses bytes that are not a session file, and truncated ones', async () => {
    const clock = new Clock();
    const s = await firstSession(clientConfig(clock), serverConfig(clock));
    const file = exportSession(s);
    expect(() => importSession(utf8('not a session file at all'))).toThrow(/magic|session/);
    expect(() => importSession(file.subarray(0, file.length - 1))).toThrow();
    expect(() => importSession(new Uint8Array([...file, 0]))).toThrow();
  });
});

describe('ConnectionState on resumption', () => {
  it('mutual authentication: the server shows the client chain again, the client the server chain', async () => {
    const clock = new Clock();
    const server = serverConfig(clock, { clientAuth: 'require-and-verify', ca: ROOT });
    const client = clientConfig(clock, { certificates: [CLIENT_CERT] });
    const first = await connect(client, server);
    expectResumed(first, false);
    const clientChain = first.server.conn.state.peerCertificates;
    const serverChain = first.client.conn.state.peerCertificates;
    expect(clientChain).toHaveLength(2);

    const l = await connect(client, server);
    expectResumed(l, true);
    expect(l.server.conn.state.peerCertificates).toEqual(clientChain);
    expect(l.client.conn.state.peerCertificates).toEqual(serverChain);
    expect(bytesEqual(l.server.conn.state.peerCertificates[0]!, serverChain[0]!)).toBe(false);
    // Nothing was re-verified: no chains were built on resumption.
    expect(l.client.conn.state.verifiedChains).toEqual([]);
    expect(l.client.conn.state.handshakeConfirmed).toBe(true);
    expect(l.server.conn.state.handshakeConfirmed).toBe(true);
  });

  it('tickets issued on a resumed connection keep both chains for the next resumption', async () => {
    const clock = new Clock();
    const server = serverConfig(clock, { clientAuth: 'require-and-verify', ca: ROOT });
    const client = clientConfig(clock, { certificates: [CLIENT_CERT] });
    const first = await connect(client, server);
    const second = await connect(client, server);
    const third = await connect(client, server, { session: tickets(second)[0]! });
    expectResumed(third, true);
    expect(third.server.conn.state.peerCertificates).toEqual(first.server.conn.state.peerCertificates);
    expect(third.client.conn.state.peerCertificates).toEqual(first.client.conn.state.peerCertificates);
  });

  it('a resumed handshake carries no Certificate or CertificateVerify from the server', async () => {
    const clock = new Clock();
    const received: string[] = [];
    const server = serverConfig(clock);
    const client = clientConfig(clock, {
      trace: (e) => {
        if (e.kind === 'message' && e.direction === 'received') received.push(e.message.type);
      },
    });
    await firstSession(client, server);
    expect(received).toContain('certificate');
    received.length = 0;
    expectResumed(await connect(client, server), true);
    expect(received).toEqual(['server_hello', 'encrypted_extensions', 'finished', 'new_session_ticket', 'new_session_ticket']);
  });
});

describe('PSK binders (§4.2.11.2)', () => {
  /** Flips one bit of the last byte of the first plaintext handshake record in this transfer (the binder's end). */
  function flipBinder(transfer: Uint8Array): Uint8Array {
    const out = transfer.slice();
    let at = 0;
    for (const r of splitRecords(transfer)) {
      if (r.type === ContentType.handshake) {
        out[at + r.raw.length - 1]! ^= 0x01;
        return out;
      }
      at += r.raw.length;
    }
    throw new Error('no plaintext handshake record in this transfer');
  }

  it('a binder altered in transit: decrypt_error', async () => {
    const clock = new Clock();
    const server = serverConfig(clock);
    const client = clientConfig(clock);
    await firstSession(client, server);
    const l = await connect(client, server, { tamper: (from, b, round) => (from === 'client' && round === 0 ? flipBinder(b) : b) });
    expect(l.server.error?.alert).toBe('decrypt_error');
    expect(l.server.error?.side).toBe('local');
    expect(l.client.error?.alert).toBe('decrypt_error');
    expect(l.client.error?.side).toBe('remote');
    expect(l.server.thrown).toEqual([]);
  });

  it('any other change to the ClientHello also breaks the binder (it covers the hello): decrypt_error', async () => {
    const clock = new Clock();
    const server = serverConfig(clock);
    const client = clientConfig(clock);
    await firstSession(client, server);
    // Byte 5+4+2 is the first byte of ClientHello.random.
    const l = await connect(client, server, { tamper: (from, b, round) => (from === 'client' && round === 0 ? flip(b, 11) : b) });
    expect(l.server.error?.alert).toBe('decrypt_error');
  });

  it('a binder altered in ClientHello2 after a HelloRetryRequest: decrypt_error', async () => {
    const clock = new Clock();
    const server = serverConfig(clock, { groups: [NamedGroup.secp256r1], ...NO_COMPAT });
    const client = clientConfig(clock, NO_COMPAT);
    await firstSession(client, server);
    const l = await connect(client, server, { tamper: (from, b, round) => (from === 'client' && round === 1 ? flipBinder(b) : b) });
    expect(retries(l)).toBe(1);
    expect(l.server.error?.alert).toBe('decrypt_error');
    expect(l.client.error?.alert).toBe('decrypt_error');
  });

  it('a session whose PSK is not the ticket\'s: decrypt_error', async () => {
    const clock = new Clock();
    const server = serverConfig(clock);
    const client = clientConfig(clock);
    const s = await firstSession(client, server);
    const l = await connect(client, server, { session: { ...s, psk: bytes(32, 99) } });
    expect(l.server.error).toBeInstanceOf(TLSError);
    expect(l.server.error?.alert).toBe('decrypt_error');
    expect(l.client.completed).toBe(false);
  });

  it('a correct binder with a HelloRetryRequest in between resumes (control)', async () => {
    const clock = new Clock();
    const server = serverConfig(clock, { groups: [NamedGroup.secp256r1], ...NO_COMPAT });
    const client = clientConfig(clock, NO_COMPAT);
    await firstSession(client, server);
    const l = await connect(client, server);
    expectClean(l);
    expect(retries(l)).toBe(1);
    expectResumed(l, true);
  });
});

describe('resumption through a HelloRetryRequest without middlebox compatibility mode', () => {
  // The matrix above runs in the default mode, where a CCS follows the
  // HelloRetryRequest and precedes ClientHello2 (§D.4); here neither is sent.
  for (const [what, extra] of [
    ['group mismatch', { groups: [NamedGroup.secp256r1] }],
    ['cookie', { requireCookie: true }],
  ] as const) {
    it(what, async () => {
      const clock = new Clock();
      const server = serverConfig(clock, { ...extra, ...NO_COMPAT });
      const client = clientConfig(clock, NO_COMPAT);
      await firstSession(client, server);
      const l = await connect(client, server);
      expect(retries(l)).toBe(1);
      expect(l.toServer.flatMap((t) => splitRecords(t)).some((r) => r.type === ContentType.change_cipher_spec)).toBe(false);
      expectResumed(l, true);
      await expectDataFlows(l);
    });
  }
});
