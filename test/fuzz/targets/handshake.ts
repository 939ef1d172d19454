/**
 * Fuzz target: every handshake message decoder (decodeHandshake, RFC 8446
 * §4 and Appendix B), with the hash length unknown, 32 or 48 (the first
 * byte picks). A decoder may only throw DecodeError; what it accepts must
 * encode, and decoding that encoding must give the same message and the
 * same bytes again (a canonical round trip).
 */
import { DecodeError } from '../../../src/util/bytes.js';
import { decodeHandshake, encodeHandshake, type HandshakeMessage } from '../../../src/wire/index.js';
import { finding, sameBytes } from '../support/check.js';

const HASH_LENGTHS = [undefined, 32, 48] as const;

export function fuzz(input: Uint8Array): void {
  if (input.length < 1) return;
  const hashLength = HASH_LENGTHS[input[0]! % 3];
  const bytes = input.subarray(1);
  const options = hashLength === undefined ? {} : { hashLength };
  let message: HandshakeMessage;
  try {
    message = decodeHandshake(bytes, options);
  } catch (err) {
    if (!(err instanceof DecodeError)) finding('decodeHandshake threw a non-DecodeError', err);
    return;
  }
  let encoded: Uint8Array;
  try {
    encoded = encodeHandshake(message);
  } catch (err) {
    finding(`a decoded ${message.type} does not encode`, err);
  }
  let again: HandshakeMessage;
  try {
    again = decodeHandshake(encoded, options);
  } catch (err) {
    finding(`the encoding of a decoded ${message.type} does not decode`, err);
  }
  if (!sameBytes(encodeHandshake(again), encoded)) finding(`${message.type}: encode(decode(encode(m))) differs from encode(m)`);
}
