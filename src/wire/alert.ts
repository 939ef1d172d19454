/**
 * Alert messages (RFC 8446 §6).
 *
 *   struct { AlertLevel level; AlertDescription description; } Alert;
 *
 * Both fields are kept as numbers: §6 says the level "can safely be
 * ignored" in TLS 1.3 (the description decides), and an unknown
 * description must still be reported, not rejected.
 */
import { ByteReader, DecodeError } from '../util/bytes.js';
import { checkUint } from './codec.js';

export interface Alert {
  /** AlertLevel: 1 warning, 2 fatal. */
  readonly level: number;
  /** AlertDescription code point. */
  readonly description: number;
}

export function encodeAlert(level: number, description: number): Uint8Array {
  checkUint(level, 8, 'alert level');
  checkUint(description, 8, 'alert description');
  return Uint8Array.of(level, description);
}

export function decodeAlert(bytes: Uint8Array): Alert {
  if (bytes.length !== 2) throw new DecodeError(`alert: ${bytes.length} bytes, expected 2`);
  const r = new ByteReader(bytes);
  return { level: r.u8('alert level'), description: r.u8('alert description') };
}
