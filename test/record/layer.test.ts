import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { concat, toHex } from '../../src/util/bytes.js';
import type { AeadName } from '../../src/crypto/provider.js';
import { encodePlaintextRecord } from '../../src/record/framing.js';
import { padToBlockSize, RecordSealer } from '../../src/record/protection.js';
import { RecordLayer, type RecordItem, type RecordLayerOptions } from '../../src/record/layer.js';
import { AEADS, expectAlert, handshakeMessage, recordsOf, sealRawInner, splitAt, testKeys } from './helpers.js';
import { providers } from './providers.js';

const CH = handshakeMessage(1, 200, 0x11);
const SH = handshakeMessage(2, 90, 0x22);
const EE = handshakeMessage(8, 40, 0x33);
const CERT = handshakeMessage(11, 40_000, 0x44);
const CV = handshakeMessage(15, 260, 0x55);
const FIN = handshakeMessage(20, 32, 0x66);
const AEAD: AeadName = 'AES-128-GCM';
const HS_C = testKeys(AEAD, 1); // client handshake traffic keys
const HS_S = testKeys(AEAD, 2);
const AP_C = testKeys(AEAD, 3);
const AP_S = testKeys(AEAD, 4);

function drain(layer: RecordLayer): RecordItem[] {
  const out: RecordItem[] = [];
  for (let item = layer.nextMessage(); item; item = layer.nextMessage()) out.push(item);
  return out;
}

function hs(item: RecordItem | undefined): string {
  if (item?.kind !== 'handshake') throw new Error(`expected a handshake message, got ${item?.kind}`);
  return toHex(item.message);
}

