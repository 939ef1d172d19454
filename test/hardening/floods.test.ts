/**
 * Floods (issue 8, parts 2 and 4): KeyUpdates, warning alerts and
 * post-handshake NewSessionTickets are bounded (each at its boundary here);
 * undrained application data and ClientHellos with thousands of extensions
 * or huge key shares are bounded only by the other limits, and each test
 * prints what the flood costs.
 */
import { describe, expect, it } from 'vitest';
import { ClientConnection } from '../../src/connection.js';
import { MAX_TICKETS_PER_CONNECTION } from '../../src/handshake/client.js';
import { MAX_KEY_UPDATES_WITHOUT_DATA } from '../../src/handshake/common.js';
import { AlertDescription, AlertLevel, ContentType, NamedGroup } from '../../src/registry.js';
import { MAX_EXTENSIONS, decodeHandshake, encodeHandshake, type ClientHello, type HandshakeMessage } from '../../src/wire/index.js';
import { clientForger, connected, milliseconds, ofType } from './helpers.js';
import { attack } from './invariants.js';
import { SERVER_NAME, scenarioConfigs, scenarioServer } from './scenarios.js';
import { concat, plaintextRecord, splitRecords } from './streams.js';

function report(what: string, n: number, ms: number, extra = ''): void {
  console.log(`flood: ${what}: ${n} in ${ms.toFixed(0)} ms (${((ms * 1000) / n).toFixed(1)} µs each)${extra ? `; ${extra}` : ''}`);
}

function genuineHello(): ClientHello {
  const configs = scenarioConfigs('full');
  configs.clientRandom.rewind();
  const client = new ClientConnection(configs.client, { serverName: SERVER_NAME });
  const records = splitRecords(client.takeOutgoing()).filter((r) => r.type === ContentType.handshake);
  return decodeHandshake(concat(records.map((r) => r.raw.subarray(5)))) as ClientHello;
}

function recordsOf(message: HandshakeMessage): Uint8Array {
  const bytes = encodeHandshake(message);
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += 2 ** 14) out.push(plaintextRecord(ContentType.handshake, bytes.subarray(at, at + 2 ** 14)));
  return concat(out);
}

