/**
 * Runs every RFC 8448 check against one context and asserts that each
 * labelled value in each section's JSON was consumed by at least one of them,
 * so that no value is silently left unchecked. Prints the counts per section.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CheckContext, checksFor } from './checks/index.js';
import { ALL_SECTIONS, loadIndex, type Coverage } from './vectors.js';

const ctx = new CheckContext();
const results: (Coverage & { checks: number })[] = [];

describe('RFC 8448: every labelled value is checked', () => {
  for (const section of ALL_SECTIONS) {
    it(`§${section}: all checks pass and together consume every value`, async () => {
      const checks = checksFor(ctx, section);
      const failures: string[] = [];
      for (const check of checks) {
        try {
          await check.run();
        } catch (e) {
          failures.push(`${check.name}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
        }
      }
      const coverage = ctx.trace(section).coverage();
      results.push({ ...coverage, checks: checks.length });
      expect(failures).toEqual([]);
      expect(coverage.missing).toEqual([]);
      expect(coverage.values).toBe(loadIndex().sections.find((s) => s.section === section)!.valueCount);
      expect(coverage.consumed).toBe(coverage.values);
    });
  }

  afterAll(() => {
    const lines = results
      .sort((a, b) => a.section - b.section)
      .map(
        (r) =>
          `  §${r.section}  values ${String(r.values).padStart(4)}  consumed ${String(r.consumed).padStart(4)}` +
          `  checks ${String(r.checks).padStart(4)}  comparisons ${String(r.comparisons).padStart(5)}`,
      );
    const total = results.reduce((n, r) => n + r.consumed, 0);
    console.log(`RFC 8448 coverage:\n${lines.join('\n')}\n  total consumed ${total} of ${loadIndex().valueCount}`);
  });
});
