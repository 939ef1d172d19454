/**
 * Every resource limit the library has today, tested at its boundary: just
 * under passes, just over fails with the named alert (issue 8, part 2).
 *
 * | limit | default | over it |
 * |---|---|---|
 * | handshake message body (config maxHandshakeMessageSize) | 65 536 B | illegal_parameter, from the 4-byte header |
 * | TLSPlaintext fragment / TLSCiphertext fragment (§5.1, §5.2) | 2^14 / 2^14+256 | record_overflow, from the 5-byte header |
 * | consecutive records without content (empty, padding-only, CCS) | 32 | unexpected_message |
 * | compatibility ChangeCipherSpec records per connection | 4 | unexpected_message |
 * | input queued while a hook or async crypto is pending | 4 MiB | internal_error |
 * | application data written before the handshake completes | 4 MiB | write() throws internal_error |
 * | 0-RTT data accepted (config maxEarlyData, §4.2.10) | 0 (off) | unexpected_message |
 * | 0-RTT data skipped after rejecting it (§4.2.10) | max(maxEarlyData, 16 384) | bad_record_mac |
 * | ticket in NewSessionTicket (64 KiB message less 15 bytes) | 65 521 B | illegal_parameter |
 * | PSK identities tried per ClientHello | 4 | (later ones ignored: full handshake) |
 * | certificate chain length (verifyChain) | 10 | unknown_ca |
 * | 0-RTT anti-replay store (MemoryReplayCache) | 100 000 tickets | fails closed: 0-RTT refused |
 * | client session cache (LruSessionCache) | 64 names x 4 tickets | oldest evicted |
 */
import { describe, expect, it } from 'vitest';
import { ClientConnection, ServerConnection } from '../../src/connection.js';
import { nobleCrypto } from '../../src/crypto/noble.js';
import { MemoryReplayCache } from '../../src/handshake/antiReplay.js';
import { LruSessionCache, type ClientSession } from '../../src/handshake/sessions.js';
import { TLSError } from '../../src/errors.js';
import { ContentType } from '../../src/registry.js';
import { decodeHandshake, encodeHandshake, type ClientHello, type HandshakeMessage } from '../../src/wire/index.js';
import { createCertificate, generatePrivateKey, parseCertificate, publicKeyFromPrivateKey, verifyChain, X509VerificationError } from '../../src/x509/index.js';
import { clientForger, connected, ofType } from './helpers.js';
import { attack } from './invariants.js';
import { FIXED_TIME, SERVER_NAME, scenarioConfigs, scenarioServer, sessionFor } from './scenarios.js';
import { concat, plaintextRecord, splitRecords } from './streams.js';

const CCS = plaintextRecord(ContentType.change_cipher_spec, Uint8Array.of(1));

/** Handshake bytes cut into plaintext records of at most 2^14 bytes. */
function handshakeRecords(message: Uint8Array): Uint8Array {
  const out: Uint8Array[] = [];
  for (let at = 0; at < message.length; at += 2 ** 14) out.push(plaintextRecord(ContentType.handshake, message.subarray(at, at + 2 ** 14)));
  return concat(out);
}

/** The first ClientHello of a fresh client of a scenario (full by default). */
function genuineClientHello(client: ClientConnection): ClientHello {
  const records = splitRecords(client.takeOutgoing()).filter((r) => r.type === ContentType.handshake);
  return decodeHandshake(concat(records.map((r) => r.raw.subarray(5)))) as ClientHello;
}

function fullClient(): ClientConnection {
  const configs = scenarioConfigs('full');
  configs.clientRandom.rewind();
  return new ClientConnection(configs.client, { serverName: SERVER_NAME });
}

/** A ClientHello whose body is exactly `bodyLength` bytes, padded with an unknown extension. */
function clientHelloOfSize(bodyLength: number): Uint8Array {
  const hello = genuineClientHello(fullClient());
  const base = encodeHandshake(hello).length - 4;
  const pad = bodyLength - base - 4;
  if (pad < 0) throw new Error('the genuine ClientHello is already larger');
  const padded: ClientHello = { ...hello, extensions: [{ type: 'unknown', code: 0xfe01, data: new Uint8Array(pad) }, ...hello.extensions] };
  const bytes = encodeHandshake(padded);
  expect(bytes.length - 4).toBe(bodyLength);
  return bytes;
}

