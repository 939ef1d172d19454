/**
 * describe(): every message type and every extension shape, in every
 * context where it may appear, becomes a labelled tree with its RFC
 * section, without throwing, for any valid value (fast-check over the wire
 * arbitraries); plus the details a reader relies on: GREASE marked, code
 * points named, long bytes truncated with their length, certificates parsed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type FieldNode,
  describeCertificateData,
  describeExtension,
  describeMessage,
  describeRecord,
  formatFields,
  hexPreview,
  toJsonValue,
  versionName,
} from '../../src/inspect/index.js';
import { CipherSuite, ContentType, ExtensionType, HandshakeType, NamedGroup, codeName, isGrease } from '../../src/registry.js';
import { fromHex, toHex, utf8 } from '../../src/util/bytes.js';
import {
  type ClientHello,
  type Extension,
  type ExtensionContext,
  DOWNGRADE_TLS12,
  encodeHandshake,
  extensionCode,
  helloRetryRequest,
} from '../../src/wire/index.js';
import { parseCertificates } from '../../src/x509/index.js';
import { GREASE_VALUES, extensionsByContext, messages } from '../wire/arbitraries.js';
import { SERVER_CERT } from './helpers.js';

/** Every node of a tree, depth first. */
function nodes(root: FieldNode): FieldNode[] {
  return [root, ...(root.children ?? []).flatMap(nodes)];
}

function child(node: FieldNode, label: string): FieldNode {
  const found = node.children?.find((c) => c.label === label);
  expect(found, `${node.label} has a field ${label}`).toBeDefined();
  return found!;
}

/** What each message is called and where it is defined. */
const MESSAGE_REFERENCE: Record<string, [string, string]> = {
  client_hello: ['ClientHello', 'RFC 8446 §4.1.2'],
  server_hello: ['ServerHello', 'RFC 8446 §4.1.3'],
  hello_retry_request: ['HelloRetryRequest', 'RFC 8446 §4.1.4'],
  encrypted_extensions: ['EncryptedExtensions', 'RFC 8446 §4.3.1'],
  certificate: ['Certificate', 'RFC 8446 §4.4.2'],
  certificate_request: ['CertificateRequest', 'RFC 8446 §4.3.2'],
  certificate_verify: ['CertificateVerify', 'RFC 8446 §4.4.3'],
  finished: ['Finished', 'RFC 8446 §4.4.4'],
  new_session_ticket: ['NewSessionTicket', 'RFC 8446 §4.6.1'],
  end_of_early_data: ['EndOfEarlyData', 'RFC 8446 §4.5'],
  key_update: ['KeyUpdate', 'RFC 8446 §4.6.3'],
  message_hash: ['message_hash', 'RFC 8446 §4.4.1'],
};

/** Where each extension we decode is defined. */
const EXTENSION_REFERENCE: Record<Exclude<Extension['type'], 'unknown'>, string> = {
  server_name: 'RFC 6066 §3',
  supported_groups: 'RFC 8446 §4.2.7',
  signature_algorithms: 'RFC 8446 §4.2.3',
  signature_algorithms_cert: 'RFC 8446 §4.2.3',
  supported_versions: 'RFC 8446 §4.2.1',
  key_share: 'RFC 8446 §4.2.8',
  psk_key_exchange_modes: 'RFC 8446 §4.2.9',
  pre_shared_key: 'RFC 8446 §4.2.11',
  early_data: 'RFC 8446 §4.2.10',
  cookie: 'RFC 8446 §4.2.2',
  application_layer_protocol_negotiation: 'RFC 7301 §3.1',
  record_size_limit: 'RFC 8449 §4',
  status_request: 'RFC 6066 §8, RFC 8446 §4.4.2.1',
  certificate_authorities: 'RFC 8446 §4.2.4',
  post_handshake_auth: 'RFC 8446 §4.2.6',
  padding: 'RFC 7685 §3',
};

function expectPlainData(node: FieldNode): void {
  expect(JSON.parse(JSON.stringify(node))).toEqual(node);
  expect(toJsonValue(node)).toEqual(node);
  for (const n of nodes(node)) {
    expect(typeof n.label).toBe('string');
    for (const v of [n.value, n.rfc, n.note]) if (v !== undefined) expect(typeof v).toBe('string');
  }
}

