/**
 * The two error types of the X.509 layer.
 *
 * - `X509DecodeError`: the bytes are not a well-formed DER certificate, PEM
 *   block or private key. It is a `DecodeError`, so a TLS connection that
 *   meets one in a Certificate message sends `decode_error` (as OpenSSL and
 *   rustls do for undecodable certificates).
 * - `X509VerificationError`: the certificate parsed, but it cannot be trusted
 *   for this purpose. `reason` is a stable code for programs, `alert` the TLS
 *   alert to send, and the message a sentence a person can act on.
 */
import { DecodeError } from '../util/bytes.js';
import type { AlertName } from '../registry.js';

export class X509DecodeError extends DecodeError {
  constructor(message: string) {
    super(message, 'decode_error');
  }
}

export type VerificationReason =
  | 'unknown-authority'
  | 'expired'
  | 'not-yet-valid'
  | 'hostname-mismatch'
  | 'not-a-ca'
  | 'path-length'
  | 'bad-signature'
  | 'eku'
  | 'name-constraints'
  | 'unhandled-critical-extension'
  | 'malformed';

/**
 * The alert a TLS endpoint sends for each failure (RFC 8446 §6.2). Where the
 * common stacks agree we follow them:
 * - unknown issuer → unknown_ca (OpenSSL, rustls);
 * - outside the validity period, either side → certificate_expired
 *   (OpenSSL, rustls: TLS has no "not yet valid" alert);
 * - a signature that does not verify → decrypt_error (OpenSSL, rustls);
 * - wrong extended key usage → unsupported_certificate (OpenSSL's
 *   "invalid purpose", rustls's InvalidPurpose);
 * - an issuer that may not issue (not a CA, or its path length exceeded) →
 *   unknown_ca, because no path to a trust anchor exists (OpenSSL's
 *   "invalid CA", and how webpki reports it);
 * - name mismatch, name constraints, structurally bad certificates →
 *   bad_certificate (rustls; Go sends bad_certificate for every failure);
 * - an unknown critical extension → unsupported_certificate: we do not
 *   support that kind of certificate (RFC 8446 §6.2's definition).
 */
export const VERIFICATION_ALERTS: Readonly<Record<VerificationReason, AlertName>> = {
  'unknown-authority': 'unknown_ca',
  expired: 'certificate_expired',
  'not-yet-valid': 'certificate_expired',
  'hostname-mismatch': 'bad_certificate',
  'not-a-ca': 'unknown_ca',
  'path-length': 'unknown_ca',
  'bad-signature': 'decrypt_error',
  eku: 'unsupported_certificate',
  'name-constraints': 'bad_certificate',
  'unhandled-critical-extension': 'unsupported_certificate',
  malformed: 'bad_certificate',
};

export function alertForReason(reason: VerificationReason): AlertName {
  return VERIFICATION_ALERTS[reason];
}

export class X509VerificationError extends Error {
  override readonly name = 'X509VerificationError';
  /** The TLS alert that goes with this failure. */
  readonly alert: AlertName;

  constructor(
    readonly reason: VerificationReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.alert = VERIFICATION_ALERTS[reason];
  }
}
