import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { nobleCrypto } from '../../src/crypto/noble.js';
import type { AeadName } from '../../src/crypto/provider.js';
import { concat, fromHex, toHex, utf8 } from '../../src/util/bytes.js';

const ALL: readonly AeadName[] = ['AES-128-GCM', 'AES-256-GCM', 'CHACHA20-POLY1305'];

interface Vector {
  name: string;
  aead: AeadName;
  key: string;
  nonce: string;
  aad: string;
  plaintext: string;
  ciphertext: string;
  tag: string;
}

// McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)" test cases
// (96-bit IV ones), NIST CAVP gcmEncryptExtIV{128,256}.rsp, RFC 8439 §2.8.2.
const GCM_PT =
  'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255';
const GCM_K = 'feffe9928665731c6d6a8f9467308308';
const VECTORS: Vector[] = [
  {
    name: 'GCM spec test case 3 (AES-128, no AAD)',
    aead: 'AES-128-GCM',
    key: GCM_K,
    nonce: 'cafebabefacedbaddecaf888',
    aad: '',
    plaintext: GCM_PT,
    ciphertext:
      '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985',
    tag: '4d5c2af327cd64a62cf35abd2ba6fab4',
  },
  {
    name: 'GCM spec test case 4 (AES-128, AAD, partial block)',
    aead: 'AES-128-GCM',
    key: GCM_K,
    nonce: 'cafebabefacedbaddecaf888',
    aad: 'feedfacedeadbeeffeedfacedeadbeefabaddad2',
    plaintext: GCM_PT.slice(0, 120),
    ciphertext:
      '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091',
    tag: '5bc94fbc3221a5db94fae95ae7121a47',
  },
  {
    name: 'CAVP gcmEncryptExtIV128 PTlen=0 AADlen=128 count 0 (AES-128, AAD only)',
    aead: 'AES-128-GCM',
    key: '77be63708971c4e240d1cb79e8d77feb',
    nonce: 'e0e00f19fed7ba0136a797f3',
    aad: '7a43ec1d9c0a5a78a0b16533a6213cab',
    plaintext: '',
    ciphertext: '',
    tag: '209fcc8d3675ed938e9c7166709dd946',
  },
  {
    name: 'GCM spec test case 15 (AES-256, no AAD)',
    aead: 'AES-256-GCM',
    key: GCM_K + GCM_K,
    nonce: 'cafebabefacedbaddecaf888',
    aad: '',
    plaintext: GCM_PT,
    ciphertext:
      '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad',
    tag: 'b094dac5d93471bdec1a502270e3cc6c',
  },
  {
    name: 'GCM spec test case 16 (AES-256, AAD, partial block)',
    aead: 'AES-256-GCM',
    key: GCM_K + GCM_K,
    nonce: 'cafebabefacedbaddecaf888',
    aad: 'feedfacedeadbeeffeedfacedeadbeefabaddad2',
    plaintext: GCM_PT.slice(0, 120),
    ciphertext:
      '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662',
    tag: '76fc6ece0f4e1768cddf8853bb2d551b',
  },
  {
    name: 'CAVP gcmEncryptExtIV256 PTlen=0 AADlen=128 count 0 (AES-256, AAD only)',
    aead: 'AES-256-GCM',
    key: '78dc4e0aaf52d935c3c01eea57428f00ca1fd475f5da86a49c8dd73d68c8e223',
    nonce: 'd79cf22d504cc793c3fb6c8a',
    aad: 'b96baa8c1c75a671bfb2d08d06be5f36',
    plaintext: '',
    ciphertext: '',
    tag: '3e5d486aa2e30b22e040b85723a06e76',
  },
  {
    name: 'RFC 8439 §2.8.2 (ChaCha20-Poly1305)',
    aead: 'CHACHA20-POLY1305',
    key: '808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f',
    nonce: '070000004041424344454647',
    aad: '50515253c0c1c2c3c4c5c6c7',
    plaintext: toHex(
      utf8("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it."),
    ),
    ciphertext:
      'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116',
    tag: '1ae10b594f09e26a7e902ecbd0600691',
  },
];

describe('AEAD known-answer vectors', () => {
  it.each(VECTORS)('$name', (v) => {
    const key = nobleCrypto.aead(v.aead).importKey(fromHex(v.key));
    const sealed = key.seal(fromHex(v.nonce), fromHex(v.plaintext), fromHex(v.aad));
    expect(toHex(sealed)).toBe(v.ciphertext + v.tag);
    const opened = key.open(fromHex(v.nonce), sealed, fromHex(v.aad));
    expect(opened && toHex(opened)).toBe(v.plaintext);
  });
});

