/**
 * 0-RTT (RFC 8446 §2.3, §4.2.10, §8): accepted, rejected (policy, HRR,
 * suite, ALPN, freshness, anti-replay), the early data limit, replays of a
 * captured first flight, and what a server application may rely on: early
 * data is flagged `early: true`, nothing else is delivered before the
 * client's Finished, and confirmHandshake() resolves once it has verified.
 */
import { describe, expect, it } from 'vitest';
import type { ClientConfig, ServerConfig } from '../../src/config.js';
import { ServerConnection } from '../../src/connection.js';
import { MemoryReplayCache, type ReplayCache } from '../../src/handshake/antiReplay.js';
import { CipherSuite, ContentType, NamedGroup, PskKeyExchangeMode } from '../../src/registry.js';
import { concat } from '../../src/util/bytes.js';
import { findExtension } from '../../src/wire/index.js';
import {
  Clock,
  Peer,
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
  serverTimeline,
  splitRecords,
  tickets,
  type Link,
} from './pair.js';

const EMPTY = new Uint8Array(0);

/** A server that allows 0-RTT and a client that uses it, sharing one clock. */
function setup(serverExtra: Partial<ServerConfig> = {}, clientExtra: Partial<ClientConfig> = {}, clock = new Clock()) {
  return {
    clock,
    server: serverConfig(clock, { maxEarlyData: 1024, ...serverExtra }),
    client: clientConfig(clock, { enableEarlyData: true, ...clientExtra }),
  };
}

function earlyEvents(l: Link) {
  return l.client.ofType('early_data').map(({ accepted, rejected, resent }) => ({ accepted, rejected, resent }));
}

function offersEarlyData(l: Link): boolean {
  return findExtension(clientHellos(l)[0]!.extensions, 'early_data') !== undefined;
}

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

describe('0-RTT accepted', () => {
  it('is delivered flagged early, before the handshake event, and confirmed afterwards', async () => {
    const { client, server } = setup();
    const s = await firstSession(client, server);
    expect(s.maxEarlyData).toBe(1024);
    const early = bytes(100);
    const l = await connect(client, server, { early });
    expectResumed(l, true, true);
    expect(l.server.data(true)).toEqual(early);
    expect(l.server.data(false)).toEqual(EMPTY);
    expect(earlyEvents(l)).toEqual([{ accepted: true, rejected: EMPTY, resent: false }]);
    expect(serverTimeline(l)).toEqual(['early', 'handshake']);
    // It went in the first flight: ClientHello, the compatibility CCS, then the protected early data.
    expect(splitRecords(l.toServer[0]!).map((r) => r.type)).toEqual([
      ContentType.handshake,
      ContentType.change_cipher_spec,
      ContentType.application_data,
    ]);
    expect(offersEarlyData(l)).toBe(true);
    // Later data is ordinary, confirmed data.
    l.client.conn.write(bytes(10, 2));
    await run(l);
    expect(l.server.data(false)).toEqual(bytes(10, 2));
    expect(serverTimeline(l)).toEqual(['early', 'handshake', 'late']);
  });

  it('earlyDataWritable counts down from the ticket allowance and drops to 0 once the server answers', async () => {
    const { client, server } = setup({ maxEarlyData: 300 });
    await firstSession(client, server);
    const l = link(client, server);
    expect(l.client.conn.earlyDataWritable).toBe(300);
    l.client.conn.write(bytes(120));
    expect(l.client.conn.earlyDataWritable).toBe(180);
    await run(l);
    expect(l.client.conn.earlyDataWritable).toBe(0);
    expectResumed(l, true, true);
  });

  it('works in psk_ke mode and without middlebox compatibility mode', async () => {
    const { client, server } = setup(
      { allowPskOnlyResumption: true, middleboxCompat: false },
      {
        allowPskOnlyResumption: true,
        middleboxCompat: false,
        shapeMessage: (m) =>
          m.type === 'client_hello'
            ? { ...m, extensions: m.extensions.map((e) => (e.type === 'psk_key_exchange_modes' ? { ...e, modes: [PskKeyExchangeMode.psk_ke] } : e)) }
            : m,
      },
    );
    await firstSession(client, server);
    const l = await connect(client, server, { early: bytes(50) });
    expectResumed(l, true, true);
    expect(l.server.conn.state.group).toBeUndefined();
    expect(l.server.data(true)).toEqual(bytes(50));
    expect(splitRecords(l.toServer[0]!).map((r) => r.type)).toEqual([ContentType.handshake, ContentType.application_data]);
  });

  it('without enableEarlyData the client offers none: data written early goes after the handshake', async () => {
    const { client, server } = setup({}, { enableEarlyData: false });
    await firstSession(client, server);
    const l = await connect(client, server, { early: bytes(40) });
    expectResumed(l, true, false);
    expect(offersEarlyData(l)).toBe(false);
    expect(earlyEvents(l)).toEqual([]);
    expect(serverTimeline(l)).toEqual(['handshake', 'late']);
    expect(l.server.data(false)).toEqual(bytes(40));
  });
});