describe.each(providers.map((p) => [p.name, p] as const))('RecordLayer with %s', (_name, provider) => {
  const layer = (options?: RecordLayerOptions) => new RecordLayer(provider, options);

  /** Client and server after ServerHello: both directions protected with handshake keys. */
  function protectedPair(options?: RecordLayerOptions): { client: RecordLayer; server: RecordLayer } {
    const client = layer(options);
    const server = layer(options);
    client.setWriteKeys(AEAD, HS_C);
    client.setReadKeys(AEAD, HS_S);
    server.setWriteKeys(AEAD, HS_S);
    server.setReadKeys(AEAD, HS_C);
    return { client, server };
  }

  it('carries a full 1-RTT handshake flight by flight, switching keys on record boundaries', () => {
    const client = layer();
    const server = layer();

    client.writeHandshake(CH, { legacyRecordVersion: 0x0301 });
    const flight1 = client.takeOutgoing();
    expect(toHex(flight1)).toBe(toHex(encodePlaintextRecord(22, CH, 0x0301)));
    server.receive(flight1);
    const ch = server.nextMessage();
    expect(ch).toEqual({ kind: 'handshake', message: CH, encrypted: false });
    expect(server.nextMessage()).toBeUndefined();
    server.allowCompatCcs(true);

    // Server: ServerHello in the clear, CCS, then EE..Finished under handshake keys, coalesced.
    server.writeHandshake(SH);
    server.writeChangeCipherSpec();
    server.setWriteKeys(AEAD, HS_S);
    for (const m of [EE, CERT, CV, FIN]) server.writeHandshake(m);
    server.setReadKeys(AEAD, HS_C);
    const flight2 = server.takeOutgoing();
    const recs = recordsOf(flight2);
    expect(recs.map((r) => r.type)).toEqual([22, 20, 23, 23, 23]);
    // 40,000 + 4 + 44 + 264 + 36 bytes coalesced: ceil(40348 / 16384) = 3 records, the first two full.
    expect(recs.slice(2).map((r) => r.fragment.length)).toEqual([2 ** 14 + 1 + 16, 2 ** 14 + 1 + 16, 40348 - 2 * 2 ** 14 + 1 + 16]);
    expect(server.writeSequence).toBe(3n);

    // Client reads one byte at a time, installing keys right after ServerHello.
    client.allowCompatCcs(true);
    const got: RecordItem[] = [];
    for (let i = 0; i < flight2.length; i++) {
      client.receive(flight2.subarray(i, i + 1));
      for (let item = client.nextMessage(); item; item = client.nextMessage()) {
        got.push(item);
        if (item.kind === 'handshake' && item.message[0] === 2) client.setReadKeys(AEAD, HS_S);
      }
    }
    expect(got.map((i) => i.kind)).toEqual(['handshake', 'change_cipher_spec', 'handshake', 'handshake', 'handshake', 'handshake']);
    expect(got.filter((i) => i.kind === 'handshake').map((i) => [hs(i), i.kind === 'handshake' && i.encrypted])).toEqual([
      [toHex(SH), false],
      [toHex(EE), true],
      [toHex(CERT), true],
      [toHex(CV), true],
      [toHex(FIN), true],
    ]);
    expect(client.readSequence).toBe(3n);

    // Client Finished, then both switch to application keys and talk.
    client.writeChangeCipherSpec();
    client.setWriteKeys(AEAD, HS_C);
    client.writeHandshake(FIN);
    client.setWriteKeys(AEAD, AP_C);
    client.setReadKeys(AEAD, AP_S);
    client.allowCompatCcs(false);
    client.writeApplicationData(new Uint8Array([1, 2, 3]));
    server.receive(client.takeOutgoing());
    expect(server.nextMessage()).toEqual({ kind: 'change_cipher_spec' });
    expect(hs(server.nextMessage())).toBe(toHex(FIN));
    server.setReadKeys(AEAD, AP_C);
    server.setWriteKeys(AEAD, AP_S);
    server.allowCompatCcs(false);
    expect(server.nextMessage()).toEqual({ kind: 'application_data', data: new Uint8Array([1, 2, 3]) });
    server.writeApplicationData(new Uint8Array([4, 5]));
    server.writeAlert(1, 'close_notify');
    client.receive(server.takeOutgoing());
    expect(drain(client)).toEqual([
      { kind: 'application_data', data: new Uint8Array([4, 5]) },
      { kind: 'alert', level: 1, description: 0, encrypted: true },
    ]);
  });

  it('a handshake message spanning a read key change is unexpected_message, and reading stays failed', () => {
    const server = layer();
    server.writeHandshake(SH);
    server.writeHandshake(EE); // wrongly in the same plaintext record
    const client = layer();
    client.receive(server.takeOutgoing());
    expect(hs(client.nextMessage())).toBe(toHex(SH));
    expect(client.pendingHandshakeBytes).toBe(EE.length);
    expectAlert(() => client.setReadKeys(AEAD, HS_S), 'unexpected_message');
    expectAlert(() => client.nextMessage(), 'unexpected_message');
    expectAlert(() => client.receive(new Uint8Array([22])), 'unexpected_message');
    expect(client.readProtected).toBe(false);
    // The write side still works, so the alert can be sent.
    client.writeAlert(2, 'unexpected_message');
    expect(toHex(client.takeOutgoing())).toBe('1503030002020a');
  });

  it('also refuses a key change in the middle of a fragmented message', () => {
    const client = layer();
    const big = handshakeMessage(11, 20_000);
    client.receive(encodePlaintextRecord(22, big.subarray(0, 2 ** 14)));
    expect(client.nextMessage()).toBeUndefined();
    expectAlert(() => client.setReadKeys(AEAD, HS_S), 'unexpected_message');
  });

  it('KeyUpdate: new keys restart sequence numbers and old-key records no longer open', () => {
    const { client, server } = protectedPair();
    client.writeApplicationData(new Uint8Array([1]));
    client.writeHandshake(handshakeMessage(24, 1, 0));
    client.setWriteKeys(AEAD, AP_C);
    expect(client.writeSequence).toBe(0n);
    client.writeApplicationData(new Uint8Array([2]));
    server.receive(client.takeOutgoing());
    expect(server.nextMessage()).toMatchObject({ kind: 'application_data' });
    expect(hs(server.nextMessage())).toBe(toHex(handshakeMessage(24, 1, 0)));
    expect(server.readSequence).toBe(2n);
    server.setReadKeys(AEAD, AP_C);
    expect(server.readSequence).toBe(0n);
    expect(server.nextMessage()).toEqual({ kind: 'application_data', data: new Uint8Array([2]) });

    // A record still under the old key fails.
    const stale = new RecordSealer(provider, AEAD, HS_C);
    server.receive(stale.seal(23, new Uint8Array([3])));
    expectAlert(() => server.nextMessage(), 'bad_record_mac');
  });

  it('fragments application data to 2^14 (or the peer record_size_limit) and sends nothing for empty writes', () => {
    const { client, server } = protectedPair();
    client.writeApplicationData(new Uint8Array(0));
    expect(client.takeOutgoing().length).toBe(0);
    const data = new Uint8Array(40_000).map((_, i) => i & 0xff);
    client.writeApplicationData(data);
    const first = client.takeOutgoing();
    let recs = recordsOf(first);
    expect(recs.map((r) => r.fragment.length)).toEqual([16401, 16401, 40_000 - 32768 + 17]);
    server.receive(first);
    expect(drain(server).map((i) => (i.kind === 'application_data' ? i.data.length : -1))).toEqual([16384, 16384, 40_000 - 32768]);

    client.setSendRecordSizeLimit(1000);
    server.setReceiveRecordSizeLimit(1000);
    client.writeApplicationData(data);
    const wire = client.takeOutgoing();
    recs = recordsOf(wire);
    expect(recs.length).toBe(Math.ceil(40_000 / 999));
    expect(Math.max(...recs.map((r) => r.fragment.length))).toBe(1000 + 16);
    // Delivered in transport-sized chunks that cut records anywhere.
    const chunks: Uint8Array[] = [];
    for (let off = 0; off < wire.length; off += 1500) {
      server.receive(wire.subarray(off, off + 1500));
      for (let item = server.nextMessage(); item; item = server.nextMessage()) {
        if (item.kind === 'application_data') chunks.push(item.data);
      }
    }
    expect(chunks.length).toBe(Math.ceil(40_000 / 999));
    expect(toHex(concat(...chunks))).toBe(toHex(data));
  });

  it('enforces our record_size_limit on received protected records', () => {
    const { client, server } = protectedPair();
    server.setReceiveRecordSizeLimit(100);
    client.writeApplicationData(new Uint8Array(99));
    client.writeApplicationData(new Uint8Array(100));
    server.receive(client.takeOutgoing());
    expect(server.nextMessage()).toMatchObject({ kind: 'application_data' });
    expectAlert(() => server.nextMessage(), 'record_overflow');
    expectAlert(() => server.setReceiveRecordSizeLimit(10), 'illegal_parameter');
  });

  it('record_size_limit does not apply to plaintext records (RFC 8449 §4)', () => {
    const c = layer();
    c.setSendRecordSizeLimit(64);
    c.writeHandshake(handshakeMessage(1, 500));
    expect(recordsOf(c.takeOutgoing()).map((r) => r.fragment.length)).toEqual([504]);
  });

  it('pads protected records per policy, and the padding is stripped', () => {
    const { client, server } = protectedPair({ padding: padToBlockSize(256) });
    client.writeHandshake(FIN);
    client.writeAlert(2, 'decrypt_error');
    const recs = recordsOf(client.takeOutgoing());
    expect(recs.map((r) => r.fragment.length)).toEqual([256 + 16, 256 + 16]);
    server.receive(concat(...recs.map((r) => r.raw)));
    expect(drain(server)).toEqual([
      { kind: 'handshake', message: FIN, encrypted: true },
      { kind: 'alert', level: 2, description: 51, encrypted: true },
    ]);
    client.setPadding(() => 0);
    client.writeApplicationData(new Uint8Array(3));
    expect(recordsOf(client.takeOutgoing())[0]!.fragment.length).toBe(3 + 1 + 16);
  });

  it('coalesces messages but starts a new record when legacy_record_version changes', () => {
    const c = layer();
    c.writeHandshake(CH, { legacyRecordVersion: 0x0301 });
    c.writeHandshake(EE);
    c.writeHandshake(FIN);
    const recs = recordsOf(c.takeOutgoing());
    expect(recs.map((r) => [r.version, r.fragment.length])).toEqual([
      [0x0301, CH.length],
      [0x0303, EE.length + FIN.length],
    ]);
    expectAlert(() => c.writeHandshake(CH, { legacyRecordVersion: 0x0302 }), 'internal_error');
  });

  it('refuses to write malformed handshake data or unprotected application data', () => {
    const c = layer();
    expectAlert(() => c.writeHandshake(new Uint8Array(0)), 'internal_error');
    expectAlert(() => c.writeHandshake(CH.subarray(0, 10)), 'internal_error');
    expectAlert(() => c.writeHandshake(concat(CH, new Uint8Array([1, 0]))), 'internal_error');
    c.writeHandshake(concat(CH, EE)); // several whole messages at once are fine
    expectAlert(() => c.writeApplicationData(new Uint8Array([1])), 'internal_error');
    expectAlert(() => c.writeAlert(0, 'close_notify'), 'internal_error');
  });

  describe('receiving rules', () => {
    it('unprotected application data is unexpected_message (§5.1)', () => {
      const c = layer();
      c.receive(encodePlaintextRecord(23, new Uint8Array([1])));
      expectAlert(() => c.nextMessage(), 'unexpected_message');
    });

    it('after read keys, unprotected handshake and alert records are unexpected_message', () => {
      for (const rec of [encodePlaintextRecord(22, FIN), encodePlaintextRecord(21, new Uint8Array([2, 40]))]) {
        const { client } = protectedPair();
        client.receive(rec);
        expectAlert(() => client.nextMessage(), 'unexpected_message');
      }
    });

    it('allowPlaintextAlerts accepts a plaintext alert until a record decrypts', () => {
      const { client, server } = protectedPair();
      server.allowPlaintextAlerts(true);
      server.receive(encodePlaintextRecord(21, new Uint8Array([2, 47])));
      expect(server.nextMessage()).toEqual({ kind: 'alert', level: 2, description: 47, encrypted: false });
      client.writeHandshake(FIN);
      server.receive(client.takeOutgoing());
      expect(hs(server.nextMessage())).toBe(toHex(FIN));
      server.receive(encodePlaintextRecord(21, new Uint8Array([2, 47])));
      expectAlert(() => server.nextMessage(), 'unexpected_message');
    });

    it('alerts: plaintext before keys; malformed bodies rejected', () => {
      const c = layer();
      c.receive(encodePlaintextRecord(21, new Uint8Array([2, 40])));
      expect(c.nextMessage()).toEqual({ kind: 'alert', level: 2, description: 40, encrypted: false });
      for (const [body, alert] of [
        [[2, 40, 2, 40], 'decode_error'],
        [[2], 'decode_error'],
        [[7, 40], 'illegal_parameter'],
      ] as const) {
        const d = layer();
        d.receive(encodePlaintextRecord(21, new Uint8Array(body)));
        expectAlert(() => d.nextMessage(), alert);
      }
      // Protected: two coalesced alerts in one record are decode_error; one is delivered.
      const bad = protectedPair();
      bad.server.receive(sealRawInner(provider, AEAD, HS_C, new Uint8Array([2, 40, 2, 40, 21])));
      expectAlert(() => bad.server.nextMessage(), 'decode_error');
      const good = protectedPair();
      good.client.writeAlert(2, 'handshake_failure');
      good.server.receive(good.client.takeOutgoing());
      expect(good.server.nextMessage()).toEqual({ kind: 'alert', level: 2, description: 40, encrypted: true });
    });

    it.each([
      ['alert', encodePlaintextRecord(21, new Uint8Array([2, 40]))],
      ['change_cipher_spec', encodePlaintextRecord(20, new Uint8Array([1]))],
    ])('a %s record inside a fragmented handshake message is unexpected_message (§5.1)', (_kind, record) => {
      const c = layer();
      c.allowCompatCcs(true);
      const big = handshakeMessage(1, 20_000);
      c.receive(concat(encodePlaintextRecord(22, big.subarray(0, 2 ** 14)), record));
      expectAlert(() => c.nextMessage(), 'unexpected_message');
    });

    it('protected application data inside a fragmented handshake message is unexpected_message', () => {
      const { server } = protectedPair();
      const big = handshakeMessage(11, 20_000);
      const sealer = new RecordSealer(provider, AEAD, HS_C);
      server.receive(concat(sealer.seal(22, big.subarray(0, 100)), sealer.seal(23, new Uint8Array([1]))));
      expectAlert(() => server.nextMessage(), 'unexpected_message');
    });

    it('tampered protected records are bad_record_mac', () => {
      const { client, server } = protectedPair();
      client.writeHandshake(FIN);
      const wire = client.takeOutgoing();
      wire[10]! ^= 1;
      server.receive(wire);
      expectAlert(() => server.nextMessage(), 'bad_record_mac');
    });

    it('handshake messages over the configured maximum are refused', () => {
      const c = layer({ maxHandshakeMessageLength: 1000 });
      c.receive(encodePlaintextRecord(22, handshakeMessage(11, 1001).subarray(0, 10)));
      expectAlert(() => c.nextMessage(), 'illegal_parameter');
    });
  });

  describe('compatibility ChangeCipherSpec (§5, App. D.4)', () => {
    const ccs = encodePlaintextRecord(20, new Uint8Array([1]));

    it('is reported and dropped while allowed, even under read keys', () => {
      const { client, server } = protectedPair();
      server.allowCompatCcs(true);
      client.writeHandshake(FIN);
      server.receive(concat(ccs, client.takeOutgoing()));
      expect(drain(server)).toEqual([{ kind: 'change_cipher_spec' }, { kind: 'handshake', message: FIN, encrypted: true }]);
    });

    it('is unexpected_message when not allowed', () => {
      const c = layer();
      c.receive(ccs);
      expectAlert(() => c.nextMessage(), 'unexpected_message');
    });

    it.each([[[2]], [[0]], [[1, 1]], [[1, 0]]])('a body of %j is unexpected_message', (body) => {
      const c = layer();
      c.allowCompatCcs(true);
      c.receive(encodePlaintextRecord(20, new Uint8Array(body)));
      expectAlert(() => c.nextMessage(), 'unexpected_message');
    });

    it('a protected change_cipher_spec is unexpected_message', () => {
      const { server } = protectedPair();
      server.allowCompatCcs(true);
      server.receive(sealRawInner(provider, AEAD, HS_C, new Uint8Array([1, 20])));
      expectAlert(() => server.nextMessage(), 'unexpected_message');
    });

    it('at most 4 per connection by default', () => {
      const c = layer();
      c.allowCompatCcs(true);
      for (let i = 0; i < 4; i++) {
        c.receive(ccs);
        expect(c.nextMessage()).toEqual({ kind: 'change_cipher_spec' });
      }
      c.receive(ccs);
      expectAlert(() => c.nextMessage(), 'unexpected_message');
    });

    it('is always written unprotected, after pending handshake data', () => {
      const { client } = protectedPair();
      client.writeHandshake(FIN);
      client.writeChangeCipherSpec();
      const recs = recordsOf(client.takeOutgoing());
      expect(recs.map((r) => r.type)).toEqual([23, 20]);
      expect(toHex(recs[1]!.raw)).toBe('1403030001' + '01');
    });
  });

  describe('empty records', () => {
    it('drops empty application data and padding-only records, up to 32 in a row', () => {
      const { server } = protectedPair();
      const sealer = new RecordSealer(provider, AEAD, HS_C);
      const empties = (n: number) => concat(...Array.from({ length: n }, (_, i) => sealer.seal(23, new Uint8Array(0), i % 3 ? 100 : 0)));
      server.receive(concat(empties(32), sealer.seal(23, new Uint8Array([7]))));
      expect(drain(server)).toEqual([{ kind: 'application_data', data: new Uint8Array([7]) }]);
      server.receive(empties(32));
      expect(drain(server)).toEqual([]);
      server.receive(empties(1));
      expectAlert(() => server.nextMessage(), 'unexpected_message');
    });

    it('the limit is configurable', () => {
      const { server } = protectedPair({ maxConsecutiveEmptyRecords: 0 });
      server.receive(new RecordSealer(provider, AEAD, HS_C).seal(23, new Uint8Array(0)));
      expectAlert(() => server.nextMessage(), 'unexpected_message');
    });
  });

  describe('early data rejection (§4.2.10)', () => {
    const EARLY = testKeys(AEAD, 9);

    it('skips records that fail to decrypt, up to the budget, until one decrypts', () => {
      const server = layer();
      server.setReadKeys(AEAD, HS_C);
      server.skipUndecryptable(1000);
      expect(server.skippingUndecryptable).toBe(true);
      const early = new RecordSealer(provider, AEAD, EARLY);
      const client = new RecordSealer(provider, AEAD, HS_C);
      server.receive(concat(early.seal(23, new Uint8Array(500)), early.seal(23, new Uint8Array(400)), client.seal(22, FIN)));
      expect(drain(server)).toEqual([{ kind: 'handshake', message: FIN, encrypted: true }]);
      expect(server.skippingUndecryptable).toBe(false);
      // Skipping is over: the next bad record is fatal.
      server.receive(early.seal(23, new Uint8Array(1)));
      expectAlert(() => server.nextMessage(), 'bad_record_mac');
    });

    it('more than the budget is bad_record_mac', () => {
      const server = layer();
      server.setReadKeys(AEAD, HS_C);
      server.skipUndecryptable(1000);
      const early = new RecordSealer(provider, AEAD, EARLY);
      // Each record is charged its ciphertext less tag and type: exactly its content here.
      server.receive(concat(early.seal(23, new Uint8Array(600)), early.seal(23, new Uint8Array(400))));
      expect(server.nextMessage()).toBeUndefined();
      expect(server.skippingUndecryptable).toBe(true);
      server.receive(early.seal(23, new Uint8Array(1)));
      expectAlert(() => server.nextMessage(), 'bad_record_mac');
    });

    it('after a HelloRetryRequest (no read keys): skips application_data records until the next ClientHello', () => {
      const server = layer();
      server.allowCompatCcs(true);
      server.skipUndecryptable(100);
      const early = new RecordSealer(provider, AEAD, EARLY);
      server.receive(
        concat(
          encodePlaintextRecord(20, new Uint8Array([1])),
          early.seal(23, new Uint8Array(50)),
          early.seal(23, new Uint8Array(50)),
          encodePlaintextRecord(22, CH),
          early.seal(23, new Uint8Array(1)),
        ),
      );
      expect(server.nextMessage()).toEqual({ kind: 'change_cipher_spec' });
      expect(hs(server.nextMessage())).toBe(toHex(CH));
      expectAlert(() => server.nextMessage(), 'unexpected_message');

      const greedy = layer();
      greedy.skipUndecryptable(100);
      greedy.receive(concat(early.seal(23, new Uint8Array(60)), early.seal(23, new Uint8Array(60))));
      expectAlert(() => greedy.nextMessage(), 'unexpected_message');
    });
  });

  describe('buffering', () => {
    it('refuses more input while a record is left unread, accepts it once drained', () => {
      const { client, server } = protectedPair();
      for (let i = 0; i < 3; i++) client.writeApplicationData(new Uint8Array(2 ** 14));
      const wire = client.takeOutgoing();
      // One big delivery is fine.
      server.receive(wire);
      expectAlert(() => server.receive(new Uint8Array([23])), 'internal_error');
      expect(drain(server).length).toBe(3);
      server.receive(new Uint8Array([23]));
      expect(server.bufferedBytes).toBe(1);
    });
  });

  it('keyUpdateDue turns true at the configured limit', () => {
    const { client } = protectedPair({ keyUsageLimit: 2n });
    expect(client.keyUpdateDue).toBe(false);
    client.writeApplicationData(new Uint8Array(2 ** 14 + 1));
    expect(client.keyUpdateDue).toBe(true);
    client.setWriteKeys(AEAD, AP_C);
    expect(client.keyUpdateDue).toBe(false);
    const per = protectedPair({ keyUsageLimit: (aead) => (aead === 'AES-128-GCM' ? 1n : 100n) });
    per.client.writeAlert(1, 0);
    expect(per.client.keyUpdateDue).toBe(true);
  });

  describe.each(AEADS)('property, %s', (aead) => {
    it('any mix of handshake messages, application data and alerts survives any transport chunking', () => {
      const item = fc.oneof(
        fc.record({ kind: fc.constant('hs' as const), type: fc.integer({ min: 1, max: 30 }), len: fc.integer({ min: 0, max: 40_000 }) }),
        fc.record({ kind: fc.constant('data' as const), len: fc.integer({ min: 0, max: 40_000 }) }),
        fc.record({ kind: fc.constant('alert' as const), desc: fc.integer({ min: 0, max: 255 }) }),
      );
      fc.assert(
        fc.property(
          fc.array(item, { minLength: 1, maxLength: 8 }),
          fc.array(fc.nat(), { maxLength: 40 }),
          fc.option(fc.integer({ min: 64, max: 2 ** 14 + 1 }), { nil: undefined }),
          fc.integer({ min: 0, max: 300 }),
          (items, cuts, limit, block) => {
            const options: RecordLayerOptions = block > 1 ? { padding: padToBlockSize(block) } : {};
            const a = new RecordLayer(provider, options);
            const b = new RecordLayer(provider, options);
            const keys = testKeys(aead, 5);
            a.setWriteKeys(aead, keys);
            b.setReadKeys(aead, keys);
            if (limit !== undefined) {
              a.setSendRecordSizeLimit(limit);
              b.setReceiveRecordSizeLimit(limit);
            }
            const expected: string[] = [];
            let pendingData = '';
            let seed = 0;
            for (const it of items) {
              if (it.kind === 'hs') {
                if (pendingData) expected.push(`data:${pendingData}`), (pendingData = '');
                const m = handshakeMessage(it.type, it.len, seed++ & 0xff);
                a.writeHandshake(m);
                expected.push(`hs:${toHex(m)}`);
              } else if (it.kind === 'data') {
                const d = new Uint8Array(it.len).fill(seed++ & 0xff);
                a.writeApplicationData(d);
                pendingData += toHex(d);
              } else {
                if (pendingData) expected.push(`data:${pendingData}`), (pendingData = '');
                a.writeAlert(2, it.desc);
                expected.push(`alert:${it.desc}`);
              }
            }
            if (pendingData) expected.push(`data:${pendingData}`);
            const got: string[] = [];
            let data = '';
            for (const piece of splitAt(a.takeOutgoing(), cuts)) {
              b.receive(piece);
              for (let r = b.nextMessage(); r; r = b.nextMessage()) {
                if (r.kind === 'application_data') {
                  data += toHex(r.data);
                  continue;
                }
                if (data) got.push(`data:${data}`), (data = '');
                if (r.kind === 'handshake') got.push(`hs:${toHex(r.message)}`);
                else if (r.kind === 'alert') got.push(`alert:${r.description}`);
              }
            }
            if (data) got.push(`data:${data}`);
            expect(got).toEqual(expected);
            expect(b.bufferedBytes).toBe(0);
          },
        ),
        { numRuns: 25 },
      );
    });
  });
});
