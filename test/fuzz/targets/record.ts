/**
 * Fuzz target: the record layer's reading side (RFC 8446 §5) — deframer,
 * plaintext records, compatibility CCS, alerts, handshake reassembly, and
 * protected records whose inner plaintext (content type, padding) the
 * fuzzer controls.
 *
 * The first byte picks the mode:
 *   0  RecordDeframer alone, input pushed in pieces whose sizes the second byte sets;
 *   1  RecordLayer before keys (compat CCS allowed), the input as received records;
 *   2  RecordLayer with read keys: the input is a list of TLSInnerPlaintexts
 *      (u8 outer-type tweak, u16 length, bytes), each encrypted under fixed
 *      keys exactly as a peer would, then fed in.
 * Anything thrown other than a TLSError, or an item that breaks the layer's
 * promises, is a finding.
 */
import { nobleCrypto } from '../../../src/crypto/noble.js';
import { TLSError } from '../../../src/errors.js';
import {
  DEFAULT_MAX_CERTIFICATE_MESSAGE_LENGTH,
  RecordDeframer,
  RecordLayer,
  encodeRecordHeader,
  maxFragmentLength,
  perRecordNonce,
  type RecordItem,
} from '../../../src/record/index.js';
import { ContentType } from '../../../src/registry.js';
import { finding, piecesOf } from '../support/check.js';

const KEYS = { key: Uint8Array.from({ length: 16 }, (_, i) => i + 1), iv: Uint8Array.from({ length: 12 }, (_, i) => 0x40 + i) };
const aead = nobleCrypto.aead('AES-128-GCM').importKey(KEYS.key);

function onlyTLSErrors(f: () => void): void {
  try {
    f();
  } catch (err) {
    if (!(err instanceof TLSError)) finding('the record layer threw a non-TLSError', err);
  }
}

function deframerOnly(data: Uint8Array, step: number): void {
  const d = new RecordDeframer();
  let consumed = 0;
  let pushed = 0;
  onlyTLSErrors(() => {
    for (const piece of piecesOf(data, step)) {
      d.push(piece);
      pushed += piece.length;
      for (let r = d.next(); r; r = d.next()) {
        if (r.fragment.length > maxFragmentLength(r.type)) finding('an oversized record came out of the deframer');
        if (r.raw.length !== r.fragment.length + 5) finding('raw and fragment lengths disagree');
        consumed += r.raw.length;
      }
      // Every byte pushed is either returned in a record or still buffered.
      if (consumed + d.buffered !== pushed) finding('the deframer lost or invented bytes');
    }
  });
}

function checkItem(item: RecordItem, layer: RecordLayer): void {
  switch (item.kind) {
    case 'handshake': {
      const m = item.message;
      if (m.length < 4 || ((m[1]! << 16) | (m[2]! << 8) | m[3]!) !== m.length - 4) finding('a handshake message whose header disagrees with its length');
      if (m.length - 4 > DEFAULT_MAX_CERTIFICATE_MESSAGE_LENGTH) finding('a handshake message over the size limit');
      break;
    }
    case 'application_data':
      if (!layer.readProtected) finding('application data from an unprotected record');
      if (item.data.length === 0) finding('an empty application data item');
      break;
    case 'alert':
      if (item.level > 255 || item.description > 255) finding('an alert out of range');
      break;
    default:
      break;
  }
}

function drain(layer: RecordLayer, input: Uint8Array, step: number): void {
  onlyTLSErrors(() => {
    for (const piece of piecesOf(input, step)) {
      layer.receive(piece);
      for (let item = layer.nextMessage(); item; item = layer.nextMessage()) checkItem(item, layer);
    }
  });
}

function sealedRecords(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  let seq = 0n;
  for (let at = 0; at + 3 <= data.length; ) {
    const tweak = data[at]!;
    const length = Math.min(((data[at + 1]! << 8) | data[at + 2]!) & 0x7fff, data.length - at - 3);
    const inner = data.subarray(at + 3, at + 3 + length);
    at += 3 + length;
    // The outer type is application_data, except when the tweak's top bit
    // asks for another one (§5.2 forbids it).
    const outer = tweak & 0x80 ? [20, 21, 22, 23, 0, 99][tweak % 6]! : ContentType.application_data;
    const header = encodeRecordHeader(outer, 0x0303, inner.length + 16);
    const sealed = aead.seal(perRecordNonce(KEYS.iv, seq++), inner, header);
    out.push(...header, ...sealed);
  }
  return Uint8Array.from(out);
}

export function fuzz(input: Uint8Array): void {
  if (input.length < 2) return;
  const mode = input[0]! % 3;
  const step = input[1]!;
  const data = input.subarray(2);
  if (mode === 0) return deframerOnly(data, step);
  const layer = new RecordLayer(nobleCrypto);
  layer.allowCompatCcs(true);
  if (mode === 1) return drain(layer, data, step);
  layer.setReadKeys('AES-128-GCM', KEYS);
  drain(layer, sealedRecords(data), step);
}
