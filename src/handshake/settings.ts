/**
 * Turns a user's config into the checked, normalised settings the state
 * machines use: defaults filled in, PEM parsed once, lists filtered to what
 * the crypto provider implements. Resolution is cached per config object, so
 * a server pays for parsing its certificates once, not per connection.
 */
import type { CertificateInput, CertificateSource, CertifiedKey, ClientConfig, CommonConfig, ServerConfig } from '../config.js';
import type { CryptoProvider, PrivateKey, RandomSource } from '../crypto/provider.js';
import { nobleCrypto } from '../crypto/noble.js';
import { CIPHER_SUITES } from '../crypto/suites.js';
import { TLSError } from '../errors.js';
import { CipherSuite, NamedGroup, SignatureScheme } from '../registry.js';
import { utf8 } from '../util/bytes.js';
import {
  parseCertificate,
  parseCertificates,
  parsePrivateKey,
  publicKeyFromPrivateKey,
  samePublicKey,
  type Certificate,
} from '../x509/index.js';
import { type ReplayCache, DEFAULT_FRESHNESS_WINDOW_MS, MemoryReplayCache } from './antiReplay.js';
import { LruSessionCache, type SessionCache } from './sessions.js';
import { MAX_TICKET_LIFETIME_SECONDS, TicketKeyring } from './tickets.js';

/**
 * Default suite order. All three are required or recommended by RFC 8446
 * §9.1; ChaCha20-Poly1305 is second because in pure JS it is about twice as
 * fast as AES-GCM.
 */
export const DEFAULT_CIPHER_SUITES: readonly number[] = [
  CipherSuite.TLS_AES_128_GCM_SHA256,
  CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
  CipherSuite.TLS_AES_256_GCM_SHA384,
];

/** The post-quantum hybrid first, as Go, Chrome and rustls do. */
export const DEFAULT_GROUPS: readonly number[] = [
  NamedGroup.X25519MLKEM768,
  NamedGroup.x25519,
  NamedGroup.secp256r1,
  NamedGroup.secp384r1,
];

/** Schemes for CertificateVerify (TLS 1.3 forbids PKCS#1 v1.5 there, §4.2.3). */
export const DEFAULT_SIGNATURE_SCHEMES: readonly number[] = [
  SignatureScheme.ecdsa_secp256r1_sha256,
  SignatureScheme.ecdsa_secp384r1_sha384,
  SignatureScheme.ed25519,
  SignatureScheme.rsa_pss_rsae_sha256,
  SignatureScheme.rsa_pss_rsae_sha384,
  SignatureScheme.rsa_pss_rsae_sha512,
];

/**
 * Schemes we also accept inside certificates: most of the web's RSA chains are
 * signed with PKCS#1 v1.5, which TLS 1.3 still allows there (§4.2.3).
 */
const CERTIFICATE_ONLY_SCHEMES: readonly number[] = [
  SignatureScheme.rsa_pkcs1_sha256,
  SignatureScheme.rsa_pkcs1_sha384,
  SignatureScheme.rsa_pkcs1_sha512,
];


export interface CommonSettings {
  readonly config: CommonConfig;
  readonly provider: CryptoProvider;
  readonly random: RandomSource;
  readonly now: () => Date;
  readonly cipherSuites: readonly number[];
  readonly groups: readonly number[];
  /** What we accept and use in CertificateVerify. */
  readonly signatureSchemes: readonly number[];
  /** What we advertise in signature_algorithms: CertificateVerify schemes plus certificate-only ones. */
  readonly advertisedSchemes: readonly number[];
  readonly alpn: readonly Uint8Array[];
  readonly certificates: readonly CertifiedKey[];
  readonly roots: readonly Certificate[];
  readonly intermediates: readonly Certificate[];
  readonly middleboxCompat: boolean;
  readonly recordSizeLimit: number | undefined;
  /** Undefined: the record layer's per-type defaults (64 KiB, Certificate 256 KiB). */
  readonly maxHandshakeMessageSize: number | undefined;
}

export interface ClientSettings extends CommonSettings {
  readonly config: ClientConfig;
  readonly keyShareGroups: readonly number[];
  readonly sessionCache: SessionCache | undefined;
}

