/**
 * Bad input: malformed, out-of-order, duplicated and truncated messages and
 * records. For each, the connection under attack must send the alert RFC
 * 8446 names, end up closed, let no exception escape receive(), and deliver
 * no application data.
 *
 * The attacker is built three ways:
 * - scripted bytes fed to a lone connection (plaintext records, before keys);
 * - a real peer whose outgoing messages are reshaped (`shapeMessage`: the
 *   peer's own transcript covers the change, so its Finished stays valid and
 *   only the semantic check under test can fail);
 * - a real peer whose handshake stream is rewritten at the record layer
 *   (`rewriteHandshake`: drop, duplicate, reorder, replace), or whose bytes
 *   are tampered with on the wire.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ClientConfig, ServerConfig } from '../../src/config.js';
import { CLIENT_TRANSITIONS, type ClientState } from '../../src/handshake/client.js';
import { SERVER_TRANSITIONS, type ServerState } from '../../src/handshake/server.js';
import type { TransitionTable } from '../../src/handshake/machine.js';
import { CipherSuite, ContentType, ExtensionType, HandshakeType, NamedGroup, ProtocolVersion, SignatureScheme, type AlertName } from '../../src/registry.js';
import { concat } from '../../src/util/bytes.js';
import { encodeRecordHeader, perRecordNonce } from '../../src/record/index.js';
import { KeySchedule } from '../../src/crypto/keySchedule.js';
import { nobleCrypto } from '../../src/crypto/noble.js';
import {
  type ClientHello,
  type HandshakeMessage,
  type HandshakeMessageType,
  type ServerHelloExtension,
  DOWNGRADE_TLS11,
  DOWNGRADE_TLS12,
  encodeHandshake,
} from '../../src/wire/index.js';
import { parseCertificates } from '../../src/x509/index.js';
import {
  CCS_RECORD,
  Endpoint,
  KeyLog,
  ROOT,
  certified,
  drive,
  expectConnected,
  expectFailed,
  expectRemoteAlert,
  feed,
  handshake,
  newPair,
  now,
  payload,
  pkiText,
  plaintextAlerts,
  plaintextRecord,
  records,
  rewriteHandshake,
  seededRandom,
  sendHalfRttData,
  startClient,
  type Pair,
} from './pair.js';
import { ServerConnection } from '../../src/connection.js';

const SERVER_CERT = certified('leaf-p256');
const ED25519_CERT = certified('leaf-ed25519');

/** A fresh client config (a shared one would resume with a cached ticket). */
function clientConfig(extra: Partial<ClientConfig> = {}): ClientConfig {
  return {
    ca: ROOT,
    now,
    groups: [NamedGroup.x25519, NamedGroup.secp256r1],
    keyShareGroups: [NamedGroup.x25519, NamedGroup.secp256r1],
    cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_CHACHA20_POLY1305_SHA256],
    sessionCache: false,
    ...extra,
  };
}

function serverConfig(extra: Partial<ServerConfig> = {}): ServerConfig {
  return { certificates: [SERVER_CERT], now, ...extra };
}

/** Every alert RFC 8446 names that some test here provokes (counted for the report). */
const ALERTS_SEEN = new Set<AlertName>();
function seen(alert: AlertName): AlertName {
  ALERTS_SEEN.add(alert);
  return alert;
}

/** A client under attack by a real server that also sends 0.5-RTT data, which must never arrive. */
async function attackClient(server: Partial<ServerConfig>, edit?: Parameters<typeof rewriteHandshake>[1], client: Partial<ClientConfig> = {}): Promise<Pair> {
  const p = newPair(clientConfig(client), serverConfig(server), 'localhost');
  sendHalfRttData(p.server, payload(32, 99));
  if (edit) rewriteHandshake(p.server, edit);
  await drive(p);
  return p;
}

/** A server under attack by a real client that also sends data right after its Finished. */
async function attackServer(client: Partial<ClientConfig>, edit?: Parameters<typeof rewriteHandshake>[1], server: Partial<ServerConfig> = {}): Promise<Pair> {
  const p = newPair(clientConfig(client), serverConfig(server), 'localhost');
  p.client.conn.write(payload(32, 98));
  if (edit) rewriteHandshake(p.client, edit);
  await drive(p);
  return p;
}

// ------------------------------------------------------------- crafting

const RANDOM = new Uint8Array(32).fill(0x5a);

function serverHello(hello: ClientHello, over: Partial<{ version: number; random: Uint8Array; sessionId: Uint8Array; suite: number; extensions: ServerHelloExtension[] }> = {}): HandshakeMessage {
  return {
    type: 'server_hello',
    helloRetryRequest: false,
    legacyVersion: over.version ?? ProtocolVersion.TLS1_2,
    random: over.random ?? RANDOM,
    legacySessionIdEcho: over.sessionId ?? hello.legacySessionId,
    cipherSuite: over.suite ?? CipherSuite.TLS_AES_128_GCM_SHA256,
    extensions: over.extensions ?? [
      { type: 'key_share', serverShare: { group: NamedGroup.x25519, keyExchange: new Uint8Array(32).fill(9) } },
      { type: 'supported_versions', selectedVersion: ProtocolVersion.TLS1_3 },
    ],
  };
}

/** A handshake message from its type byte and body. */
function rawMessage(type: number, body: Uint8Array | number[]): Uint8Array {
  const b = Uint8Array.from(body);
  return concat(Uint8Array.of(type, (b.length >> 16) & 0xff, (b.length >> 8) & 0xff, b.length & 0xff), b);
}

/**
 * Appends raw extension bytes to the extension block of an encoded
 * ClientHello or ServerHello (fixing both length fields): for what our
 * encoder refuses to produce, like duplicates.
 */
function addRawExtension(message: Uint8Array, ext: Uint8Array): Uint8Array {
  const body = message.subarray(4);
  let at = 2 + 32; // legacy_version, random
  at += 1 + body[at]!; // legacy_session_id
  if (message[0] === HandshakeType.client_hello) {
    at += 2 + ((body[at]! << 8) | body[at + 1]!); // cipher_suites
    at += 1 + body[at]!; // legacy_compression_methods
  } else {
    at += 2 + 1; // cipher_suite, legacy_compression_method
  }
  const oldLength = (body[at]! << 8) | body[at + 1]!;
  const newLength = oldLength + ext.length;
  const newBody = concat(body.subarray(0, at), Uint8Array.of(newLength >> 8, newLength & 0xff), body.subarray(at + 2), ext);
  return rawMessage(message[0]!, newBody);
}

function der(name: string): Uint8Array {
  return parseCertificates(pkiText(`${name}.pem`))[0]!.raw;
}

/** A well-formed sample of every handshake message type (what matters is the type). */
function sampleMessages(hello: ClientHello): Record<HandshakeMessageType, Uint8Array> {
  return {
    client_hello: encodeHandshake(hello),
    server_hello: encodeHandshake(serverHello(hello)),
    new_session_ticket: encodeHandshake({
      type: 'new_session_ticket',
      ticketLifetime: 60,
      ticketAgeAdd: 1,
      ticketNonce: Uint8Array.of(0),
      ticket: Uint8Array.of(1, 2, 3),
      extensions: [],
    }),
    end_of_early_data: encodeHandshake({ type: 'end_of_early_data' }),
    encrypted_extensions: encodeHandshake({ type: 'encrypted_extensions', extensions: [] }),
    certificate: encodeHandshake({
      type: 'certificate',
      certificateRequestContext: new Uint8Array(0),
      certificateList: [{ certData: der('leaf-p256'), extensions: [] }],
    }),
    certificate_request: encodeHandshake({
      type: 'certificate_request',
      certificateRequestContext: new Uint8Array(0),
      extensions: [{ type: 'signature_algorithms', schemes: [SignatureScheme.ecdsa_secp256r1_sha256] }],
    }),
    certificate_verify: encodeHandshake({ type: 'certificate_verify', algorithm: SignatureScheme.ed25519, signature: new Uint8Array(64).fill(1) }),
    finished: encodeHandshake({ type: 'finished', verifyData: new Uint8Array(32).fill(2) }),
    key_update: encodeHandshake({ type: 'key_update', requestUpdate: 0 }),
    message_hash: rawMessage(HandshakeType.message_hash, new Uint8Array(32).fill(3)),
  };
}

const ALL_TYPES = Object.keys(sampleMessages(startClient(clientConfig()).hello)) as HandshakeMessageType[];

// ================================================================ client side

