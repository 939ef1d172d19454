/**
 * KeyUpdate (RFC 8446 §4.6.3).
 *
 *   enum { update_not_requested(0), update_requested(1), (255) } KeyUpdateRequest;
 *   struct { KeyUpdateRequest request_update; } KeyUpdate;
 */
import { type ByteReader, type ByteWriter, DecodeError } from '../util/bytes.js';
import { KeyUpdateRequest } from '../registry.js';

export interface KeyUpdate {
  readonly type: 'key_update';
  /** Whether the peer asks us to update our sending keys too. */
  readonly requestUpdate: KeyUpdateRequest;
}

export function decodeKeyUpdateBody(r: ByteReader): KeyUpdate {
  const value = r.u8('key_update request_update');
  r.end('key_update');
  if (value === KeyUpdateRequest.update_not_requested || value === KeyUpdateRequest.update_requested) {
    return { type: 'key_update', requestUpdate: value };
  }
  // §4.6.3: "If an implementation receives any other value, it MUST
  // terminate the connection with an "illegal_parameter" alert."
  throw new DecodeError(`key_update request_update is ${value}, not 0 or 1`, 'illegal_parameter');
}

export function encodeKeyUpdateBody(w: ByteWriter, m: KeyUpdate): void {
  if (m.requestUpdate !== 0 && m.requestUpdate !== 1) {
    throw new RangeError(`cannot encode key_update request_update ${String(m.requestUpdate)}`);
  }
  w.u8(m.requestUpdate);
}
