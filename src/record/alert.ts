/**
 * The two-byte Alert body (RFC 8446 §6): level ‖ description.
 *
 * Validation on receipt:
 * - the record must hold exactly one alert (§5.1: alerts are neither
 *   fragmented nor coalesced), so any length other than 2 is decode_error
 *   (an empty alert record is already unexpected_message, §5.4);
 * - the level is an enum {warning(1), fatal(2)}: every other value is a
 *   syntactically valid but semantically invalid enum, i.e.
 *   illegal_parameter (§6). The level otherwise carries no meaning in
 *   TLS 1.3 ("can safely be ignored"); the connection treats every alert but
 *   close_notify (and user_canceled) as an error regardless of it;
 * - the description is NOT checked against the registry: §6 says unknown
 *   alert types MUST be treated as error alerts, which is the connection's
 *   job, so the code point is passed up unchanged.
 */
import { TLSError } from '../errors.js';
import { AlertLevel } from '../registry.js';

export interface AlertBody {
  readonly level: number;
  readonly description: number;
}

export function encodeAlertBody(level: number, description: number): Uint8Array {
  if (level !== AlertLevel.warning && level !== AlertLevel.fatal) {
    throw new TLSError('internal_error', `alert level must be 1 (warning) or 2 (fatal), got ${level}`);
  }
  if (!Number.isInteger(description) || description < 0 || description > 255) {
    throw new TLSError('internal_error', `alert description must be a uint8, got ${description}`);
  }
  return new Uint8Array([level, description]);
}

export function parseAlertBody(fragment: Uint8Array): AlertBody {
  if (fragment.length !== 2) {
    throw new TLSError(
      'decode_error',
      `an alert record must hold exactly one 2-byte alert, got ${fragment.length} bytes (RFC 8446 §5.1, §6)`,
    );
  }
  const level = fragment[0]!;
  if (level !== AlertLevel.warning && level !== AlertLevel.fatal) {
    throw new TLSError('illegal_parameter', `received an alert with unknown level ${level} (RFC 8446 §6)`);
  }
  return { level, description: fragment[1]! };
}
