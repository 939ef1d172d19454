import { expect } from 'vitest';
import { TLSError } from '../../src/errors.js';
import type { AlertName } from '../../src/registry.js';
import { concat } from '../../src/util/bytes.js';
import type { AeadName, CryptoProvider } from '../../src/crypto/provider.js';
import { encodeRecordHeader, RecordDeframer, type RawRecord } from '../../src/record/framing.js';
import { perRecordNonce, type TrafficKeys } from '../../src/record/protection.js';

/** Runs `fn` and asserts it throws a TLSError with exactly this alert. */
export function expectAlert(fn: () => unknown, alert: AlertName): TLSError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown, `expected a TLSError(${alert})`).toBeInstanceOf(TLSError);
  const err = thrown as TLSError;
  expect(err.alert, err.message).toBe(alert);
  expect(err.side).toBe('local');
  return err;
}

export const AEADS: readonly AeadName[] = ['AES-128-GCM', 'AES-256-GCM', 'CHACHA20-POLY1305'];

export const KEY_LENGTH: Record<AeadName, number> = {
  'AES-128-GCM': 16,
  'AES-256-GCM': 32,
  'CHACHA20-POLY1305': 32,
};

/** Deterministic distinct keys: `seed` picks the key set. */
export function testKeys(aead: AeadName, seed: number): TrafficKeys {
  const key = new Uint8Array(KEY_LENGTH[aead]).map((_, i) => (seed * 31 + i * 7 + 1) & 0xff);
  const iv = new Uint8Array(12).map((_, i) => (seed * 17 + i * 13 + 5) & 0xff);
  return { key, iv };
}

/** A handshake message: type, uint24 length, body filled with `fill`. */
export function handshakeMessage(type: number, bodyLength: number, fill = 0xab): Uint8Array {
  const m = new Uint8Array(4 + bodyLength).fill(fill);
  m[0] = type;
  m[1] = bodyLength >>> 16;
  m[2] = (bodyLength >>> 8) & 0xff;
  m[3] = bodyLength & 0xff;
  return m;
}

/** Splits `data` at the given (unsorted, possibly repeated) cut points. */
export function splitAt(data: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(data.subarray(prev, p));
    prev = p;
  }
  out.push(data.subarray(prev));
  return out;
}


/** Seals an arbitrary TLSInnerPlaintext, bypassing RecordSealer's checks (to forge bad records). */
export function sealRawInner(
  provider: CryptoProvider,
  aead: AeadName,
  keys: TrafficKeys,
  inner: Uint8Array,
  seq = 0n,
): Uint8Array {
  const key = provider.aead(aead).importKey(keys.key);
  const tag = provider.aead(aead).tagLength;
  const header = encodeRecordHeader(23, 0x0303, inner.length + tag);
  return concat(header, key.seal(perRecordNonce(keys.iv, seq), inner, header));
}

/** Cuts a byte string into its records (for asserting what went on the wire). */
export function recordsOf(bytes: Uint8Array): RawRecord[] {
  const d = new RecordDeframer({ maxBufferedBytes: Infinity });
  d.push(bytes);
  const out: RawRecord[] = [];
  for (let r = d.next(); r; r = d.next()) out.push(r);
  expect(d.buffered).toBe(0);
  return out;
}