describe('post-handshake floods, bounded', () => {
  it(`KeyUpdate flood: ${MAX_KEY_UPDATES_WITHOUT_DATA} in a row are answered 1:1; one more is unexpected_message`, () => {
    const N = MAX_KEY_UPDATES_WITHOUT_DATA;
    const pair = connected('full');
    const forge = clientForger(pair);
    const flood = concat(Array.from({ length: N }, () => forge.keyUpdate(true)));
    const ms = milliseconds(() => pair.server.receive(flood));
    expect(pair.server.error).toBeUndefined();
    const answers = splitRecords(pair.server.takeOutgoing());
    report('KeyUpdate(update_requested) received by a server', N, ms, `${answers.length} KeyUpdate records sent back`);
    expect(answers.length).toBe(N);
    // Application data in between resets the count: a long-lived connection may update forever.
    pair.server.receive(forge.seal(ContentType.application_data, Uint8Array.of(7)));
    expect(ofType(pair.server.events(), 'data').map((e) => [...e.bytes])).toEqual([[7]]);
    pair.server.receive(concat(Array.from({ length: N }, () => forge.keyUpdate(false))));
    expect(pair.server.error).toBeUndefined();
    pair.server.receive(forge.keyUpdate(false));
    expect(`${pair.server.error?.side} ${pair.server.error?.alert}`).toBe('local unexpected_message');
  });

  it('user_canceled warning flood: 16 in a row are events; the 17th is unexpected_message', () => {
    const pair = connected('full');
    const forge = clientForger(pair);
    pair.server.receive(concat(Array.from({ length: 16 }, () => forge.alert(AlertLevel.warning, AlertDescription.user_canceled))));
    expect(pair.server.error).toBeUndefined();
    expect(ofType(pair.server.events(), 'alert').length).toBe(16);
    pair.server.receive(forge.seal(ContentType.application_data, Uint8Array.of(1)));
    pair.server.receive(concat(Array.from({ length: 16 }, () => forge.alert(AlertLevel.warning, AlertDescription.user_canceled))));
    expect(pair.server.error).toBeUndefined();
    pair.server.receive(forge.alert(AlertLevel.warning, AlertDescription.user_canceled));
    expect(`${pair.server.error?.side} ${pair.server.error?.alert}`).toBe('local unexpected_message');
  });

  it('any other warning-level alert is fatal (§6: all alerts but close_notify and user_canceled)', () => {
    const pair = connected('full');
    const forge = clientForger(pair);
    pair.server.receive(forge.alert(AlertLevel.warning, AlertDescription.bad_certificate));
    expect(`${pair.server.error?.side} ${pair.server.error?.alert}`).toBe('remote bad_certificate');
  });

  it(`NewSessionTicket flood: the client keeps ${MAX_TICKETS_PER_CONNECTION} and ignores the rest without failing`, () => {
    const N = 1000;
    const pair = connected('full', { client: { sessionCache: undefined } });
    const fromHandshake = ofType(pair.clientEvents, 'ticket').length;
    pair.clientEvents.length = 0;
    const ms = milliseconds(() => {
      pair.server.sendTickets(N);
      pair.pump();
    });
    expect(pair.client.error).toBeUndefined();
    expect(ofType(pair.clientEvents, 'ticket').length).toBe(MAX_TICKETS_PER_CONNECTION - fromHandshake);
    report('NewSessionTickets sent and received', N, ms);
  });

  it('decrypted data waiting for events() is bounded: past 4 MiB input waits, events() resumes, a reader that never reads fails', () => {
    const pair = connected('full');
    const forge = clientForger(pair);
    const chunk = new Uint8Array(16_384);
    const queuedNow = () => ofType(pair.server.events(), 'data').reduce((n, e) => n + e.bytes.length, 0);
    // 6 MiB sent while nobody reads: 4 MiB are decrypted, the rest waits as input.
    for (let i = 0; i < 384; i++) pair.server.receive(forge.seal(ContentType.application_data, chunk));
    expect(pair.server.error).toBeUndefined();
    expect(queuedNow()).toBe(4 * 1024 * 1024); // taking them lets the rest through...
    expect(queuedNow()).toBe(2 * 1024 * 1024);
    // ...but a reader that never takes events() cannot make us hold the stream.
    for (let i = 0; i < 600 && !pair.server.error; i++) pair.server.receive(forge.seal(ContentType.application_data, chunk));
    expect(pair.server.error?.alert).toBe('internal_error');
    expect(pair.server.error?.message).toMatch(/take events\(\)/);
  });
});

