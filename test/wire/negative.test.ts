/**
 * Specific malformed inputs, each with the alert RFC 8446 (or the
 * extension's RFC) asks for, and GREASE tolerance.
 */
import { describe, expect, it } from 'vitest';
import { ExtensionType } from '../../src/registry.js';
import { ByteWriter, concat, fromHex, toHex } from '../../src/util/bytes.js';
import {
  type ClientHello,
  type ClientHelloExtension,
  HELLO_RETRY_REQUEST_RANDOM,
  type ServerHello,
  decodeAlert,
  decodeHandshake,
  decodeHandshakeBody,
  encodeAlert,
  encodeHandshake,
  findExtension,
  handshakeHeader,
  truncateClientHelloForBinders,
  writeExtensions,
} from '../../src/wire/index.js';
import { vectorSpec } from '../../src/wire/codec.js';
import { SV_CH, SV_SH, block, clientHello, expectDecodeError, message, rawExt, serverHello } from './helpers.js';
import * as V from './rfc8448.fixtures.js';

const decodeCH = (bytes: Uint8Array) => decodeHandshake(bytes) as ClientHello;
const GROUPS = rawExt(10, '0002001d');
const PSK = rawExt(41, '000a' + '0004 01020304 00000000' + '0021 20' + '11'.repeat(32));