describe('the client rejects a bad first server flight (scripted, in the clear)', () => {
  async function expectScripted(bytes: Uint8Array | ((hello: ClientHello) => Uint8Array), alert: AlertName, config: Partial<ClientConfig> = {}): Promise<void> {
    const s = startClient(clientConfig(config));
    await feed(s.client, typeof bytes === 'function' ? bytes(s.hello) : bytes);
    expectFailed(s.client, seen(alert));
    // No keys yet: the alert goes out in the clear, and it is the only thing that does.
    expect(plaintextAlerts(s.client.conn.takeOutgoing())).toEqual([alert]);
    // A closed connection ignores further input instead of throwing.
    await feed(s.client, plaintextRecord(serverHello(s.hello)));
    expect(s.client.escaped).toEqual([]);
    expect(s.client.conn.takeOutgoing()).toEqual(new Uint8Array(0));
  }

  const sh = (over: Parameters<typeof serverHello>[1]) => (hello: ClientHello) => plaintextRecord(serverHello(hello, over));
  const withVersions = (extra: ServerHelloExtension[]): ServerHelloExtension[] => [
    ...extra,
    { type: 'supported_versions', selectedVersion: ProtocolVersion.TLS1_3 },
  ];
  const share = (group: number, keyExchange: Uint8Array): ServerHelloExtension => ({ type: 'key_share', serverShare: { group, keyExchange } });

  it('Finished before ServerHello → unexpected_message', async () => {
    await expectScripted((h) => plaintextRecord(sampleMessages(h).finished), 'unexpected_message');
  });
  it('EncryptedExtensions before ServerHello → unexpected_message', async () => {
    await expectScripted(plaintextRecord({ type: 'encrypted_extensions', extensions: [] }), 'unexpected_message');
  });
  it('Certificate before ServerHello → unexpected_message', async () => {
    await expectScripted((h) => plaintextRecord(sampleMessages(h).certificate), 'unexpected_message');
  });
  it('a ClientHello sent to the client → unexpected_message', async () => {
    await expectScripted((h) => plaintextRecord(h), 'unexpected_message');
  });
  it('application data before the handshake → unexpected_message', async () => {
    await expectScripted(plaintextRecord(payload(20), ContentType.application_data), 'unexpected_message');
  });
  it('a record of unknown content type → unexpected_message', async () => {
    await expectScripted(Uint8Array.of(0x19, 3, 3, 0, 1, 0), 'unexpected_message');
  });
  it('a plaintext record longer than 2^14 → record_overflow', async () => {
    await expectScripted(concat(encodeRecordHeader(ContentType.handshake, 0x0303, 16385), new Uint8Array(16385)), 'record_overflow');
  });
  it('an empty handshake record → unexpected_message (§5.1)', async () => {
    await expectScripted(Uint8Array.of(22, 3, 3, 0, 0), 'unexpected_message');
  });
  it('an alert record of 3 bytes → decode_error', async () => {
    await expectScripted(Uint8Array.of(21, 3, 3, 0, 3, 2, 40, 0), 'decode_error');
  });
  it('a ServerHello whose handshake length disagrees with its body → decode_error', async () => {
    await expectScripted((h) => {
      const m = encodeHandshake(serverHello(h));
      m[3] = m[3]! - 1; // one byte shorter than the body that follows, then a stray byte
      return plaintextRecord(concat(m.subarray(0, m.length - 1), Uint8Array.of(HandshakeType.finished, 0, 0, 0)));
    }, 'decode_error');
  });
  it('a ServerHello truncated inside its extensions → decode_error', async () => {
    await expectScripted((h) => {
      const m = encodeHandshake(serverHello(h));
      const body = m.subarray(4, m.length - 3);
      return plaintextRecord(rawMessage(HandshakeType.server_hello, body));
    }, 'decode_error');
  });
  it('a ServerHello cut off by a ChangeCipherSpec (interleaved in a fragmented message) → unexpected_message (§5.1)', async () => {
    await expectScripted((h) => {
      const m = encodeHandshake(serverHello(h));
      return concat(plaintextRecord(m.subarray(0, 20)), CCS_RECORD);
    }, 'unexpected_message');
  });
  it('ServerHello without supported_versions → protocol_version', async () => {
    await expectScripted(sh({ extensions: [share(NamedGroup.x25519, new Uint8Array(32).fill(9))] }), 'protocol_version');
  });
  it('ServerHello without supported_versions and the TLS 1.2 downgrade sentinel → illegal_parameter (§4.1.3)', async () => {
    await expectScripted(sh({ extensions: [], random: concat(new Uint8Array(24).fill(1), DOWNGRADE_TLS12) }), 'illegal_parameter');
  });
  it('ServerHello with the TLS 1.1 downgrade sentinel → illegal_parameter (§4.1.3)', async () => {
    await expectScripted(sh({ extensions: [], random: concat(new Uint8Array(24).fill(1), DOWNGRADE_TLS11) }), 'illegal_parameter');
  });
  it('ServerHello selecting TLS 1.2 in supported_versions → illegal_parameter (§4.2.1)', async () => {
    await expectScripted(
      sh({ extensions: [share(NamedGroup.x25519, new Uint8Array(32).fill(9)), { type: 'supported_versions', selectedVersion: ProtocolVersion.TLS1_2 }] }),
      'illegal_parameter',
    );
  });
  it('ServerHello not echoing legacy_session_id → illegal_parameter (§4.1.3)', async () => {
    await expectScripted(sh({ sessionId: new Uint8Array(32).fill(0xee) }), 'illegal_parameter');
  });
  it('ServerHello with an empty session id echo when one was sent → illegal_parameter', async () => {
    await expectScripted(sh({ sessionId: new Uint8Array(0) }), 'illegal_parameter');
  });
  it('ServerHello with legacy_version other than 0x0303 → illegal_parameter', async () => {
    await expectScripted(sh({ version: 0x0301 }), 'illegal_parameter');
  });
  it('ServerHello selecting a suite the client did not offer → illegal_parameter (§4.1.3)', async () => {
    await expectScripted(sh({ suite: CipherSuite.TLS_AES_256_GCM_SHA384 }), 'illegal_parameter');
  });
  it('ServerHello selecting a non-TLS-1.3 suite → illegal_parameter', async () => {
    await expectScripted(sh({ suite: 0xc02f }), 'illegal_parameter');
  });
  it('ServerHello with a share for a group the client did not share → illegal_parameter (§4.2.8)', async () => {
    await expectScripted(
      sh({ extensions: withVersions([share(NamedGroup.secp384r1, new Uint8Array(97).fill(4))]) }),
      'illegal_parameter',
    );
  });
  it('ServerHello without key_share (and no PSK) → missing_extension', async () => {
    await expectScripted(sh({ extensions: withVersions([]) }), 'missing_extension');
  });
  it('ServerHello accepting a PSK the client never offered → unsupported_extension (§4.2: a response to an extension not sent)', async () => {
    await expectScripted(
      sh({ extensions: withVersions([share(NamedGroup.x25519, new Uint8Array(32).fill(9)), { type: 'pre_shared_key', selectedIdentity: 0 }]) }),
      'unsupported_extension',
    );
  });
  it('ServerHello with an extension the client did not offer → unsupported_extension (§4.2)', async () => {
    await expectScripted(
      sh({ extensions: withVersions([share(NamedGroup.x25519, new Uint8Array(32).fill(9)), { type: 'unknown', code: 0x7777, data: new Uint8Array(0) }]) }),
      'unsupported_extension',
    );
  });
  it('ServerHello carrying an extension that does not belong in it (ALPN) → illegal_parameter (§4.2)', async () => {
    await expectScripted(
      sh({
        extensions: withVersions([
          share(NamedGroup.x25519, new Uint8Array(32).fill(9)),
          { type: 'unknown', code: ExtensionType.application_layer_protocol_negotiation, data: Uint8Array.of(0, 3, 2, 0x68, 0x32) },
        ]),
      }),
      'illegal_parameter',
    );
  });
  it('ServerHello with the same extension twice → illegal_parameter', async () => {
    // Our encoder refuses duplicates, so the second supported_versions is spliced in as bytes.
    await expectScripted((h) => plaintextRecord(addRawExtension(encodeHandshake(serverHello(h)), Uint8Array.of(0, 43, 0, 2, 3, 4))), 'illegal_parameter');
  });
  it('ServerHello with legacy_compression_method 1 → decode_error or illegal_parameter, closed', async () => {
    const s = startClient(clientConfig());
    const m = encodeHandshake(serverHello(s.hello));
    // legacy_compression_method sits after version(2), random(32), session id(1+32), suite(2).
    m[4 + 2 + 32 + 1 + s.hello.legacySessionId.length + 2] = 1;
    await feed(s.client, plaintextRecord(m));
    expect(['decode_error', 'illegal_parameter']).toContain(s.client.error?.alert);
    expect(s.client.conn.closed).toBe(true);
    expect(s.client.escaped).toEqual([]);
  });
  it('an x25519 share of all zeros (all-zero shared secret, §7.4.2) → illegal_parameter', async () => {
    await expectScripted(sh({ extensions: withVersions([share(NamedGroup.x25519, new Uint8Array(32))]) }), 'illegal_parameter');
  });
  it('a secp256r1 share that is not on the curve → illegal_parameter (§4.2.8.2)', async () => {
    const point = new Uint8Array(65).fill(1);
    point[0] = 4;
    await expectScripted(
      sh({ extensions: withVersions([share(NamedGroup.secp256r1, point)]) }),
      'illegal_parameter',
    );
  });
  it('a secp256r1 share of the wrong length → illegal_parameter or decode_error', async () => {
    const s = startClient(clientConfig());
    await feed(s.client, plaintextRecord(serverHello(s.hello, { extensions: withVersions([share(NamedGroup.secp256r1, Uint8Array.of(4, 1, 2, 3))]) })));
    expect(['illegal_parameter', 'decode_error']).toContain(s.client.error?.alert);
    expect(s.client.escaped).toEqual([]);
  });
  it('a TLS 1.2 handshake message type (server_key_exchange) → a fatal alert, closed', async () => {
    // RFC 8446 does not name the alert for an unknown message type; unexpected_message (§6.2: "the
    // wrong handshake message") or decode_error are both defensible.
    const s = startClient(clientConfig());
    await feed(s.client, plaintextRecord(rawMessage(12, [0, 1, 2])));
    expect(['unexpected_message', 'decode_error']).toContain(s.client.error?.alert);
    expect(s.client.conn.closed).toBe(true);
    expect(s.client.escaped).toEqual([]);
  });
  it('a ChangeCipherSpec holding 0x02 → unexpected_message (§5)', async () => {
    await expectScripted(Uint8Array.of(20, 3, 3, 0, 1, 2), 'unexpected_message');
  });
  it('a fatal alert from the server fails the client with that alert, marked remote', async () => {
    const s = startClient(clientConfig());
    await feed(s.client, Uint8Array.of(21, 3, 3, 0, 2, 2, 40));
    expect(s.client.error?.alert).toBe('handshake_failure');
    expect(s.client.error?.side).toBe('remote');
    expect(s.client.error?.message).toMatch(/remote error: the peer sent handshake_failure/);
    expect(s.client.conn.closed).toBe(true);
    // No alert is sent back for a received one.
    expect(s.client.conn.takeOutgoing()).toEqual(new Uint8Array(0));
  });
});

