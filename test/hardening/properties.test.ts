/**
 * Stateful property tests of both endpoints against hostile and merely
 * unusual input (issue 8, part 1).
 *
 * Victims are fresh connections of a deterministic scenario (full, HRR by
 * group, HRR by cookie, client auth, resumption, 0-RTT) fed the recorded
 * bytes of the genuine peer: unchanged, legitimately re-fragmented,
 * coalesced and re-chunked (must still succeed, byte for byte), or mutated
 * (bit flips, truncation, duplication, deletion, reordering, injected
 * records), plus random message sequences and random bytes. After every
 * receive() the invariants of invariants.ts are checked; where RFC 8446
 * fixes the alert (a protected record altered, replayed, dropped or
 * reordered is bad_record_mac: §5.2, §5.3) the test asserts it exactly.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { ClientConnection, ServerConnection } from '../../src/connection.js';
import { ContentType } from '../../src/registry.js';
import { encodeHandshake } from '../../src/wire/index.js';
import { anyMessage } from '../wire/arbitraries.js';
import { attack } from './invariants.js';
import { CLIENT_MESSAGE, SCENARIOS, SERVER_MESSAGE, SERVER_NAME, type ScenarioName, scenarioConfigs, shuttle } from './scenarios.js';
import { chop, concat, mutate, plaintextRecord, refragmentHandshakeRecords, splitRecords, type Mutation } from './streams.js';
import { type Recorded, type Side, expectationsFor, inputFor, recordAll, replay, victim } from './victims.js';

/** More runs for a long local session: TLS13_HARDENING_RUNS=10 multiplies every numRuns by 10. */
const FACTOR = Math.max(1, Number(process.env.TLS13_HARDENING_RUNS ?? 1));
const runs = (n: number): number => Math.round(n * FACTOR);
vi.setConfig({ testTimeout: 60_000 * FACTOR });

let recorded: Map<ScenarioName, Recorded>;
beforeAll(() => {
  recorded = recordAll();
});

const rec = (name: ScenarioName): Recorded => recorded.get(name)!;
const scenario = fc.constantFrom(...SCENARIOS);
const side = fc.constantFrom<Side>('server', 'client');

describe('replays of genuine transcripts', () => {
  for (const name of SCENARIOS) {
    for (const s of ['server', 'client'] as const) {
      it(`${name}: the ${s} completes from the recorded bytes, delivered whole or a byte at a time`, () => {
        const r = rec(name);
        const input = inputFor(r, s);
        for (const chunks of [[input], chop(input, [1])]) {
          const out = replay(r, s, chunks);
          expect(out.error).toBeUndefined();
          expect(out.completed).toBe(true);
          expect(out.data).toEqual(s === 'server' ? CLIENT_MESSAGE : SERVER_MESSAGE);
          expect(out.early.length).toBe(name === 'earlyData' && s === 'server' ? r.configs.early!.length : 0);
        }
      });
    }
  }
});

describe('legitimate re-fragmentation and coalescing', () => {
  it('any re-cut of unprotected handshake records, delivered in any chunks, completes identically', () => {
    fc.assert(
      fc.property(
        scenario,
        side,
        fc.array(fc.integer({ min: 1, max: 600 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 2000 }), { minLength: 1, maxLength: 8 }),
        (name, s, recordSizes, chunkSizes) => {
          const r = rec(name);
          let k = 0;
          const stream = refragmentHandshakeRecords(inputFor(r, s), () => recordSizes[k++ % recordSizes.length]!);
          const out = replay(r, s, chop(stream, chunkSizes));
          expect(out.error).toBeUndefined();
          expect(out.completed).toBe(true);
          expect(out.data).toEqual(s === 'server' ? CLIENT_MESSAGE : SERVER_MESSAGE);
        },
      ),
      { numRuns: runs(60) },
    );
  });

  it('a live pair with tiny record_size_limits and random padding (protected records cut small) completes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 64, max: 700 }),
        fc.integer({ min: 64, max: 700 }),
        fc.integer({ min: 0, max: 40 }),
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 4 }),
        (clientLimit, serverLimit, pad, chunkSizes) => {
          const configs = scenarioConfigs('full', {
            client: { recordSizeLimit: clientLimit, padding: (n) => Math.min(pad, Math.max(0, clientLimit - 1 - n)) },
            server: { recordSizeLimit: serverLimit, padding: (n) => Math.min(pad, Math.max(0, serverLimit - 1 - n)) },
          });
          const client = new ClientConnection(configs.client, { serverName: SERVER_NAME });
          const server = new ServerConnection(configs.server);
          // Drive by hand so each transfer goes in arbitrary pieces.
          for (let round = 0; round < 16; round++) {
            const up = client.takeOutgoing();
            for (const c of chop(up, chunkSizes)) server.receive(c);
            const down = server.takeOutgoing();
            for (const c of chop(down, chunkSizes)) client.receive(c);
            if (up.length === 0 && down.length === 0) break;
          }
          const big = Uint8Array.from({ length: 3000 }, (_, i) => i & 0xff);
          client.write(big);
          shuttle(client, server);
          const got = server.events().filter((e) => e.type === 'data');
          expect(client.error ?? server.error).toBeUndefined();
          expect(concat(got.map((e) => (e.type === 'data' ? e.bytes : new Uint8Array())))).toEqual(big);
        },
      ),
      { numRuns: runs(12) },
    );
  });
});