describe('lengths and trailing bytes', () => {
  it('the header length must match the body exactly', () => {
    const ch = fromHex(V.S3_CLIENT_HELLO);
    expectDecodeError(() => decodeHandshake(concat(ch, Uint8Array.of(0))), 'decode_error', /handshake length/);
    expectDecodeError(() => decodeHandshake(ch.subarray(0, ch.length - 1)), 'decode_error', /handshake length/);
    expectDecodeError(() => decodeHandshake(ch.subarray(0, 3)), 'decode_error', /handshake length/);
  });

  it('trailing bytes after a message body are rejected', () => {
    const body = fromHex(V.S3_CERTIFICATE_VERIFY).subarray(4);
    expectDecodeError(() => decodeHandshake(message(15, body, Uint8Array.of(0))), 'decode_error', /certificate_verify: 1 trailing/);
    expectDecodeError(() => decodeHandshake(message(5, Uint8Array.of(0))), 'decode_error', /end_of_early_data/);
  });

  it('trailing bytes inside extension data are rejected', () => {
    expectDecodeError(() => decodeHandshake(clientHello(SV_CH, rawExt(28, '400100'))), 'decode_error', /record_size_limit: 1 trailing/);
    expectDecodeError(() => decodeHandshake(serverHello([rawExt(43, '030400')])), 'decode_error', /supported_versions/);
  });

  it('vector bounds: session id, cipher suites, compression, extension blocks', () => {
    const ok = clientHello(SV_CH, GROUPS);
    expect(decodeCH(ok).cipherSuites).toEqual([0x1301]);
    // legacy_session_id<0..32>: 33 bytes.
    const longSid = message(1, fromHex('0303'), new Uint8Array(32), Uint8Array.of(33), new Uint8Array(33), fromHex('00021301 0100'), block(SV_CH, GROUPS));
    expectDecodeError(() => decodeHandshake(longSid), 'decode_error', /legacy_session_id: length 33 outside <0..32>/);
    // cipher_suites<2..2^16-2>: empty, and odd.
    const noSuites = message(1, fromHex('0303'), new Uint8Array(32), fromHex('00 0000 0100'), block(SV_CH, GROUPS));
    expectDecodeError(() => decodeHandshake(noSuites), 'decode_error', /cipher_suites: length 0/);
    const oddSuites = message(1, fromHex('0303'), new Uint8Array(32), fromHex('00 0003 130113 0100'), block(SV_CH, GROUPS));
    expectDecodeError(() => decodeHandshake(oddSuites), 'decode_error', /cipher_suites: odd length/);
    // legacy_compression_methods<1..2^8-1>: empty.
    const noCompression = message(1, fromHex('0303'), new Uint8Array(32), fromHex('00 00021301 00'), block(SV_CH, GROUPS));
    expectDecodeError(() => decodeHandshake(noCompression), 'decode_error', /legacy_compression_methods/);
    // extensions<8..2^16-1>: a single 7-byte extension.
    expectDecodeError(() => decodeHandshake(clientHello(SV_CH)), 'decode_error', /client_hello extensions: length 7/);
    // A ClientHello with no extension block at all (pre-TLS 1.3 style).
    const noExts = message(1, fromHex('0303'), new Uint8Array(32), fromHex('00 00021301 0100'));
    expectDecodeError(() => decodeHandshake(noExts), 'decode_error', /client_hello extensions/);
    // CertificateRequest extensions<2..2^16-1>: empty.
    expectDecodeError(() => decodeHandshake(message(13, fromHex('00 0000'))), 'decode_error', /certificate_request extensions/);
    // NewSessionTicket ticket<1..2^16-1>: empty.
    expectDecodeError(() => decodeHandshake(message(4, fromHex('00000001 00000002 00 0000 0000'))), 'decode_error', /ticket: length 0/);
  });

  it('an extension length running past the block is rejected', () => {
    expectDecodeError(() => decodeHandshake(clientHello(SV_CH, fromHex('000a 0010 0002 001d'))), 'decode_error', /extension_data/);
  });

  it('key shares, binders and certificate entries have minimum sizes', () => {
    expectDecodeError(() => decodeHandshake(clientHello(SV_CH, rawExt(51, '0004 001d 0000'))), 'decode_error', /key_exchange: length 0/);
    const shortBinder = rawExt(41, '000a 0004 01020304 00000000 0020 1f' + '11'.repeat(31));
    expectDecodeError(() => decodeHandshake(clientHello(SV_CH, shortBinder)), 'decode_error', /binder/);
    const emptyCert = message(11, fromHex('00 000005 000000 0000'));
    expectDecodeError(() => decodeHandshake(emptyCert), 'decode_error', /cert_data: length 0/);
  });

  it('Finished must be one hash long', () => {
    const fin = fromHex(V.S3_SERVER_FINISHED);
    expect(decodeHandshake(fin, { hashLength: 32 }).type).toBe('finished');
    expectDecodeError(() => decodeHandshake(fin, { hashLength: 48 }), 'decode_error', /finished verify_data: 32 bytes, expected 48/);
    expectDecodeError(() => decodeHandshake(message(20, new Uint8Array(33))), 'decode_error', /expected 32 or 48/);
    expect(decodeHandshake(message(20, new Uint8Array(48))).type).toBe('finished');
  });

  it('unknown handshake types are rejected', () => {
    expectDecodeError(() => decodeHandshake(message(12, new Uint8Array(4))), 'decode_error', /unknown handshake message type 12/);
    expectDecodeError(() => decodeHandshakeBody(99, new Uint8Array(0)), 'decode_error');
  });
});

