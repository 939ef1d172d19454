/**
 * RFC 8448 vectors: key schedule, per section (see ./checks/keySchedule.ts for what each check asserts).
 */
import { keyScheduleChecks } from './checks/keySchedule.js';
import { registerChecks } from './checks/register.js';

registerChecks('key schedule', keyScheduleChecks);
