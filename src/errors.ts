/**
 * The one error type users see. It carries the alert that was (or will be)
 * sent or received, which side raised it, and a sentence that says what
 * happened and what to do about it.
 */
import { DecodeError } from './util/bytes.js';
import { AlertDescription, alertName, type AlertName } from './registry.js';

export type ErrorSide = 'local' | 'remote';

export class TLSError extends Error {
  override readonly name = 'TLSError';
  /** The alert's code point (RFC 8446 §6). */
  readonly alertCode: number;

  constructor(
    /** The alert that goes with this failure. */
    readonly alert: AlertName,
    message: string,
    /** `local`: we detected it and send the alert; `remote`: the peer sent it. */
    readonly side: ErrorSide = 'local',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.alertCode = AlertDescription[alert];
  }

  /** The error for an alert the peer sent us. */
  static fromRemote(code: number): TLSError {
    const name = alertName(code);
    if (name === undefined) {
      return new TLSError(
        'decode_error',
        `remote error: the peer sent unknown alert ${code}`,
        'remote',
      );
    }
    const why = REMOTE_HINTS[name];
    return new TLSError(
      name,
      `remote error: the peer sent ${name}${why ? ` (${why})` : ''}`,
      'remote',
    );
  }
}

/** What a remote alert most often means, to put a user on the right track. */
const REMOTE_HINTS: Partial<Record<AlertName, string>> = {
  handshake_failure: 'no cipher suite, group or signature scheme in common, or a policy refused the handshake',
  bad_certificate: 'it could not verify our certificate or CertificateVerify',
  unknown_ca: 'it does not trust the CA that issued our certificate',
  certificate_required: 'it requires a client certificate: configure `certificates`',
  no_application_protocol: 'none of our ALPN protocols is acceptable to it',
  protocol_version: 'it does not speak TLS 1.3',
  decrypt_error: 'a signature or Finished MAC did not verify',
  bad_record_mac: 'a record failed authentication: the keys differ or the data was tampered with',
  unrecognized_name: 'it does not serve the requested server name',
  illegal_parameter: 'it rejected a value we sent',
  decode_error: 'it could not parse a message we sent',
};

/** Turns a codec DecodeError into the TLSError (and alert) it maps to. */
export function fromDecodeError(err: DecodeError, context: string): TLSError {
  return new TLSError(err.alert, `${context}: ${err.message}`, 'local', { cause: err });
}

/** Wraps anything thrown into a TLSError, keeping TLSErrors as they are. */
export function asTLSError(err: unknown, context = 'internal error'): TLSError {
  if (err instanceof TLSError) return err;
  if (err instanceof DecodeError) return fromDecodeError(err, context);
  const msg = err instanceof Error ? err.message : String(err);
  return new TLSError('internal_error', `${context}: ${msg}`, 'local', { cause: err });
}
