/**
 * RFC 8448 vectors: handshake messages, per section (see ./checks/messages.ts for what each check asserts).
 */
import { messageChecks } from './checks/messages.js';
import { registerChecks } from './checks/register.js';

registerChecks('handshake messages', messageChecks);
