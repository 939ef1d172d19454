/**
 * PEM, the textual encoding of RFC 7468: base64 between
 * "-----BEGIN label-----" and "-----END label-----" lines. Text outside the
 * blocks is ignored (§5.2 allows explanatory text, as `openssl x509 -text`
 * writes). The legacy RFC 1421 headers ("Proc-Type: 4,ENCRYPTED") are kept so
 * that we can recognise an encrypted key and say so.
 */
import type { PrivateKey } from '../crypto/provider.js';
import { X509DecodeError } from './errors.js';
import { parsePrivateKeyDer } from './keys.js';

export interface PemBlock {
  readonly label: string;
  readonly bytes: Uint8Array;
  /** RFC 1421 encapsulated headers, if any (only legacy encrypted keys have them). */
  readonly headers: Readonly<Record<string, string>>;
}

const BEGIN = /^-----BEGIN ([\x21-\x2c\x2e-\x7e](?:[- ]?[\x21-\x2c\x2e-\x7e])*)?-----$/;
const END = /^-----END ([\x21-\x2c\x2e-\x7e](?:[- ]?[\x21-\x2c\x2e-\x7e])*)?-----$/;

/** Every PEM block in `text`, in order. */
export function parsePem(text: string): PemBlock[] {
  const lines = text.split(/\r\n|\r|\n/).map((l) => l.trim());
  const blocks: PemBlock[] = [];
  let i = 0;
  while (i < lines.length) {
    const begin = BEGIN.exec(lines[i]!);
    i++;
    if (!begin) continue;
    const label = begin[1] ?? '';
    const headers: Record<string, string> = {};
    // RFC 1421 §4.4: headers are "Name: value" lines, then a blank line.
    while (i < lines.length && /^[A-Za-z][A-Za-z0-9-]*:/.test(lines[i]!)) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      headers[line.slice(0, colon)] = line.slice(colon + 1).trim();
      i++;
    }
    let body = '';
    let ended = false;
    while (i < lines.length) {
      const line = lines[i]!;
      i++;
      const end = END.exec(line);
      if (end) {
        if ((end[1] ?? '') !== label) {
          throw new X509DecodeError(`PEM: "BEGIN ${label}" is closed by "END ${end[1] ?? ''}"`);
        }
        ended = true;
        break;
      }
      if (line.startsWith('-----')) throw new X509DecodeError(`PEM: unexpected "${line}" inside ${label}`);
      body += line;
    }
    if (!ended) throw new X509DecodeError(`PEM: "BEGIN ${label}" has no END line`);
    blocks.push({ label, bytes: decodeBase64(body, label), headers });
  }
  return blocks;
}

/** One PEM block, base64 in 64-character lines (RFC 7468 §2), ending with a newline. */
export function encodePem(label: string, bytes: Uint8Array): string {
  const b64 = encodeBase64(bytes);
  let out = `-----BEGIN ${label}-----\n`;
  for (let i = 0; i < b64.length; i += 64) out += `${b64.slice(i, i + 64)}\n`;
  return `${out}-----END ${label}-----\n`;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

function encodeBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]!;
    out += i + 1 < bytes.length ? ALPHABET[(n >> 6) & 63]! : '=';
    out += i + 2 < bytes.length ? ALPHABET[n & 63]! : '=';
  }
  return out;
}

/** Strict standard base64 (RFC 4648 §4): padded, canonical, white space ignored. */
function decodeBase64(text: string, label: string): Uint8Array {
  const s = text.replace(/\s+/g, '');
  const bad = `PEM ${label}: invalid base64`;
  if (s.length % 4 !== 0) throw new X509DecodeError(`${bad} (length ${s.length} is not a multiple of 4)`);
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    let n = 0;
    for (let j = 0; j < 4; j++) {
      const c = s.charCodeAt(i + j);
      const last = i + 4 === s.length;
      if (c === 0x3d && last && j >= 4 - pad) {
        n <<= 6;
        continue;
      }
      const v = c < 128 ? DECODE[c]! : -1;
      if (v < 0) throw new X509DecodeError(`${bad} (unexpected "${s[i + j]}")`);
      n = (n << 6) | v;
    }
    // Non-canonical encodings (stray bits under the padding) are rejected.
    if ((pad === 1 && i + 4 === s.length && (n & 0xff) !== 0) || (pad === 2 && i + 4 === s.length && (n & 0xffff) !== 0)) {
      throw new X509DecodeError(`${bad} (non-zero padding bits)`);
    }
    out[o++] = (n >> 16) & 0xff;
    if (o < out.length) out[o++] = (n >> 8) & 0xff;
    if (o < out.length) out[o++] = n & 0xff;
  }
  return out;
}

const KEY_LABELS = new Set(['PRIVATE KEY', 'EC PRIVATE KEY', 'RSA PRIVATE KEY', 'ENCRYPTED PRIVATE KEY']);
const ENCRYPTED_HINT = 'encrypted private keys are not supported: decrypt with openssl pkey';

/**
 * A private key from PEM text (the first key block; e.g. an "EC PARAMETERS"
 * block before it is skipped) or from DER bytes (PKCS#8, SEC1 or PKCS#1).
 */
export function parsePrivateKey(input: string | Uint8Array): PrivateKey {
  const text = typeof input === 'string' ? input : pemText(input);
  if (text === undefined) return parsePrivateKeyDer(input as Uint8Array);
  const blocks = parsePem(text);
  const block = blocks.find((b) => KEY_LABELS.has(b.label));
  if (!block) {
    const found = blocks.map((b) => b.label).join(', ') || 'no PEM blocks';
    throw new X509DecodeError(`no private key found in PEM (found: ${found})`);
  }
  if (block.label === 'ENCRYPTED PRIVATE KEY' || /ENCRYPTED/i.test(block.headers['Proc-Type'] ?? '')) {
    throw new X509DecodeError(ENCRYPTED_HINT);
  }
  return parsePrivateKeyDer(block.bytes);
}

/**
 * The text of `bytes` if they hold PEM (e.g. a file read without an
 * encoding), undefined if they look like DER, which starts with a SEQUENCE
 * tag (0x30) where PEM text has a BEGIN line.
 */
export function pemText(bytes: Uint8Array): string | undefined {
  if (bytes[0] === 0x30 || !latin1(bytes.subarray(0, 4096)).includes('-----BEGIN ')) return undefined;
  return latin1(bytes);
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}