function expectAlert(error: TLSError | undefined, alert: string): void {
  expect(error, `expected ${alert}`).toBeInstanceOf(TLSError);
  expect(`${error!.side} ${error!.alert}`).toBe(`local ${alert}`);
}

describe('record layer', () => {
  it('handshake message size: a 65 536-byte ClientHello is processed, 65 537 is illegal_parameter', () => {
    const ok = attack(scenarioServer(scenarioConfigs('full')), [handshakeRecords(clientHelloOfSize(65_536))]);
    expect(ok.error).toBeUndefined();
    expect(ok.outgoing).toBeGreaterThan(0); // ServerHello … Finished went out
    const over = attack(scenarioServer(scenarioConfigs('full')), [handshakeRecords(clientHelloOfSize(65_537))]);
    expectAlert(over.error, 'illegal_parameter');
  });

  it('an oversized handshake length is refused from its 4-byte header, before any body is buffered', () => {
    const server = scenarioServer(scenarioConfigs('full'));
    const out = attack(server, [plaintextRecord(ContentType.handshake, Uint8Array.of(1, 0x01, 0x00, 0x01))]);
    expectAlert(out.error, 'illegal_parameter');
  });

  it('maxHandshakeMessageSize is configurable', () => {
    const hello = clientHelloOfSize(2000);
    const strict = scenarioConfigs('full', { server: { maxHandshakeMessageSize: 1999 } });
    expectAlert(attack(scenarioServer(strict), [handshakeRecords(hello)]).error, 'illegal_parameter');
    const exact = scenarioConfigs('full', { server: { maxHandshakeMessageSize: 2000 } });
    expect(attack(scenarioServer(exact), [handshakeRecords(hello)]).error).toBeUndefined();
  });

  it('record length: a 2^14-byte plaintext record is buffered, 2^14 + 1 is record_overflow from the header', () => {
    const header = (n: number): Uint8Array => Uint8Array.of(ContentType.handshake, 3, 3, n >> 8, n & 0xff, 1, 0, 0);
    expect(attack(scenarioServer(scenarioConfigs('full')), [header(2 ** 14)]).error).toBeUndefined();
    expectAlert(attack(scenarioServer(scenarioConfigs('full')), [header(2 ** 14 + 1)]).error, 'record_overflow');
  });

  it('record length: a 2^14 + 256-byte ciphertext is read, 2^14 + 257 is record_overflow', () => {
    const header = (n: number): Uint8Array => Uint8Array.of(ContentType.application_data, 3, 3, n >> 8, n & 0xff);
    const under = connected('full');
    under.server.receive(header(2 ** 14 + 256));
    expect(under.server.error).toBeUndefined();
    under.server.receive(new Uint8Array(2 ** 14 + 256)); // the body: not authentic
    expectAlert(under.server.error, 'bad_record_mac');
    const over = connected('full');
    over.server.receive(header(2 ** 14 + 257));
    expectAlert(over.server.error, 'record_overflow');
  });

  it('records without content: 32 in a row are accepted, the 33rd is unexpected_message; content resets the count', () => {
    const pair = connected('full');
    const forge = clientForger(pair);
    const empty = (): Uint8Array => forge.seal(ContentType.application_data, new Uint8Array(0), 0);
    const paddingOnly = (): Uint8Array => forge.seal(ContentType.application_data, new Uint8Array(0), 200);
    for (let i = 0; i < 32; i++) pair.server.receive(i % 2 ? empty() : paddingOnly());
    expect(pair.server.error).toBeUndefined();
    pair.server.receive(forge.seal(ContentType.application_data, Uint8Array.of(42)));
    expect(ofType(pair.server.events(), 'data').map((e) => [...e.bytes])).toEqual([[42]]);
    for (let i = 0; i < 32; i++) pair.server.receive(empty());
    expect(pair.server.error).toBeUndefined();
    pair.server.receive(empty());
    expectAlert(pair.server.error, 'unexpected_message');
  });

  it('compatibility ChangeCipherSpec: 4 are dropped, the 5th is unexpected_message', () => {
    const hello = handshakeRecords(encodeHandshake(genuineClientHello(fullClient())));
    const four = attack(scenarioServer(scenarioConfigs('full')), [hello, CCS, CCS, CCS, CCS]);
    expect(four.error).toBeUndefined();
    const five = attack(scenarioServer(scenarioConfigs('full')), [hello, CCS, CCS, CCS, CCS, CCS]);
    expectAlert(five.error, 'unexpected_message');
  });
});