describe('confirmation semantics', () => {
  it('nothing early:false before the client Finished; confirmHandshake resolves once, after it', async () => {
    const { client, server } = setup({ maxEarlyData: 64 });
    await firstSession(client, server);
    const l = link(client, server);
    // 64 bytes fit in 0-RTT; the next 36 must wait for the handshake.
    const all = bytes(100);
    l.client.conn.write(all);
    expect(l.client.conn.earlyDataWritable).toBe(0);

    let resolved = 0;
    const waiters = [l.server.conn.confirmHandshake(), l.server.conn.confirmHandshake()];
    for (const w of waiters) void w.then(() => resolved++);

    // Flight 1: ClientHello + early data.
    await l.client.conn.settled();
    l.server.receive(l.client.conn.takeOutgoing());
    await l.server.conn.settled();
    l.server.poll();
    expect(l.server.conn.handshakeState).toBe('WAIT_EOED');
    expect(serverTimeline(l)).toEqual(['early']);
    expect(l.server.data(true)).toEqual(all.subarray(0, 64));
    expect(l.server.conn.handshakeConfirmed).toBe(false);
    expect(l.server.conn.state.handshakeComplete).toBe(false);
    await tick();
    expect(resolved).toBe(0);

    // The server's flight, then the client's EndOfEarlyData, Finished and the rest of its data.
    l.client.receive(l.server.conn.takeOutgoing());
    await l.client.conn.settled();
    l.client.poll();
    expect(l.client.conn.handshakeConfirmed).toBe(true);
    const flight2 = l.client.conn.takeOutgoing();
    l.server.receive(flight2);
    await l.server.conn.settled();
    l.server.poll();
    await tick();
    expect(resolved).toBe(2);
    expect(serverTimeline(l)).toEqual(['early', 'handshake', 'late']);
    expect(l.server.data(false)).toEqual(all.subarray(64));

    // More traffic (tickets, a key update, data) raises no second 'handshake' and resolves nothing again.
    await run(l);
    l.server.conn.updateKeys(true);
    l.client.conn.write(bytes(5, 9));
    await run(l);
    await l.server.conn.confirmHandshake(); // already confirmed: resolves at once
    await tick();
    expect(resolved).toBe(2);
    expect(l.server.ofType('handshake')).toHaveLength(1);
    expect(l.client.ofType('handshake')).toHaveLength(1);
    expectClean(l);
  });

  it('a client Finished altered in transit: no handshake event, no confirmed data, confirmHandshake rejects', async () => {
    const { client, server } = setup();
    await firstSession(client, server);
    const l = link(client, server);
    l.client.conn.write(bytes(30));
    const outcome = l.server.conn.confirmHandshake().then(
      () => 'resolved',
      (err: { alert?: string }) => `rejected: ${err.alert}`,
    );
    await l.client.conn.settled();
    l.server.receive(l.client.conn.takeOutgoing());
    await l.server.conn.settled();
    l.client.receive(l.server.conn.takeOutgoing());
    await l.client.conn.settled();
    // Flight 2 under early keys: EndOfEarlyData; then under handshake keys: Finished. Alter the last record (Finished).
    const flight2 = l.client.conn.takeOutgoing().slice();
    flight2[flight2.length - 1]! ^= 0x80;
    l.server.receive(flight2);
    await l.server.conn.settled();
    l.server.poll();
    expect(await outcome).toBe('rejected: bad_record_mac');
    expect(l.server.completed).toBe(false);
    expect(serverTimeline(l)).toEqual(['early']);
    expect(l.server.conn.handshakeConfirmed).toBe(false);
  });

  it('the client confirms when it sends its Finished', async () => {
    const { client, server } = setup();
    await firstSession(client, server);
    const l = link(client, server);
    l.client.conn.write(bytes(8));
    let done = false;
    void l.client.conn.confirmHandshake().then(() => (done = true));
    await tick();
    expect(done).toBe(false);
    await run(l);
    await tick();
    expect(done).toBe(true);
    expect(l.client.conn.handshakeConfirmed).toBe(true);
  });
});

