/**
 * Cipher suite and group names as people type them: the IANA registry names
 * (TLS_AES_128_GCM_SHA256, x25519, secp256r1, X25519MLKEM768), matched
 * without regard to case, plus the aliases OpenSSL users know (P-256,
 * prime256v1, X25519). Only what the crypto provider implements is accepted,
 * so a typo or an unsupported choice fails before any connection is made.
 */
import { CIPHER_SUITES, CipherSuite, NamedGroup, nobleCrypto, type CryptoProvider } from '../src/index.js';

const GROUP_ALIASES: Readonly<Record<string, number>> = {
  'p-256': NamedGroup.secp256r1,
  prime256v1: NamedGroup.secp256r1,
  'p-384': NamedGroup.secp384r1,
  'x25519kyber768': NamedGroup.X25519MLKEM768, // a common mis-naming; the registry name is X25519MLKEM768
};

function lookup(registry: Readonly<Record<string, number>>, name: string): number | undefined {
  const want = name.toLowerCase();
  for (const [key, code] of Object.entries(registry)) if (key.toLowerCase() === want) return code;
  return undefined;
}

export function supportedGroupNames(provider: CryptoProvider = nobleCrypto): string[] {
  return provider.groups.map(groupName);
}

export function supportedCipherNames(): string[] {
  return CIPHER_SUITES.map((s) => cipherName(s.code));
}

/** Group code points for `names`, in order; throws with the list of valid names. */
export function parseGroups(names: readonly string[], provider: CryptoProvider = nobleCrypto): number[] {
  return names.map((name) => {
    const code = lookup(NamedGroup, name) ?? GROUP_ALIASES[name.toLowerCase()];
    if (code === undefined || !provider.keyExchange(code)) {
      throw new Error(`unknown or unsupported group "${name}" (supported: ${supportedGroupNames(provider).join(', ')})`);
    }
    return code;
  });
}

export function parseCipherSuites(names: readonly string[]): number[] {
  return names.map((name) => {
    const code = lookup(CipherSuite, name);
    if (code === undefined || !CIPHER_SUITES.some((s) => s.code === code)) {
      throw new Error(`unknown or unsupported cipher suite "${name}" (supported: ${supportedCipherNames().join(', ')})`);
    }
    return code;
  });
}

export function groupName(code: number): string {
  return nameOf(NamedGroup, code);
}

export function cipherName(code: number): string {
  return nameOf(CipherSuite, code);
}

function nameOf(registry: Readonly<Record<string, number>>, code: number): string {
  for (const [name, value] of Object.entries(registry)) if (value === code) return name;
  return `0x${code.toString(16).padStart(4, '0')}`;
}