describe('connection', () => {
  it('input queued while a hook is pending: 4 MiB is kept, one byte more is internal_error', () => {
    let release: (v: undefined) => void = () => {};
    const configs = scenarioConfigs('full', { server: { getCertificate: () => new Promise((resolve) => (release = resolve)) } });
    const server = scenarioServer(configs);
    server.receive(handshakeRecords(encodeHandshake(genuineClientHello(fullClient()))));
    const mib = new Uint8Array(1024 * 1024);
    for (let i = 0; i < 4; i++) server.receive(mib);
    expect(server.error).toBeUndefined();
    server.receive(Uint8Array.of(0));
    expectAlert(server.error, 'internal_error');
    release(undefined);
  });

  it('application data written before the handshake: 4 MiB is kept, one byte more throws', () => {
    const client = fullClient();
    client.write(new Uint8Array(4 * 1024 * 1024));
    expect(() => client.write(Uint8Array.of(1))).toThrow(TLSError);
    // Refusing the write does not break the connection.
    expect(client.error).toBeUndefined();
  });

  it('0-RTT: max_early_data_size bytes are accepted, one more is unexpected_message (§4.2.10)', () => {
    const server = { maxEarlyData: 100 };
    const session = sessionFor(scenarioConfigs('earlyData', { server }));
    expect(session.maxEarlyData).toBe(100);
    const exact = connected('earlyData', { server, session, early: new Uint8Array(100).fill(7) });
    expect(exact.server.error).toBeUndefined();
    expect(ofType(exact.serverEvents, 'data').filter((e) => e.early).reduce((n, e) => n + e.bytes.length, 0)).toBe(100);
    // A client that ignores the ticket's limit.
    const greedy: ClientSession = { ...session, maxEarlyData: 101 };
    const over = connected('earlyData', { server, session: greedy, early: new Uint8Array(101).fill(7) });
    expectAlert(over.server.error, 'unexpected_message');
    expect(ofType(over.serverEvents, 'data')).toEqual([]);
  });

  it('rejected 0-RTT: up to 16 384 bytes are skipped, one more is bad_record_mac (§4.2.10)', () => {
    const server = { maxEarlyData: 100, antiReplay: { firstUse: () => false } };
    const session = sessionFor(scenarioConfigs('earlyData', { server }));
    const run = (n: number): ReturnType<typeof connected> =>
      connected('earlyData', { server, session: { ...session, maxEarlyData: n }, early: new Uint8Array(n).fill(1) });
    const exact = run(16_384);
    expect(exact.server.error).toBeUndefined();
    expect(exact.server.state.earlyDataAccepted).toBe(false);
    expect(exact.server.handshakeComplete).toBe(true);
    expectAlert(run(16_385).server.error, 'bad_record_mac');
  });

  it('ticket size: the largest ticket a 64 KiB NewSessionTicket can hold is kept, one byte more is illegal_parameter', () => {
    // body = lifetime 4 + age_add 4 + nonce 1+2 + ticket 2+T + extensions 2 = T + 15.
    const run = (size: number): ReturnType<typeof connected> =>
      connected('full', { server: { maxEarlyData: 0, ticketCount: 1, wrapSession: () => new Uint8Array(size).fill(9) } });
    const ok = run(65_521);
    expect(ok.client.error).toBeUndefined();
    expect(ofType(ok.clientEvents, 'ticket')[0]!.session.ticket.length).toBe(65_521);
    expectAlert(run(65_522).client.error, 'illegal_parameter');
  });

  it('PSK identities: the server opens at most 4 tickets per ClientHello', () => {
    const configs = scenarioConfigs('resume');
    const session = sessionFor(configs);
    configs.clientRandom.rewind();
    const hello = genuineClientHello(new ClientConnection(configs.client, { serverName: SERVER_NAME, session }));
    const psk = hello.extensions.find((e) => e.type === 'pre_shared_key');
    if (!psk || !('identities' in psk)) throw new Error('no pre_shared_key offered');
    const many: ClientHello = {
      ...hello,
      extensions: hello.extensions.map((e) =>
        e.type === 'pre_shared_key' ? { ...psk, identities: Array(6).fill(psk.identities[0]), binders: Array(6).fill(psk.binders[0]) } : e,
      ),
    };
    let opened = 0;
    const server = scenarioServer(
      scenarioConfigs('resume', {
        server: {
          unwrapSession: () => {
            opened++;
            return undefined;
          },
        },
      }),
    );
    const out = attack(server, [handshakeRecords(encodeHandshake(many as HandshakeMessage))]);
    expect(out.error).toBeUndefined();
    expect(opened).toBe(4);
    expect(server.state.resumed).toBe(false);
  });
});