describe('0-RTT rejected', () => {
  it('by policy (acceptEarlyData): the exact bytes are reported, nothing reaches the server application', async () => {
    const asked: boolean[] = [];
    const { client, server } = setup({
      acceptEarlyData: (hello) => {
        asked.push(hello.offersEarlyData);
        return false;
      },
    });
    await firstSession(client, server);
    const l = link(client, server);
    const parts = [bytes(100, 1), bytes(7, 2), bytes(250, 3)];
    for (const p of parts) l.client.conn.write(p);
    await run(l);
    expectResumed(l, true, false);
    expect(asked).toEqual([true]);
    expect(earlyEvents(l)).toEqual([{ accepted: false, rejected: concat(...parts), resent: false }]);
    expect(l.server.ofType('data')).toEqual([]);
  });

  it('with retryRejectedEarlyData the rejected bytes arrive as early:false after the handshake, in order', async () => {
    const { client, server } = setup({ maxEarlyData: 200, acceptEarlyData: () => false }, { retryRejectedEarlyData: true });
    await firstSession(client, server);
    const l = link(client, server);
    const all = bytes(500);
    l.client.conn.write(all); // 200 as 0-RTT, 300 queued for after the handshake
    await run(l);
    expectResumed(l, true, false);
    expect(earlyEvents(l)).toEqual([{ accepted: false, rejected: all.subarray(0, 200), resent: true }]);
    expect(l.server.data(true)).toEqual(EMPTY);
    expect(l.server.data(false)).toEqual(all);
    expect(serverTimeline(l)[0]).toBe('handshake');
  });

  it('by an async policy hook (the connection waits for it)', async () => {
    const { client, server } = setup({ acceptEarlyData: () => new Promise<boolean>((r) => setTimeout(() => r(false), 5)) });
    await firstSession(client, server);
    const l = await connect(client, server, { early: bytes(10) });
    expectResumed(l, true, false);
    expect(earlyEvents(l)).toEqual([{ accepted: false, rejected: bytes(10), resent: false }]);
  });

  it('by a server that no longer allows 0-RTT (maxEarlyData 0, same ticket keys)', async () => {
    const keys = [bytes(32, 40)];
    const { clock, client, server } = setup({ ticketKeys: keys });
    const s = await firstSession(client, server);
    const l = await connect(client, serverConfig(clock, { ticketKeys: keys }), { session: s, early: bytes(64) });
    expectResumed(l, true, false);
    expect(earlyEvents(l)).toEqual([{ accepted: false, rejected: bytes(64), resent: false }]);
  });

  it('a whole allowance larger than 16 KiB of rejected early data is skipped', async () => {
    const { client, server } = setup({ maxEarlyData: 40_000, acceptEarlyData: () => false }, { retryRejectedEarlyData: true });
    await firstSession(client, server);
    const all = bytes(40_000);
    const l = await connect(client, server, { early: all });
    expectResumed(l, true, false);
    expect(l.server.data(false)).toEqual(all);
  });

  for (const compat of [true, false]) {
    it(`by a HelloRetryRequest (§4.2.10), resumption still works (${compat ? 'compat mode' : 'no compat mode'})`, async () => {
      const keys = [bytes(32, 41)];
      const { clock, client, server } = setup({ ticketKeys: keys, middleboxCompat: compat }, { middleboxCompat: compat, retryRejectedEarlyData: true });
      const s = await firstSession(client, server);
      const hrrServer = serverConfig(clock, { ticketKeys: keys, maxEarlyData: 1024, groups: [NamedGroup.secp256r1], middleboxCompat: compat });
      const early = bytes(300);
      const l = await connect(client, hrrServer, { session: s, early });
      expect(retries(l)).toBe(1);
      expectResumed(l, true, false);
      expect(earlyEvents(l)).toEqual([{ accepted: false, rejected: early, resent: true }]);
      const [ch1, ch2] = clientHellos(l);
      expect(findExtension(ch1!.extensions, 'early_data')).toBeDefined();
      expect(findExtension(ch2!.extensions, 'early_data')).toBeUndefined();
      expect(l.server.data(true)).toEqual(EMPTY);
      expect(l.server.data(false)).toEqual(early);
    });
  }

  it('by a HelloRetryRequest, with more than 16 KiB of early data (the ticket allows 40 000)', async () => {
    // §4.2.10: after a HelloRetryRequest the server skips early data "up to the configured max_early_data_size".
    const keys = [bytes(32, 42)];
    const { clock, client, server } = setup({ ticketKeys: keys, maxEarlyData: 40_000 }, { retryRejectedEarlyData: true });
    const s = await firstSession(client, server);
    const hrrServer = serverConfig(clock, { ticketKeys: keys, maxEarlyData: 40_000, groups: [NamedGroup.secp256r1] });
    const early = bytes(30_000);
    const l = await connect(client, hrrServer, { session: s, early });
    expect(retries(l)).toBe(1);
    expect(l.server.error?.message).toBeUndefined();
    expectResumed(l, true, false);
    expect(l.server.data(false)).toEqual(early);
  });

  it('by a server that resumes under another suite of the same hash', async () => {
    const keys = [bytes(32, 43)];
    const clock = new Clock();
    const client = clientConfig(clock, { enableEarlyData: true, cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_CHACHA20_POLY1305_SHA256] });
    const s = await firstSession(client, serverConfig(clock, { maxEarlyData: 1024, ticketKeys: keys, cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256] }));
    const chacha = serverConfig(clock, { maxEarlyData: 1024, ticketKeys: keys, cipherSuites: [CipherSuite.TLS_CHACHA20_POLY1305_SHA256] });
    const l = await connect(client, chacha, { session: s, early: bytes(33) });
    expectResumed(l, true, false);
    expect(l.client.conn.state.cipherSuite?.code).toBe(CipherSuite.TLS_CHACHA20_POLY1305_SHA256);
    expect(earlyEvents(l)).toEqual([{ accepted: false, rejected: bytes(33), resent: false }]);
  });

  it('with a ticket the server cannot open: full handshake, early data rejected and reported', async () => {
    const { clock, client, server } = setup();
    const s = await firstSession(client, server);
    const l = await connect(client, serverConfig(clock, { maxEarlyData: 1024 }), { session: s, early: bytes(77) });
    expectResumed(l, false, false);
    expect(offersEarlyData(l)).toBe(true);
    expect(earlyEvents(l)).toEqual([{ accepted: false, rejected: bytes(77), resent: false }]);
    expect(l.server.ofType('data')).toEqual([]);
  });
});