describe('the client rejects bad messages from a real server (reshaped)', () => {
  type Shape = NonNullable<ServerConfig['shapeMessage']>;
  const cases: [string, AlertName, Shape, Partial<ClientConfig>?, Partial<ServerConfig>?][] = [
    [
      'EncryptedExtensions with key_share',
      'illegal_parameter',
      (m) => (m.type === 'encrypted_extensions' ? { ...m, extensions: [...m.extensions, { type: 'unknown', code: ExtensionType.key_share, data: Uint8Array.of(0, 0x1d, 0, 0) }] } : m),
    ],
    [
      'EncryptedExtensions with supported_versions',
      'illegal_parameter',
      (m) => (m.type === 'encrypted_extensions' ? { ...m, extensions: [{ type: 'unknown', code: ExtensionType.supported_versions, data: Uint8Array.of(3, 4) }] } : m),
    ],
    [
      'unsolicited ALPN in EncryptedExtensions',
      'unsupported_extension',
      (m) => (m.type === 'encrypted_extensions' ? { ...m, extensions: [{ type: 'application_layer_protocol_negotiation', protocols: [Uint8Array.of(0x68, 0x32)] }] } : m),
    ],
    [
      'an ALPN protocol the client did not offer',
      'illegal_parameter',
      (m) => (m.type === 'encrypted_extensions' ? { ...m, extensions: [{ type: 'application_layer_protocol_negotiation', protocols: [Uint8Array.of(0x78)] }] } : m),
      { alpnProtocols: ['h2'] },
    ],
    [
      'two ALPN protocols selected',
      'illegal_parameter',
      (m) =>
        m.type === 'encrypted_extensions'
          ? { ...m, extensions: [{ type: 'application_layer_protocol_negotiation', protocols: [Uint8Array.of(0x68, 0x32), Uint8Array.of(0x68, 0x32)] }] }
          : m,
      { alpnProtocols: ['h2'] },
    ],
    ['unsolicited early_data in EncryptedExtensions', 'unsupported_extension', (m) => (m.type === 'encrypted_extensions' ? { ...m, extensions: [{ type: 'early_data' }] } : m)],
    [
      'an unknown extension in EncryptedExtensions',
      'unsupported_extension',
      (m) => (m.type === 'encrypted_extensions' ? { ...m, extensions: [{ type: 'unknown', code: 0x7a7b, data: new Uint8Array(0) }] } : m),
    ],
    [
      'record_size_limit below 64 (RFC 8449 §4)',
      'illegal_parameter',
      (m) => (m.type === 'encrypted_extensions' ? { ...m, extensions: [{ type: 'unknown', code: ExtensionType.record_size_limit, data: Uint8Array.of(0, 63) }] } : m),
      { recordSizeLimit: 1024 },
    ],
    ['an empty Certificate from the server (§4.4.2.4)', 'decode_error', (m) => (m.type === 'certificate' ? { ...m, certificateList: [] } : m)],
    ['a server Certificate with a request context', 'illegal_parameter', (m) => (m.type === 'certificate' ? { ...m, certificateRequestContext: Uint8Array.of(7) } : m)],
    [
      'an unrequested OCSP response in a Certificate entry (§4.4.2)',
      'unsupported_extension',
      (m) =>
        m.type === 'certificate'
          ? { ...m, certificateList: m.certificateList.map((e, i) => (i === 0 ? { ...e, extensions: [{ type: 'status_request', ocspResponse: Uint8Array.of(0x30, 0) }] } : e)) }
          : m,
    ],
    [
      'a CertificateRequest with a request context during the handshake',
      'illegal_parameter',
      (m) => (m.type === 'certificate_request' ? { ...m, certificateRequestContext: Uint8Array.of(1) } : m),
      {},
      { clientAuth: 'request' },
    ],
    [
      'a CertificateVerify with a scheme the client did not offer for it (rsa_pkcs1_sha256)',
      'illegal_parameter',
      (m) => (m.type === 'certificate_verify' ? { ...m, algorithm: SignatureScheme.rsa_pkcs1_sha256 } : m),
    ],
    [
      "a CertificateVerify scheme that does not fit the certificate's key",
      'illegal_parameter',
      (m) => (m.type === 'certificate_verify' ? { ...m, algorithm: SignatureScheme.ed25519 } : m),
    ],
    [
      'an ECDSA CertificateVerify whose signature does not verify',
      'decrypt_error',
      // The last byte of s: the DER stays well-formed, the value is wrong.
      (m) => (m.type === 'certificate_verify' ? { ...m, signature: m.signature.map((b, i, a) => (i === a.length - 1 ? b ^ 1 : b)) } : m),
    ],
    ['a Finished that does not verify', 'decrypt_error', (m) => (m.type === 'finished' ? { ...m, verifyData: m.verifyData.map((b) => b ^ 0x80) } : m)],
    [
      'a ServerHello not echoing legacy_session_id',
      'illegal_parameter',
      (m) => (m.type === 'server_hello' ? { ...m, legacySessionIdEcho: new Uint8Array(32) } : m),
    ],
    [
      'a ServerHello with an all-zero x25519 share',
      'illegal_parameter',
      (m) =>
        m.type === 'server_hello' && !m.helloRetryRequest
          ? { ...m, extensions: m.extensions.map((e) => (e.type === 'key_share' ? { type: 'key_share' as const, serverShare: { group: e.serverShare.group, keyExchange: new Uint8Array(32) } } : e)) }
          : m,
      { groups: [NamedGroup.x25519], keyShareGroups: [NamedGroup.x25519] },
    ],
  ];
  for (const [name, alert, shapeMessage, client, server] of cases) {
    it(`${name} → ${alert}`, async () => {
      const p = await attackClient({ shapeMessage, ...server }, undefined, client);
      const err = expectFailed(p.client, seen(alert), p.server);
      expect(err.message.length).toBeGreaterThan(20);
      expect(p.server.completed).toBe(false);
    });
  }

  it('an Ed25519 CertificateVerify whose signature does not verify → decrypt_error', async () => {
    const p = newPair(clientConfig(), serverConfig({
      certificates: [ED25519_CERT],
      shapeMessage: (m) => (m.type === 'certificate_verify' ? { ...m, signature: m.signature.map((b, i) => (i === 40 ? b ^ 4 : b)) } : m),
    }), 'ed25519.test');
    sendHalfRttData(p.server, payload(32, 99));
    await drive(p);
    expectFailed(p.client, 'decrypt_error', p.server);
  });

  it('a server_name acknowledgement when no SNI was sent (IP literal) → unsupported_extension', async () => {
    const p = newPair(
      clientConfig(),
      serverConfig({
        certificates: [certified('leaf-ip')],
        shapeMessage: (m) => (m.type === 'encrypted_extensions' ? { ...m, extensions: [...m.extensions, { type: 'server_name' }] } : m),
      }),
      '127.0.0.1',
    );
    await drive(p);
    expectFailed(p.client, 'unsupported_extension', p.server);
  });

  it('a CertificateRequest without signature_algorithms (§4.3.2) → missing_extension', async () => {
    // Our encoder will not produce one; the message is written as bytes: empty context, and
    // only signature_algorithms_cert (ecdsa_secp256r1_sha256).
    const cr = rawMessage(HandshakeType.certificate_request, [0, 0, 8, 0, 0x32, 0, 4, 0, 2, 4, 3]);
    const p = await attackClient({ clientAuth: 'request' }, (m, t) => (t === HandshakeType.certificate_request ? [cr] : [m]));
    expectFailed(p.client, seen('missing_extension'), p.server);
  });

  it('control: the same server unmodified, with its 0.5-RTT data delivered after the handshake', async () => {
    const p = await attackClient({});
    expectConnected(p);
    expect(p.client.data).toEqual(payload(32, 99));
    const kinds = p.client.events.map((e) => e.type);
    expect(kinds.indexOf('handshake')).toBeLessThan(kinds.indexOf('data'));
  });
});