describe('certificates and caches', () => {
  async function chainOf(length: number): Promise<{ leaf: Uint8Array; intermediates: Uint8Array[]; root: Uint8Array }> {
    const notBefore = new Date(FIXED_TIME - 86_400_000);
    const notAfter = new Date(FIXED_TIME + 86_400_000);
    const keys = Array.from({ length }, () => generatePrivateKey('Ed25519', nobleCrypto.random));
    const root = await createCertificate({
      subject: 'root',
      issuerKey: keys[0]!,
      publicKey: publicKeyFromPrivateKey(keys[0]!),
      notBefore,
      notAfter,
      usage: 'ca',
      provider: nobleCrypto,
    });
    const certs = [root];
    for (let i = 1; i < length; i++) {
      const leaf = i === length - 1;
      certs.push(
        await createCertificate({
          subject: leaf ? 'leaf' : `ca ${i}`,
          issuer: certs[i - 1]!,
          issuerKey: keys[i - 1]!,
          publicKey: publicKeyFromPrivateKey(keys[i]!),
          notBefore,
          notAfter,
          usage: leaf ? 'server' : 'ca',
          ...(leaf ? { dnsNames: ['localhost'] } : {}),
          provider: nobleCrypto,
        }),
      );
    }
    return { root, intermediates: certs.slice(1, -1).reverse(), leaf: certs[length - 1]! };
  }

  it('chain length: 10 certificates (leaf and root included) verify, 11 are unknown_ca', async () => {
    const verify = async (length: number): Promise<unknown> => {
      const c = await chainOf(length);
      return verifyChain({
        leaf: c.leaf,
        intermediates: c.intermediates,
        roots: [parseCertificate(c.root)],
        now: new Date(FIXED_TIME),
        provider: nobleCrypto,
        usage: 'server',
        serverName: 'localhost',
      });
    };
    expect(((await verify(10)) as unknown[][])[0]).toHaveLength(10);
    const err = await Promise.resolve()
      .then(() => verify(11))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(X509VerificationError);
    expect((err as X509VerificationError).alert).toBe('unknown_ca');
  });

  it('anti-replay store: bounded, and when full it refuses 0-RTT rather than forget a ticket', () => {
    const store = new MemoryReplayCache(3);
    const id = (n: number): Uint8Array => Uint8Array.of(n);
    for (let n = 0; n < 3; n++) expect(store.firstUse(id(n), 2_000, 1_000)).toBe(true);
    expect(store.firstUse(id(1), 2_000, 1_000)).toBe(false); // replay
    expect(store.firstUse(id(9), 2_000, 1_000)).toBe(false); // full: fail closed
    expect(store.firstUse(id(9), 4_000, 3_000)).toBe(true); // expired entries purged
    expect(store.size).toBeLessThanOrEqual(3);
  });

  it('session cache: at most 4 tickets per name and 64 names', () => {
    const cache = new LruSessionCache();
    const session = (name: string, i: number): ClientSession => ({
      serverName: name,
      ticket: Uint8Array.of(i),
      psk: new Uint8Array(32),
      cipherSuite: 0x1301,
      receivedAt: 0,
      lifetime: 100,
      ageAdd: 0,
      maxEarlyData: 0,
      alpn: undefined,
      peerCertificates: [],
    });
    for (let i = 0; i < 5; i++) cache.put('a', session('a', i));
    expect(cache.size).toBe(4);
    for (let n = 0; n < 70; n++) cache.put(`host${n}`, session(`host${n}`, 0));
    expect(cache.size).toBe(64);
    expect(cache.get('a')).toBeUndefined(); // evicted, least recently used
  });
});