describe('0-RTT and ALPN (§4.2.10: the same protocol as the original connection)', () => {
  it('the server selects another protocol than the ticket: resumed, but 0-RTT rejected', async () => {
    const keys = [bytes(32, 50)];
    const clock = new Clock();
    const client = clientConfig(clock, { enableEarlyData: true, alpnProtocols: ['h2', 'http/1.1'] });
    const s = await firstSession(client, serverConfig(clock, { maxEarlyData: 1024, ticketKeys: keys, alpnProtocols: ['h2'] }));
    expect(s.alpn).toBe('h2');
    const other = serverConfig(clock, { maxEarlyData: 1024, ticketKeys: keys, alpnProtocols: ['http/1.1'] });
    const l = await connect(client, other, { session: s, early: bytes(20) });
    expectResumed(l, true, false);
    expect(offersEarlyData(l)).toBe(true);
    expect(l.client.conn.state.alpnProtocol).toBe('http/1.1');
    expect(earlyEvents(l)).toEqual([{ accepted: false, rejected: bytes(20), resent: false }]);
  });

  it('the same protocol: accepted (control)', async () => {
    const clock = new Clock();
    const client = clientConfig(clock, { enableEarlyData: true, alpnProtocols: ['h2', 'http/1.1'] });
    const server = serverConfig(clock, { maxEarlyData: 1024, alpnProtocols: ['h2'] });
    await firstSession(client, server);
    const l = await connect(client, server, { early: bytes(20) });
    expectResumed(l, true, true);
    expect(l.server.conn.state.alpnProtocol).toBe('h2');
  });

  it("a client whose first protocol is not the ticket's does not offer 0-RTT at all", async () => {
    const clock = new Clock();
    const server = serverConfig(clock, { maxEarlyData: 1024, alpnProtocols: ['h2', 'http/1.1'] });
    const s = await firstSession(clientConfig(clock, { alpnProtocols: ['h2'] }), server);
    const client = clientConfig(clock, { enableEarlyData: true, alpnProtocols: ['http/1.1', 'h2'] });
    const l = await connect(client, server, { session: s, early: bytes(20) });
    expectResumed(l, true, false);
    expect(offersEarlyData(l)).toBe(false);
    expect(earlyEvents(l)).toEqual([]);
    expect(l.server.data(false)).toEqual(bytes(20));
  });
});

