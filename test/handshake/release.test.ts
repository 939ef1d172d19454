/**
 * What a connection forgets once its handshake is complete (RFC 8446 §7.1:
 * secrets are deleted once nothing derives from them), and that everything
 * it still offers keeps working without it: application data, KeyUpdate
 * both ways, exporters (checked against the key log), tickets received and
 * sent after the handshake, resumption with them, 0-RTT, HelloRetryRequest
 * with a cookie, client authentication, and the peer's certificates.
 *
 * The released fields are private; the tests look at them through a cast,
 * since "it is gone" is only observable from inside.
 */
import { describe, expect, it } from 'vitest';
import type { ClientConfig, ServerConfig } from '../../src/config.js';
import type { ClientConnection, ServerConnection } from '../../src/connection.js';
import { KeySchedule } from '../../src/crypto/keySchedule.js';
import { nobleCrypto } from '../../src/crypto/noble.js';
import { cipherSuiteInfo } from '../../src/crypto/suites.js';
import { LruSessionCache, type ClientSession } from '../../src/handshake/sessions.js';
import { Transcript } from '../../src/handshake/transcript.js';
import { CipherSuite, NamedGroup } from '../../src/registry.js';
import { utf8 } from '../../src/util/bytes.js';
import { parseCertificates } from '../../src/x509/index.js';
import {
  KeyLog,
  ROOT,
  certified,
  drive,
  exchangeData,
  expectBytes,
  expectConnected,
  handshake,
  newPair,
  now,
  payload,
  pkiText,
  type Pair,
} from './pair.js';

const SERVER_CERT = certified('leaf-p256');
const CLIENT_CERT = certified('leaf-client');

/** The DER of each certificate in a fixture chain (leaf, then intermediates). */
function chainDer(leaf: string): Uint8Array[] {
  return [leaf, 'int-ec'].map((n) => parseCertificates(pkiText(`${n}.pem`))[0]!.raw);
}

/** The handshake fields that must be gone once it is complete (undefined or empty). */
interface Internals {
  readonly transcript: Transcript;
  readonly clientRandom: Uint8Array;
  readonly [field: string]: unknown;
}

function internals(conn: ClientConnection | ServerConnection): Internals {
  return (conn as unknown as { handshake: Internals }).handshake;
}

const CLIENT_RELEASED = ['hello', 'session', 'pskKeys', 'serverKey', 'certificateRequest', 'handshakeSecret', 'clientHandshakeSecret', 'serverHandshakeSecret'];
const SERVER_RELEASED = ['firstHello', 'cookie', 'clientKey', 'binderEarly', 'helloHash', 'psk', 'clientHandshakeSecret', 'masterSecret', 'earlySecret', 'serverFinishedKey', 'clientApplicationSecret'];

function expectReleased(conn: ClientConnection | ServerConnection): void {
  const h = internals(conn);
  const fields = conn.state.side === 'client' ? CLIENT_RELEASED : SERVER_RELEASED;
  // Each field must exist on the handshake (a renamed field would make this vacuous).
  for (const f of fields) expect(Object.keys(h), `${conn.state.side}.${f} is a field`).toContain(f);
  expect(Object.fromEntries(fields.map((f) => [f, h[f]]))).toEqual(Object.fromEntries(fields.map((f) => [f, undefined])));
  expect(h.clientRandom.length).toBe(0);
  expect(() => h.transcript.digest()).toThrow(/released/);
}

/** The exporter value RFC 8446 §7.5 gives for EXPORTER_SECRET in `log`. */
function exporterFromKeyLog(log: KeyLog, label: string, context: Uint8Array, length: number): Uint8Array {
  const info = cipherSuiteInfo(CipherSuite.TLS_AES_128_GCM_SHA256)!;
  const ks = new KeySchedule(nobleCrypto, nobleCrypto.hash(info.hash));
  return ks.exportKeyingMaterial(log.secret('EXPORTER_SECRET')!, label, context, length);
}