describe('extension block rules (RFC 8446 §4.2)', () => {
  it('duplicate extension types are illegal_parameter', () => {
    expectDecodeError(() => decodeHandshake(clientHello(SV_CH, GROUPS, GROUPS)), 'illegal_parameter', /duplicate extension supported_groups/);
    // Also for raw-kept and GREASE codes.
    expectDecodeError(() => decodeHandshake(clientHello(SV_CH, rawExt(0x1a1a, ''), rawExt(0x1a1a, '00'))), 'illegal_parameter', /duplicate/);
    expectDecodeError(() => decodeHandshake(serverHello([SV_SH, SV_SH])), 'illegal_parameter', /duplicate/);
  });

  it('pre_shared_key must be the last ClientHello extension', () => {
    expect(decodeCH(clientHello(SV_CH, GROUPS, PSK)).extensions.at(-1)?.type).toBe('pre_shared_key');
    expectDecodeError(() => decodeHandshake(clientHello(SV_CH, PSK, GROUPS)), 'illegal_parameter', /pre_shared_key is not the last/);
    // In a ServerHello it may be anywhere.
    const sh = decodeHandshake(serverHello([rawExt(41, '0000'), SV_SH])) as ServerHello;
    expect(sh.extensions[0]).toEqual({ type: 'pre_shared_key', selectedIdentity: 0 });
  });

  it('a recognised extension in a message that does not allow it is illegal_parameter', () => {
    expectDecodeError(() => decodeHandshake(serverHello([SV_SH, GROUPS])), 'illegal_parameter', /supported_groups is not allowed in server_hello/);
    const ee = (...exts: Uint8Array[]) => message(8, block(...exts));
    expectDecodeError(() => decodeHandshake(ee(rawExt(51, '001d'))), 'illegal_parameter', /key_share is not allowed in encrypted_extensions/);
    expectDecodeError(() => decodeHandshake(ee(rawExt(48, '0000'))), 'illegal_parameter', /oid_filters/);
    expectDecodeError(() => decodeHandshake(ee(rawExt(21, '00'))), 'illegal_parameter', /padding/);
    // A cookie belongs in a HelloRetryRequest, not a ServerHello.
    expectDecodeError(() => decodeHandshake(serverHello([SV_SH, rawExt(44, '000101')])), 'illegal_parameter', /cookie/);
  });

  it('two key shares for one group are illegal_parameter (§4.2.8)', () => {
    const dup = rawExt(51, '000a 0017 0001 04 0017 0001 05');
    expectDecodeError(() => decodeHandshake(clientHello(SV_CH, dup)), 'illegal_parameter', /two shares/);
  });

  it('binders must match identities one for one', () => {
    const twoBinders = rawExt(41, '000a 0004 01020304 00000000 0042' + ('20' + '11'.repeat(32)).repeat(2));
    expectDecodeError(() => decodeHandshake(clientHello(SV_CH, twoBinders)), 'illegal_parameter', /1 identities but 2 binders/);
  });
});

