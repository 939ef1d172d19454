/**
 * EndOfEarlyData (RFC 8446 §4.5): `struct {} EndOfEarlyData;`
 */
import type { ByteReader } from '../util/bytes.js';

export interface EndOfEarlyData {
  readonly type: 'end_of_early_data';
}

export function decodeEndOfEarlyDataBody(r: ByteReader): EndOfEarlyData {
  r.end('end_of_early_data');
  return { type: 'end_of_early_data' };
}