/** Data, KeyUpdates both ways and the exporter, on a connection whose handshake state is gone. */
async function expectStillWorks(p: Pair, log?: KeyLog): Promise<void> {
  await exchangeData(p, payload(3000, 1), payload(2000, 2));
  p.client.conn.updateKeys(true);
  await drive(p);
  p.server.conn.updateKeys(false);
  await drive(p);
  await exchangeData(p, payload(500, 3), payload(700, 4));
  expect(p.client.ofType('key_update').map((e) => e.direction).sort()).toEqual(['read', 'read', 'write']);
  expect(p.server.ofType('key_update').map((e) => e.direction).sort()).toEqual(['read', 'write', 'write']);
  const context = utf8('context');
  const fromClient = p.client.conn.exportKeyingMaterial('EXPORTER-release-test', context, 32);
  expectBytes(p.server.conn.exportKeyingMaterial('EXPORTER-release-test', context, 32), fromClient, 'server exporter');
  if (log) expectBytes(fromClient, exporterFromKeyLog(log, 'EXPORTER-release-test', context, 32), 'exporter from the key log');
  expectConnected(p);
}

function configs(extra: { client?: Partial<ClientConfig>; server?: Partial<ServerConfig> } = {}): { client: ClientConfig; server: ServerConfig } {
  return {
    client: { ca: ROOT, now, groups: [NamedGroup.x25519, NamedGroup.secp256r1], cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256], sessionCache: new LruSessionCache(), ...extra.client },
    server: { certificates: [SERVER_CERT], now, groups: [NamedGroup.x25519, NamedGroup.secp256r1], ...extra.server },
  };
}