describe('the client rejects out-of-order, duplicated and missing messages (rewritten stream)', () => {
  const HT = HandshakeType;
  const cases: [string, Parameters<typeof rewriteHandshake>[1]][] = [
    ['a second ServerHello (encrypted, before EncryptedExtensions)', (() => {
      let sh: Uint8Array | undefined;
      return (m: Uint8Array, t: number) => {
        if (t === HT.server_hello) sh = m;
        return t === HT.encrypted_extensions ? [sh!, m] : [m];
      };
    })()],
    ['EncryptedExtensions twice', (m, t) => (t === HT.encrypted_extensions ? [m, m] : [m])],
    ['EncryptedExtensions missing', (m, t) => (t === HT.encrypted_extensions ? [] : [m])],
    ['Certificate twice', (m, t) => (t === HT.certificate ? [m, m] : [m])],
    ['Certificate missing', (m, t) => (t === HT.certificate ? [] : [m])],
    ['CertificateVerify missing', (m, t) => (t === HT.certificate_verify ? [] : [m])],
    ['CertificateVerify twice', (m, t) => (t === HT.certificate_verify ? [m, m] : [m])],
    ['CertificateVerify before Certificate', (() => {
      let cert: Uint8Array | undefined;
      return (m: Uint8Array, t: number) => {
        if (t === HT.certificate) {
          cert = m;
          return [];
        }
        return t === HT.certificate_verify ? [m, cert!] : [m];
      };
    })()],
    ['Finished before CertificateVerify', (() => {
      let cv: Uint8Array | undefined;
      return (m: Uint8Array, t: number) => {
        if (t === HT.certificate_verify) {
          cv = m;
          return [];
        }
        return t === HT.finished ? [m, cv!] : [m];
      };
    })()],
    ['a NewSessionTicket inside the handshake', (m, t) => (t === HT.finished ? [encodeHandshake({ type: 'new_session_ticket', ticketLifetime: 1, ticketAgeAdd: 0, ticketNonce: new Uint8Array(0), ticket: Uint8Array.of(1), extensions: [] }), m] : [m])],
    ['a KeyUpdate inside the handshake', (m, t) => (t === HT.certificate_verify ? [m, encodeHandshake({ type: 'key_update', requestUpdate: 0 })] : [m])],
    ['EndOfEarlyData from the server', (m, t) => (t === HT.encrypted_extensions ? [m, encodeHandshake({ type: 'end_of_early_data' })] : [m])],
    ['a CertificateRequest after the Certificate', (m, t) =>
      t === HT.certificate
        ? [m, encodeHandshake({ type: 'certificate_request', certificateRequestContext: new Uint8Array(0), extensions: [{ type: 'signature_algorithms', schemes: [SignatureScheme.ed25519] }] })]
        : [m]],
  ];
  for (const [name, edit] of cases) {
    it(`${name} → unexpected_message`, async () => {
      const p = await attackClient({}, edit);
      const err = expectFailed(p.client, seen('unexpected_message'), p.server);
      expect(err.message).toMatch(/in state WAIT_/);
    });
  }

  it('Finished twice in one record: the keys change under the second → unexpected_message (§5.1)', async () => {
    const p = await attackClient({ ticketCount: 0 }, (m, t) => (t === HT.finished ? [m, m] : [m]));
    expect(p.client.error?.alert).toBe('unexpected_message');
    expect(p.client.error?.message).toMatch(/spans a key change/);
    expect(p.client.dataEvents).toEqual([]);
    expect(p.client.escaped).toEqual([]);
    expectRemoteAlert(p.server, 'unexpected_message');
  });

  it('a plaintext ServerHello after the first (keys already installed) → unexpected_message', async () => {
    const p = newPair(clientConfig(), serverConfig(), 'localhost');
    await drive(p, {
      tamper: (from, bytes, round) => {
        if (from !== 'server' || round !== 0) return bytes;
        const rs = records(bytes);
        return concat(rs[0]!.raw, rs[0]!.raw, ...rs.slice(1).map((r) => r.raw));
      },
    });
    expectFailed(p.client, 'unexpected_message', p.server);
  });

  it('application data from the server before its Finished (under handshake keys) → unexpected_message', async () => {
    const p = newPair(clientConfig(), serverConfig(), 'localhost');
    let installs = 0;
    const record = p.server.conn.record;
    const original = record.setWriteKeys.bind(record) as (...a: unknown[]) => void;
    (record as unknown as { setWriteKeys: (...a: unknown[]) => void }).setWriteKeys = (...args: unknown[]) => {
      original(...args);
      // Right after the handshake keys: data sealed under them, before EncryptedExtensions.
      if (++installs === 1) record.writeApplicationData(payload(10, 5));
    };
    await drive(p);
    const err = expectFailed(p.client, seen('unexpected_message'), p.server);
    expect(err.message).toMatch(/application data before the handshake completed/);
  });

  it('a ServerHello and the start of the next message in one record (spans the key change) → unexpected_message (§5.1)', async () => {
    const p = newPair(clientConfig(), serverConfig(), 'localhost');
    await drive(p, {
      tamper: (from, bytes, round) => {
        if (from !== 'server' || round !== 0) return bytes;
        const rs = records(bytes);
        const sh = rs[0]!.fragment;
        const glued = plaintextRecord(concat(sh, Uint8Array.of(HandshakeType.encrypted_extensions, 0, 0)), ContentType.handshake);
        return concat(glued, ...rs.slice(1).map((r) => r.raw));
      },
    });
    const err = expectFailed(p.client, 'unexpected_message', p.server);
    expect(err.message).toMatch(/spans a key change/);
  });
});