describe('AEAD rejection (open returns null, never throws)', () => {
  const v = VECTORS.find((x) => x.aead === 'CHACHA20-POLY1305')!;
  const cases = VECTORS.filter((x) => x.plaintext !== '' && x.aad !== '');

  it.each(cases)('any flipped bit in ciphertext, tag, AAD or nonce fails: $name', (c) => {
    const key = nobleCrypto.aead(c.aead).importKey(fromHex(c.key));
    const nonce = fromHex(c.nonce);
    const aad = fromHex(c.aad);
    const sealed = fromHex(c.ciphertext + c.tag);
    for (const i of [0, 1, sealed.length - 17, sealed.length - 16, sealed.length - 1]) {
      const bad = sealed.slice();
      bad[i]! ^= 0x01;
      expect(key.open(nonce, bad, aad)).toBeNull();
    }
    const badAad = aad.slice();
    badAad[0]! ^= 0x80;
    expect(key.open(nonce, sealed, badAad)).toBeNull();
    const badNonce = nonce.slice();
    badNonce[11]! ^= 0x01;
    expect(key.open(badNonce, sealed, aad)).toBeNull();
    // Another key of the same size
    const otherKey = fromHex(c.key);
    otherKey[0]! ^= 1;
    expect(nobleCrypto.aead(c.aead).importKey(otherKey).open(nonce, sealed, aad)).toBeNull();
  });

  it.each(ALL)('%s: truncated input, bad nonce length, appended bytes → null', (name) => {
    const aead = nobleCrypto.aead(name);
    const key = aead.importKey(new Uint8Array(aead.keyLength).fill(7));
    const nonce = new Uint8Array(12);
    const sealed = key.seal(nonce, utf8('hello'), new Uint8Array(0));
    expect(sealed).toHaveLength(5 + aead.tagLength);
    expect(key.open(nonce, sealed.subarray(0, 15), new Uint8Array(0))).toBeNull();
    expect(key.open(nonce, new Uint8Array(0), new Uint8Array(0))).toBeNull();
    expect(key.open(nonce, sealed.subarray(0, sealed.length - 1), new Uint8Array(0))).toBeNull();
    expect(key.open(nonce, concat(sealed, Uint8Array.of(0)), new Uint8Array(0))).toBeNull();
    expect(key.open(new Uint8Array(11), sealed, new Uint8Array(0))).toBeNull();
    expect(key.open(new Uint8Array(16), sealed, new Uint8Array(0))).toBeNull();
    // An empty plaintext seals to a bare tag and opens back to empty
    const empty = key.seal(nonce, new Uint8Array(0), utf8('aad'));
    expect(empty).toHaveLength(16);
    expect(key.open(nonce, empty, utf8('aad'))).toEqual(new Uint8Array(0));
  });

  it('a tag-only forgery of the right length is refused', () => {
    const key = nobleCrypto.aead(v.aead).importKey(fromHex(v.key));
    expect(key.open(fromHex(v.nonce), new Uint8Array(16), fromHex(v.aad))).toBeNull();
  });
});

describe('AEAD parameters and key import', () => {
  it.each([
    ['AES-128-GCM', 16],
    ['AES-256-GCM', 32],
    ['CHACHA20-POLY1305', 32],
  ] as const)('%s takes %d-byte keys, 12-byte nonces, 16-byte tags', (name, keyLength) => {
    const aead = nobleCrypto.aead(name);
    expect(aead).toMatchObject({ name, keyLength, nonceLength: 12, tagLength: 16 });
    expect(() => aead.importKey(new Uint8Array(keyLength - 1))).toThrow(/key must be/);
    expect(() => aead.importKey(new Uint8Array(keyLength + 1))).toThrow(/key must be/);
    expect(() => aead.importKey(new Uint8Array(24))).toThrow(/key must be/);
    const key = aead.importKey(new Uint8Array(keyLength));
    expect(() => key.seal(new Uint8Array(8), new Uint8Array(1), new Uint8Array(0))).toThrow(/nonce/);
  });

  it('importKey copies the key: later changes to the caller buffer do not matter', () => {
    const raw = new Uint8Array(16).fill(9);
    const key = nobleCrypto.aead('AES-128-GCM').importKey(raw);
    const before = key.seal(new Uint8Array(12), utf8('x'), new Uint8Array(0));
    raw.fill(0);
    expect(toHex(key.seal(new Uint8Array(12), utf8('x'), new Uint8Array(0)))).toBe(toHex(before));
  });
});

describe('AEAD properties', () => {
  const nodeCipher: Record<AeadName, string> = {
    'AES-128-GCM': 'aes-128-gcm',
    'AES-256-GCM': 'aes-256-gcm',
    'CHACHA20-POLY1305': 'chacha20-poly1305',
  };

  it('seal then open returns the plaintext, and matches node:crypto byte for byte', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ALL),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.uint8Array({ maxLength: 600 }),
        fc.uint8Array({ maxLength: 40 }),
        (name, keyBytes, nonce, plaintext, aad) => {
          const aead = nobleCrypto.aead(name);
          const rawKey = keyBytes.subarray(0, aead.keyLength);
          const key = aead.importKey(rawKey);
          const sealed = key.seal(nonce, plaintext, aad);
          expect(sealed).toHaveLength(plaintext.length + 16);
          expect(toHex(key.open(nonce, sealed, aad) ?? new Uint8Array([1, 2, 3]))).toBe(toHex(plaintext));

          const c = createCipheriv(nodeCipher[name] as 'aes-128-gcm', rawKey, nonce, { authTagLength: 16 });
          c.setAAD(aad, { plaintextLength: plaintext.length });
          const ref = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
          expect(toHex(sealed)).toBe(ref.toString('hex'));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('open never throws on arbitrary garbage', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALL), fc.uint8Array({ maxLength: 20 }), fc.uint8Array({ maxLength: 80 }), (name, nonce, data) => {
        const aead = nobleCrypto.aead(name);
        const key = aead.importKey(new Uint8Array(aead.keyLength).fill(3));
        expect(key.open(nonce, data, new Uint8Array(0))).toBeNull();
      }),
      { numRuns: 200 },
    );
  });
});
