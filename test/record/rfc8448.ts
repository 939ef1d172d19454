/**
 * Reads labelled hex blocks ("payload (36 octets):  14 00 …") out of the
 * RFC 8448 text, across page breaks, using the stated octet count to know
 * where each block ends.
 */
import { readFileSync } from 'node:fs';
import { fromHex } from '../../src/util/bytes.js';

const TEXT = readFileSync(new URL('../../../shared/refs/rfc8448.txt', import.meta.url), 'utf8');

const HEX_LINE = /^\s*(?:[0-9a-f]{2}\s+)*[0-9a-f]{2}\s*$/;

/** The text of one top-level section, e.g. "3.  Simple 1-RTT Handshake" up to the next one. */
export function section(heading: string): string[] {
  const lines = TEXT.split('\n');
  const start = lines.findIndex((l) => l.startsWith(heading));
  if (start < 0) throw new Error(`RFC 8448: no section ${heading}`);
  const end = lines.findIndex((l, i) => i > start && /^\d+\.\s{2}\S/.test(l));
  return lines.slice(start, end < 0 ? undefined : end);
}

/**
 * The bytes of the `occurrence`-th block labelled `label` after the line
 * containing `after` (both matched as substrings).
 */
export function block(lines: string[], after: string, label: string, occurrence = 0): Uint8Array {
  let i = lines.findIndex((l) => l.includes(after));
  if (i < 0) throw new Error(`RFC 8448: no line "${after}"`);
  const re = new RegExp(`^\\s*${label.replace(/[()]/g, '\\$&')} \\((\\d+) octets\\):(.*)$`);
  let seen = -1;
  for (; i < lines.length; i++) {
    const m = re.exec(lines[i]!);
    if (!m || ++seen < occurrence) continue;
    const want = Number(m[1]);
    let hex = m[2]!.trim();
    for (let j = i + 1; hex.replace(/\s+/g, '').length < want * 2 && j < lines.length; j++) {
      if (HEX_LINE.test(lines[j]!)) hex += ' ' + lines[j]!.trim();
    }
    const bytes = fromHex(hex);
    if (bytes.length !== want) throw new Error(`RFC 8448: ${label} has ${bytes.length} octets, expected ${want}`);
    return bytes;
  }
  throw new Error(`RFC 8448: no "${label}" #${occurrence} after "${after}"`);
}
