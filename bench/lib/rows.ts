/**
 * The handshake rows of the bench: what each one negotiates, and the client
 * and server configs that make it happen (one pair of configs per row and
 * provider, so settings, parsed certificates, ticket keys and the session
 * cache are shared across the handshakes of a row, as in a real server).
 */
import type { ClientConfig, ServerConfig } from '../../src/config.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { LruSessionCache } from '../../src/handshake/sessions.js';
import { CipherSuite, NamedGroup, PskKeyExchangeMode, SignatureScheme } from '../../src/registry.js';
import type { ClientHello, HandshakeMessage } from '../../src/wire/index.js';
import type { LeafKind, Pki } from './pki.js';

export type RowKind = 'full' | 'resumed' | 'psk_ke' | 'early';

export interface HandshakeRow {
  /** JSON key (handshake.<key>). */
  readonly key: string;
  readonly label: string;
  readonly kind: RowKind;
  readonly group: number;
  readonly groupName: string;
  /** The certificate of the full handshake (resumed rows: of the handshake that issued the ticket). */
  readonly leaf: LeafKind;
  /** The server's CertificateVerify scheme on full rows. */
  readonly scheme: number;
  readonly schemeName: string;
  /** node:tls settings when it can do this row over loopback (full and psk_dhe_ke resumption). */
  readonly nodeTls?: { readonly ecdhCurve: string; readonly sigalgs: string };
}

export const SUITE = CipherSuite.TLS_AES_128_GCM_SHA256;
export const SUITE_NAME = 'TLS_AES_128_GCM_SHA256';
/** 0-RTT payload written before the handshake (a small request). */
export const EARLY_DATA = new Uint8Array(256).fill(0x61);

const S = SignatureScheme;

export const HANDSHAKE_ROWS: readonly HandshakeRow[] = [
  {
    key: 'full_x25519_ecdsa_p256_chain',
    label: 'full  x25519 + ECDSA P-256 (CA→int→leaf)',
    kind: 'full',
    group: NamedGroup.x25519,
    groupName: 'x25519',
    leaf: 'p256',
    scheme: S.ecdsa_secp256r1_sha256,
    schemeName: 'ecdsa_secp256r1_sha256',
    nodeTls: { ecdhCurve: 'X25519', sigalgs: 'ecdsa_secp256r1_sha256' },
  },
  {
    key: 'full_x25519_ed25519',
    label: 'full  x25519 + Ed25519 leaf',
    kind: 'full',
    group: NamedGroup.x25519,
    groupName: 'x25519',
    leaf: 'ed25519',
    scheme: S.ed25519,
    schemeName: 'ed25519',
    nodeTls: { ecdhCurve: 'X25519', sigalgs: 'ed25519' },
  },
  {
    key: 'full_secp256r1_ecdsa_p256_chain',
    label: 'full  secp256r1 + ECDSA P-256',
    kind: 'full',
    group: NamedGroup.secp256r1,
    groupName: 'secp256r1',
    leaf: 'p256',
    scheme: S.ecdsa_secp256r1_sha256,
    schemeName: 'ecdsa_secp256r1_sha256',
    nodeTls: { ecdhCurve: 'P-256', sigalgs: 'ecdsa_secp256r1_sha256' },
  },
  {
    key: 'full_x25519_rsa2048_pss',
    label: 'full  x25519 + RSA-2048 (PSS)',
    kind: 'full',
    group: NamedGroup.x25519,
    groupName: 'x25519',
    leaf: 'rsa',
    scheme: S.rsa_pss_rsae_sha256,
    schemeName: 'rsa_pss_rsae_sha256',
    nodeTls: { ecdhCurve: 'X25519', sigalgs: 'rsa_pss_rsae_sha256' },
  },
  {
    key: 'resumed_psk_dhe_ke',
    label: 'resumed  psk_dhe_ke (x25519)',
    kind: 'resumed',
    group: NamedGroup.x25519,
    groupName: 'x25519',
    leaf: 'p256',
    scheme: S.ecdsa_secp256r1_sha256,
    schemeName: 'ecdsa_secp256r1_sha256',
    nodeTls: { ecdhCurve: 'X25519', sigalgs: 'ecdsa_secp256r1_sha256' },
  },
  {
    key: 'resumed_psk_ke',
    label: 'resumed  psk_ke (no DHE)',
    kind: 'psk_ke',
    group: NamedGroup.x25519,
    groupName: 'x25519',
    leaf: 'p256',
    scheme: S.ecdsa_secp256r1_sha256,
    schemeName: 'ecdsa_secp256r1_sha256',
  },
  {
    key: 'resumed_0rtt',
    label: 'resumed  psk_dhe_ke + 0-RTT (256 B)',
    kind: 'early',
    group: NamedGroup.x25519,
    groupName: 'x25519',
    leaf: 'p256',
    scheme: S.ecdsa_secp256r1_sha256,
    schemeName: 'ecdsa_secp256r1_sha256',
  },
];

