/**
 * CertificateVerify checks (RFC 8446 §4.4.3): each signature verifies, with
 * the provider, over 64 spaces || context string || 0x00 || Transcript-Hash
 * of the messages before it, under the key in the same side's Certificate.
 *
 * The server certificates of §3, §5 and §7 hold the §2 RSA key, and for those
 * we verify with the key built from the §2 values themselves. In §6 the
 * server signs with ECDSA P-256 and the client with a different RSA key
 * (RFC 8448 §6: "the client uses a certificate with an RSA key, the server
 * uses an ECDSA certificate with a P-256 key"); both public keys are read from
 * the certificates in the trace.
 */
import { HandshakeType, SignatureScheme } from '../../../src/registry.js';
import {
  Transcript,
  certificatePublicKey,
  certificateVerifyContent,
  certificateVerifyParts,
  endEntityCertificate,
} from '../model.js';
import type { SectionNumber } from '../vectors.js';
import { type Check, type CheckContext, sameValue } from './context.js';
import { rfcRsaPublicKey } from './keys.js';

/** Which scheme each CertificateVerify is expected to use. */
const EXPECTED_SCHEME: Readonly<Record<string, number>> = {
  '3 server': SignatureScheme.rsa_pss_rsae_sha256,
  '5 server': SignatureScheme.rsa_pss_rsae_sha256,
  '6 server': SignatureScheme.ecdsa_secp256r1_sha256,
  '6 client': SignatureScheme.rsa_pss_rsae_sha256,
  '7 server': SignatureScheme.rsa_pss_rsae_sha256,
};

export function signatureChecks(ctx: CheckContext, section: SectionNumber): Check[] {
  if (section === 2) return [];
  const trace = ctx.trace(section);
  return trace.find({ action: 'construct a CertificateVerify handshake message' }).map((step) => ({
    kind: 'signature' as const,
    section,
    name: `${step.describe()}: signature verifies`,
    run: async () => {
      const sender = step.actor!;
      const what = step.describe();
      const transcript = new Transcript(trace);
      const { scheme, signature } = certificateVerifyParts(step.bytes('CertificateVerify'));
      sameValue(trace, scheme, EXPECTED_SCHEME[`${section} ${sender}`], `${what}: signature scheme`);

      const cert = transcript.sent(sender, HandshakeType.certificate)[0]!;
      const certKey = certificatePublicKey(endEntityCertificate(cert.bytes));
      const usesRfcKey = sender === 'server' && section !== 6;
      const key = usesRfcKey ? rfcRsaPublicKey(ctx) : certKey;
      if (usesRfcKey) sameValue(trace, certKey, key, `${what}: certificate holds the §2 RSA key`);

      const alg = ctx.provider.signature(scheme);
      if (!alg) throw new Error(`provider lacks signature scheme 0x${scheme.toString(16)}`);
      const content = certificateVerifyContent(sender, transcript.beforeCertificateVerify(sender));
      sameValue(trace, await alg.verify(key, content, signature), true, `${what}: verify(content)`);

      // The check can fail: the same signature over another transcript does not verify.
      const other = content.slice();
      other[other.length - 1] ^= 1;
      sameValue(trace, await alg.verify(key, other, signature), false, `${what}: verify(altered content) is false`);
      // And the context string binds the role: a server signature is no client signature.
      const otherRole = certificateVerifyContent(sender === 'server' ? 'client' : 'server', transcript.beforeCertificateVerify(sender));
      sameValue(trace, await alg.verify(key, otherRole, signature), false, `${what}: verify(other role's content) is false`);
    },
  }));
}
