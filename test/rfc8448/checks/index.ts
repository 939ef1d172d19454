/** All RFC 8448 checks, for the coverage test, which runs every kind. */
import type { SectionNumber } from '../vectors.js';
import { type Check, CheckContext, type CheckKind } from './context.js';
import { keyChecks } from './keys.js';
import { keyScheduleChecks } from './keySchedule.js';
import { messageChecks } from './messages.js';
import { recordChecks } from './records.js';
import { signatureChecks } from './signatures.js';

export { CheckContext, type Check, type CheckKind };

export function checksFor(ctx: CheckContext, section: SectionNumber): Check[] {
  return [
    ...keyChecks(ctx, section),
    ...keyScheduleChecks(ctx, section),
    ...messageChecks(ctx, section),
    ...recordChecks(ctx, section),
    ...signatureChecks(ctx, section),
  ];
}
