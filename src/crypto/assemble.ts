/**
 * What every CryptoProvider does the same way: check the RSA policy option,
 * index key exchanges and signature schemes by code point, and refuse names
 * it does not implement. Providers differ only in the primitives they plug in.
 */
import { RSA_ABSOLUTE_MIN_MODULUS_BITS, RSA_DEFAULT_MIN_MODULUS_BITS } from './rsa.js';
import type {
  Aead,
  AeadName,
  CryptoProvider,
  Hash,
  HashName,
  KeyExchange,
  RandomSource,
  SignatureAlgorithm,
} from './provider.js';

export interface ProviderParts {
  readonly name: string;
  readonly random: RandomSource;
  readonly hashes: Readonly<Record<HashName, Hash>>;
  readonly aeads: Readonly<Record<AeadName, Aead>>;
  readonly hmac: CryptoProvider['hmac'];
  readonly hkdfExtract: CryptoProvider['hkdfExtract'];
  readonly hkdfExpand: CryptoProvider['hkdfExpand'];
  /** In preference order. */
  readonly keyExchanges: readonly KeyExchange[];
  /** In preference order. */
  readonly signatures: readonly SignatureAlgorithm[];
}

export function assembleProvider(parts: ProviderParts): CryptoProvider {
  const groupsByCode = new Map(parts.keyExchanges.map((kx) => [kx.group, kx]));
  const schemesByCode = new Map(parts.signatures.map((sig) => [sig.scheme, sig]));
  return {
    name: parts.name,
    random: parts.random,
    hash(name: HashName): Hash {
      const h = parts.hashes[name];
      if (h === undefined) throw new Error(`unsupported hash ${String(name)}`);
      return h;
    },
    hmac: parts.hmac,
    hkdfExtract: parts.hkdfExtract,
    hkdfExpand: parts.hkdfExpand,
    aead(name: AeadName): Aead {
      const a = parts.aeads[name];
      if (a === undefined) throw new Error(`unsupported AEAD ${String(name)}`);
      return a;
    },
    keyExchange: (group) => groupsByCode.get(group),
    signature: (scheme) => schemesByCode.get(scheme),
    groups: parts.keyExchanges.map((kx) => kx.group),
    signatureSchemes: parts.signatures.map((sig) => sig.scheme),
  };
}

/** The `rsaMinModulusBits` option: default 2048, never below 1024 (RFC 8448's keys). */
export function rsaMinModulusBits(option: number | undefined): number {
  const bits = option ?? RSA_DEFAULT_MIN_MODULUS_BITS;
  if (!Number.isSafeInteger(bits) || bits < RSA_ABSOLUTE_MIN_MODULUS_BITS) {
    throw new Error(`rsaMinModulusBits must be an integer ≥ ${RSA_ABSOLUTE_MIN_MODULUS_BITS}`);
  }
  return bits;
}