describe('the early data limit', () => {
  it('a client writing more than the ticket allows sends the rest after the handshake', async () => {
    const { client, server } = setup({ maxEarlyData: 100 });
    await firstSession(client, server);
    const all = bytes(250);
    const l = await connect(client, server, { early: all });
    expectResumed(l, true, true);
    expect(l.server.data(true)).toEqual(all.subarray(0, 100));
    expect(l.server.data(false)).toEqual(all.subarray(100));
    expect(serverTimeline(l).indexOf('handshake')).toBe(serverTimeline(l).lastIndexOf('early') + 1);
  });

  it('exactly the limit is accepted', async () => {
    const { client, server } = setup({ maxEarlyData: 100 });
    const s = await firstSession(client, server);
    const l = await connect(client, server, { session: s, early: bytes(100) });
    expectResumed(l, true, true);
    expect(l.server.data(true)).toEqual(bytes(100));
  });

  it('a client that ignores the limit (a session claiming more than the server allows): unexpected_message', async () => {
    const { client, server } = setup({ maxEarlyData: 100 });
    const s = await firstSession(client, server);
    const l = await connect(client, server, { session: { ...s, maxEarlyData: 5000 }, early: bytes(101) });
    expect(l.server.error?.alert).toBe('unexpected_message');
    expect(l.server.error?.side).toBe('local');
    expect(l.client.error?.alert).toBe('unexpected_message');
    expect(l.client.error?.side).toBe('remote');
    expect(l.server.thrown).toEqual([]);
    expect(l.client.thrown).toEqual([]);
    expect(l.server.completed).toBe(false);
  });

  it('a server whose limit was lowered below the ticket allowance rejects 0-RTT instead of failing', async () => {
    // The ticket promised 1000; the server now allows 100. The client may
    // send up to 1000, so accepting would end in unexpected_message mid-flight:
    // the server rejects 0-RTT and the bytes come again at 1-RTT.
    const keys = [bytes(32, 60)];
    const clock = new Clock();
    const client = clientConfig(clock, { enableEarlyData: true, sessionCache: false, retryRejectedEarlyData: true });
    const issued = tickets(await connect(client, serverConfig(clock, { maxEarlyData: 1000, ticketKeys: keys })));
    expect(issued[0]!.maxEarlyData).toBe(1000);
    const lowered = serverConfig(clock, { maxEarlyData: 100, ticketKeys: keys });
    const early = bytes(500);
    const l = await connect(client, lowered, { session: issued[0]!, early });
    expectResumed(l, true, false);
    expect(serverTimeline(l)).not.toContain('early');
    const received = l.server.events.flatMap((e) => (e.type === 'data' ? [e.bytes] : []));
    expect(Buffer.concat(received)).toEqual(Buffer.from(early));
  });

  it('tickets advertise the server maxEarlyData, and none when 0-RTT is off', async () => {
    const clock = new Clock();
    const with0rtt = tickets(await connect(clientConfig(clock), serverConfig(clock, { maxEarlyData: 777 })));
    const without = tickets(await connect(clientConfig(clock), serverConfig(clock)));
    expect(with0rtt.map((t) => t.maxEarlyData)).toEqual([777, 777]);
    expect(without.map((t) => t.maxEarlyData)).toEqual([0, 0]);
  });
});

