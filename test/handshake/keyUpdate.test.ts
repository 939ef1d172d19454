/**
 * KeyUpdate (RFC 8446 §4.6.3) under load: many updates from both sides
 * interleaved with data, update_requested answered exactly once, and the
 * record-boundary and value rules.
 */
import { describe, expect, it } from 'vitest';
import { ClientConnection } from '../../src/connection.js';
import { CipherSuite, KeyUpdateRequest, NamedGroup } from '../../src/registry.js';
import { encodeHandshake } from '../../src/wire/index.js';
import { concat } from '../../src/util/bytes.js';
import {
  KeyLog,
  ROOT,
  certified,
  drive,
  exchangeData,
  expectBytes,
  expectConnected,
  expectFailed,
  handshake,
  newPair,
  now,
  payload,
  records,
  rewriteHandshake,
  type Endpoint,
  type Pair,
} from './pair.js';

const SERVER_CERT = certified('leaf-p256');

async function connected(suite: number = CipherSuite.TLS_CHACHA20_POLY1305_SHA256, extra: { keyLog?: (l: string) => void } = {}): Promise<Pair> {
  const p = await handshake(
    { ca: ROOT, now, groups: [NamedGroup.x25519], cipherSuites: [suite], sessionCache: false, ...extra },
    { certificates: [SERVER_CERT], now, ticketCount: 0, ...extra },
    'localhost',
  );
  expectConnected(p);
  return p;
}

function updates(side: Endpoint, direction: 'read' | 'write'): number {
  return side.ofType('key_update').filter((e) => e.direction === direction).length;
}

describe('KeyUpdate', () => {
  it('200 updates from both sides interleaved with data both ways keep every byte intact', async () => {
    const p = await connected();
    const toServer: Uint8Array[] = [];
    const toClient: Uint8Array[] = [];
    let requestsFromClient = 0;
    let requestsFromServer = 0;
    let plainFromClient = 0;
    let plainFromServer = 0;
    for (let i = 0; i < 200; i++) {
      const fromClient = i % 2 === 0;
      const request = i % 3 === 0;
      const side = fromClient ? p.client : p.server;
      side.conn.updateKeys(request);
      if (fromClient) request ? requestsFromClient++ : plainFromClient++;
      else request ? requestsFromServer++ : plainFromServer++;
      // Data both ways in the same flight as the update, with sizes that cross record boundaries now and then.
      const a = payload(1 + ((i * 997) % 20_000), i);
      const b = payload(1 + ((i * 331) % 3_000), i + 1000);
      p.client.conn.write(a);
      p.server.conn.write(b);
      toServer.push(a);
      toClient.push(b);
      await drive(p);
      expect(p.client.error).toBeUndefined();
      expect(p.server.error).toBeUndefined();
    }
    expectBytes(p.server.data, concat(...toServer), 'client to server');
    expectBytes(p.client.data, concat(...toClient), 'server to client');
    // Every update_requested is answered by exactly one update of the peer's; update_not_requested by none.
    const clientWrites = plainFromClient + requestsFromClient + requestsFromServer;
    const serverWrites = plainFromServer + requestsFromServer + requestsFromClient;
    expect(updates(p.client, 'write')).toBe(clientWrites);
    expect(updates(p.server, 'write')).toBe(serverWrites);
    expect(updates(p.server, 'read')).toBe(clientWrites);
    expect(updates(p.client, 'read')).toBe(serverWrites);
    expect(p.client.conn.record.writeSequence).toBeDefined();
    expect(p.client.escaped).toEqual([]);
    expect(p.server.escaped).toEqual([]);
  });

  it('update_requested is answered once, and the answer does not ask again (no ping-pong)', async () => {
    const p = await connected();
    p.client.conn.updateKeys(true);
    const rounds = await drive(p);
    expect(rounds).toBeLessThanOrEqual(2);
    expect(updates(p.client, 'write')).toBe(1);
    expect(updates(p.server, 'read')).toBe(1);
    expect(updates(p.server, 'write')).toBe(1);
    expect(updates(p.client, 'read')).toBe(1);
    await exchangeData(p, payload(100, 1), payload(100, 2));
  });

  it('update_not_requested is not answered', async () => {
    const p = await connected();
    p.server.conn.updateKeys(false);
    await drive(p);
    expect(updates(p.server, 'write')).toBe(1);
    expect(updates(p.client, 'read')).toBe(1);
    expect(updates(p.client, 'write')).toBe(0);
    await exchangeData(p, payload(10, 1), payload(10, 2));
  });

  it('crossing requests: each side updates once, which answers the other', async () => {
    const p = await connected();
    p.client.conn.updateKeys(true);
    p.server.conn.updateKeys(true);
    await drive(p);
    for (const side of [p.client, p.server]) {
      expect(updates(side, 'write')).toBe(1);
      expect(updates(side, 'read')).toBe(1);
    }
    await exchangeData(p, payload(10, 3), payload(10, 4));
    // A later request is answered again.
    p.server.conn.updateKeys(true);
    await drive(p);
    expect(updates(p.client, 'write')).toBe(2);
  });

  it('many updates in one flight (50 before the peer reads any) all apply in order', async () => {
    const p = await connected(CipherSuite.TLS_AES_256_GCM_SHA384);
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 50; i++) {
      p.client.conn.updateKeys(false);
      const d = payload(100 + i, i);
      p.client.conn.write(d);
      sent.push(d);
    }
    await drive(p);
    expect(updates(p.server, 'read')).toBe(50);
    expectBytes(p.server.data, concat(...sent));
  });

  it('the traffic secrets really change: old keys no longer open new records', async () => {
    const log = new KeyLog();
    const p = await connected(CipherSuite.TLS_AES_128_GCM_SHA256, { keyLog: log.log });
    const opener = log.opener('SERVER_TRAFFIC_SECRET_0', CipherSuite.TLS_AES_128_GCM_SHA256);
    const before = p.wire.toClient.length;
    p.server.conn.write(payload(50, 1));
    await drive(p);
    // Readable with generation 0...
    const gen0 = records(p.wire.toClient[before]!);
    expect(opener.open(gen0[0]!.raw).content).toEqual(payload(50, 1));
    p.server.conn.updateKeys(false);
    p.server.conn.write(payload(50, 2));
    await drive(p);
    const after = p.wire.toClient.slice(before + 1).flatMap((b) => records(b));
    // ...the KeyUpdate itself still under generation 0, the data after it not.
    expect(opener.open(after[0]!.raw).content[0]).toBe(24);
    expect(() => opener.open(after[1]!.raw)).toThrow();
    expect(p.client.data).toEqual(concat(payload(50, 1), payload(50, 2)));
  });

  it('updateKeys() before the handshake completes throws internal_error', () => {
    // A client that has only sent its ClientHello.
    const client = new ClientConnection({ ca: ROOT, now, groups: [NamedGroup.x25519] }, { serverName: 'localhost' });
    expect(() => client.updateKeys()).toThrow(/only after the handshake/);
  });
});