describe('the client rejects tampered records', () => {
  /** Drives a pair, letting `tamper` edit the server's first flight. */
  async function withServerFlight(tamper: (bytes: Uint8Array) => Uint8Array, client: Partial<ClientConfig> = {}, server: Partial<ServerConfig> = {}): Promise<Pair> {
    const p = newPair(clientConfig(client), serverConfig(server), 'localhost');
    sendHalfRttData(p.server, payload(32, 99));
    await drive(p, { tamper: (from, bytes, round) => (from === 'server' && round === 0 ? tamper(bytes) : bytes) });
    return p;
  }
  const encryptedIndex = (bytes: Uint8Array) => records(bytes).findIndex((r) => r.type === ContentType.application_data);
  const editRecord = (bytes: Uint8Array, index: number, edit: (raw: Uint8Array) => Uint8Array) =>
    concat(...records(bytes).map((r, i) => (i === index ? edit(r.raw.slice()) : r.raw)));

  it('a flipped bit in the encrypted flight → bad_record_mac', async () => {
    const p = await withServerFlight((b) => editRecord(b, encryptedIndex(b), (raw) => ((raw[raw.length - 20]! ^= 1), raw)));
    expectFailed(p.client, seen('bad_record_mac'), p.server);
  });

  it('a flipped bit in the record header (it is the AEAD additional data) → bad_record_mac', async () => {
    const p = await withServerFlight((b) => editRecord(b, encryptedIndex(b), (raw) => ((raw[2] = 0x01), raw)));
    expectFailed(p.client, 'bad_record_mac', p.server);
  });

  it('an encrypted record cut short (length adjusted) → bad_record_mac', async () => {
    const p = await withServerFlight((b) =>
      editRecord(b, encryptedIndex(b), (raw) => {
        const cut = raw.subarray(0, raw.length - 5);
        cut[3] = ((cut.length - 5) >> 8) & 0xff;
        cut[4] = (cut.length - 5) & 0xff;
        return cut;
      }),
    );
    expectFailed(p.client, 'bad_record_mac', p.server);
  });

  it('an encrypted record shorter than the AEAD tag → bad_record_mac', async () => {
    const p = await withServerFlight((b) => editRecord(b, encryptedIndex(b), () => Uint8Array.of(23, 3, 3, 0, 3, 1, 2, 3)));
    expectFailed(p.client, 'bad_record_mac', p.server);
  });

  it('a protected record longer than 2^14 + 256 → record_overflow', async () => {
    const p = await withServerFlight((b) => {
      const rs = records(b);
      const i = encryptedIndex(b);
      return concat(...rs.slice(0, i).map((r) => r.raw), encodeRecordHeader(23, 0x0303, 16385 + 256), new Uint8Array(16385 + 256));
    });
    expectFailed(p.client, 'record_overflow', p.server);
  });

  it('the legacy_record_version of a plaintext record is ignored (§5.1)', async () => {
    const p = await withServerFlight((b) => editRecord(b, 0, (raw) => ((raw[1] = 3), (raw[2] = 0), raw)));
    expectConnected(p);
  });

  it('a handshake record after the keys changed that is not protected → unexpected_message', async () => {
    const p = await withServerFlight((b) => {
      const rs = records(b);
      return concat(rs[0]!.raw, plaintextRecord({ type: 'encrypted_extensions', extensions: [] }));
    });
    expectFailed(p.client, 'unexpected_message', p.server);
  });

  /**
   * Records sealed by hand under the server's handshake keys (taken from its
   * key log), replacing its encrypted flight, for inner-plaintext violations.
   */
  async function withForgedInner(inner: Uint8Array): Promise<Pair> {
    const log = new KeyLog();
    const p = newPair(clientConfig({ cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256] }), serverConfig({ keyLog: log.log }), 'localhost');
    await drive(p, {
      tamper: (from, bytes, round) => {
        if (from !== 'server' || round !== 0) return bytes;
        const secret = log.secret('SERVER_HANDSHAKE_TRAFFIC_SECRET')!;
        const ks = new KeySchedule(nobleCrypto, nobleCrypto.hash('SHA-256'));
        const keys = ks.trafficKeys(secret, 16, 12);
        const aead = nobleCrypto.aead('AES-128-GCM');
        const header = encodeRecordHeader(23, 0x0303, inner.length + aead.tagLength);
        const sealed = concat(header, aead.importKey(keys.key).seal(perRecordNonce(keys.iv, 0n), inner, header));
        const rs = records(bytes);
        return concat(...rs.filter((r) => r.type !== ContentType.application_data).map((r) => r.raw), sealed);
      },
    });
    return p;
  }

  it('a protected record holding only zeros (no content type, §5.4) → unexpected_message', async () => {
    expectFailed((await withForgedInner(new Uint8Array(10))).client, 'unexpected_message');
  });
  it('a protected ChangeCipherSpec (§5) → unexpected_message', async () => {
    expectFailed((await withForgedInner(Uint8Array.of(1, ContentType.change_cipher_spec))).client, 'unexpected_message');
  });
  it('a protected record of unknown inner type → unexpected_message', async () => {
    expectFailed((await withForgedInner(Uint8Array.of(1, 0x30))).client, 'unexpected_message');
  });
  it('a protected record with more than 2^14 + 1 bytes of inner plaintext → record_overflow', async () => {
    expectFailed((await withForgedInner(concat(new Uint8Array(16385), Uint8Array.of(ContentType.handshake)))).client, 'record_overflow');
  });
  it('a protected empty handshake record → unexpected_message (§5.4)', async () => {
    expectFailed((await withForgedInner(Uint8Array.of(ContentType.handshake))).client, 'unexpected_message');
  });
  it('control: a forged but well-formed EncryptedExtensions gets past the record layer (to fail later, in order)', async () => {
    const ee = concat(encodeHandshake({ type: 'encrypted_extensions', extensions: [] }), Uint8Array.of(ContentType.handshake));
    const p = await withForgedInner(ee);
    expect(p.client.error).toBeUndefined();
    expect(p.client.conn.handshakeState).toBe('WAIT_CERT_CR');
  });

  describe('after the handshake', () => {
    async function twoRecords(): Promise<{ p: Pair; bytes: Uint8Array }> {
      const p = await handshake(clientConfig(), serverConfig({ ticketCount: 0 }), 'localhost');
      expectConnected(p);
      p.server.conn.write(payload(10, 1));
      p.server.conn.write(payload(10, 2));
      return { p, bytes: p.server.conn.takeOutgoing() };
    }

    it('two records swapped → bad_record_mac, nothing delivered', async () => {
      const { p, bytes } = await twoRecords();
      const [a, b] = records(bytes);
      await feed(p.client, concat(b!.raw, a!.raw));
      expect(p.client.error?.alert).toBe('bad_record_mac');
      expect(p.client.dataEvents).toEqual([]);
      expect(p.client.escaped).toEqual([]);
    });

    it('a replayed record → bad_record_mac, the original delivered once', async () => {
      const { p, bytes } = await twoRecords();
      const [a] = records(bytes);
      await feed(p.client, concat(a!.raw, a!.raw));
      expect(p.client.error?.alert).toBe('bad_record_mac');
      expect(p.client.data).toEqual(payload(10, 1));
    });

    it('a dropped record → the next one fails: bad_record_mac', async () => {
      const { p, bytes } = await twoRecords();
      const [, b] = records(bytes);
      await feed(p.client, b!.raw);
      expect(p.client.error?.alert).toBe('bad_record_mac');
      expect(p.client.dataEvents).toEqual([]);
    });

    it('a ChangeCipherSpec after the handshake → unexpected_message', async () => {
      const { p } = await twoRecords();
      await feed(p.client, CCS_RECORD);
      expect(p.client.error?.alert).toBe('unexpected_message');
      expect(p.client.escaped).toEqual([]);
    });
  });
});

// ================================================================ server side

