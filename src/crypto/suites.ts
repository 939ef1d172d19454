/**
 * The TLS 1.3 cipher suites (RFC 8446 §B.4): each names an AEAD and the hash
 * used by HKDF and the transcript.
 */
import { CipherSuite } from '../registry.js';
import type { AeadName, HashName } from './provider.js';

export interface CipherSuiteInfo {
  readonly code: number;
  readonly name: string;
  readonly aead: AeadName;
  readonly hash: HashName;
  readonly keyLength: number;
  /** Per-record nonce length; always 12 for the TLS 1.3 AEADs (§5.3). */
  readonly ivLength: number;
}

export const CIPHER_SUITES: readonly CipherSuiteInfo[] = [
  { code: CipherSuite.TLS_AES_128_GCM_SHA256, name: 'TLS_AES_128_GCM_SHA256', aead: 'AES-128-GCM', hash: 'SHA-256', keyLength: 16, ivLength: 12 },
  { code: CipherSuite.TLS_AES_256_GCM_SHA384, name: 'TLS_AES_256_GCM_SHA384', aead: 'AES-256-GCM', hash: 'SHA-384', keyLength: 32, ivLength: 12 },
  { code: CipherSuite.TLS_CHACHA20_POLY1305_SHA256, name: 'TLS_CHACHA20_POLY1305_SHA256', aead: 'CHACHA20-POLY1305', hash: 'SHA-256', keyLength: 32, ivLength: 12 },
];

export function cipherSuiteInfo(code: number): CipherSuiteInfo | undefined {
  return CIPHER_SUITES.find((s) => s.code === code);
}