export interface ServerSettings extends CommonSettings {
  readonly config: ServerConfig;
  readonly clientAuth: NonNullable<ServerConfig['clientAuth']>;
  readonly clientRoots: readonly Certificate[];
  readonly preferServer: boolean;
  readonly ticketCount: number;
  readonly ticketLifetime: number;
  readonly ticketKeys: TicketKeyring;
  readonly maxEarlyData: number;
  readonly antiReplay: ReplayCache;
  readonly freshnessWindow: number;
}

const DAY_MS = 86_400_000;

const clientCache = new WeakMap<ClientConfig, ClientSettings>();
const serverCache = new WeakMap<ServerConfig, ServerSettings>();

export function clientSettings(config: ClientConfig): ClientSettings {
  let s = clientCache.get(config);
  if (!s) {
    const common = commonSettings(config);
    s = {
      ...common,
      config,
      keyShareGroups: resolveKeyShareGroups(config, common),
      sessionCache: config.sessionCache === false ? undefined : (config.sessionCache ?? new LruSessionCache()),
    };
    clientCache.set(config, s);
  }
  return s;
}

export function serverSettings(config: ServerConfig): ServerSettings {
  let s = serverCache.get(config);
  if (!s) {
    const common = commonSettings(config);
    if (common.certificates.length === 0 && !config.getCertificate) {
      throw new TLSError('internal_error', 'a server needs a certificate: set `certificates` or `getCertificate`');
    }
    s = {
      ...common,
      config,
      clientAuth: config.clientAuth ?? 'none',
      clientRoots: config.clientCa === undefined ? common.roots : loadCertificates(config.clientCa, 'clientCa'),
      preferServer: config.preferServerCipherSuites ?? true,
      ticketCount: nonNegative(config.ticketCount ?? 2, 'ticketCount'),
      ticketLifetime: Math.min(nonNegative(config.ticketLifetime ?? MAX_TICKET_LIFETIME_SECONDS, 'ticketLifetime'), MAX_TICKET_LIFETIME_SECONDS),
      ticketKeys: new TicketKeyring(common.provider, config.ticketKeyRotation ?? DAY_MS, config.ticketKeys, common.random),
      maxEarlyData: nonNegative(config.maxEarlyData ?? 0, 'maxEarlyData'),
      antiReplay: config.antiReplay ?? new MemoryReplayCache(),
      freshnessWindow: nonNegative(config.freshnessWindow ?? DEFAULT_FRESHNESS_WINDOW_MS, 'freshnessWindow'),
    };
    serverCache.set(config, s);
  }
  return s;
}

function commonSettings(config: CommonConfig): CommonSettings {
  const provider = config.crypto ?? nobleCrypto;
  const suites = supported(config.cipherSuites ?? DEFAULT_CIPHER_SUITES, (c) => CIPHER_SUITES.some((s) => s.code === c), 'cipherSuites');
  const groups = supported(config.groups ?? DEFAULT_GROUPS, (g) => provider.keyExchange(g) !== undefined, 'groups');
  const schemes = supported(
    config.signatureSchemes ?? DEFAULT_SIGNATURE_SCHEMES,
    (s) => provider.signature(s) !== undefined,
    'signatureSchemes',
  );
  const cvSchemes = schemes.filter((s) => provider.signature(s)?.handshake);
  const certOnly = config.signatureSchemes ? [] : CERTIFICATE_ONLY_SCHEMES.filter((s) => provider.signature(s));
  const limit = config.recordSizeLimit;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 64 || limit > 16385)) {
    throw new RangeError('recordSizeLimit must be an integer from 64 to 16385 (RFC 8449 §4)');
  }
  return {
    config,
    provider,
    random: config.random ?? provider.random,
    now: config.now ?? (() => new Date()),
    cipherSuites: suites,
    groups,
    signatureSchemes: cvSchemes,
    advertisedSchemes: [...schemes, ...certOnly.filter((s) => !schemes.includes(s))],
    alpn: (config.alpnProtocols ?? []).map(alpnName),
    certificates: (config.certificates ?? []).map(loadCertifiedKey),
    roots: config.ca === undefined ? [] : loadCertificates(config.ca, 'ca'),
    intermediates: config.intermediates === undefined ? [] : loadCertificates(config.intermediates, 'intermediates'),
    middleboxCompat: config.middleboxCompat ?? true,
    recordSizeLimit: limit,
    maxHandshakeMessageSize: config.maxHandshakeMessageSize,
  };
}