describe('value rules', () => {
  it('ALPN: zero-length protocol names are rejected; the server selects exactly one', () => {
    expectDecodeError(() => decodeHandshake(clientHello(SV_CH, rawExt(16, '0003 00 01 61'))), 'decode_error', /alpn protocol_name: length 0/);
    const ok = decodeCH(clientHello(SV_CH, rawExt(16, '000c 02 6832 08 687474702f312e31')));
    expect(findExtension(ok.extensions, 'application_layer_protocol_negotiation')?.protocols.map(toHex)).toEqual(['6832', '687474702f312e31']);
    const ee = (data: string) => message(8, block(rawExt(16, data)));
    expect(decodeHandshake(ee('0003 02 6832')).type).toBe('encrypted_extensions');
    expectDecodeError(() => decodeHandshake(ee('0006 02 6832 02 6833')), 'illegal_parameter', /exactly one/);
    // protocol_name_list<2..2^16-1>: empty list.
    expectDecodeError(() => decodeHandshake(ee('0000')), 'decode_error', /protocol_name_list/);
  });

  it('record_size_limit below 64 is illegal_parameter (RFC 8449 §4)', () => {
    expectDecodeError(() => decodeHandshake(clientHello(SV_CH, rawExt(28, '003f'))), 'illegal_parameter', /record_size_limit: 63/);
    expect(findExtension(decodeCH(clientHello(SV_CH, rawExt(28, '0040'))).extensions, 'record_size_limit')?.limit).toBe(64);
  });

  it('KeyUpdate request_update other than 0/1 is illegal_parameter (§4.6.3)', () => {
    expect(decodeHandshake(fromHex('18000001 01'))).toEqual({ type: 'key_update', requestUpdate: 1 });
    expect(decodeHandshake(fromHex('18000001 00'))).toEqual({ type: 'key_update', requestUpdate: 0 });
    expectDecodeError(() => decodeHandshake(fromHex('18000001 02')), 'illegal_parameter', /request_update is 2/);
    expectDecodeError(() => decodeHandshake(fromHex('18000002 0100')), 'decode_error', /key_update: 1 trailing/);
  });

  it('ServerHello legacy_compression_method must be 0 (§4.1.3)', () => {
    expectDecodeError(() => decodeHandshake(serverHello([SV_SH], 1)), 'illegal_parameter', /legacy_compression_method is 1/);
  });

  it('ClientHello legacy fields are exposed as received, for the handshake to judge', () => {
    const ch = decodeCH(message(1, fromHex('0301'), new Uint8Array(32), fromHex('00 00021301 02 0100'), block(SV_CH, GROUPS)));
    expect(ch.legacyVersion).toBe(0x0301);
    expect(ch.legacyCompressionMethods).toEqual([1, 0]);
  });

  it('padding must be zeros (RFC 7685)', () => {
    expect(findExtension(decodeCH(clientHello(SV_CH, rawExt(21, '000000'))).extensions, 'padding')).toEqual({ type: 'padding', length: 3 });
    expectDecodeError(() => decodeHandshake(clientHello(SV_CH, rawExt(21, '000100'))), 'decode_error', /padding: non-zero byte at offset 1/);
  });

  it('server_name: one ASCII host_name without a trailing dot', () => {
    const sni = (list: string) => clientHello(SV_CH, rawExt(0, list));
    const name = (s: string) => '00' + s.length.toString(16).padStart(4, '0') + toHex(new TextEncoder().encode(s));
    const withLen = (body: string) => (body.replace(/ /g, '').length / 2).toString(16).padStart(4, '0') + body;
    expect(findExtension(decodeCH(sni(withLen(name('example.com')))).extensions, 'server_name')).toEqual({
      type: 'server_name',
      hostName: 'example.com',
    });
    expectDecodeError(() => decodeHandshake(sni(withLen(name('example.com.')))), 'decode_error', /trailing dot/);
    expectDecodeError(() => decodeHandshake(sni(withLen(name('bücher.example')))), 'decode_error', /not printable ASCII/);
    expectDecodeError(() => decodeHandshake(sni(withLen('000005 676f6f6400'))), 'decode_error', /byte 0x0/);
    expectDecodeError(() => decodeHandshake(sni(withLen('000000'))), 'decode_error', /host_name: length 0/);
    expectDecodeError(() => decodeHandshake(sni(withLen(name('a.example') + name('b.example')))), 'illegal_parameter', /more than one host_name/);
    expectDecodeError(() => decodeHandshake(sni(withLen('010003616263'))), 'decode_error', /name_type 1/);
    expectDecodeError(() => decodeHandshake(sni('0000')), 'decode_error', /server_name_list: length 0/);
    // In EncryptedExtensions it must be empty.
    expectDecodeError(() => decodeHandshake(message(8, block(rawExt(0, '00')))), 'decode_error', /server_name: 1 trailing/);
  });

  it('status_request: OCSP parsed, other status types kept raw', () => {
    const ocsp = decodeCH(clientHello(SV_CH, rawExt(5, '01 0000 0000')));
    expect(findExtension(ocsp.extensions, 'status_request')).toEqual({
      type: 'status_request',
      responderIds: [],
      requestExtensions: new Uint8Array(0),
    });
    const other = decodeCH(clientHello(SV_CH, rawExt(5, '02 abcdef')));
    expect(findExtension(other.extensions, 'status_request')).toBeUndefined();
    expect(other.extensions[1]).toEqual({ type: 'unknown', code: 5, data: fromHex('02abcdef') });
    expect(toHex(encodeHandshake(other))).toBe(toHex(clientHello(SV_CH, rawExt(5, '02 abcdef'))));
    // In a CertificateEntry: a stapled OCSP response.
    expectDecodeError(() => decodeHandshake(message(11, fromHex('00 00000e 000001 aa 0008 0005 0004 01 000000'))), 'decode_error', /ocsp_response: length 0/);
    const stapled = decodeHandshake(message(11, fromHex('00 00000f 000001 aa 0009 0005 0005 01 000001 ff')));
    expect(stapled.type === 'certificate' && stapled.certificateList[0]?.extensions).toEqual([
      { type: 'status_request', ocspResponse: Uint8Array.of(0xff) },
    ]);
    // In a CertificateRequest: empty.
    const cr = decodeHandshake(message(13, fromHex('00 0004 0005 0000')));
    expect(cr.type === 'certificate_request' && cr.extensions).toEqual([{ type: 'status_request' }]);
  });
});

