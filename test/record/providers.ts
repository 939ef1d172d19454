/**
 * The providers the record tests run against: a node:crypto test provider
 * (an independent AEAD implementation) and the library's own nobleCrypto.
 */
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { nobleCrypto } from '../../src/crypto/noble.js';
import { nodeAeadProvider } from './nodeAead.js';

export const providers: readonly CryptoProvider[] = [nodeAeadProvider, nobleCrypto];