describe('describeMessage', () => {
  it('has an arbitrary for every handshake message type', () => {
    expect(Object.keys(messages).sort()).toEqual([...Object.keys(HandshakeType), 'hello_retry_request'].sort());
    expect(Object.keys(MESSAGE_REFERENCE).sort()).toEqual(Object.keys(messages).sort());
  });

  for (const [name, arb] of Object.entries(messages)) {
    it(`describes any ${name} with its RFC section, every extension included`, () => {
      const [title, section] = MESSAGE_REFERENCE[name]!;
      fc.assert(
        fc.property(arb, (message) => {
          const tree = describeMessage(message);
          expect(tree).toMatchObject({ kind: 'message', label: title, rfc: section });
          expectPlainData(tree);
          expect(formatFields(tree).split('\n').length).toBe(nodes(tree).length);
          const exts = 'extensions' in message ? message.extensions : [];
          if ('extensions' in message) {
            const block = child(tree, 'extensions');
            expect(block.children).toHaveLength(exts.length);
            block.children!.forEach((node, i) => {
              const code = extensionCode(exts[i]!);
              expect(node.kind).toBe('extension');
              expect(node.label).toMatch(new RegExp(`\\(${isGrease(code) ? `0x${code.toString(16).padStart(4, '0')}` : code}\\)$`));
            });
          }
          if (message.type === 'certificate') {
            const list = child(tree, 'certificate_list');
            expect(list.children).toHaveLength(message.certificateList.length);
            // Random bytes are not certificates: each entry says so, with its length.
            list.children!.forEach((entry, i) => {
              const data = child(entry, 'cert_data');
              expect(data.value).toContain(`(${message.certificateList[i]!.certData.length} byte`);
            });
          }
        }),
        { numRuns: 60 },
      );
    });
  }

  it('labels a HelloRetryRequest as such and explains its random', () => {
    const hrr = helloRetryRequest({
      legacySessionIdEcho: new Uint8Array(0),
      cipherSuite: CipherSuite.TLS_AES_128_GCM_SHA256,
      extensions: [
        { type: 'supported_versions', selectedVersion: 0x0304 },
        { type: 'key_share', selectedGroup: NamedGroup.secp256r1 },
      ],
    });
    const tree = describeMessage(hrr);
    expect(tree).toMatchObject({ label: 'HelloRetryRequest', rfc: 'RFC 8446 §4.1.4' });
    expect(child(tree, 'random').note).toContain('HelloRetryRequest');
    const share = child(child(tree, 'extensions'), 'key_share (51)');
    expect(child(share, 'selected_group').value).toBe('secp256r1 (0x0017)');
  });

  it('points out the downgrade sentinel in a ServerHello random (§4.1.3)', () => {
    const random = new Uint8Array(32);
    random.set(DOWNGRADE_TLS12, 24);
    const tree = describeMessage({
      type: 'server_hello',
      helloRetryRequest: false,
      legacyVersion: 0x0303,
      random,
      legacySessionIdEcho: new Uint8Array(0),
      cipherSuite: 0x1301,
      extensions: [],
    });
    expect(child(tree, 'random').note).toContain('TLS 1.2');
  });

  it('names code points, marks GREASE (RFC 8701) and unknown values', () => {
    const hello: ClientHello = {
      type: 'client_hello',
      legacyVersion: 0x0301,
      random: new Uint8Array(32),
      legacySessionId: new Uint8Array(0),
      cipherSuites: [0x2a2a, CipherSuite.TLS_CHACHA20_POLY1305_SHA256, 0x1234],
      legacyCompressionMethods: [0],
      extensions: [
        { type: 'unknown', code: 0x3a3a, data: new Uint8Array(0) },
        { type: 'supported_versions', versions: [0x4a4a, 0x0304, 0x0303, 0x7f1c] },
        { type: 'supported_groups', groups: [0x5a5a, NamedGroup.x25519, 0x9999] },
        { type: 'psk_key_exchange_modes', modes: [0x2a, 1, 0, 7] },
        { type: 'application_layer_protocol_negotiation', protocols: [Uint8Array.of(0x6a, 0x6a), utf8('h2'), Uint8Array.of(0xff, 0)] },
        { type: 'unknown', code: ExtensionType.extended_master_secret, data: new Uint8Array(0) },
        { type: 'unknown', code: 0xfe0d, data: Uint8Array.of(1, 2, 3) },
      ],
    };
    const tree = describeMessage(hello);
    const text = formatFields(tree);
    expect(child(tree, 'legacy_version').note).toBe('TLS 1.3 requires 0x0303 here (§4.1.2)');
    expect(child(tree, 'cipher_suites').children!.map((c) => c.label)).toEqual([
      'GREASE (0x2a2a)',
      'TLS_CHACHA20_POLY1305_SHA256 (0x1303)',
      'unknown (0x1234)',
    ]);
    expect(child(tree, 'cipher_suites').children![0]!.rfc).toBe('RFC 8701 §2');
    const exts = child(tree, 'extensions').children!;
    expect(exts.map((e) => e.label)).toEqual([
      'GREASE (0x3a3a)',
      'supported_versions (43)',
      'supported_groups (10)',
      'psk_key_exchange_modes (45)',
      'application_layer_protocol_negotiation (16)',
      'extended_master_secret (23)',
      'unknown (65037)',
    ]);
    expect(exts[0]).toMatchObject({ rfc: 'RFC 8701 §2', note: 'reserved value: the peer must ignore it' });
    expect(exts[5]).toMatchObject({ rfc: 'RFC 7627 §5.1', note: 'TLS 1.2 only: ignored in TLS 1.3' });
    expect(exts[6]!.rfc).toBeUndefined();
    for (const line of [
      '- GREASE (0x4a4a)',
      '- TLS 1.3 (0x0304)',
      '- TLS 1.2 (0x0303)',
      '- TLS 1.3 draft 28 (0x7f1c)',
      '- GREASE (0x5a5a)',
      '- x25519 (0x001d)',
      '- unknown (0x9999)',
      '- GREASE (0x2a)',
      '- psk_dhe_ke (1)',
      '- psk_ke (0)  — PSK only: no forward secrecy',
      '- unknown (7)',
      '- GREASE (0x6a6a)',
      '- "h2"',
      '- 0xff00',
      'extension_data: 010203 (3 bytes)',
    ]) {
      expect(text).toContain(line);
    }
  });
});

