/**
 * The handshake messages of RFC 8448's traces: each decodes to the values
 * the trace describes and re-encodes to the identical bytes.
 */
import { describe, expect, it } from 'vitest';
import { CipherSuite, ExtensionType, NamedGroup, ProtocolVersion, SignatureScheme } from '../../src/registry.js';
import { fromHex, toHex } from '../../src/util/bytes.js';
import {
  type Certificate,
  type CertificateRequest,
  type CertificateVerify,
  type ClientHello,
  type EncryptedExtensions,
  type Finished,
  HELLO_RETRY_REQUEST_RANDOM,
  type HandshakeMessage,
  type NewSessionTicket,
  type ServerHello,
  decodeHandshake,
  encodeHandshake,
  findExtension,
  findExtensionByCode,
  helloRetryRequest,
  placeholderBinders,
  replaceClientHelloBinders,
  truncateClientHelloForBinders,
} from '../../src/wire/index.js';
import * as V from './rfc8448.fixtures.js';

/** Decodes, checks the type tag, and checks that re-encoding is byte-identical. */
function roundTrip<T extends HandshakeMessage>(hex: string, type: T['type'], hashLength?: number): T {
  const m = decodeHandshake(fromHex(hex), hashLength === undefined ? {} : { hashLength });
  expect(m.type).toBe(type);
  expect(toHex(encodeHandshake(m))).toBe(hex);
  return m as T;
}

describe('RFC 8448 §3 simple 1-RTT handshake', () => {
  it('ClientHello', () => {
    const ch = roundTrip<ClientHello>(V.S3_CLIENT_HELLO, 'client_hello');
    expect(ch.legacyVersion).toBe(ProtocolVersion.TLS1_2);
    expect(toHex(ch.random)).toBe('cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7');
    expect(ch.legacySessionId.length).toBe(0);
    expect(ch.cipherSuites).toEqual([
      CipherSuite.TLS_AES_128_GCM_SHA256,
      CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
      CipherSuite.TLS_AES_256_GCM_SHA384,
    ]);
    expect(ch.legacyCompressionMethods).toEqual([0]);
    expect(findExtension(ch.extensions, 'server_name')).toEqual({ type: 'server_name', hostName: 'server' });
    // TLS 1.2 extensions are kept raw.
    expect(findExtensionByCode(ch.extensions, ExtensionType.renegotiation_info)).toEqual({
      type: 'unknown',
      code: 0xff01,
      data: Uint8Array.of(0),
    });
    expect(findExtensionByCode(ch.extensions, ExtensionType.session_ticket)).toEqual({
      type: 'unknown',
      code: 0x23,
      data: new Uint8Array(0),
    });
    expect(findExtension(ch.extensions, 'supported_groups')?.groups).toEqual([
      0x1d, 0x17, 0x18, 0x19, 0x100, 0x101, 0x102, 0x103, 0x104,
    ]);
    const ks = findExtension(ch.extensions, 'key_share');
    expect(ks?.clientShares).toHaveLength(1);
    expect(ks?.clientShares[0]?.group).toBe(NamedGroup.x25519);
    expect(toHex(ks!.clientShares[0]!.keyExchange)).toBe(
      '99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c',
    );
    expect(findExtension(ch.extensions, 'supported_versions')?.versions).toEqual([ProtocolVersion.TLS1_3]);
    const sigs = findExtension(ch.extensions, 'signature_algorithms')?.schemes;
    expect(sigs).toHaveLength(15);
    expect(sigs?.[0]).toBe(SignatureScheme.ecdsa_secp256r1_sha256);
    expect(findExtension(ch.extensions, 'psk_key_exchange_modes')?.modes).toEqual([1]);
    expect(findExtension(ch.extensions, 'record_size_limit')?.limit).toBe(0x4001);
    expect(ch.extensions.map((e) => e.type)).toEqual([
      'server_name',
      'unknown',
      'supported_groups',
      'unknown',
      'key_share',
      'supported_versions',
      'signature_algorithms',
      'psk_key_exchange_modes',
      'record_size_limit',
    ]);
  });

  it('ServerHello', () => {
    const sh = roundTrip<ServerHello>(V.S3_SERVER_HELLO, 'server_hello');
    expect(sh.helloRetryRequest).toBe(false);
    expect(toHex(sh.random)).toBe('a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e26928');
    expect(sh.cipherSuite).toBe(CipherSuite.TLS_AES_128_GCM_SHA256);
    if (sh.helloRetryRequest) throw new Error('unreachable');
    const ks = findExtension(sh.extensions, 'key_share');
    expect(ks?.serverShare.group).toBe(NamedGroup.x25519);
    expect(toHex(ks!.serverShare.keyExchange)).toBe(
      'c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f',
    );
    expect(findExtension(sh.extensions, 'supported_versions')?.selectedVersion).toBe(ProtocolVersion.TLS1_3);
  });

  it('EncryptedExtensions', () => {
    const ee = roundTrip<EncryptedExtensions>(V.S3_ENCRYPTED_EXTENSIONS, 'encrypted_extensions');
    expect(ee.extensions).toEqual([
      { type: 'supported_groups', groups: [0x1d, 0x17, 0x18, 0x19, 0x100, 0x101, 0x102, 0x103, 0x104] },
      { type: 'record_size_limit', limit: 16385 },
      { type: 'server_name' },
    ]);
  });

  it('Certificate', () => {
    const cert = roundTrip<Certificate>(V.S3_CERTIFICATE, 'certificate');
    expect(cert.certificateRequestContext.length).toBe(0);
    expect(cert.certificateList).toHaveLength(1);
    const entry = cert.certificateList[0]!;
    expect(entry.certData.length).toBe(0x1b0);
    expect(toHex(entry.certData.subarray(0, 4))).toBe('308201ac'); // a DER SEQUENCE
    expect(entry.extensions).toEqual([]);
  });

  it('CertificateVerify', () => {
    const cv = roundTrip<CertificateVerify>(V.S3_CERTIFICATE_VERIFY, 'certificate_verify');
    expect(cv.algorithm).toBe(SignatureScheme.rsa_pss_rsae_sha256);
    expect(cv.signature.length).toBe(128);
    expect(toHex(cv.signature.subarray(0, 4))).toBe('5a747c5d');
  });

  it('server and client Finished', () => {
    const sf = roundTrip<Finished>(V.S3_SERVER_FINISHED, 'finished', 32);
    expect(toHex(sf.verifyData)).toBe('9b9b141d906337fbd2cbdce71df4deda4ab42c309572cb7fffee5454b78f0718');
    const cf = roundTrip<Finished>(V.S3_CLIENT_FINISHED, 'finished');
    expect(toHex(cf.verifyData)).toBe('a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61');
  });

  it('NewSessionTicket', () => {
    const nst = roundTrip<NewSessionTicket>(V.S3_NEW_SESSION_TICKET, 'new_session_ticket');
    expect(nst.ticketLifetime).toBe(30);
    expect(nst.ticketAgeAdd).toBe(0xfad6aac5);
    expect(toHex(nst.ticketNonce)).toBe('0000');
    expect(nst.ticket.length).toBe(178);
    expect(nst.extensions).toEqual([{ type: 'early_data', maxEarlyDataSize: 1024 }]);
  });
});

