/**
 * RFC 8448 vectors: RSA key and key exchange, per section (see ./checks/keys.ts for what each check asserts).
 */
import { keyChecks } from './checks/keys.js';
import { registerChecks } from './checks/register.js';

registerChecks('RSA key and key exchange', keyChecks);