/**
 * Our client always offers psk_dhe_ke (and psk_ke after it, with
 * allowPskOnlyResumption), and the server prefers psk_dhe_ke; offering
 * psk_ke alone is how a client asks for resumption without (EC)DHE.
 */
export function offerOnlyPskKe(m: HandshakeMessage): HandshakeMessage {
  if (m.type !== 'client_hello') return m;
  const extensions = m.extensions.map((e) => (e.type === 'psk_key_exchange_modes' ? { ...e, modes: [PskKeyExchangeMode.psk_ke] } : e));
  return { ...m, extensions } as ClientHello;
}

/** Ticket key shared by every server config of the bench (fixed, so copies of a config agree). */
const TICKET_KEY = new Uint8Array(32).map((_, i) => (i * 73 + 11) & 0xff);

export interface RowConfigs {
  readonly client: ClientConfig;
  readonly server: ServerConfig;
  readonly serverName: string;
}

/** Configs for one row on one provider. Both sides use the same provider. */
export function rowConfigs(row: HandshakeRow, pki: Pki, crypto: CryptoProvider): RowConfigs | undefined {
  const leaf = pki.leaves[row.leaf];
  if (!leaf) return undefined;
  const resumption = row.kind !== 'full';
  const server: ServerConfig = {
    crypto,
    certificates: [{ cert: leaf.chainPem, key: leaf.keyPem }],
    groups: [row.group],
    cipherSuites: [SUITE],
    // node:tls (OpenSSL) sends two tickets after a full handshake, so do we (the default).
    ticketCount: 2,
    // Fixed ticket keys: a traced copy of this config (ceiling.ts) can open the same tickets.
    ...(resumption ? { ticketKeys: [TICKET_KEY] } : {}),
    ...(row.kind === 'psk_ke' ? { allowPskOnlyResumption: true } : {}),
    ...(row.kind === 'early' ? { maxEarlyData: 16384 } : {}),
  };
  const client: ClientConfig = {
    crypto,
    ca: pki.rootPem,
    groups: [row.group],
    keyShareGroups: [row.group],
    cipherSuites: [SUITE],
    // Room for the tickets of several concurrent connections (loopback runs 4 at once).
    sessionCache: resumption ? new LruSessionCache(8, 64) : false,
    // A client that asks for resumption without (EC)DHE has no use for a key
    // share: it sends an empty key_share (RFC 8446 §4.2.8) and would take a
    // HelloRetryRequest if the server declined its ticket.
    ...(row.kind === 'psk_ke' ? { allowPskOnlyResumption: true, shapeMessage: offerOnlyPskKe, keyShareGroups: [] } : {}),
    ...(row.kind === 'early' ? { enableEarlyData: true } : {}),
  };
  return { client, server, serverName: leaf.host };
}
