/**
 * Checking that an issuer's key signed a certificate's tbsCertificate.
 *
 * Every combination that is also a TLS SignatureScheme goes through the
 * CryptoProvider. One family does not fit its interface: ECDSA where the
 * hash does not belong to the curve (a P-384 CA signing with SHA-256, a P-256
 * CA with SHA-384). TLS 1.3 pins each curve to one hash, but RFC 5758 lets a
 * certificate pair them freely, and `SignatureAlgorithm.verify` hashes the
 * message itself with the scheme's hash. For those we hash with the provider
 * and finish with ecdsaPrehashed.ts.
 */
import type { CryptoProvider, PublicKey } from '../crypto/provider.js';
import { SignatureScheme } from '../registry.js';
import type { CertificateSignatureAlgorithm } from './algorithms.js';
import { verifyEcdsaPrehashed } from './ecdsaPrehashed.js';
import { type Step, wait } from '../util/steps.js';

export type SignatureCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly why: 'bad-signature' | 'unsupported'; readonly detail: string };

const OK: SignatureCheck = { ok: true };

/** The TLS scheme whose curve and hash ECDSA on `curve` uses natively. */
const CURVE_SCHEME = {
  'P-256': { scheme: SignatureScheme.ecdsa_secp256r1_sha256, hash: 'SHA-256' },
  'P-384': { scheme: SignatureScheme.ecdsa_secp384r1_sha384, hash: 'SHA-384' },
} as const;

function keyName(key: PublicKey): string {
  return key.kind === 'ec' ? `an ECDSA ${key.curve} key` : key.kind === 'rsa' ? 'an RSA key' : 'an Ed25519 key';
}

/**
 * Verifies `signature` over `message` (a tbsCertificate) with `issuerKey`
 * under `algorithm`. Never throws on bad signatures or mismatched keys.
 */
export function* verifySignature(
  provider: CryptoProvider,
  algorithm: CertificateSignatureAlgorithm,
  issuerKey: PublicKey,
  message: Uint8Array,
  signature: Uint8Array,
): Step<SignatureCheck> {
  if (algorithm.kind === 'unsupported') {
    return { ok: false, why: 'unsupported', detail: `signature algorithm ${algorithm.name} is not supported` };
  }
  const expected = algorithm.kind === 'ecdsa' ? 'ec' : algorithm.kind === 'ed25519' ? 'ed25519' : 'rsa';
  if (issuerKey.kind !== expected) {
    return {
      ok: false,
      why: 'bad-signature',
      detail: `the issuer has ${keyName(issuerKey)}, which cannot make a ${algorithm.name} signature`,
    };
  }
  let scheme: number = algorithm.scheme;
  if (algorithm.kind === 'ecdsa' && issuerKey.kind === 'ec') {
    const native = CURVE_SCHEME[issuerKey.curve];
    if (native.hash !== algorithm.hash) {
      const digest = provider.hash(algorithm.hash).digest(message);
      return verifyEcdsaPrehashed(issuerKey, digest, signature)
        ? OK
        : { ok: false, why: 'bad-signature', detail: `the ${algorithm.name} signature does not verify` };
    }
    scheme = native.scheme;
  }
  const alg = provider.signature(scheme);
  if (!alg) {
    return {
      ok: false,
      why: 'unsupported',
      detail: `the crypto provider "${provider.name}" does not implement ${algorithm.name}`,
    };
  }
  let valid: boolean;
  try {
    valid = yield* wait(alg.verify(issuerKey, message, signature));
  } catch {
    // The provider contract says verify never throws; be safe if one does.
    valid = false;
  }
  return valid ? OK : { ok: false, why: 'bad-signature', detail: `the ${algorithm.name} signature does not verify` };
}