// ----------------------------------------------------------------- mutations

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), record: fc.nat() }),
  fc.record({ kind: fc.constant('drop' as const), record: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({
    kind: fc.constant('inject' as const),
    record: fc.nat(),
    type: fc.constantFrom(ContentType.handshake, ContentType.alert, ContentType.change_cipher_spec, ContentType.application_data, 0, 24, 255),
    body: fc.uint8Array({ minLength: 0, maxLength: 64 }),
  }),
);

describe('mutated transcripts', () => {
  it('one mutation: invariants hold, and tampering with protected records is bad_record_mac (§5.2)', () => {
    fc.assert(
      fc.property(scenario, side, mutation, fc.array(fc.integer({ min: 1, max: 1500 }), { minLength: 1, maxLength: 4 }), (name, s, m, sizes) => {
        const r = rec(name);
        const input = inputFor(r, s);
        const mutated = mutate(input, m);
        const out = replay(r, s, chop(mutated.stream, sizes));
        const records = splitRecords(input);
        const isLast = mutated.index !== undefined && mutated.index === records.length - 1;
        const protectedOnly = mutated.touched.length > 0 && mutated.touched.every((t) => t === 'protected');
        if (m.kind === 'truncate') {
          // A shorter stream only makes the victim wait.
          expect(out.error).toBeUndefined();
        } else if (m.kind === 'flip' && mutated.where === 'body' && protectedOnly) {
          expect(out.error?.alert).toBe('bad_record_mac');
        } else if ((m.kind === 'duplicate' || m.kind === 'drop') && protectedOnly && !isLast) {
          // A replayed or missing record shifts the sequence number (§5.3).
          expect(out.error?.alert).toBe('bad_record_mac');
        } else if (m.kind === 'swap' && protectedOnly && !mutated.noop) {
          expect(out.error?.alert).toBe('bad_record_mac');
        }
      }),
      { numRuns: runs(150) },
    );
  });

  it('several mutations at once: invariants hold', () => {
    fc.assert(
      fc.property(scenario, side, fc.array(mutation, { minLength: 2, maxLength: 5 }), (name, s, ms) => {
        const r = rec(name);
        let stream = inputFor(r, s);
        for (const m of ms) if (stream.length > 0) stream = mutate(stream, m).stream;
        replay(r, s, [stream]);
      }),
      { numRuns: runs(80) },
    );
  });
});

describe('every protected record, tampered with', () => {
  for (const name of SCENARIOS) {
    for (const s of ['server', 'client'] as const) {
      it(`${name}: a flipped ciphertext or tag bit in any protected record the ${s} reads is bad_record_mac`, () => {
        const r = rec(name);
        const input = inputFor(r, s);
        const records = splitRecords(input).filter((x) => x.type === ContentType.application_data);
        expect(records.length).toBeGreaterThan(0);
        for (const record of records) {
          for (const at of [record.start + 5, record.start + record.raw.length - 1]) {
            const out = replay(r, s, [mutate(input, { kind: 'flip', at, bit: 0 }).stream]);
            expect(out.error?.alert, `record at ${record.start}, byte ${at}`).toBe('bad_record_mac');
          }
        }
      });
    }
  }
});

// ------------------------------------------------------- random sequences

const recordOf = (type: number, body: Uint8Array): Uint8Array => plaintextRecord(type, body.subarray(0, 2 ** 14));

const randomRecord: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 5, arbitrary: anyMessage.map((m) => recordOf(ContentType.handshake, encodeHandshake(m))) },
  { weight: 1, arbitrary: fc.constant(plaintextRecord(ContentType.change_cipher_spec, Uint8Array.of(1))) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 255 })).map(([l, d]) => recordOf(ContentType.alert, Uint8Array.of(l, d))) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 0, maxLength: 80 }).map((b) => recordOf(ContentType.application_data, b)) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 40 }) },
);

describe('random message sequences', () => {
  it('a fresh server fed random messages, records and bytes', () => {
    fc.assert(
      fc.property(fc.array(randomRecord, { minLength: 1, maxLength: 6 }), fc.array(fc.integer({ min: 1, max: 500 }), { minLength: 1, maxLength: 3 }), (recs, sizes) => {
        const out = attack(victim(rec('full'), 'server'), chop(concat(recs), sizes), expectationsFor(rec('full'), 'server'));
        expect(out.completed).toBe(false);
      }),
      { numRuns: runs(150) },
    );
  });

  it('a client after its ClientHello fed random messages, records and bytes', () => {
    fc.assert(
      fc.property(scenario, fc.array(randomRecord, { minLength: 1, maxLength: 6 }), (name, recs) => {
        const out = attack(victim(rec(name), 'client'), [concat(recs)], expectationsFor(rec(name), 'client'));
        expect(out.completed).toBe(false);
      }),
      { numRuns: runs(150) },
    );
  });

  it('the genuine peer up to a random record, then random records', () => {
    fc.assert(
      fc.property(scenario, side, fc.nat(), fc.array(randomRecord, { minLength: 1, maxLength: 4 }), (name, s, cut, recs) => {
        const r = rec(name);
        const records = splitRecords(inputFor(r, s));
        const prefix = records.slice(0, cut % (records.length + 1)).map((x) => x.raw);
        replay(r, s, [concat(prefix), concat(recs)]);
      }),
      { numRuns: runs(100) },
    );
  });

  it('the right messages in a random order', () => {
    fc.assert(
      fc.property(scenario, side, fc.array(fc.nat(), { minLength: 2, maxLength: 12 }), (name, s, order) => {
        const r = rec(name);
        const records = splitRecords(inputFor(r, s)).map((x) => x.raw);
        const shuffled = records.slice();
        for (let i = 0; i < order.length; i++) {
          const a = i % shuffled.length;
          const b = order[i]! % shuffled.length;
          [shuffled[a], shuffled[b]] = [shuffled[b]!, shuffled[a]!];
        }
        replay(r, s, [concat(shuffled)]);
      }),
      { numRuns: runs(80) },
    );
  });
});