describe('GREASE (RFC 8701) is tolerated and preserved', () => {
  it('in cipher suites, groups, versions, key shares, schemes, PSK modes, ALPN and extension types', () => {
    const wire = message(
      1,
      fromHex('0303'),
      new Uint8Array(32),
      fromHex('00 0004 3a3a 1301 0100'),
      block(
        rawExt(0x0a0a, ''),
        rawExt(10, '0004 8a8a 001d'),
        rawExt(43, '04 7a7a 0304'),
        rawExt(51, '000a 8a8a 0001 00 001d 0001 42'),
        rawExt(13, '0004 0a0a 0804'),
        rawExt(45, '02 0b 01'),
        rawExt(16, '0006 02 fafa 02 6832'),
        rawExt(0xdada, '00'),
      ),
    );
    const ch = decodeCH(wire);
    expect(ch.cipherSuites).toEqual([0x3a3a, 0x1301]);
    expect(ch.extensions[0]).toEqual({ type: 'unknown', code: 0x0a0a, data: new Uint8Array(0) });
    expect(findExtension(ch.extensions, 'supported_groups')?.groups).toEqual([0x8a8a, 0x1d]);
    expect(findExtension(ch.extensions, 'supported_versions')?.versions).toEqual([0x7a7a, 0x0304]);
    expect(findExtension(ch.extensions, 'key_share')?.clientShares.map((s) => s.group)).toEqual([0x8a8a, 0x1d]);
    expect(findExtension(ch.extensions, 'signature_algorithms')?.schemes).toEqual([0x0a0a, 0x0804]);
    expect(findExtension(ch.extensions, 'psk_key_exchange_modes')?.modes).toEqual([0x0b, 1]);
    expect(findExtension(ch.extensions, 'application_layer_protocol_negotiation')?.protocols.map(toHex)).toEqual(['fafa', '6832']);
    expect(ch.extensions.at(-1)).toEqual({ type: 'unknown', code: 0xdada, data: Uint8Array.of(0) });
    expect(toHex(encodeHandshake(ch))).toBe(toHex(wire));
  });
});

describe('TLS 1.2 ServerHello (no supported_versions)', () => {
  it('keeps its extensions raw, so the handshake can answer protocol_version', () => {
    // TLS 1.2 ServerHellos carry e.g. an ALPN reply and an empty server_name.
    const exts = [rawExt(0xff01, '00'), rawExt(16, '0003 02 6832'), rawExt(0, '')];
    const wire = serverHello(exts);
    const sh = decodeHandshake(wire) as ServerHello;
    expect(sh.extensions.map((e) => e.type)).toEqual(['unknown', 'unknown', 'unknown']);
    expect(findExtension(sh.extensions, 'supported_versions')).toBeUndefined();
    expect(toHex(encodeHandshake(sh))).toBe(toHex(wire));
    // Structure is still checked.
    expectDecodeError(() => decodeHandshake(serverHello([rawExt(16, ''), rawExt(16, '')])), 'illegal_parameter', /duplicate/);
    expect((decodeHandshake(serverHello([])) as ServerHello).extensions).toEqual([]);
  });
});