describe('hostile ClientHellos', () => {
  it(`extensions per block: ${MAX_EXTENSIONS} are answered normally; one more, or thousands, is illegal_parameter at once`, () => {
    const hello = genuineHello();
    const withJunk = (n: number): ClientHello => ({
      ...hello,
      extensions: [...Array.from({ length: n }, (_, i) => ({ type: 'unknown' as const, code: 0x4000 + i, data: new Uint8Array(0) })), ...hello.extensions],
    });
    const room = MAX_EXTENSIONS - hello.extensions.length;
    const atLimit = attack(scenarioServer(scenarioConfigs('full')), [recordsOf(withJunk(room))]);
    expect(atLimit.error).toBeUndefined();
    expect(atLimit.outgoing).toBeGreaterThan(0);
    const over = attack(scenarioServer(scenarioConfigs('full')), [recordsOf(withJunk(room + 1))]);
    expect(over.error?.alert).toBe('illegal_parameter');
    const count = 15_000;
    const input = recordsOf(withJunk(count));
    let out: ReturnType<typeof attack> | undefined;
    const ms = milliseconds(() => {
      out = attack(scenarioServer(scenarioConfigs('full')), [input]);
    });
    expect(out!.error?.alert).toBe('illegal_parameter');
    report('unknown extensions in one ClientHello', count, ms, `${input.length} B`);
    expect(ms).toBeLessThan(5000);
  });

  it('a duplicated extension among many is illegal_parameter (§4.2)', () => {
    const hello = genuineHello();
    const junk = Array.from({ length: 100 }, (_, i) => ({ type: 'unknown' as const, code: 0x4000 + i, data: new Uint8Array(0) }));
    const bytes = encodeHandshake({ ...hello, extensions: [...junk, ...hello.extensions] });
    // Re-encode by hand with the first junk extension repeated at the end of the block (the encoder refuses duplicates).
    const dup = Uint8Array.of(0x40, 0x00, 0, 0);
    const withDup = concat([bytes.subarray(0, bytes.length), dup]);
    const bodyLength = withDup.length - 4;
    withDup.set([bodyLength >> 16, (bodyLength >> 8) & 0xff, bodyLength & 0xff], 1);
    // Fix the extensions block length: it is the last vector of the ClientHello body.
    const extLengthAt = findExtensionsLengthOffset(hello);
    const extLength = ((withDup[extLengthAt]! << 8) | withDup[extLengthAt + 1]!) + 4;
    withDup.set([extLength >> 8, extLength & 0xff], extLengthAt);
    const out = attack(scenarioServer(scenarioConfigs('full')), [recordsOfBytes(withDup)]);
    expect(`${out.error?.side} ${out.error?.alert}`).toBe('local illegal_parameter');
  });

  it('huge key shares: a 60 000-byte share for x25519 is illegal_parameter; for an unknown group it is ignored', () => {
    const hello = genuineHello();
    const withShares = (shares: { group: number; keyExchange: Uint8Array }[], groups: number[]): ClientHello => ({
      ...hello,
      extensions: hello.extensions.map((e) => {
        if (e.type === 'key_share' && 'clientShares' in e) return { ...e, clientShares: shares };
        if (e.type === 'supported_groups') return { ...e, groups };
        return e;
      }),
    });
    const bad = withShares([{ group: NamedGroup.x25519, keyExchange: new Uint8Array(60_000).fill(1) }], [NamedGroup.x25519]);
    let out: ReturnType<typeof attack> | undefined;
    let ms = milliseconds(() => {
      out = attack(scenarioServer(scenarioConfigs('full')), [recordsOf(bad)]);
    });
    expect(`${out!.error?.side} ${out!.error?.alert}`).toBe('local illegal_parameter');
    report('60 000-byte x25519 share', 1, ms);
    const genuine = hello.extensions.find((e) => e.type === 'key_share' && 'clientShares' in e) as { readonly clientShares: readonly { group: number; keyExchange: Uint8Array }[] };
    const ignored = withShares(
      [{ group: 0x7777, keyExchange: new Uint8Array(60_000).fill(2) }, ...genuine.clientShares],
      [0x7777, NamedGroup.x25519, NamedGroup.secp256r1],
    );
    ms = milliseconds(() => {
      out = attack(scenarioServer(scenarioConfigs('full')), [recordsOf(ignored)]);
    });
    expect(out!.error).toBeUndefined();
    expect(out!.outgoing).toBeGreaterThan(0);
    report('60 000-byte share of an unknown group next to a good one', 1, ms);
  });
});

function recordsOfBytes(bytes: Uint8Array): Uint8Array {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += 2 ** 14) out.push(plaintextRecord(ContentType.handshake, bytes.subarray(at, at + 2 ** 14)));
  return concat(out);
}

/** Offset of the extensions<8..2^16-1> length in an encoded ClientHello (§4.1.2). */
function findExtensionsLengthOffset(hello: ClientHello): number {
  return 4 + 2 + 32 + 1 + hello.legacySessionId.length + 2 + hello.cipherSuites.length * 2 + 1 + hello.legacyCompressionMethods.length;
}