describe('describeExtension', () => {
  const contexts = Object.keys(extensionsByContext) as ExtensionContext[];

  for (const context of contexts) {
    for (const [name, arb] of Object.entries(extensionsByContext[context])) {
      it(`describes any ${name} in ${context}`, () => {
        fc.assert(
          fc.property(arb, (ext) => {
            const node = describeExtension(ext, context);
            expectPlainData(node);
            expect(node.kind).toBe('extension');
            const code = extensionCode(ext);
            if (ext.type !== 'unknown') {
              expect(node.label).toBe(`${ext.type} (${code})`);
              expect(node.rfc).toBe(EXTENSION_REFERENCE[ext.type]);
            } else if (isGrease(code)) {
              expect(node).toMatchObject({ label: `GREASE (0x${code.toString(16).padStart(4, '0')})`, rfc: 'RFC 8701 §2' });
            } else {
              const known = codeName(ExtensionType, code);
              expect(node.label).toBe(`${known.startsWith('0x') ? 'unknown' : known} (${code})`);
              expect(child(node, 'extension_data').value).toBe(hexPreview(ext.data));
            }
          }),
          { numRuns: 40 },
        );
      });
    }
  }

  it('covers every extension shape the wire layer decodes', () => {
    const seen = new Set<string>();
    for (const context of contexts) {
      for (const arb of Object.values(extensionsByContext[context])) for (const ext of fc.sample(arb, 3)) seen.add(ext.type);
    }
    expect([...seen].sort()).toEqual([...Object.keys(EXTENSION_REFERENCE), 'unknown'].sort());
  });

  it('uses the carrying message to explain early_data and server_name', () => {
    expect(describeExtension({ type: 'early_data' }, 'encrypted_extensions').note).toBe('the server accepted the 0-RTT data');
    expect(describeExtension({ type: 'early_data' }, 'client_hello').note).toContain('0-RTT');
    expect(describeExtension({ type: 'early_data', maxEarlyDataSize: 16384 }, 'new_session_ticket').children![0]!.value).toBe('16384 bytes');
    expect(describeExtension({ type: 'server_name' }, 'encrypted_extensions').note).toContain('the server used the name');
  });

  it('explains key shares by group, including the hybrid layout', () => {
    const node = describeExtension(
      {
        type: 'key_share',
        clientShares: [
          { group: NamedGroup.X25519MLKEM768, keyExchange: new Uint8Array(1216) },
          { group: NamedGroup.secp256r1, keyExchange: new Uint8Array(65).fill(4, 0, 1) },
          { group: 0x0a0a, keyExchange: Uint8Array.of(0) },
        ],
      },
      'client_hello',
    );
    const text = formatFields(node);
    expect(text).toContain('KeyShareEntry: X25519MLKEM768 (0x11ec)');
    expect(text).toContain('… (1216 bytes)  — ML-KEM-768 encapsulation key (1184) || X25519 share (32)');
    expect(text).toContain('— an uncompressed point: 0x04 || X || Y (RFC 8446 §4.2.8.2)');
    expect(text).toContain('KeyShareEntry: GREASE (0x0a0a)  [RFC 8701 §2]');
  });

  it('shows PSK identities, ages and binders with their sections', () => {
    const text = formatFields(
      describeExtension({
        type: 'pre_shared_key',
        identities: [{ identity: utf8('ticket'), obfuscatedTicketAge: 12345 }],
        binders: [new Uint8Array(32).fill(0xab)],
      }),
    );
    expect(text).toContain('pre_shared_key (41)  [RFC 8446 §4.2.11]');
    expect(text).toContain(`identity: ${toHex(utf8('ticket'))} (6 bytes)`);
    expect(text).toContain('obfuscated_ticket_age: 12345  [RFC 8446 §4.2.11.1]');
    expect(text).toContain('binders: 1 binder  [RFC 8446 §4.2.11.2]');
    expect(text).toContain(`- ${'ab'.repeat(32)} (32 bytes)`);
  });
});

