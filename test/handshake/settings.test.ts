import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TLSError } from '../../src/errors.js';
import { loadCertifiedKey } from '../../src/handshake/settings.js';

const pki = (f: string) => readFileSync(new URL(`../fixtures/pki/${f}`, import.meta.url), 'utf8');

describe('loadCertifiedKey', () => {
  it('accepts a certificate with its own key', () => {
    const key = loadCertifiedKey({ cert: pki('leaf-p256.pem'), key: pki('leaf-p256.key') });
    expect(key.leaf?.subject.text).toContain('p256.test');
  });

  it.each([
    ['another key of the same type', 'leaf-wildcard.key'],
    ['a key of another type', 'leaf-ed25519.key'],
  ])('refuses %s, naming the certificate', (_what, keyFile) => {
    const load = () => loadCertifiedKey({ cert: pki('leaf-p256.pem'), key: pki(keyFile) });
    expect(load).toThrow(TLSError);
    expect(load).toThrow(/does not belong to the certificate \(subject .*p256\.test/);
  });
});
