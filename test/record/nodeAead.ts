/**
 * A test-only CryptoProvider that implements just aead() on node:crypto, so
 * the record layer can be tested independently of src/crypto/noble.ts.
 * Everything else throws: the record layer must never need it.
 */
import { createCipheriv, createDecipheriv, type CipherGCMTypes } from 'node:crypto';
import type { Aead, AeadKey, AeadName, CryptoProvider } from '../../src/crypto/provider.js';

const NODE_NAMES: Record<AeadName, { cipher: CipherGCMTypes | 'chacha20-poly1305'; keyLength: number }> = {
  'AES-128-GCM': { cipher: 'aes-128-gcm', keyLength: 16 },
  'AES-256-GCM': { cipher: 'aes-256-gcm', keyLength: 32 },
  'CHACHA20-POLY1305': { cipher: 'chacha20-poly1305', keyLength: 32 },
};

const TAG = 16;

function nodeAead(name: AeadName): Aead {
  const { cipher, keyLength } = NODE_NAMES[name];
  return {
    name,
    keyLength,
    nonceLength: 12,
    tagLength: TAG,
    importKey(key: Uint8Array): AeadKey {
      const k = Buffer.from(key);
      return {
        seal(nonce, plaintext, aad) {
          // The cast picks one overload; node accepts authTagLength for both families.
          const c = createCipheriv(cipher as 'aes-128-gcm', k, nonce, { authTagLength: TAG });
          c.setAAD(aad);
          const body = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
          return new Uint8Array(body.buffer, body.byteOffset, body.length);
        },
        open(nonce, ciphertext, aad) {
          if (ciphertext.length < TAG) return null;
          const d = createDecipheriv(cipher as 'aes-128-gcm', k, nonce, { authTagLength: TAG });
          d.setAAD(aad);
          d.setAuthTag(ciphertext.subarray(ciphertext.length - TAG));
          try {
            const out = Buffer.concat([d.update(ciphertext.subarray(0, ciphertext.length - TAG)), d.final()]);
            return new Uint8Array(out.buffer, out.byteOffset, out.length);
          } catch {
            return null;
          }
        },
      };
    },
  };
}

function unsupported(what: string): never {
  throw new Error(`test provider: ${what} is not implemented (the record layer must not need it)`);
}

export const nodeAeadProvider: CryptoProvider = {
  name: 'node-aead-test',
  hash: () => unsupported('hash'),
  hmac: () => unsupported('hmac'),
  hkdfExtract: () => unsupported('hkdfExtract'),
  hkdfExpand: () => unsupported('hkdfExpand'),
  aead: nodeAead,
  keyExchange: () => unsupported('keyExchange'),
  signature: () => unsupported('signature'),
  groups: [],
  signatureSchemes: [],
  random: (n: number) => {
    const out = new Uint8Array(n);
    crypto.getRandomValues(out);
    return out;
  },
};
