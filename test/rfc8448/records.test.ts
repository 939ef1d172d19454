/**
 * RFC 8448 vectors: records, per section (see ./checks/records.ts for what each check asserts).
 */
import { recordChecks } from './checks/records.js';
import { registerChecks } from './checks/register.js';

registerChecks('records', recordChecks);
