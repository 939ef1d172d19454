/** Hand-built wire bytes for negative tests. */
import { DecodeError, concat, fromHex } from '../../src/util/bytes.js';
import { expect } from 'vitest';

const u16 = (n: number) => Uint8Array.of(n >> 8, n & 0xff);
const u24 = (n: number) => Uint8Array.of(n >> 16, (n >> 8) & 0xff, n & 0xff);

/** One extension: code, then data with a 2-byte length. */
export function rawExt(code: number, dataHex: string): Uint8Array {
  const data = fromHex(dataHex);
  return concat(u16(code), u16(data.length), data);
}

/** An extension block with a 2-byte length prefix. */
export function block(...exts: Uint8Array[]): Uint8Array {
  const body = concat(...exts);
  return concat(u16(body.length), body);
}

/** A whole handshake message: type, uint24 length, body. */
export function message(type: number, ...body: Uint8Array[]): Uint8Array {
  const b = concat(...body);
  return concat(Uint8Array.of(type), u24(b.length), b);
}

/** A ClientHello with the given extensions (TLS_AES_128_GCM_SHA256, null compression). */
export function clientHello(...exts: Uint8Array[]): Uint8Array {
  return message(1, fromHex('0303'), new Uint8Array(32), fromHex('00' + '0002 1301' + '0100'), block(...exts));
}

/** A ServerHello with the given extensions. */
export function serverHello(exts: Uint8Array[], compression = 0): Uint8Array {
  return message(2, fromHex('0303'), new Uint8Array(32).fill(7), fromHex('00' + '1301'), Uint8Array.of(compression), block(...exts));
}

export const SV_CH = rawExt(43, '020304');
export const SV_SH = rawExt(43, '0304');

/** Asserts that `fn` throws a DecodeError with the given alert (and message fragment). */
export function expectDecodeError(
  fn: () => unknown,
  alert: 'decode_error' | 'illegal_parameter',
  fragment?: string | RegExp,
): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(DecodeError);
  expect((caught as DecodeError).alert).toBe(alert);
  if (fragment !== undefined) expect((caught as DecodeError).message).toMatch(fragment);
}
