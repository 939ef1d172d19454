/**
 * The stronger form of the coverage test: consuming a value is not enough,
 * a check must depend on it. For every labelled value in every section we
 * corrupt it (one nibble of a hex value; one byte added to an empty one; the
 * text of the zero salt) and require that at least one of that section's
 * checks then fails.
 */
import { expect, it } from 'vitest';
import { CheckContext, checksFor } from './checks/index.js';
import { ALL_SECTIONS, loadIndex, loadSection, type VectorValue } from './vectors.js';

type Mutable = { -readonly [K in keyof VectorValue]: VectorValue[K] };

function corrupt(v: Mutable): void {
  if (v.hex === null) v.text = `${v.text ?? ''}!`;
  else if (v.hex === '') v.hex = '00';
  else {
    const i = Math.floor(v.hex.length / 4) * 2; // a byte in the first half, high nibble
    v.hex = v.hex.slice(0, i) + (v.hex[i] === '0' ? '1' : '0') + v.hex.slice(i + 1);
  }
}

it('every corrupted value makes some check of its section fail', async () => {
  const survivors: string[] = [];
  let mutated = 0;
  for (const section of ALL_SECTIONS) {
    for (const step of loadSection(section).steps) {
      for (const value of step.values) {
        const v = value as Mutable;
        const saved = { hex: v.hex, text: v.text };
        corrupt(v);
        let failed = 0;
        try {
          const ctx = new CheckContext();
          for (const check of checksFor(ctx, section)) {
            try {
              await check.run();
            } catch {
              failed++;
            }
          }
        } finally {
          v.hex = saved.hex;
          if (saved.text === undefined) delete v.text;
          else v.text = saved.text;
        }
        mutated++;
        if (failed === 0) survivors.push(`§${section} #${step.index} ${step.action} / ${value.label} (line ${value.line})`);
      }
    }
  }
  expect(survivors).toEqual([]);
  expect(mutated).toBe(loadIndex().valueCount);
}, 300_000);
