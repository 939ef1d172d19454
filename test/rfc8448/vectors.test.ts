/**
 * The JSON in vectors/rfc8448/ is what scripts/rfc8448-to-json.ts makes of
 * the RFC text, and the script refuses text it does not fully understand.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Rfc8448ParseError, parseRfc8448, renderVectorFiles } from '../../scripts/rfc8448-to-json.js';
import { ALL_SECTIONS, loadIndex, loadSection, vectorFileUrl } from './vectors.js';

// /work/shared/refs/rfc8448.txt, i.e. ../shared/refs from the repository root.
const RFC_TEXT_URL = new URL('../../../shared/refs/rfc8448.txt', import.meta.url);

function rfcText(): string {
  try {
    return readFileSync(RFC_TEXT_URL, 'utf8');
  } catch {
    throw new Error(`RFC 8448 text not found at ${RFC_TEXT_URL.pathname}: the vectors cannot be re-derived`);
  }
}

/** Replaces the first line matching `pattern` and returns the new text. */
function editLine(text: string, pattern: RegExp, edit: (line: string) => string | undefined): string {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => pattern.test(l));
  if (at < 0) throw new Error(`no line matches ${pattern}`);
  const replaced = edit(lines[at]!);
  if (replaced === undefined) lines.splice(at, 1);
  else lines[at] = replaced;
  return lines.join('\n');
}

describe('RFC 8448 JSON vectors', () => {
  it('are exactly what the script produces from the RFC text (and the script is deterministic)', () => {
    const text = rfcText();
    const first = renderVectorFiles(text);
    const second = renderVectorFiles(text);
    expect([...second]).toEqual([...first]);
    for (const [name, content] of first) {
      expect(readFileSync(vectorFileUrl(name), 'utf8'), name).toBe(content);
    }
  });

  it('hold six sections whose counts add up, with every hex value as long as the RFC says', () => {
    const index = loadIndex();
    expect(index.sections.map((s) => s.section)).toEqual([...ALL_SECTIONS]);
    let total = 0;
    for (const section of ALL_SECTIONS) {
      const data = loadSection(section);
      const values = data.steps.flatMap((s) => s.values);
      expect(values.length).toBe(data.valueCount);
      expect(data.steps.map((s) => s.index)).toEqual(data.steps.map((_, i) => i));
      for (const v of values) {
        if (v.hex === null) {
          expect(v.text).toBe('0 (all zero octets)');
          continue;
        }
        expect(v.hex).toMatch(/^([0-9a-f]{2})*$/);
        if (v.octets !== null) expect(v.hex.length / 2, `${v.label} line ${v.line}`).toBe(v.octets);
      }
      total += values.length;
    }
    expect(total).toBe(index.valueCount);
    // Section 2 is the RSA key; every trace has client and server steps.
    expect(loadSection(2).steps[0]!.values.map((v) => v.label)).toEqual([
      'modulus (public)', 'public exponent', 'private exponent', 'prime1', 'prime2', 'exponent1', 'exponent2', 'coefficient',
    ]);
  });

  it('are rejected when an octet count disagrees with the hex', () => {
    const text = editLine(rfcText(), /^ {6}PRK \(32 octets\):/, (l) => l.replace('(32 octets)', '(31 octets)'));
    expect(() => parseRfc8448(text)).toThrow(Rfc8448ParseError);
    expect(() => parseRfc8448(text)).toThrow(/says 31 octets but lists 32/);
  });

  it('are rejected when a hex line goes missing', () => {
    // Drop the second line of the first ClientHello dump.
    const lines = rfcText().split('\n');
    const at = lines.findIndex((l) => /^ {6}ClientHello \(196 octets\):/.test(l));
    lines.splice(at + 1, 1);
    expect(() => parseRfc8448(lines.join('\n'))).toThrow(/line 177: "ClientHello" says 196 octets but lists 17\d/);
  });

  it('are rejected when a line does not fit the grammar', () => {
    const text = editLine(rfcText(), /^ {6}IKM \(32 octets\):/, (l) => l.replace(/:.*/, ':  zz 00'));
    expect(() => parseRfc8448(text)).toThrow(/unrecognised line/);
  });

  it('are rejected when a section is missing or retitled', () => {
    const text = editLine(rfcText(), /^5\. {2}HelloRetryRequest$/, () => '5.  Hello Retry Request');
    expect(() => parseRfc8448(text)).toThrow(/titled "Hello Retry Request"/);
  });
});