describe('replay of a captured 0-RTT flight (§8)', () => {
  /** A client's first flight (ClientHello + 0-RTT), as an attacker would record it. */
  async function capture(client: ClientConfig, server: ServerConfig, early: Uint8Array): Promise<{ flight: Uint8Array; l: Link }> {
    const l = link(client, server);
    l.client.conn.write(early);
    await l.client.conn.settled();
    const flight = l.client.conn.takeOutgoing();
    return { flight, l };
  }

  async function deliverTo(server: ServerConfig, flight: Uint8Array): Promise<Peer<ServerConnection>> {
    const p = new Peer(new ServerConnection(server));
    p.receive(flight);
    await p.conn.settled();
    p.poll();
    return p;
  }

  it('the same server delivers the early data once only', async () => {
    const { client, server } = setup();
    await firstSession(client, server);
    const early = bytes(64);
    const { flight, l } = await capture(client, server, early);

    // The genuine delivery.
    l.server.receive(flight);
    await l.server.conn.settled();
    l.toServer.push(flight);
    await run(l);
    expectResumed(l, true, true);
    expect(l.server.data(true)).toEqual(early);

    // Replays: the PSK still resumes (the binder is valid) but the early data is dropped.
    const replays = [];
    for (let i = 0; i < 3; i++) replays.push(await deliverTo(server, flight));
    for (const r of replays) {
      expect(r.thrown).toEqual([]);
      expect(r.error).toBeUndefined();
      expect(r.ofType('data')).toEqual([]);
      expect(r.conn.state.earlyDataAccepted).toBe(false);
      expect(r.conn.state.resumed).toBe(true);
      expect(r.conn.handshakeState).toBe('WAIT_FINISHED');
    }
  });

  it('replayed before the genuine server answers, the first arrival wins and the other gets nothing', async () => {
    const { client, server } = setup();
    await firstSession(client, server);
    const { flight } = await capture(client, server, bytes(32));
    const a = await deliverTo(server, flight);
    const b = await deliverTo(server, flight);
    expect(a.data(true)).toEqual(bytes(32));
    expect(b.ofType('data')).toEqual([]);
  });

  it('servers sharing ticket keys must share the replay store too', async () => {
    const keys = [bytes(32, 70)];
    const shared = new MemoryReplayCache();
    const clock = new Clock();
    const client = clientConfig(clock, { enableEarlyData: true });
    const a = serverConfig(clock, { maxEarlyData: 1024, ticketKeys: keys, antiReplay: shared });
    const b = serverConfig(clock, { maxEarlyData: 1024, ticketKeys: keys, antiReplay: shared });
    const lone = serverConfig(clock, { maxEarlyData: 1024, ticketKeys: keys });
    await firstSession(client, a);
    const { flight } = await capture(client, a, bytes(16));
    expect((await deliverTo(a, flight)).data(true)).toEqual(bytes(16));
    expect((await deliverTo(b, flight)).ofType('data')).toEqual([]);
    // A server with its own store cannot know: the replay is accepted there (why the store is pluggable).
    expect((await deliverTo(lone, flight)).data(true)).toEqual(bytes(16));
  });

  it('a flight replayed after the freshness window is refused even by a server that never saw it', async () => {
    const keys = [bytes(32, 71)];
    const clock = new Clock();
    const client = clientConfig(clock, { enableEarlyData: true });
    const a = serverConfig(clock, { maxEarlyData: 1024, ticketKeys: keys });
    await firstSession(client, a);
    const { flight } = await capture(client, a, bytes(16));
    clock.advance(11_000);
    const late = await deliverTo(serverConfig(clock, { maxEarlyData: 1024, ticketKeys: keys }), flight);
    expect(late.ofType('data')).toEqual([]);
    expect(late.conn.state.resumed).toBe(true);
  });

  it('with reuseTickets, a second 0-RTT use of one ticket is rejected, the resumption still succeeds', async () => {
    const { client, server } = setup({ ticketCount: 1 }, { reuseTickets: true });
    await firstSession(client, server);
    const a = link(client, server);
    const b = link(client, server);
    a.client.conn.write(bytes(10));
    b.client.conn.write(bytes(11));
    await run(a);
    await run(b);
    expectResumed(a, true, true);
    expectResumed(b, true, false);
    expect(earlyEvents(b)).toEqual([{ accepted: false, rejected: bytes(11), resent: false }]);
  });
});