describe('encoders refuse what decoders reject', () => {
  const base = decodeCH(fromHex(V.S3_CLIENT_HELLO));
  const withExts = (...extensions: ClientHelloExtension[]): ClientHello => ({ ...base, extensions });

  it('duplicates, pre_shared_key not last, bad lengths and values', () => {
    const groups = { type: 'supported_groups', groups: [0x1d] } as const;
    const psk = { type: 'pre_shared_key', identities: [{ identity: Uint8Array.of(1), obfuscatedTicketAge: 0 }], binders: [new Uint8Array(32)] } as const;
    expect(() => encodeHandshake(withExts(groups, groups))).toThrow(/duplicate extension/);
    expect(() => encodeHandshake(withExts(psk, groups))).toThrow(/not the last/);
    expect(() => encodeHandshake(withExts(groups, { ...psk, binders: [] }))).toThrow(/1 identities but 0 binders/);
    expect(() => encodeHandshake({ ...base, random: new Uint8Array(31) })).toThrow(/random/);
    expect(() => encodeHandshake({ ...base, legacySessionId: new Uint8Array(33) })).toThrow(/legacy_session_id/);
    expect(() => encodeHandshake(withExts(groups, { type: 'record_size_limit', limit: 63 }))).toThrow(/record_size_limit/);
    expect(() => encodeHandshake(withExts(groups, { type: 'server_name', hostName: 'bücher.example' }))).toThrow(/server_name/);
    expect(() => encodeHandshake(withExts(groups, { type: 'server_name', hostName: '' }))).toThrow(/host_name/);
    expect(() => encodeHandshake({ type: 'key_update', requestUpdate: 2 as 0 })).toThrow(/key_update/);
  });

  it('helloRetryRequest must agree with the random', () => {
    const sh = decodeHandshake(fromHex(V.S3_SERVER_HELLO)) as ServerHello;
    expect(() => encodeHandshake({ ...sh, helloRetryRequest: true, extensions: [] })).toThrow(/helloRetryRequest/);
    expect(() => encodeHandshake({ ...sh, random: HELLO_RETRY_REQUEST_RANDOM })).toThrow(/helloRetryRequest/);
  });

  it('writeExtensions checks the block bounds', () => {
    expect(() => writeExtensions(new ByteWriter(), vectorSpec('cr extensions', 2, 2, 0xffff), [])).toThrow(/cr extensions/);
  });
});

describe('misc', () => {
  it('decodeHandshake copies its input', () => {
    const wire = fromHex(V.S3_CERTIFICATE_VERIFY);
    const cv = decodeHandshake(wire);
    wire.fill(0);
    expect(cv.type === 'certificate_verify' && toHex(cv.signature.subarray(0, 4))).toBe('5a747c5d');
  });

  it('handshakeHeader and message_hash (§4.4.1)', () => {
    expect(toHex(handshakeHeader(1, 0x0102ff))).toBe('010102ff');
    const hash = new Uint8Array(32).fill(0xab);
    expect(toHex(encodeHandshake({ type: 'message_hash', hash }))).toBe('fe000020' + 'ab'.repeat(32));
    expect(decodeHandshake(fromHex('fe000020' + 'ab'.repeat(32)))).toEqual({ type: 'message_hash', hash });
  });

  it('alerts', () => {
    expect(toHex(encodeAlert(2, 50))).toBe('0232');
    expect(decodeAlert(fromHex('0100'))).toEqual({ level: 1, description: 0 });
    expectDecodeError(() => decodeAlert(fromHex('02')), 'decode_error', /alert/);
    expectDecodeError(() => decodeAlert(fromHex('023200')), 'decode_error', /alert/);
    expect(() => encodeAlert(256, 0)).toThrow(RangeError);
  });

  it('truncateClientHelloForBinders needs pre_shared_key as the last extension', () => {
    expectDecodeError(() => truncateClientHelloForBinders(fromHex(V.S3_CLIENT_HELLO)), 'decode_error', /not pre_shared_key/);
    expectDecodeError(() => truncateClientHelloForBinders(fromHex(V.S3_SERVER_HELLO)), 'decode_error', /not a client_hello/);
    const ch = clientHello(SV_CH, GROUPS, PSK);
    expect(truncateClientHelloForBinders(ch).length).toBe(ch.length - 35);
    expect(ExtensionType.pre_shared_key).toBe(41);
  });
});
