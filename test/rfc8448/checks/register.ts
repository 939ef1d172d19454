import { describe, it } from 'vitest';
import { ALL_SECTIONS, loadSection, type SectionNumber } from '../vectors.js';
import { type Check, CheckContext } from './context.js';

/**
 * Registers one `describe` per section and one `it` per check. Each test file
 * imports only the check module it needs, so that a missing layer fails only
 * the tests that use it.
 */
export function registerChecks(title: string, make: (ctx: CheckContext, section: SectionNumber) => Check[]): void {
  const ctx = new CheckContext();
  for (const section of ALL_SECTIONS) {
    const checks = make(ctx, section);
    if (checks.length === 0) continue;
    describe(`RFC 8448 §${section} ${loadSection(section).title}: ${title}`, () => {
      for (const check of checks) it(check.name, () => check.run());
    });
  }
}