describe('freshness (§8.3)', () => {
  for (const [what, skew, accepted] of [
    ['client clock 5 s ahead (within the 10 s window)', 5_000, true],
    ['client clock 20 s ahead', 20_000, false],
    ['client clock 20 s behind', -20_000, false],
  ] as const) {
    it(`${what}: 0-RTT ${accepted ? 'accepted' : 'rejected'}, resumption works`, async () => {
      const serverClock = new Clock();
      const clientClock = new Clock();
      const server = serverConfig(serverClock, { maxEarlyData: 1024 });
      const client = clientConfig(clientClock, { enableEarlyData: true });
      // A ticket received 30 s ago by both clocks...
      await firstSession(client, server);
      serverClock.advance(30_000);
      // ...but the client's clock has drifted since.
      clientClock.advance(30_000 + skew);
      const l = await connect(client, server, { early: bytes(12) });
      expectResumed(l, true, accepted);
      expect(l.server.data(true)).toEqual(accepted ? bytes(12) : EMPTY);
    });
  }

  it('a custom freshnessWindow applies', async () => {
    const serverClock = new Clock();
    const clientClock = new Clock();
    const server = serverConfig(serverClock, { maxEarlyData: 1024, freshnessWindow: 1000 });
    const client = clientConfig(clientClock, { enableEarlyData: true });
    await firstSession(client, server);
    clientClock.advance(2000);
    const l = await connect(client, server, { early: bytes(12) });
    expectResumed(l, true, false);
    // A ticket from that resumption: issued at server time +0 s, received at client time +2 s.
    // Half a second later by the client's clock only, the ages differ by 0.5 s: accepted.
    clientClock.advance(500);
    const l2 = await connect(client, server, { early: bytes(12) });
    expectResumed(l2, true, true);
  });
});

describe('anti-replay store', () => {
  it('MemoryReplayCache: first use once, refuses when full, forgets expired entries', () => {
    const cache = new MemoryReplayCache(2);
    const id = (n: number) => Uint8Array.of(n);
    expect(cache.firstUse(id(1), 1000, 0)).toBe(true);
    expect(cache.firstUse(id(1), 1000, 10)).toBe(false);
    expect(cache.firstUse(id(2), 2000, 10)).toBe(true);
    expect(cache.firstUse(id(3), 2000, 10)).toBe(false); // full: fail closed
    expect(cache.size).toBe(2);
    expect(cache.firstUse(id(3), 3000, 1000)).toBe(true); // id 1 expired at 1000 and was purged
    expect(cache.size).toBe(2);
    expect(cache.firstUse(id(1), 3000, 1001)).toBe(false); // full again (2 and 3 live)
  });

  it('a full store refuses 0-RTT but not resumption; expired entries make room', async () => {
    const clock = new Clock();
    const store = new MemoryReplayCache(1);
    const server = serverConfig(clock, { maxEarlyData: 1024, ticketLifetime: 60, antiReplay: store });
    const client = clientConfig(clock, { enableEarlyData: true, sessionCache: false });
    const [a] = tickets(await connect(client, server));
    clock.advance(30_000);
    const [b1, b2] = tickets(await connect(client, server));

    const first = await connect(client, server, { session: a!, early: bytes(5) });
    expectResumed(first, true, true);
    expect(store.size).toBe(1);
    const full = await connect(client, server, { session: b1!, early: bytes(5) });
    expectResumed(full, true, false);

    clock.advance(31_000); // ticket a (and its store entry) expired; b2 is 31 s old of 60
    const again = await connect(client, server, { session: b2!, early: bytes(5) });
    expectResumed(again, true, true);
  });

  it('a pluggable (async) store is asked with the ticket identity and its expiry', async () => {
    const calls: { id: Uint8Array; expiresAt: number; now: number }[] = [];
    const clock = new Clock();
    const store: ReplayCache = {
      firstUse: (id, expiresAt, now) => {
        calls.push({ id: id.slice(), expiresAt, now });
        return new Promise((r) => setTimeout(() => r(calls.length === 1), 2));
      },
    };
    const server = serverConfig(clock, { maxEarlyData: 1024, ticketLifetime: 3600, antiReplay: store });
    const client = clientConfig(clock, { enableEarlyData: true, reuseTickets: true, sessionCache: false });
    const s = await firstSession(client, server);
    const t0 = clock.t;
    clock.advance(1000);
    expectResumed(await connect(client, server, { session: s, early: bytes(3) }), true, true);
    expectResumed(await connect(client, server, { session: s, early: bytes(3) }), true, false);
    expect(calls).toHaveLength(2);
    expect(calls[0]).toEqual({ id: s.ticket, expiresAt: t0 + 3600_000, now: t0 + 1000 });
  });
});