describe('values', () => {
  it('shows short bytes whole and long bytes truncated, always with the length', () => {
    expect(hexPreview(new Uint8Array(0))).toBe('(empty)');
    expect(hexPreview(Uint8Array.of(0xab))).toBe('ab (1 byte)');
    expect(hexPreview(new Uint8Array(32).fill(1))).toBe(`${'01'.repeat(32)} (32 bytes)`);
    expect(hexPreview(new Uint8Array(100).fill(2))).toBe(`${'02'.repeat(32)}… (100 bytes)`);
    expect(hexPreview(new Uint8Array(10).fill(3), 4)).toBe('03030303… (10 bytes)');
    expect(describeMessage({ type: 'finished', verifyData: new Uint8Array(48) }, { maxBytes: 8 }).children![0]!.value).toBe(
      '0000000000000000… (48 bytes)',
    );
  });

  it('names versions as people say them', () => {
    expect(versionName(0x0304)).toBe('TLS 1.3 (0x0304)');
    expect(versionName(0x0301)).toBe('TLS 1.0 (0x0301)');
    expect(versionName(0x0300)).toBe('SSL 3.0 (0x0300)');
    expect(versionName(0x7f17)).toBe('TLS 1.3 draft 23 (0x7f17)');
    expect(versionName(0xfafa)).toBe('GREASE (0xfafa)');
    expect(versionName(0x0200)).toBe('unknown (0x0200)');
  });

  it('parses certificates it can, and says why for those it cannot', () => {
    const [leaf] = parseCertificates(SERVER_CERT.cert);
    const fields = describeCertificateData(leaf!.raw);
    const byLabel = Object.fromEntries(fields.map((f) => [f.label, f.value]));
    expect(byLabel).toMatchObject({
      cert_data: hexPreview(leaf!.raw),
      subject: leaf!.subject.text,
      issuer: leaf!.issuer.text,
      serial: leaf!.serialHex,
      subject_alt_name: 'DNS:p256.test, DNS:localhost',
      public_key: 'ECDSA P-256',
    });
    const junk = describeCertificateData(Uint8Array.of(0x30, 0x03, 1, 2, 3));
    expect(junk).toHaveLength(1);
    expect(junk[0]!.value).toBe('3003010203 (5 bytes)');
    expect(junk[0]!.note).toMatch(/^not a certificate we can parse: /);
  });
});

describe('describeRecord', () => {
  it('decodes a plaintext handshake record down to the messages it starts', () => {
    const body = encodeHandshake({ type: 'key_update', requestUpdate: 0 });
    const fragment = new Uint8Array([...body, ...fromHex('0100ffff0102')]);
    const tree = describeRecord({ contentType: ContentType.handshake, version: 0x0301, fragment });
    expect(tree).toMatchObject({ label: 'TLSPlaintext', rfc: 'RFC 8446 §5.1' });
    const text = formatFields(tree);
    expect(text).toContain('type: handshake (22)');
    expect(text).toContain('legacy_record_version: TLS 1.0 (0x0301)');
    expect(text).toContain('- key_update (24), 1 byte');
    expect(text).toContain('- client_hello (1), 65535 bytes  — continues in the next record');
  });

  it('decodes alerts and the compatibility ChangeCipherSpec', () => {
    expect(formatFields(describeRecord({ contentType: ContentType.alert, version: 0x0303, fragment: Uint8Array.of(2, 40) }))).toContain(
      'description: handshake_failure (40)  [RFC 8446 §6]',
    );
    expect(formatFields(describeRecord({ contentType: ContentType.change_cipher_spec, version: 0x0303, fragment: Uint8Array.of(1) }))).toContain(
      'Appendix D.4',
    );
  });

  it('keeps protected records opaque', () => {
    const tree = describeRecord({ contentType: ContentType.application_data, version: 0x0303, fragment: new Uint8Array(40) });
    expect(tree).toMatchObject({ label: 'TLSCiphertext', rfc: 'RFC 8446 §5.2' });
    expect(child(tree, 'opaque_type').value).toBe('application_data (23)');
    expect(child(tree, 'encrypted_record').value).toBe(hexPreview(new Uint8Array(40)));
  });

  it('never throws on any record bytes', () => {
    fc.assert(
      fc.property(fc.constantFrom(20, 21, 22, 23, 99), fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 300 }), (type, version, fragment) => {
        expectPlainData(describeRecord({ contentType: type, version, fragment }));
      }),
    );
  });
});

it('GREASE_VALUES are all recognised', () => {
  for (const v of GREASE_VALUES) expect(versionName(v)).toMatch(/^GREASE/);
});