describe('the server rejects bad ClientHellos', () => {
  type Shape = NonNullable<ClientConfig['shapeMessage']>;
  const onHello = (f: (ch: ClientHello) => ClientHello): Shape => (m) => (m.type === 'client_hello' ? f(m) : m);
  const dropExt = (type: string) => onHello((ch) => ({ ...ch, extensions: ch.extensions.filter((e) => e.type !== type) }));
  const cases: [string, AlertName, Shape, Partial<ServerConfig>?][] = [
    ['no supported_versions (a TLS 1.2 hello)', 'protocol_version', dropExt('supported_versions')],
    [
      'supported_versions without TLS 1.3',
      'protocol_version',
      onHello((ch) => ({ ...ch, extensions: ch.extensions.map((e) => (e.type === 'supported_versions' ? { type: 'supported_versions', versions: [ProtocolVersion.TLS1_2] } : e)) })),
    ],
    ['no signature_algorithms (§9.2)', 'missing_extension', dropExt('signature_algorithms')],
    ['no key_share but supported_groups (§9.2)', 'missing_extension', dropExt('key_share')],
    ['no supported_groups but key_share (§9.2)', 'missing_extension', dropExt('supported_groups')],
    [
      'a key share for a group not in supported_groups (§4.2.8)',
      'illegal_parameter',
      onHello((ch) => ({
        ...ch,
        extensions: ch.extensions.map((e) => (e.type === 'supported_groups' ? { type: 'supported_groups', groups: [NamedGroup.secp384r1, NamedGroup.secp256r1] } : e)),
      })),
    ],
    ['compression methods [1] (§4.1.2)', 'illegal_parameter', onHello((ch) => ({ ...ch, legacyCompressionMethods: [1] }))],
    ['compression methods [0, 1] (§4.1.2)', 'illegal_parameter', onHello((ch) => ({ ...ch, legacyCompressionMethods: [0, 1] }))],
    [
      'an all-zero x25519 share (§7.4.2)',
      'illegal_parameter',
      onHello((ch) => ({
        ...ch,
        extensions: ch.extensions.map((e) =>
          e.type === 'key_share' ? { type: 'key_share', clientShares: e.clientShares.map((s) => ({ group: s.group, keyExchange: new Uint8Array(s.keyExchange.length) })) } : e,
        ),
      })),
      { groups: [NamedGroup.x25519] },
    ],
    [
      'a secp256r1 share that is not on the curve',
      'illegal_parameter',
      onHello((ch) => ({
        ...ch,
        extensions: ch.extensions.map((e) =>
          e.type === 'key_share'
            ? { type: 'key_share', clientShares: e.clientShares.map((s) => (s.group === NamedGroup.secp256r1 ? { group: s.group, keyExchange: Uint8Array.from({ length: 65 }, (_, i) => (i === 0 ? 4 : 1)) } : s)) }
            : e,
        ),
      })),
      { groups: [NamedGroup.secp256r1] },
    ],
    ['no cipher suite in common', 'handshake_failure', onHello((ch) => ({ ...ch, cipherSuites: [0x1305] }))],
    ['only non-TLS-1.3 cipher suites', 'handshake_failure', onHello((ch) => ({ ...ch, cipherSuites: [0xc02f, 0x009c] }))],
  ];
  for (const [name, alert, shapeMessage, server] of cases) {
    it(`${name} → ${alert}`, async () => {
      const p = await attackServer({ shapeMessage }, undefined, server);
      const err = expectFailed(p.server, seen(alert), p.client);
      expect(err.message.length).toBeGreaterThan(20);
      // The alert went out in the clear (the server had no keys yet).
      expect(plaintextAlerts(p.wire.toClient.at(-1)!)).toEqual([alert]);
    });
  }

  describe('raw bytes', () => {
    async function expectServerRejects(bytes: Uint8Array, alert: AlertName): Promise<void> {
      const server = new Endpoint(new ServerConnection(serverConfig()), 'server');
      await feed(server, bytes);
      expectFailed(server, seen(alert));
      expect(plaintextAlerts(server.conn.takeOutgoing())).toEqual([alert]);
    }
    const goodHello = () => startClient(clientConfig()).hello;

    it('a ClientHello truncated inside its cipher suites → decode_error', async () => {
      const m = encodeHandshake(goodHello());
      await expectServerRejects(plaintextRecord(rawMessage(HandshakeType.client_hello, m.subarray(4, 4 + 2 + 32 + 33 + 3))), 'decode_error');
    });
    it('a ClientHello with an odd cipher_suites length → decode_error', async () => {
      const h = goodHello();
      const body = encodeHandshake(h).slice(4);
      const at = 2 + 32 + 1 + h.legacySessionId.length;
      body[at + 1] = body[at + 1]! - 1;
      await expectServerRejects(plaintextRecord(rawMessage(HandshakeType.client_hello, body)), 'decode_error');
    });
    it('a ClientHello with the same extension twice → illegal_parameter', async () => {
      // (Our encoder refuses duplicates: spliced in as bytes.)
      await expectServerRejects(plaintextRecord(addRawExtension(encodeHandshake(goodHello()), Uint8Array.of(0, 45, 0, 2, 1, 1))), 'illegal_parameter');
    });
    it('a ClientHello whose pre_shared_key is not the last extension → illegal_parameter (§4.2.11)', async () => {
      // identities<7..>: one identity (1 byte + age), binders<33..>: one 32-byte binder; then another extension after it.
      const psk = Uint8Array.of(0, 41, 0, 42, 0, 7, 0, 1, 0xaa, 0, 0, 0, 0, 0, 33, 32, ...new Uint8Array(32));
      const withPsk = addRawExtension(encodeHandshake(goodHello()), psk);
      await expectServerRejects(plaintextRecord(addRawExtension(withPsk, Uint8Array.of(0x0a, 0x0a, 0, 0))), 'illegal_parameter');
    });
    it('something other than a ClientHello first (a Finished) → unexpected_message', async () => {
      await expectServerRejects(plaintextRecord(rawMessage(HandshakeType.finished, new Uint8Array(32))), 'unexpected_message');
    });
    it('a ServerHello sent to the server → unexpected_message', async () => {
      await expectServerRejects(plaintextRecord(serverHello(goodHello())), 'unexpected_message');
    });
    it('application data first → unexpected_message', async () => {
      await expectServerRejects(plaintextRecord(payload(8), ContentType.application_data), 'unexpected_message');
    });
    it('a ChangeCipherSpec before any ClientHello → unexpected_message (§5)', async () => {
      await expectServerRejects(CCS_RECORD, 'unexpected_message');
    });
    it('not TLS at all (an HTTP request) → unexpected_message', async () => {
      await expectServerRejects(new TextEncoder().encode('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), 'unexpected_message');
    });
    it('an SSLv2-style record length (> 2^14) → record_overflow', async () => {
      await expectServerRejects(Uint8Array.of(22, 3, 1, 0xff, 0xff), 'record_overflow');
    });
  });

  it('two ClientHellos in a row without a HelloRetryRequest → unexpected_message', async () => {
    const p = newPair(clientConfig(), serverConfig(), 'localhost');
    await drive(p, { tamper: (from, bytes, round) => (from === 'client' && round === 0 ? concat(bytes, bytes) : bytes) });
    expectFailed(p.server, 'unexpected_message', p.client);
  });
});

describe("the server rejects a bad second flight from the client", () => {
  const HT = HandshakeType;
  it('a client Finished that does not verify → decrypt_error', async () => {
    const p = await attackServer({ shapeMessage: (m) => (m.type === 'finished' ? { ...m, verifyData: m.verifyData.map((b) => b ^ 1) } : m) });
    expectFailed(p.server, seen('decrypt_error'), p.client);
  });
  it('a Certificate the server did not ask for → unexpected_message', async () => {
    const p = await attackServer({}, (m, t) =>
      t === HT.finished ? [encodeHandshake({ type: 'certificate', certificateRequestContext: new Uint8Array(0), certificateList: [] }), m] : [m],
    );
    expectFailed(p.server, 'unexpected_message', p.client);
  });
  it('a CertificateVerify without a Certificate → unexpected_message', async () => {
    const p = await attackServer({ certificates: [certified('leaf-client')] }, (m, t) => (t === HT.certificate ? [] : [m]), { clientAuth: 'request', clientCa: ROOT });
    expectFailed(p.server, 'unexpected_message', p.client);
  });
  it('an EndOfEarlyData without 0-RTT → unexpected_message', async () => {
    const p = await attackServer({}, (m, t) => (t === HT.finished ? [encodeHandshake({ type: 'end_of_early_data' }), m] : [m]));
    expectFailed(p.server, 'unexpected_message', p.client);
  });
  it('a KeyUpdate before the Finished → unexpected_message', async () => {
    const p = await attackServer({}, (m, t) => (t === HT.finished ? [encodeHandshake({ type: 'key_update', requestUpdate: 1 }), m] : [m]));
    expectFailed(p.server, 'unexpected_message', p.client);
  });
  it('an unrequested OCSP response in the client Certificate entry (§4.4.2) → unsupported_extension', async () => {
    const p = await attackServer(
      {
        certificates: [certified('leaf-client')],
        shapeMessage: (m) =>
          m.type === 'certificate'
            ? { ...m, certificateList: m.certificateList.map((e, i) => (i === 0 ? { ...e, extensions: [{ type: 'status_request', ocspResponse: Uint8Array.of(0x30, 0) }] } : e)) }
            : m,
      },
      undefined,
      { clientAuth: 'require-and-verify', clientCa: ROOT },
    );
    expectFailed(p.server, 'unsupported_extension', p.client);
  });
  it('a Finished of the wrong length → decode_error', async () => {
    const p = await attackServer({}, (m, t) => (t === HT.finished ? [rawMessage(HT.finished, m.subarray(4, m.length - 1))] : [m]));
    expectFailed(p.server, seen('decode_error'), p.client);
  });
  it('a client Certificate with a truncated certificate_list → decode_error', async () => {
    const p = await attackServer(
      { certificates: [certified('leaf-client')] },
      (m, t) => {
        if (t !== HT.certificate) return [m];
        const body = m.slice(4);
        // certificate_list length (after the 1-byte empty context) one too large.
        body[3] = body[3]! + 1;
        return [rawMessage(HT.certificate, body)];
      },
      { clientAuth: 'require', clientCa: ROOT },
    );
    expectFailed(p.server, 'decode_error', p.client);
  });
  it('application data under the client handshake keys, before its Finished → unexpected_message', async () => {
    const p = newPair(clientConfig(), serverConfig(), 'localhost');
    const record = p.client.conn.record;
    rewriteHandshake(p.client, (m, t) => {
      if (t === HT.finished) record.writeApplicationData(payload(5, 1));
      return [m];
    });
    await drive(p);
    const err = expectFailed(p.server, 'unexpected_message', p.client);
    expect(err.message).toMatch(/application data before the handshake completed/);
  });
  it('a ChangeCipherSpec from the client after the handshake → unexpected_message (§5)', async () => {
    const p = await handshake(clientConfig(), serverConfig({ ticketCount: 0 }), 'localhost');
    expectConnected(p);
    await feed(p.server, CCS_RECORD);
    expect(p.server.error?.alert).toBe('unexpected_message');
    expect(p.server.escaped).toEqual([]);
  });
  it('a tampered client Finished record → bad_record_mac', async () => {
    const p = newPair(clientConfig(), serverConfig(), 'localhost');
    await drive(p, {
      tamper: (from, bytes, round) => {
        if (from !== 'client' || round !== 1) return bytes;
        const out = bytes.slice();
        out[out.length - 1]! ^= 0x10;
        return out;
      },
    });
    expectFailed(p.server, 'bad_record_mac', p.client);
  });
});

// ===================================================== alerts and closure (§6)

describe('alerts and closure (§6)', () => {
  async function connected(): Promise<Pair> {
    const p = await handshake(clientConfig(), serverConfig({ ticketCount: 0 }), 'localhost');
    expectConnected(p);
    return p;
  }

  it('a warning-level handshake_failure is still fatal (§6: error alerts regardless of level)', async () => {
    const s = startClient(clientConfig());
    await feed(s.client, Uint8Array.of(21, 3, 3, 0, 2, 1, 40));
    expect(s.client.error?.alert).toBe('handshake_failure');
    expect(s.client.error?.side).toBe('remote');
    expect(s.client.conn.closed).toBe(true);
  });

  it('an unknown alert is treated as an error alert (§6)', async () => {
    const s = startClient(clientConfig());
    await feed(s.client, Uint8Array.of(21, 3, 3, 0, 2, 1, 200));
    expect(s.client.error).toBeDefined();
    expect(s.client.error?.side).toBe('remote');
    expect(s.client.conn.closed).toBe(true);
    expect(s.client.escaped).toEqual([]);
  });

  it('user_canceled is reported and not fatal', async () => {
    const p = await connected();
    p.server.conn.record.writeAlert(1, 'user_canceled');
    await drive(p);
    expect(p.client.error).toBeUndefined();
    expect(p.client.ofType('alert')).toEqual([{ type: 'alert', alert: 'user_canceled' }]);
  });

  it('close_notify ends the read side; the other side may still write', async () => {
    const p = await connected();
    p.server.conn.close();
    await drive(p);
    expect(p.client.ofType('end')).toHaveLength(1);
    expect(p.client.error).toBeUndefined();
    p.client.conn.write(payload(10, 1));
    await drive(p);
    expect(p.server.data).toEqual(payload(10, 1));
    p.client.conn.close();
    await drive(p);
    expect(p.client.conn.closed).toBe(true);
    expect(p.server.conn.closed).toBe(true);
    expect(p.client.ofType('close')).toHaveLength(1);
    expect(p.server.ofType('close')).toHaveLength(1);
  });

  it('data after close_notify is ignored (§6.1), even in the same read', async () => {
    const p = await connected();
    const record = p.server.conn.record;
    record.writeAlert(1, 'close_notify');
    record.writeApplicationData(payload(10, 2));
    const bytes = p.server.conn.takeOutgoing();
    await feed(p.client, bytes);
    expect(p.client.ofType('end')).toHaveLength(1);
    expect(p.client.dataEvents).toEqual([]);
    expect(p.client.escaped).toEqual([]);
  });

  it('data after close_notify is ignored (§6.1), in a later read', async () => {
    const p = await connected();
    const record = p.server.conn.record;
    record.writeAlert(1, 'close_notify');
    await feed(p.client, p.server.conn.takeOutgoing());
    record.writeApplicationData(payload(10, 3));
    await feed(p.client, p.server.conn.takeOutgoing());
    expect(p.client.dataEvents).toEqual([]);
  });

  it('two alerts coalesced in one record → decode_error (§5.1)', async () => {
    const s = startClient(clientConfig());
    await feed(s.client, Uint8Array.of(21, 3, 3, 0, 4, 1, 0, 1, 0));
    expect(s.client.error?.alert).toBe('decode_error');
    expect(s.client.error?.side).toBe('local');
  });
});

// ======================================================== tolerated oddities

describe('inputs that must be tolerated, not rejected', () => {
  it('a ClientHello with legacy_version 0x0301: supported_versions decides (§4.2.1)', async () => {
    const p = await handshake(clientConfig({ shapeMessage: (m) => (m.type === 'client_hello' ? { ...m, legacyVersion: 0x0301 } : m) }), serverConfig(), 'localhost');
    expectConnected(p);
  });

  it('GREASE (RFC 8701) in cipher suites, groups, key shares, versions, signature schemes, ALPN and extensions is ignored', async () => {
    const G = 0x3a3a;
    const p = await handshake(
      clientConfig({
        alpnProtocols: ['h2'],
        shapeMessage: (m) => {
          if (m.type !== 'client_hello') return m;
          const extensions = m.extensions.map((e) => {
            switch (e.type) {
              case 'supported_groups':
                return { ...e, groups: [G, ...e.groups] };
              case 'key_share':
                return { ...e, clientShares: [{ group: G, keyExchange: Uint8Array.of(0) }, ...e.clientShares] };
              case 'supported_versions':
                return { ...e, versions: [G, ...e.versions] };
              case 'signature_algorithms':
                return { ...e, schemes: [0x0a0a, ...e.schemes] };
              case 'application_layer_protocol_negotiation':
                return { ...e, protocols: [Uint8Array.of(0x0a, 0x0a), ...e.protocols] };
              default:
                return e;
            }
          });
          return { ...m, cipherSuites: [0x1a1a, ...m.cipherSuites], extensions: [{ type: 'unknown', code: 0x2a2a, data: new Uint8Array(0) }, ...extensions] };
        },
      }),
      serverConfig({ alpnProtocols: ['h2'] }),
      'localhost',
    );
    expectConnected(p);
    expect(p.server.conn.state.alpnProtocol).toBe('h2');
    expect(p.server.conn.state.group?.name).toBe('x25519');
  });

  it('early_data offered without a PSK: the server skips the undecryptable 0-RTT records (§4.2.10)', async () => {
    const p = newPair(
      clientConfig({ shapeMessage: (m) => (m.type === 'client_hello' ? { ...m, extensions: [...m.extensions, { type: 'early_data' }] } : m) }),
      serverConfig(),
      'localhost',
    );
    await drive(p, {
      // What a 0-RTT client would send after its ClientHello: records the server cannot decrypt.
      tamper: (from, bytes, round) =>
        from === 'client' && round === 0 ? concat(bytes, encodeRecordHeader(23, 0x0303, 40), new Uint8Array(40).fill(0x42), encodeRecordHeader(23, 0x0303, 30), new Uint8Array(30).fill(0x43)) : bytes,
    });
    expectConnected(p);
    expect(p.server.dataEvents).toEqual([]);
  });

  it('a zero-length application data record after the handshake is dropped (§5.4 allows it)', async () => {
    const log = new KeyLog();
    const p = await handshake(clientConfig({ cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256] }), serverConfig({ keyLog: log.log, ticketCount: 0 }), 'localhost');
    expectConnected(p);
    const secret = log.secret('SERVER_TRAFFIC_SECRET_0')!;
    const keys = new KeySchedule(nobleCrypto, nobleCrypto.hash('SHA-256')).trafficKeys(secret, 16, 12);
    const aead = nobleCrypto.aead('AES-128-GCM');
    const inner = Uint8Array.of(ContentType.application_data);
    const header = encodeRecordHeader(23, 0x0303, inner.length + aead.tagLength);
    await feed(p.client, concat(header, aead.importKey(keys.key).seal(perRecordNonce(keys.iv, 0n), inner, header)));
    expect(p.client.error).toBeUndefined();
    expect(p.client.dataEvents).toEqual([]);
  });
});

// ============================================================ state table walk

/** Types the table allows in `state`. */
function allowed<S extends string>(table: TransitionTable<S>, state: S): Set<HandshakeMessageType> {
  return new Set(table[state].map((t) => t.on));
}

describe('state machine table walk: every message not in the table is unexpected_message', () => {
  const sample = sampleMessages(startClient(clientConfig()).hello);
  // Quick handshakes: no chain to verify, one group, SHA-256 suite (Finished samples are 32 bytes).
  const walkClient = (extra: Partial<ClientConfig> = {}) =>
    ({ ...clientConfig(extra), insecureSkipVerify: true, groups: [NamedGroup.x25519], keyShareGroups: [NamedGroup.x25519], cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256] }) satisfies ClientConfig;

  it('states no message can reach have no transitions (they are passed through within one step)', () => {
    expect(CLIENT_TRANSITIONS.START).toEqual([]);
    for (const s of ['RECVD_CH', 'NEGOTIATED', 'WAIT_FLIGHT2'] as const) expect(SERVER_TRANSITIONS[s]).toEqual([]);
  });

  /** How the client is brought into each state, and how a message of type `type` is put in front of it. */
  const clientReach: Record<Exclude<ClientState, 'START'>, (type: HandshakeMessageType) => Promise<Pair>> = {
    WAIT_SH: async (type) => {
      const p = newPair(walkClient(), serverConfig(), 'localhost');
      p.client.conn.takeOutgoing();
      await feed(p.client, plaintextRecord(sample[type]));
      // Let the server see the alert (it has not even seen a ClientHello: it fails on the alert).
      return p;
    },
    WAIT_EE: (type) => replaceServerMessage(HandshakeType.encrypted_extensions, type),
    WAIT_CERT_CR: (type) => replaceServerMessage(HandshakeType.certificate, type),
    WAIT_CERT: (type) => replaceServerMessage(HandshakeType.certificate, type, { clientAuth: 'request' }),
    WAIT_CV: (type) => replaceServerMessage(HandshakeType.certificate_verify, type),
    WAIT_FINISHED: (type) => replaceServerMessage(HandshakeType.finished, type),
    CONNECTED: async (type) => {
      const p = await handshake(walkClient(), serverConfig({ ticketCount: 0 }), 'localhost');
      expectConnected(p);
      p.server.conn.record.writeHandshake(sample[type]);
      await drive(p);
      return p;
    },
  };

  async function replaceServerMessage(target: number, type: HandshakeMessageType, server: Partial<ServerConfig> = {}): Promise<Pair> {
    const p = newPair(walkClient(), serverConfig(server), 'localhost');
    let done = false;
    rewriteHandshake(p.server, (m, t) => {
      if (done) return [];
      if (t !== target) return [m];
      done = true;
      return [sample[type]];
    });
    await drive(p);
    return p;
  }

  let clientCombinations = 0;
  for (const state of Object.keys(clientReach) as Exclude<ClientState, 'START'>[]) {
    const ok = allowed(CLIENT_TRANSITIONS, state);
    for (const type of ALL_TYPES.filter((t) => !ok.has(t))) {
      it(`client ${state} + ${type} → unexpected_message`, async () => {
        clientCombinations++;
        const p = await clientReach[state](type);
        expect(p.client.escaped).toEqual([]);
        expect(p.client.error?.alert, p.client.error?.message).toBe('unexpected_message');
        expect(p.client.error?.message).toBe(`received ${type} in state ${state}, where it is not allowed (RFC 8446 Appendix A)`);
        expect(p.client.conn.closed).toBe(true);
        expect(p.client.dataEvents).toEqual([]);
      });
    }
  }

  const walkServer = (extra: Partial<ServerConfig> = {}) => serverConfig({ ticketCount: 0, ...extra });
  const serverReach: Record<'START' | 'WAIT_CERT' | 'WAIT_CV' | 'WAIT_FINISHED' | 'CONNECTED', (type: HandshakeMessageType) => Promise<Pair>> = {
    START: async (type) => {
      const p = newPair(walkClient(), walkServer(), 'localhost');
      await feed(p.server, plaintextRecord(sample[type]));
      return p;
    },
    WAIT_CERT: (type) => replaceClientMessage(HandshakeType.certificate, type, { certificates: [certified('leaf-client')] }, { clientAuth: 'request', clientCa: ROOT }),
    WAIT_CV: (type) => replaceClientMessage(HandshakeType.certificate_verify, type, { certificates: [certified('leaf-client')] }, { clientAuth: 'request', clientCa: ROOT }),
    WAIT_FINISHED: (type) => replaceClientMessage(HandshakeType.finished, type),
    CONNECTED: async (type) => {
      const p = await handshake(walkClient(), walkServer(), 'localhost');
      expectConnected(p);
      p.client.conn.record.writeHandshake(sample[type]);
      await drive(p);
      return p;
    },
  };

  async function replaceClientMessage(target: number, type: HandshakeMessageType, client: Partial<ClientConfig> = {}, server: Partial<ServerConfig> = {}): Promise<Pair> {
    const p = newPair(walkClient(client), walkServer(server), 'localhost');
    let done = false;
    rewriteHandshake(p.client, (m, t) => {
      if (done) return [];
      if (t !== target) return [m];
      done = true;
      return [sample[type]];
    });
    await drive(p);
    return p;
  }

  let serverCombinations = 0;
  for (const state of Object.keys(serverReach) as (keyof typeof serverReach)[]) {
    const ok = allowed(SERVER_TRANSITIONS, state as ServerState);
    for (const type of ALL_TYPES.filter((t) => !ok.has(t))) {
      it(`server ${state} + ${type} → unexpected_message`, async () => {
        serverCombinations++;
        const p = await serverReach[state](type);
        expect(p.server.escaped).toEqual([]);
        expect(p.server.error?.alert, p.server.error?.message).toBe('unexpected_message');
        expect(p.server.error?.message).toBe(`received ${type} in state ${state}, where it is not allowed (RFC 8446 Appendix A)`);
        expect(p.server.conn.closed).toBe(true);
        expect(p.server.dataEvents).toEqual([]);
      });
    }
  }

  it('walked every reachable (state, message) pair outside the tables', () => {
    const expectedClient = (Object.keys(clientReach) as Exclude<ClientState, 'START'>[]).reduce(
      (n, s) => n + ALL_TYPES.filter((t) => !allowed(CLIENT_TRANSITIONS, s).has(t)).length,
      0,
    );
    const expectedServer = (Object.keys(serverReach) as ServerState[]).reduce(
      (n, s) => n + ALL_TYPES.filter((t) => !allowed(SERVER_TRANSITIONS, s).has(t)).length,
      0,
    );
    expect(clientCombinations).toBe(expectedClient);
    expect(serverCombinations).toBe(expectedServer);
    console.log(`state table walk: ${clientCombinations} client and ${serverCombinations} server (state, message) pairs`);
  });
});

