/** Shared helpers for the X.509 tests: fixture loading and a tiny DER builder. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseCertificates, type Certificate } from '../../src/x509/index.js';

export const PKI_DIR = fileURLToPath(new URL('../fixtures/pki/', import.meta.url));

/** A fixture file's text. */
export function fixture(file: string): string {
  return readFileSync(PKI_DIR + file, 'utf8');
}

export function fixtureBytes(file: string): Uint8Array {
  return new Uint8Array(readFileSync(PKI_DIR + file));
}

const cache = new Map<string, Certificate>();

/** The certificate in `<name>.pem`. */
export function cert(name: string): Certificate {
  let c = cache.get(name);
  if (!c) {
    c = parseCertificates(fixture(`${name}.pem`))[0]!;
    cache.set(name, c);
  }
  return c;
}

/** A moment when every "valid" fixture (2025-01-01 .. 2125-01-01) is current. */
export const NOW = new Date('2026-06-01T00:00:00Z');

/** DER length octets (minimal). */
export function derLength(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return [0x80 | out.length, ...out];
}

/** A DER TLV with the given identifier octet and contents. */
export function tlv(tag: number, ...contents: (Uint8Array | number[])[]): Uint8Array {
  const body = contents.flatMap((c) => Array.from(c));
  return Uint8Array.from([tag, ...derLength(body.length), ...body]);
}

export function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}
