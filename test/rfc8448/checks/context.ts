/**
 * Shared plumbing for the RFC 8448 checks: the provider under test, one
 * Trace (and ledger) per section, and a byte comparison that counts itself.
 *
 * A check is a named, self-contained assertion over one step or one record.
 * Test files register checks as `it` cases; the coverage test runs all of
 * them against one context and then asks each trace's ledger whether every
 * labelled value was consumed.
 */
import { expect } from 'vitest';
import { createNobleCrypto } from '../../../src/crypto/noble.js';
import type { CryptoProvider, RandomSource } from '../../../src/crypto/provider.js';
import { toHex } from '../../../src/util/bytes.js';
import { openTrace, type SectionNumber, type Trace } from '../vectors.js';

export type CheckKind = 'rsa-key' | 'key-exchange' | 'key-schedule' | 'message' | 'record' | 'signature';

export interface Check {
  readonly kind: CheckKind;
  readonly section: SectionNumber;
  readonly name: string;
  run(): void | Promise<void>;
}

export class CheckContext {
  private readonly traces = new Map<SectionNumber, Trace>();
  private readonly memo = new Map<string, unknown>();

  // RFC 8448's RSA keys (the §2 server key, the §6 client key) are 1024-bit,
  // below the provider's default floor of 2048; replaying the traces is the
  // documented reason to lower it.
  constructor(readonly provider: CryptoProvider = createNobleCrypto({ rsaMinModulusBits: 1024 })) {}

  trace(section: SectionNumber): Trace {
    let t = this.traces.get(section);
    if (!t) {
      t = openTrace(section);
      this.traces.set(section, t);
    }
    return t;
  }

  /** Computes a value once per context (e.g. a section's key schedule). */
  once<T>(key: string, make: () => T): T {
    if (!this.memo.has(key)) this.memo.set(key, make());
    return this.memo.get(key) as T;
  }
}

/** Byte-for-byte equality, reported as hex, counted in the trace's ledger. */
export function sameBytes(trace: Trace, actual: Uint8Array, expected: Uint8Array, what: string): void {
  trace.ledger.comparisons++;
  expect(toHex(actual), what).toBe(toHex(expected));
}

/** Any other counted assertion (a boolean, a type, a code point). */
export function sameValue<T>(trace: Trace, actual: T, expected: T, what: string): void {
  trace.ledger.comparisons++;
  expect(actual, what).toEqual(expected);
}

/**
 * A RandomSource that hands out exactly the RFC's private key, once, so a
 * provider's key generation reproduces the trace. Any other request means
 * the generator does not use its random input as the private key, which the
 * test should report rather than paper over.
 */
export function injectedRandom(privateKey: Uint8Array): RandomSource {
  let used = false;
  return (length: number) => {
    if (used) throw new Error('key generation asked for random bytes twice');
    if (length !== privateKey.length) {
      throw new Error(`key generation asked for ${length} random bytes; the RFC private key has ${privateKey.length}`);
    }
    used = true;
    return privateKey.slice();
  };
}

export function zeros(length: number): Uint8Array {
  return new Uint8Array(length);
}