function nonNegative(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${what} must be a non-negative integer`);
  return value;
}

function supported(list: readonly number[], ok: (code: number) => boolean, what: string): number[] {
  const out = list.filter(ok);
  if (out.length === 0) throw new RangeError(`${what}: none of the configured values is supported`);
  return out;
}

/**
 * By default the first ClientHello carries a share for the first group, and
 * when that is the hybrid also one for x25519, so servers without ML-KEM
 * need no HelloRetryRequest (what Go and Chrome send).
 */
function resolveKeyShareGroups(config: ClientConfig, common: CommonSettings): readonly number[] {
  if (config.keyShareGroups) {
    const shares = config.keyShareGroups.filter((g) => common.groups.includes(g));
    if (shares.length !== config.keyShareGroups.length) {
      throw new RangeError('keyShareGroups must be a subset of `groups` that the crypto provider supports');
    }
    return shares;
  }
  const first = common.groups[0]!;
  if (first === NamedGroup.X25519MLKEM768 && common.groups.includes(NamedGroup.x25519)) return [first, NamedGroup.x25519];
  return [first];
}

function alpnName(name: string): Uint8Array {
  const bytes = utf8(name);
  if (bytes.length === 0 || bytes.length > 255) throw new RangeError(`ALPN protocol names are 1 to 255 bytes (RFC 7301 §3.1): "${name}"`);
  return bytes;
}

/**
 * Parsed trust stores, by source: a system root store is one array shared by
 * every connection, and parsing it costs tens of milliseconds. Text sources
 * are kept in a small bounded map (strings cannot be weak keys).
 */
const parsedByObject = new WeakMap<object, Certificate[]>();
const parsedByText = new Map<string, Certificate[]>();
const MAX_PARSED_TEXTS = 32;

/** Parses PEM or DER trust anchors or intermediates. */
export function loadCertificates(source: CertificateSource, what: string): Certificate[] {
  const cached = typeof source === 'string' ? parsedByText.get(source) : parsedByObject.get(source);
  if (cached) return cached;
  const items = typeof source === 'string' || source instanceof Uint8Array ? [source] : source;
  let parsed: Certificate[];
  try {
    parsed = items.flatMap((item) => parseCertificates(item));
  } catch (err) {
    throw new TLSError('internal_error', `could not load \`${what}\`: ${(err as Error).message}`, 'local', { cause: err });
  }
  if (typeof source === 'string') {
    if (parsedByText.size >= MAX_PARSED_TEXTS) parsedByText.delete(parsedByText.keys().next().value as string);
    parsedByText.set(source, parsed);
  } else {
    parsedByObject.set(source, parsed);
  }
  return parsed;
}

/** Loads a certificate chain and its key, checking that they belong together. */
export function loadCertifiedKey(input: CertificateInput): CertifiedKey {
  if ('chain' in input) {
    const leaf = input.leaf ?? parseCertificate(requireLeaf(input.chain));
    return { chain: input.chain, privateKey: input.privateKey, leaf };
  }
  try {
    const chain =
      typeof input.cert === 'string'
        ? parseCertificates(input.cert).map((c) => c.raw)
        : input.cert instanceof Uint8Array
          ? [input.cert]
          : [...input.cert];
    const privateKey = parsePrivateKey(input.key);
    const leaf = parseCertificate(requireLeaf(chain));
    if (!keyMatchesCertificate(privateKey, leaf)) {
      throw new Error(`the private key does not belong to the certificate (subject ${leaf.subject.text}): pair each certificate with its own key`);
    }
    return { chain, privateKey, leaf };
  } catch (err) {
    throw new TLSError('internal_error', `could not load a certificate: ${(err as Error).message}`, 'local', { cause: err });
  }
}

function requireLeaf(chain: readonly Uint8Array[]): Uint8Array {
  const leaf = chain[0];
  if (!leaf) throw new Error('a certificate chain must hold at least the leaf certificate');
  return leaf;
}

/** Whether `key` is the private half of the leaf's public key, not merely of the same type. */
function keyMatchesCertificate(key: PrivateKey, leaf: Certificate): boolean {
  if (leaf.publicKey === null) return false;
  try {
    return samePublicKey(publicKeyFromPrivateKey(key), leaf.publicKey);
  } catch {
    return false;
  }
}