describe('KeyUpdate rules', () => {
  /** Makes the server write `bytes` in place of the KeyUpdate it sends next. */
  function replaceServerKeyUpdate(p: Pair, replacement: (ku: Uint8Array) => Uint8Array): void {
    const record = p.server.conn.record;
    const original = record.writeHandshake.bind(record);
    record.writeHandshake = (message, options) => original(message[0] === 24 ? replacement(message) : message, options ?? {});
  }

  it('a request_update value other than 0 or 1 → illegal_parameter (§4.6.3)', async () => {
    const p = await connected();
    replaceServerKeyUpdate(p, (ku) => Uint8Array.of(...ku.subarray(0, 4), 2));
    p.server.conn.updateKeys(false);
    p.server.conn.write(payload(20, 1));
    await drive(p);
    // The client already completed its handshake; it fails now, with no data delivered after the bad message.
    expect(p.client.error?.alert).toBe('illegal_parameter');
    expect(p.client.error?.side).toBe('local');
    expect(p.client.conn.closed).toBe(true);
    expect(p.client.dataEvents).toEqual([]);
    expect(p.client.escaped).toEqual([]);
    expect(`${p.server.error?.side} ${p.server.error?.alert}`).toBe('remote illegal_parameter');
  });

  it('a KeyUpdate with a trailing byte → decode_error', async () => {
    const p = await connected();
    replaceServerKeyUpdate(p, (ku) => encodeWithBody(ku[0]!, Uint8Array.of(ku[4]!, 0)));
    p.server.conn.updateKeys(false);
    await drive(p);
    expect(p.client.error?.alert).toBe('decode_error');
    expect(`${p.server.error?.side} ${p.server.error?.alert}`).toBe('remote decode_error');
  });

  it('a KeyUpdate not at the end of its record (another message follows in it) → unexpected_message (§5.1)', async () => {
    const p = await connected();
    const ku = encodeHandshake({ type: 'key_update', requestUpdate: KeyUpdateRequest.update_not_requested });
    // Two KeyUpdates in one record: after the first, the keys change with the second still buffered.
    replaceServerKeyUpdate(p, () => concat(ku, ku));
    p.server.conn.updateKeys(false);
    await drive(p);
    expect(p.client.error?.alert).toBe('unexpected_message');
    expect(p.client.error?.message).toMatch(/spans a key change/);
    expect(p.client.escaped).toEqual([]);
  });

  it('a KeyUpdate before the handshake completes → unexpected_message', async () => {
    // (Every pre-CONNECTED state is walked in badInput.test.ts; this is the plainest case:
    // the server's first encrypted message is a KeyUpdate instead of EncryptedExtensions.)
    const q = newPair({ ca: ROOT, now, groups: [NamedGroup.x25519] }, { certificates: [SERVER_CERT], now }, 'localhost');
    rewriteHandshake(q.server, (m, type) => (type === 8 ? [encodeHandshake({ type: 'key_update', requestUpdate: 0 })] : [m]));
    await drive(q);
    expectFailed(q.client, 'unexpected_message', q.server);
  });
});

function encodeWithBody(type: number, body: Uint8Array): Uint8Array {
  return Uint8Array.of(type, 0, (body.length >> 8) & 0xff, body.length & 0xff, ...body);
}
