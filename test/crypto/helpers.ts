/** Test helpers shared by test/crypto: deterministic randomness and node:crypto key conversion. */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { PrivateKey, PublicKey, RandomSource } from '../../src/crypto/provider.js';
import { bytesToBigInt } from '../../src/crypto/bigint.js';

/** A random source that hands out the given chunks in order, then fails loudly. */
export function scriptedRandom(...chunks: Uint8Array[]): RandomSource & { calls: number[] } {
  const queue = [...chunks];
  const calls: number[] = [];
  const source = (length: number): Uint8Array => {
    calls.push(length);
    const next = queue.shift();
    if (next === undefined) throw new Error(`scriptedRandom exhausted (wanted ${length} bytes)`);
    if (next.length !== length) throw new Error(`scriptedRandom: next chunk is ${next.length} bytes, wanted ${length}`);
    return next;
  };
  return Object.assign(source, { calls });
}

/** A deterministic (non-cryptographic) stream of bytes: xorshift32 from a seed. */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0 || 1;
  return (length: number) => {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      state ^= state << 13;
      state >>>= 0;
      state ^= state >>> 17;
      state ^= state << 5;
      state >>>= 0;
      out[i] = state & 0xff;
    }
    return out;
  };
}

function b64u(value: string | undefined): Uint8Array {
  if (value === undefined) throw new Error('JWK field missing');
  return new Uint8Array(Buffer.from(value, 'base64url'));
}

function b64uInt(value: string | undefined): bigint {
  return bytesToBigInt(b64u(value));
}

export interface NodeKeyPair {
  publicKey: PublicKey;
  privateKey: PrivateKey;
  nodePublic: KeyObject;
  nodePrivate: KeyObject;
}

export function ecKeyPair(curve: 'P-256' | 'P-384'): NodeKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: curve });
  const jwk = privateKey.export({ format: 'jwk' });
  const point = new Uint8Array([4, ...b64u(jwk.x), ...b64u(jwk.y)]);
  return {
    publicKey: { kind: 'ec', curve, point },
    privateKey: { kind: 'ec', curve, d: b64u(jwk.d) },
    nodePublic: publicKey,
    nodePrivate: privateKey,
  };
}

export function ed25519KeyPair(): NodeKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  return {
    publicKey: { kind: 'ed25519', key: b64u(jwk.x) },
    privateKey: { kind: 'ed25519', seed: b64u(jwk.d) },
    nodePublic: publicKey,
    nodePrivate: privateKey,
  };
}

export function rsaKeyPair(modulusLength: number): NodeKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength });
  const jwk = privateKey.export({ format: 'jwk' });
  const n = b64uInt(jwk.n);
  const e = b64uInt(jwk.e);
  return {
    publicKey: { kind: 'rsa', n, e },
    privateKey: {
      kind: 'rsa',
      n,
      e,
      d: b64uInt(jwk.d),
      p: b64uInt(jwk.p),
      q: b64uInt(jwk.q),
      dp: b64uInt(jwk.dp),
      dq: b64uInt(jwk.dq),
      qinv: b64uInt(jwk.qi),
    },
    nodePublic: publicKey,
    nodePrivate: privateKey,
  };
}
