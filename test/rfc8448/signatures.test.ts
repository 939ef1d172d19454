/**
 * RFC 8448 vectors: CertificateVerify signatures, per section (see ./checks/signatures.ts for what each check asserts).
 */
import { signatureChecks } from './checks/signatures.js';
import { registerChecks } from './checks/register.js';

registerChecks('CertificateVerify signatures', signatureChecks);