describe('after the handshake, a connection releases what only the handshake needed', () => {
  it('full handshake: both sides release; data, KeyUpdate and the exporter still work', async () => {
    const log = new KeyLog();
    const { client, server } = configs({ client: { keyLog: log.log } });
    const p = await handshake(client, server, 'localhost');
    expectConnected(p);
    expectReleased(p.client.conn);
    expectReleased(p.server.conn);
    await expectStillWorks(p, log);
  });

  it("the client keeps the peer's certificates: the DER it was sent, in buffers of their own, shared between connections", async () => {
    const { client, server } = configs({ client: { sessionCache: false } });
    const a = await handshake(client, server, 'localhost');
    const b = await handshake(client, server, 'localhost');
    expectConnected(a);
    expectConnected(b);
    const expected = chainDer('leaf-p256');
    for (const p of [a, b]) {
      const st = p.client.conn.state;
      expect(st.peerCertificates).toHaveLength(expected.length);
      st.peerCertificates.forEach((der, i) => {
        expectBytes(der, expected[i]!, `peer certificate ${i}`);
        // Not a view into the whole Certificate message, which would keep it alive.
        expect(der.buffer.byteLength).toBe(der.length);
      });
      expect(st.verifiedChains).toHaveLength(1);
      expect(st.verifiedChains[0]!.map((c) => c.subject.text)).toEqual(['CN=p256.test, O=tls13 test', 'CN=Test Intermediate CA, O=tls13 test', 'CN=Test Root CA, O=tls13 test']);
      expect(st.verifiedChains[0]![0]!.raw).toBe(st.peerCertificates[0]);
    }
    // One parsed chain for both connections, not a private copy each.
    expect(b.client.conn.state.verifiedChains[0]![0]).toBe(a.client.conn.state.verifiedChains[0]![0]);
    expect(b.client.conn.state.verifiedChains[0]![1]).toBe(a.client.conn.state.verifiedChains[0]![1]);
  });

  it('tickets arriving after the release are usable; a ticket the server sends later resumes too', async () => {
    const { client, server } = configs();
    const first = await handshake(client, server, 'localhost');
    expectConnected(first);
    // The server's tickets reach the client after its Finished, i.e. after it released.
    const sessions = first.client.ofType('ticket').map((e) => e.session);
    expect(sessions.length).toBe(2);
    // More tickets from a released server.
    first.server.conn.sendTickets(1);
    await drive(first);
    const late: ClientSession[] = first.client.ofType('ticket').map((e) => e.session);
    expect(late.length).toBe(3);
    const resumed = await handshake({ ...client, sessionCache: false }, server, { serverName: 'localhost', session: late[2]! });
    expectConnected(resumed);
    expect([resumed.client.conn.state.resumed, resumed.server.conn.state.resumed]).toEqual([true, true]);
    // The resumed connection carries the certificates of the one that issued the ticket.
    expect(resumed.client.conn.state.peerCertificates).toEqual(first.client.conn.state.peerCertificates);
    expectReleased(resumed.client.conn);
    expectReleased(resumed.server.conn);
    await expectStillWorks(resumed);
  });

  it('0-RTT accepted: both sides release, and the early and later data arrive intact', async () => {
    const { client, server } = configs({ client: { enableEarlyData: true }, server: { maxEarlyData: 4096 } });
    expectConnected(await handshake(client, server, 'localhost'));
    const q = newPair(client, server, 'localhost');
    q.client.conn.write(payload(1000, 9));
    await drive(q);
    expectConnected(q);
    expect([q.client.conn.state.earlyDataAccepted, q.server.conn.state.earlyDataAccepted]).toEqual([true, true]);
    expect(q.server.dataEvents.every((e) => e.type === 'data' && e.early)).toBe(true);
    expectBytes(q.server.data, payload(1000, 9), 'early data');
    expectReleased(q.client.conn);
    expectReleased(q.server.conn);
    await expectStillWorks(q);
  });

  it('HelloRetryRequest with a cookie, on a resumed connection: both sides release and keep working', async () => {
    const log = new KeyLog();
    const { client, server } = configs({
      client: { keyShareGroups: [NamedGroup.x25519], keyLog: log.log },
      server: { groups: [NamedGroup.secp256r1], requireCookie: true },
    });
    expectConnected(await handshake(client, server, 'localhost'));
    log.lines.length = 0;
    const p = await handshake(client, server, 'localhost');
    expectConnected(p);
    expect(p.client.conn.state.resumed).toBe(true);
    expect(p.client.conn.state.group?.name).toBe('secp256r1');
    expect(p.wire.toServer.length).toBeGreaterThanOrEqual(2);
    expectReleased(p.client.conn);
    expectReleased(p.server.conn);
    await expectStillWorks(p, log);
  });

  it("client authentication: both sides release; the server keeps the client's certificates", async () => {
    const { client, server } = configs({
      client: { certificates: [CLIENT_CERT] },
      server: { clientAuth: 'require-and-verify', clientCa: ROOT },
    });
    const p = await handshake(client, server, 'localhost');
    expectConnected(p);
    const expected = chainDer('leaf-client');
    p.server.conn.state.peerCertificates.forEach((der, i) => expectBytes(der, expected[i]!, `client certificate ${i}`));
    expect(p.server.conn.state.verifiedChains).toHaveLength(1);
    expectReleased(p.client.conn);
    expectReleased(p.server.conn);
    await expectStillWorks(p);
  });
});

describe('Transcript.release', () => {
  it('ignores later messages and refuses digests', () => {
    const t = new Transcript();
    t.add(Uint8Array.of(1, 0, 0, 0));
    t.useHash(nobleCrypto.hash('SHA-256'));
    expect(t.digest()).toHaveLength(32);
    t.release();
    expect(() => t.add(Uint8Array.of(4, 0, 0, 0))).not.toThrow();
    expect(() => t.digest()).toThrow(/released/);
    expect(() => t.digestWith(new Uint8Array(0))).toThrow(/released/);
    expect(() => t.replaceWithMessageHash()).toThrow(/released/);
  });

  it('before the suite is known, a digest is refused for that reason', () => {
    expect(() => new Transcript().digest()).toThrow(/before the cipher suite was chosen/);
  });
});