// ====================================================== property: mutated flights

describe('property: mutated flights never throw and never yield unauthenticated data', () => {
  /**
   * A deterministic client (seeded randomness) and the server flight that
   * answers it, recorded once; each run replays the flight, mutated, to a
   * fresh copy of the same client.
   */
  const SEED_CLIENT: ClientConfig = {
    ...clientConfig({ groups: [NamedGroup.x25519], keyShareGroups: [NamedGroup.x25519] }),
    random: seededRandom(7),
  };
  const freshClient = () => startClient({ ...SEED_CLIENT, random: seededRandom(7) });
  const HALF_RTT = payload(40, 77);

  async function recordFlight(): Promise<{ flight: Uint8Array; hello: Uint8Array; clientFlight: Uint8Array }> {
    const c = freshClient();
    const server = new Endpoint(new ServerConnection(serverConfig({ ticketCount: 0, random: seededRandom(9) })), 'server');
    sendHalfRttData(server, HALF_RTT);
    await feed(server, c.bytes);
    const flight = server.conn.takeOutgoing();
    await feed(c.client, flight);
    expect(c.client.completed).toBe(true);
    c.client.conn.write(payload(40, 78));
    return { flight, hello: c.bytes, clientFlight: c.client.conn.takeOutgoing() };
  }

  const mutation = fc.record({
    flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
    truncate: fc.option(fc.nat(), { nil: undefined, freq: 2 }),
    chunk: fc.integer({ min: 1, max: 2000 }),
  });

  function mutate(bytes: Uint8Array, m: { flips: [number, number][]; truncate: number | undefined }): Uint8Array {
    const out = bytes.slice();
    for (const [at, x] of m.flips) out[at % out.length]! ^= x;
    return m.truncate === undefined ? out : out.subarray(0, m.truncate % out.length);
  }

  async function feedChunks(side: Endpoint, bytes: Uint8Array, chunk: number): Promise<void> {
    for (let at = 0; at < bytes.length; at += chunk) await feed(side, bytes.subarray(at, at + chunk));
  }

  it('client: the recorded flight itself completes the handshake and delivers the 0.5-RTT data', async () => {
    const { flight } = await recordFlight();
    const c = freshClient();
    await feed(c.client, flight);
    expect(c.client.error).toBeUndefined();
    expect(c.client.completed).toBe(true);
    expect(c.client.data).toEqual(HALF_RTT);
  });

  it('client: random byte mutations of a real server flight', async () => {
    const { flight } = await recordFlight();
    let failed = 0;
    await fc.assert(
      fc.asyncProperty(mutation, async (m) => {
        const c = freshClient();
        await feedChunks(c.client, mutate(flight, m), m.chunk);
        expect(c.client.escaped).toEqual([]);
        if (c.client.error) {
          failed++;
          expect(c.client.error.side).toBe('local');
          expect(c.client.conn.closed).toBe(true);
        }
        // Data only after the handshake completed, and only the server's real bytes.
        const data = c.client.data;
        if (data.length > 0) {
          expect(c.client.completed).toBe(true);
          expect(HALF_RTT.subarray(0, data.length)).toEqual(data);
          const kinds = c.client.events.map((e) => e.type);
          expect(kinds.indexOf('handshake')).toBeLessThan(kinds.indexOf('data'));
        }
      }),
      { numRuns: 150, seed: 0x7e57 },
    );
    // Not vacuous: a good share of the runs reached a failure path.
    expect(failed).toBeGreaterThan(40);
  });

  it('server: random byte mutations of a real ClientHello and client flight', async () => {
    const { hello, clientFlight } = await recordFlight();
    const whole = concat(hello, clientFlight);
    await fc.assert(
      fc.asyncProperty(mutation, async (m) => {
        const server = new Endpoint(new ServerConnection(serverConfig({ ticketCount: 0, random: seededRandom(9) })), 'server');
        await feedChunks(server, mutate(whole, m), m.chunk);
        expect(server.escaped).toEqual([]);
        if (server.error) expect(server.conn.closed).toBe(true);
        const data = server.data;
        if (data.length > 0) {
          expect(server.completed).toBe(true);
          expect(payload(40, 78).subarray(0, data.length)).toEqual(data);
        }
      }),
      { numRuns: 150, seed: 0x5e7e },
    );
  });
});

describe('alerts covered', () => {
  it('lists the alerts provoked above', () => {
    const list = [...ALERTS_SEEN].sort();
    console.log(`bad input: ${list.length} distinct alerts provoked: ${list.join(', ')}`);
    expect(list).toEqual(
      expect.arrayContaining([
        'bad_record_mac',
        'decode_error',
        'decrypt_error',
        'handshake_failure',
        'illegal_parameter',
        'missing_extension',
        'protocol_version',
        'record_overflow',
        'unexpected_message',
        'unsupported_extension',
      ]),
    );
  });
});
