/**
 * A focused check of the key schedule against the RFC 8448 §3 (simple 1-RTT)
 * and §4 (resumed 0-RTT) traces; the exhaustive trace replay lives elsewhere.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { KeySchedule } from '../../src/crypto/keySchedule.js';
import { createNobleCrypto, nobleCrypto } from '../../src/crypto/noble.js';
import { SignatureScheme } from '../../src/registry.js';
import { concat, fromHex, toHex, utf8 } from '../../src/util/bytes.js';

const sha256 = nobleCrypto.hash('SHA-256');
const ks = new KeySchedule(nobleCrypto, sha256);
const hex = (b: Uint8Array) => toHex(b);

// RFC 8448 §3 handshake messages (ClientHello, ServerHello, and the server's
// EncryptedExtensions ‖ Certificate ‖ CertificateVerify ‖ Finished flight).
const CLIENT_HELLO = fromHex(
  '010000c00303cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7000006130113031302010000910000000b0009000006736572766572ff01000100000a00140012001d0017001800190100010101020103010400230000003300260024001d002099381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c002b0003020304000d0020001e040305030603020308040805080604010501060102010402050206020202002d00020101001c00024001',
);
const SERVER_HELLO = fromHex(
  '020000560303a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e2692800130100002e00330024001d0020c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f002b00020304',
);
const SERVER_FLIGHT = fromHex(
  '080000240022000a00140012001d00170018001901000101010201030104001c00024001000000000b0001b9000001b50001b0308201ac30820115a003020102020102300d06092a864886f70d01010b0500300e310c300a06035504031303727361301e170d3136303733303031323335395a170d3236303733303031323335395a300e310c300a0603550403130372736130819f300d06092a864886f70d010101050003818d0030818902818100b4bb498f8279303d980836399b36c6988c0c68de55e1bdb826d3901a2461eafd2de49a91d015abbc9a95137ace6c1af19eaa6af98c7ced43120998e187a80ee0ccb0524b1b018c3e0b63264d449a6d38e22a5fda430846748030530ef0461c8ca9d9efbfae8ea6d1d03e2bd193eff0ab9a8002c47428a6d35a8d88d79f7f1e3f0203010001a31a301830090603551d1304023000300b0603551d0f0404030205a0300d06092a864886f70d01010b05000381810085aad2a0e5b9276b908c65f73a7267170618a54c5f8a7b337d2df7a594365417f2eae8f8a58c8f8172f9319cf36b7fd6c55b80f21a03015156726096fd335e5e67f2dbf102702e608ccae6bec1fc63a42a99be5c3eb7107c3c54e9b9eb2bd5203b1c3b84e0a8b2f759409ba3eac9d91d402dcc0cc8f8961229ac9187b42b4de100000f000084080400805a747c5d88fa9bd2e55ab085a61015b7211f824cd484145ab3ff52f1fda8477b0b7abc90db78e2d33a5c141a078653fa6bef780c5ea248eeaaa785c4f394cab6d30bbe8d4859ee511f602957b15411ac027671459e46445c9ea58c181e818e95b8c3fb0bf3278409d3be152a3da5043e063dda65cdf5aea20d53dfacd42f74f3140000209b9b141d906337fbd2cbdce71df4deda4ab42c309572cb7fffee5454b78f0718',
);
const EE_LEN = 40;
const CERT_LEN = 445;
const CV_LEN = 136;
const FIN_LEN = 36;
const CLIENT_FINISHED = fromHex('14000020a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61');
const ECDHE = fromHex('8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d');

const th = (...parts: Uint8Array[]) => sha256.digest(concat(...parts));

describe('KeySchedule: RFC 8448 §3 simple 1-RTT handshake', () => {
  const early = ks.earlySecret();
  const hs = ks.handshakeSecret(early, ECDHE);
  const helloHash = th(CLIENT_HELLO, SERVER_HELLO);
  const cHs = ks.clientHandshakeTrafficSecret(hs, helloHash);
  const sHs = ks.serverHandshakeTrafficSecret(hs, helloHash);
  const ms = ks.masterSecret(hs);
  const serverFinishedHash = th(CLIENT_HELLO, SERVER_HELLO, SERVER_FLIGHT);

  it('early secret (no PSK) and Hash("")', () => {
    expect(hex(early)).toBe('33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a');
    expect(hex(ks.emptyHash())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex(ks.deriveSecret(early, 'derived', ks.emptyHash()))).toBe(
      '6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba',
    );
  });

  it('handshake secret and handshake traffic secrets', () => {
    expect(hex(hs)).toBe('1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac');
    expect(hex(helloHash)).toBe('860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8');
    expect(hex(cHs)).toBe('b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21');
    expect(hex(sHs)).toBe('b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38');
  });

  it('handshake traffic keys and IVs (AES-128-GCM)', () => {
    expect(ks.trafficKeys(sHs, 16)).toEqual({
      key: fromHex('3fce516009c21727d0f2e4e86ee403bc'),
      iv: fromHex('5d313eb2671276ee13000b30'),
    });
    expect(ks.trafficKeys(cHs, 16, 12)).toEqual({
      key: fromHex('dbfaa693d1762c5b666af5d950258d01'),
      iv: fromHex('5bd3c71b836e0b76bb73265f'),
    });
  });

  it('master secret and application traffic secrets', () => {
    expect(hex(ms)).toBe('18df06843d13a08bf2a449844c5f8a478001bc4d4c627984d5a41da8d0402919');
    expect(hex(serverFinishedHash)).toBe('9608102a0f1ccc6db6250b7b7e417b1a000eaada3daae4777a7686c9ff83df13');
    const cAp = ks.clientApplicationTrafficSecret(ms, serverFinishedHash);
    const sAp = ks.serverApplicationTrafficSecret(ms, serverFinishedHash);
    expect(hex(cAp)).toBe('9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5');
    expect(hex(sAp)).toBe('a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643');
    expect(hex(ks.exporterMasterSecret(ms, serverFinishedHash))).toBe(
      'fe22f881176eda18eb8f44529e6792c50c9a3f89452f68d8ae311b4309d3cf50',
    );
    expect(ks.trafficKeys(sAp, 16)).toEqual({
      key: fromHex('9f02283b6c9c07efc26bb9f2ac92e356'),
      iv: fromHex('cf782b88dd83549aadf1e984'),
    });
    expect(ks.trafficKeys(cAp, 16)).toEqual({
      key: fromHex('17422dda596ed5d9acd890e3c63f5051'),
      iv: fromHex('5b78923dee08579033e523d9'),
    });
  });

  it('Finished keys and verify_data for both sides', () => {
    expect(hex(ks.finishedKey(sHs))).toBe('008d3b66f816ea559f96b537e885c31fc068bf492c652f01f288a1d8cdc19fc8');
    const throughCv = th(CLIENT_HELLO, SERVER_HELLO, SERVER_FLIGHT.subarray(0, EE_LEN + CERT_LEN + CV_LEN));
    expect(hex(ks.verifyData(sHs, throughCv))).toBe('9b9b141d906337fbd2cbdce71df4deda4ab42c309572cb7fffee5454b78f0718');
    expect(SERVER_FLIGHT.length).toBe(EE_LEN + CERT_LEN + CV_LEN + FIN_LEN);

    expect(hex(ks.finishedKey(cHs))).toBe('b80ad01015fb2f0bd65ff7d4da5d6bf83f84821d1f87fdc7d3c75b5a7b42d9c4');
    expect(hex(ks.verifyData(cHs, serverFinishedHash))).toBe(
      'a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61',
    );
  });

  it('resumption master secret and the ticket PSK', () => {
    const clientFinishedHash = th(CLIENT_HELLO, SERVER_HELLO, SERVER_FLIGHT, CLIENT_FINISHED);
    expect(hex(clientFinishedHash)).toBe('209145a96ee8e2a122ff810047cc952684658d6049e86429426db87c54ad143d');
    const rms = ks.resumptionMasterSecret(ms, clientFinishedHash);
    expect(hex(rms)).toBe('7df235f2031d2a051287d02b0241b0bfdaf86cc856231f2d5aba46c434ec196c');
    expect(hex(ks.resumptionPsk(rms, fromHex('0000')))).toBe(
      '4ecd0eb6ec3b4d87f5d6028f922ca4c5851a277fd41311c9e62d2c9492e1c4f3',
    );
  });

  it('the server CertificateVerify (rsa_pss_rsae_sha256, RSA-1024) verifies once 1024-bit keys are allowed', async () => {
    const n = BigInt(
      '0xb4bb498f8279303d980836399b36c6988c0c68de55e1bdb826d3901a2461eafd2de49a91d015abbc9a95137ace6c1af19eaa6af98c7ced43120998e187a80ee0ccb0524b1b018c3e0b63264d449a6d38e22a5fda430846748030530ef0461c8ca9d9efbfae8ea6d1d03e2bd193eff0ab9a8002c47428a6d35a8d88d79f7f1e3f',
    );
    const key = { kind: 'rsa' as const, n, e: 65537n };
    const cv = SERVER_FLIGHT.subarray(EE_LEN + CERT_LEN, EE_LEN + CERT_LEN + CV_LEN);
    expect(hex(cv.subarray(0, 8))).toBe('0f00008408040080'); // CertificateVerify, rsa_pss_rsae_sha256, 128-byte signature
    const signature = cv.subarray(8);
    // RFC 8446 §4.4.3: 64 spaces, the context string, a zero byte, then the transcript hash.
    const content = concat(
      new Uint8Array(64).fill(0x20),
      utf8('TLS 1.3, server CertificateVerify'),
      Uint8Array.of(0),
      th(CLIENT_HELLO, SERVER_HELLO, SERVER_FLIGHT.subarray(0, EE_LEN + CERT_LEN)),
    );
    const lenient = createNobleCrypto({ rsaMinModulusBits: 1024 });
    expect(await lenient.signature(SignatureScheme.rsa_pss_rsae_sha256)!.verify(key, content, signature)).toBe(true);
    const tampered = content.slice();
    tampered[100]! ^= 1;
    expect(await lenient.signature(SignatureScheme.rsa_pss_rsae_sha256)!.verify(key, tampered, signature)).toBe(false);
    // The default provider refuses the 1024-bit key.
    expect(await nobleCrypto.signature(SignatureScheme.rsa_pss_rsae_sha256)!.verify(key, content, signature)).toBe(false);
  });
});

describe('KeySchedule: RFC 8448 §4 resumed 0-RTT handshake', () => {
  const psk = fromHex('4ecd0eb6ec3b4d87f5d6028f922ca4c5851a277fd41311c9e62d2c9492e1c4f3');
  const early = ks.earlySecret(psk);

  it('early secret from the PSK, binder key and binder', () => {
    expect(hex(early)).toBe('9b2188e9b2fc6d64d71dc329900e20bb41915000f678aa839cbb797cb7d8332c');
    const binderKey = ks.binderKey(early, 'res');
    expect(hex(binderKey)).toBe('69fe131a3bbad5d63c64eebcc30e395b9d8107726a13d074e389dbc8a4e47256');
    expect(hex(ks.finishedKey(binderKey))).toBe('5588673e72cb59c87d220caffe94f2dea9a3b1609f7d50e90a48227db9ed7eaa');
    const truncatedHelloHash = fromHex('63224b2e4573f2d3454ca84b9d009a04f6be9e05711a8396473aefa01e924a14');
    expect(hex(ks.binder(binderKey, truncatedHelloHash))).toBe(
      '3add4fb2d8fdf822a0ca3cf7678ef5e88dae990141c5924d57bb6fa31b9e5f9d',
    );
    // External PSKs use a different label, hence a different key
    expect(hex(ks.binderKey(early, 'ext'))).not.toBe(hex(binderKey));
  });

  it('client early traffic secret, early exporter master secret, 0-RTT keys', () => {
    const chHash = fromHex('08ad0fa05d7c7233b1775ba2ff9f4c5b8b59276b7f227f13a976245f5d960913');
    const cEarly = ks.clientEarlyTrafficSecret(early, chHash);
    expect(hex(cEarly)).toBe('3fbbe6a60deb66c30a32795aba0eff7eaa10105586e7be5c09678d63b6caab62');
    expect(hex(ks.earlyExporterMasterSecret(early, chHash))).toBe(
      'b2026866610937d7423e5be90862ccf24c0e6091186d34f812089ff5be2ef7df',
    );
    expect(ks.trafficKeys(cEarly, 16)).toEqual({
      key: fromHex('920205a5b7bf2115e6fc5c2942834f54'),
      iv: fromHex('6d475f0993c8e564610db2b9'),
    });
  });

  it('handshake secret with PSK and ECDHE', () => {
    const hs = ks.handshakeSecret(early, fromHex('f44194756ff9ec9d25180635d66ea6824c6ab3bf179977be37f723570e7ccb2e'));
    expect(hex(hs)).toBe('005cb112fd8eb4ccc623bb88a07c64b3ede1605363fc7d0df8c7ce4ff0fb4ae6');
    const helloHash = fromHex('f736cb34fe25e701551bee6fd24c1cc7102a7daf9405cb15d97aafe16f757d03');
    expect(hex(ks.clientHandshakeTrafficSecret(hs, helloHash))).toBe(
      '2faac08f851d35fea3604fcb4de82dc62c9b164a70974d0462e27f1ab278700f',
    );
    expect(hex(ks.serverHandshakeTrafficSecret(hs, helloHash))).toBe(
      'fe927ae271312e8bf0275b581c54eef020450dc4ecffaa05a1a35d27518e7803',
    );
  });
});

describe('KeySchedule: HKDF-Expand-Label encoding and bounds', () => {
  /** HkdfLabel built by hand from the struct of RFC 8446 §7.1. */
  function hkdfLabel(label: string, context: Uint8Array, length: number): Uint8Array {
    const full = utf8('tls13 ' + label);
    return concat(Uint8Array.of(length >> 8, length & 0xff, full.length), full, Uint8Array.of(context.length), context);
  }

  it('equals HKDF-Expand over the hand-built HkdfLabel (RFC 8448 "key" info bytes)', () => {
    expect(hex(hkdfLabel('key', new Uint8Array(0), 16))).toBe('001009746c733133206b657900'); // from RFC 8448
    const secret = new Uint8Array(32).fill(5);
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.uint8Array({ maxLength: 255 }),
        fc.integer({ min: 0, max: 600 }),
        (label, context, length) => {
          fc.pre(utf8(label).length <= 249);
          const ours = ks.expandLabel(secret, label, context, length);
          expect(hex(ours)).toBe(hex(nobleCrypto.hkdfExpand(sha256, secret, hkdfLabel(label, context, length), length)));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('refuses labels and contexts outside the HkdfLabel bounds, and wrong-size transcript hashes', () => {
    const secret = new Uint8Array(32);
    expect(() => ks.expandLabel(secret, '', new Uint8Array(0), 32)).toThrow(/label/);
    expect(ks.expandLabel(secret, 'x'.repeat(249), new Uint8Array(0), 32)).toHaveLength(32);
    expect(() => ks.expandLabel(secret, 'x'.repeat(250), new Uint8Array(0), 32)).toThrow(/label/);
    expect(ks.expandLabel(secret, 'c', new Uint8Array(255), 32)).toHaveLength(32);
    expect(() => ks.expandLabel(secret, 'c', new Uint8Array(256), 32)).toThrow(/context/);
    expect(() => ks.expandLabel(secret, 'c', new Uint8Array(0), 65536)).toThrow(/length/);
    expect(() => ks.expandLabel(secret, 'c', new Uint8Array(0), 255 * 32 + 1)).toThrow(/length/);
    expect(() => ks.deriveSecret(secret, 'c hs traffic', new Uint8Array(48))).toThrow(/transcript hash/);
    expect(() => ks.verifyData(secret, new Uint8Array(31))).toThrow(/transcript hash/);
  });

  it('nextTrafficSecret is HKDF-Expand-Label(secret, "traffic upd", "", Hash.length) (§7.2)', () => {
    const secret = fromHex('a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643');
    const next = ks.nextTrafficSecret(secret);
    expect(hex(next)).toBe(hex(nobleCrypto.hkdfExpand(sha256, secret, hkdfLabel('traffic upd', new Uint8Array(0), 32), 32)));
    expect(hex(ks.nextTrafficSecret(next))).not.toBe(hex(next));
  });

  it('exporter (§7.5): Derive-Secret(secret, label, "") then "exporter" over Hash(context)', () => {
    const exporterSecret = fromHex('fe22f881176eda18eb8f44529e6792c50c9a3f89452f68d8ae311b4309d3cf50');
    const context = utf8('context value');
    const derived = nobleCrypto.hkdfExpand(
      sha256,
      exporterSecret,
      hkdfLabel('EXPORTER-test', sha256.digest(new Uint8Array(0)), 32),
      32,
    );
    const expected = nobleCrypto.hkdfExpand(sha256, derived, hkdfLabel('exporter', sha256.digest(context), 20), 20);
    expect(hex(ks.exportKeyingMaterial(exporterSecret, 'EXPORTER-test', context, 20))).toBe(hex(expected));
    // An empty context and a different label give different output
    expect(hex(ks.exportKeyingMaterial(exporterSecret, 'EXPORTER-test', new Uint8Array(0), 20))).not.toBe(hex(expected));
    expect(hex(ks.exportKeyingMaterial(exporterSecret, 'EXPORTER-other', context, 20))).not.toBe(hex(expected));
  });

  it('works with SHA-384 (TLS_AES_256_GCM_SHA384): 48-byte secrets', () => {
    const ks384 = new KeySchedule(nobleCrypto, nobleCrypto.hash('SHA-384'));
    const early = ks384.earlySecret();
    expect(early).toHaveLength(48);
    const hs = ks384.handshakeSecret(early, new Uint8Array(32).fill(1));
    expect(ks384.masterSecret(hs)).toHaveLength(48);
    expect(ks384.trafficKeys(hs, 32)).toMatchObject({ key: expect.any(Uint8Array), iv: expect.any(Uint8Array) });
    expect(ks384.trafficKeys(hs, 32).key).toHaveLength(32);
    expect(() => ks384.deriveSecret(hs, 'c hs traffic', new Uint8Array(32))).toThrow(/48 bytes/);
  });
});