describe('RFC 8448 §4 resumed 0-RTT handshake', () => {
  it('ClientHello with early_data, padding and pre_shared_key', () => {
    const ch = roundTrip<ClientHello>(V.S4_CLIENT_HELLO, 'client_hello');
    expect(findExtension(ch.extensions, 'early_data')).toEqual({ type: 'early_data' });
    expect(findExtension(ch.extensions, 'padding')).toEqual({ type: 'padding', length: 87 });
    const psk = findExtension(ch.extensions, 'pre_shared_key');
    expect(ch.extensions.at(-1)).toBe(psk);
    expect(psk?.identities).toHaveLength(1);
    expect(psk?.identities[0]?.identity.length).toBe(178);
    expect(psk?.identities[0]?.obfuscatedTicketAge).toBe(0xfad6aacb);
    expect(psk?.binders.map(toHex)).toEqual(['3add4fb2d8fdf822a0ca3cf7678ef5e88dae990141c5924d57bb6fa31b9e5f9d']);
  });

  it('truncateClientHelloForBinders gives the RFC\'s "ClientHello prefix"', () => {
    const prefix = truncateClientHelloForBinders(fromHex(V.S4_CLIENT_HELLO));
    expect(toHex(prefix)).toBe(V.S4_CLIENT_HELLO_PREFIX);
    // 512 bytes minus the binders list: 2-byte length + 1-byte length + 32.
    expect(prefix.length).toBe(512 - 35);
  });

  it('encode with placeholder binders, then patch: the RFC bytes', () => {
    const ch = decodeHandshake(fromHex(V.S4_CLIENT_HELLO)) as ClientHello;
    const psk = findExtension(ch.extensions, 'pre_shared_key')!;
    const withPlaceholders: ClientHello = {
      ...ch,
      extensions: ch.extensions.map((e) =>
        e === psk ? { ...psk, binders: placeholderBinders(psk.binders.map((b) => b.length)) } : e,
      ),
    };
    const draft = encodeHandshake(withPlaceholders);
    expect(toHex(truncateClientHelloForBinders(draft))).toBe(V.S4_CLIENT_HELLO_PREFIX);
    expect(toHex(draft.subarray(477))).toBe('0021' + '20' + '00'.repeat(32));
    const patched = replaceClientHelloBinders(draft, psk.binders);
    expect(toHex(patched)).toBe(V.S4_CLIENT_HELLO);
    expect(toHex(draft.subarray(477))).toBe('0021' + '20' + '00'.repeat(32)); // input untouched
    expect(() => replaceClientHelloBinders(draft, [new Uint8Array(48)])).toThrow(RangeError);
    expect(() => replaceClientHelloBinders(draft, [])).toThrow(RangeError);
  });

  it('ServerHello selects PSK identity 0', () => {
    const sh = roundTrip<ServerHello>(V.S4_SERVER_HELLO, 'server_hello');
    expect(sh.extensions[0]).toEqual({ type: 'pre_shared_key', selectedIdentity: 0 });
  });

  it('EncryptedExtensions accepts early data; EndOfEarlyData', () => {
    const ee = roundTrip<EncryptedExtensions>(V.S4_ENCRYPTED_EXTENSIONS, 'encrypted_extensions');
    expect(findExtension(ee.extensions, 'early_data')).toEqual({ type: 'early_data' });
    expect(roundTrip(V.S4_END_OF_EARLY_DATA, 'end_of_early_data')).toEqual({ type: 'end_of_early_data' });
  });
});

describe('RFC 8448 §5 HelloRetryRequest', () => {
  it('first ClientHello', () => {
    const ch = roundTrip<ClientHello>(V.S5_CLIENT_HELLO_1, 'client_hello');
    expect(findExtension(ch.extensions, 'key_share')?.clientShares.map((s) => s.group)).toEqual([NamedGroup.x25519]);
  });

  it('HelloRetryRequest is recognised by its random', () => {
    const hrr = roundTrip<ServerHello>(V.S5_HELLO_RETRY_REQUEST, 'server_hello');
    expect(hrr.helloRetryRequest).toBe(true);
    expect(toHex(hrr.random)).toBe(toHex(HELLO_RETRY_REQUEST_RANDOM));
    expect(toHex(HELLO_RETRY_REQUEST_RANDOM)).toBe(
      'cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c',
    );
    if (!hrr.helloRetryRequest) throw new Error('unreachable');
    expect(findExtension(hrr.extensions, 'key_share')).toEqual({ type: 'key_share', selectedGroup: NamedGroup.secp256r1 });
    expect(findExtension(hrr.extensions, 'cookie')?.cookie.length).toBe(114);
    expect(findExtension(hrr.extensions, 'supported_versions')?.selectedVersion).toBe(ProtocolVersion.TLS1_3);
  });

  it('helloRetryRequest() builds the same bytes', () => {
    const hrr = decodeHandshake(fromHex(V.S5_HELLO_RETRY_REQUEST));
    if (hrr.type !== 'server_hello' || !hrr.helloRetryRequest) throw new Error('not an HRR');
    const built = helloRetryRequest({
      legacySessionIdEcho: new Uint8Array(0),
      cipherSuite: CipherSuite.TLS_AES_128_GCM_SHA256,
      extensions: hrr.extensions,
    });
    expect(toHex(encodeHandshake(built))).toBe(V.S5_HELLO_RETRY_REQUEST);
  });

  it('second ClientHello echoes the cookie and offers a P-256 share', () => {
    const ch = roundTrip<ClientHello>(V.S5_CLIENT_HELLO_2, 'client_hello');
    const share = findExtension(ch.extensions, 'key_share')?.clientShares[0];
    expect(share?.group).toBe(NamedGroup.secp256r1);
    expect(share?.keyExchange.length).toBe(65);
    expect(findExtension(ch.extensions, 'cookie')?.cookie.length).toBe(114);
    expect(findExtension(ch.extensions, 'padding')?.length).toBe(175);
  });

  it('ServerHello and EncryptedExtensions', () => {
    const sh = roundTrip<ServerHello>(V.S5_SERVER_HELLO, 'server_hello');
    expect(sh.helloRetryRequest).toBe(false);
    roundTrip(V.S5_ENCRYPTED_EXTENSIONS, 'encrypted_extensions');
  });
});

describe('RFC 8448 §6 client authentication and §7 compatibility mode', () => {
  it('CertificateRequest', () => {
    const cr = roundTrip<CertificateRequest>(V.S6_CERTIFICATE_REQUEST, 'certificate_request');
    expect(cr.certificateRequestContext.length).toBe(0);
    expect(cr.extensions.map((e) => e.type)).toEqual(['signature_algorithms']);
  });

  it('certificates and signatures of both sides', () => {
    roundTrip(V.S6_CLIENT_HELLO, 'client_hello');
    roundTrip(V.S6_SERVER_CERTIFICATE, 'certificate');
    const scv = roundTrip<CertificateVerify>(V.S6_SERVER_CERTIFICATE_VERIFY, 'certificate_verify');
    expect(scv.algorithm).toBe(SignatureScheme.ecdsa_secp256r1_sha256);
    expect(scv.signature.length).toBe(71);
    const cc = roundTrip<Certificate>(V.S6_CLIENT_CERTIFICATE, 'certificate');
    expect(cc.certificateList[0]?.certData.length).toBe(438);
    roundTrip(V.S6_CLIENT_CERTIFICATE_VERIFY, 'certificate_verify');
  });

  it('compatibility mode: a 32-byte session id, echoed by the server', () => {
    const ch = roundTrip<ClientHello>(V.S7_CLIENT_HELLO, 'client_hello');
    const sh = roundTrip<ServerHello>(V.S7_SERVER_HELLO, 'server_hello');
    expect(ch.legacySessionId.length).toBe(32);
    expect(toHex(sh.legacySessionIdEcho)).toBe(toHex(ch.legacySessionId));
  });
});
