/**
 * The crypto ceiling of a handshake row: the primitive operations the
 * protocol cannot avoid, timed alone with the same provider, in the same
 * run. A handshake of that row can never be faster; ours / ceiling says how
 * much the engine adds on top.
 *
 * What one handshake (both ends, one core) must compute:
 *
 *   full:     client key share; server encapsulation (key share + DH);
 *             client decapsulation (DH); server CertificateVerify signature;
 *             client verifies CertificateVerify, the leaf's certificate
 *             signature and the intermediate's (the root is trusted as is);
 *   resumed:  the key exchange only (psk_dhe_ke) or nothing (psk_ke), plus
 *             opening the ticket; 0-RTT adds the early traffic keys and the
 *             early data's AEAD;
 *   always:   the key schedule of RFC 8446 §7.1 on both sides (HKDF-Extract
 *             ×3, HKDF-Expand for every Derive-Secret, traffic key and IV and
 *             finished key, HMAC for each Finished; a binder's worth more when
 *             resuming), one pass of the transcript hash over every handshake
 *             message on each side, one AEAD seal and one open of each
 *             protected handshake byte, and two tickets (sealed with
 *             AES-256-GCM, PSK derived on both sides).
 *
 * Not counted (it is engine work, not cryptography): parsing certificates,
 * encoding and decoding messages, record framing, copies. Key import into a
 * native library counts as part of the primitive, done as the provider does
 * it: the leaf and intermediate keys are fresh objects each time, as when a
 * connection parses its peer's chain (the native provider keeps imported
 * public keys by their bytes, so in steady state neither pays for it).
 *
 * The byte counts (transcript, protected handshake bytes) come from one real
 * handshake of the row, traced.
 */
import type { ClientConfig, ServerConfig } from '../../src/config.js';
import { ClientConnection, ServerConnection } from '../../src/connection.js';
import type { CryptoProvider, Hash, PrivateKey, PublicKey } from '../../src/crypto/provider.js';
import { SignatureScheme } from '../../src/registry.js';
import { parseCertificates, parsePrivateKey } from '../../src/x509/index.js';
import { pumpPair } from './drivers.js';
import type { Pki } from './pki.js';
import { EARLY_DATA, type HandshakeRow } from './rows.js';

export interface HandshakeShape {
  /** Bytes of all handshake messages in the transcript (each side hashes them once). */
  readonly transcriptBytes: number;
  /** Bytes of handshake messages sent protected (EncryptedExtensions onwards, tickets included). */
  readonly protectedBytes: number;
}

/** Traces one handshake of the row (after any warm-up handshake that issued a ticket). */
export async function traceShape(client: ClientConfig, server: ServerConfig, serverName: string, row: HandshakeRow): Promise<HandshakeShape> {
  let transcriptBytes = 0;
  let protectedBytes = 0;
  const trace = (entry: Parameters<NonNullable<ClientConfig['trace']>>[0]) => {
    if (entry.kind !== 'message' || entry.direction !== 'sent') return;
    const type = entry.message.type;
    if (type !== 'new_session_ticket' && type !== 'key_update') transcriptBytes += entry.bytes.length;
    if (type !== 'client_hello' && type !== 'server_hello') protectedBytes += entry.bytes.length;
  };
  const c = new ClientConnection({ ...client, trace }, { serverName });
  const s = new ServerConnection({ ...server, trace });
  if (row.kind === 'early') c.write(EARLY_DATA);
  await pumpPair(c, s);
  if (!c.handshakeComplete || !s.handshakeComplete) throw new Error(`tracing ${row.key}: handshake failed: ${(c.error ?? s.error)?.message}`);
  return { transcriptBytes, protectedBytes };
}

/** How many key-schedule operations a row needs on both sides together (see the module comment). */
export function keyScheduleCounts(row: HandshakeRow): { extract: number; expand: number; hmac: number } {
  // Per side: Early/Handshake/Master Secret; 2× "derived", c/s hs traffic,
  // c/s ap traffic, exp master, res master (8); key + IV for 4 traffic
  // secrets (8); 2 finished keys; 2 Finished HMACs (make one, check one).
  let extract = 2 * 3;
  let expand = 2 * (8 + 8 + 2);
  let hmac = 2 * 2;
  // Two tickets: the server derives each PSK; the client derives each too.
  expand += 2 * 2;
  if (row.kind !== 'full') {
    // The binder, on both sides: binder key, its finished key, the HMAC.
    expand += 2 * 2;
    hmac += 2;
  }
  if (row.kind === 'early') {
    // client_early_traffic_secret and its key and IV, on both sides.
    expand += 2 * 3;
  }
  return { extract, expand, hmac };
}

function leafAndChain(pki: Pki, row: HandshakeRow): { leafKey: PublicKey; privateKey: PrivateKey; certs: { tbs: Uint8Array; signature: Uint8Array; issuerKey: PublicKey }[] } {
  const leaf = pki.leaves[row.leaf]!;
  const [leafCert, intCert] = parseCertificates(leaf.chainPem);
  const [root] = parseCertificates(pki.rootPem);
  if (!leafCert?.publicKey || !intCert?.publicKey || !root?.publicKey) throw new Error('fixture chain does not parse');
  return {
    leafKey: leafCert.publicKey,
    privateKey: parsePrivateKey(leaf.keyPem),
    certs: [
      { tbs: leafCert.tbs, signature: leafCert.signature, issuerKey: intCert.publicKey },
      { tbs: intCert.tbs, signature: intCert.signature, issuerKey: root.publicKey },
    ],
  };
}

/** A copy of a public key object: a native provider cannot reuse an import cached on the original. */
function fresh(key: PublicKey): PublicKey {
  return { ...key };
}

function sync<T>(value: T | Promise<T>): T {
  if (value instanceof Promise) throw new Error('the bench ceilings need a synchronous provider');
  return value;
}

/**
 * The ceiling operation for a row: one call does one handshake's worth of
 * primitives. Returns a function for measure().
 */
export function ceilingOperation(provider: CryptoProvider, row: HandshakeRow, pki: Pki, shape: HandshakeShape): () => unknown {
  const random = provider.random;
  const hash: Hash = provider.hash('SHA-256');
  const kx = provider.keyExchange(row.group)!;
  const full = row.kind === 'full';
  const dhe = row.kind !== 'psk_ke';
  const counts = keyScheduleCounts(row);
  const { leafKey, privateKey, certs } = leafAndChain(pki, row);
  const cvScheme = provider.signature(row.scheme)!;
  // The intermediate signs every leaf with ecdsa-with-SHA256 (P-256), and the root the intermediate.
  const certScheme = provider.signature(SignatureScheme.ecdsa_secp256r1_sha256)!;
  const cvContent = new Uint8Array(64 + 34 + 32).fill(0x20);

  const transcript = random(shape.transcriptBytes);
  const protectedBytes = random(shape.protectedBytes + (row.kind === 'early' ? EARLY_DATA.length : 0));
  const trafficAead = provider.aead('AES-128-GCM').importKey(random(16));
  const ticketAead = provider.aead('AES-256-GCM');
  const ticketKey = random(32);
  const ticketState = random(120);
  const nonce = random(12);
  const aad = random(5);
  const secret = random(32);
  const label = random(50);
  const sealedTicket = ticketAead.importKey(ticketKey).seal(nonce, ticketState, aad);

  return () => {
    let sink = 0;
    if (dhe) {
      const pair = sync(kx.generate(random));
      const enc = sync(kx.encapsulate(pair.share, random));
      sink += sync(kx.decapsulate(pair.privateKey, enc.share)).length;
    }
    if (full) {
      const signature = sync(cvScheme.sign(privateKey, cvContent, random));
      if (!sync(cvScheme.verify(fresh(leafKey), cvContent, signature))) throw new Error('ceiling: CertificateVerify did not verify');
      for (const c of certs) {
        const issuer = c === certs[certs.length - 1] ? c.issuerKey : fresh(c.issuerKey);
        if (!sync(certScheme.verify(issuer, c.tbs, c.signature))) throw new Error('ceiling: certificate signature did not verify');
      }
    } else {
      // The server opens the ticket the client offered.
      sink += ticketAead.importKey(ticketKey).open(nonce, sealedTicket, aad)!.length;
    }
    for (let i = 0; i < counts.extract; i++) sink += provider.hkdfExtract(hash, secret, secret).length;
    for (let i = 0; i < counts.expand; i++) sink += provider.hkdfExpand(hash, secret, label, 32).length;
    for (let i = 0; i < counts.hmac; i++) sink += provider.hmac(hash, secret, secret).length;
    // Each side hashes the transcript once.
    sink += hash.digest(transcript).length + hash.digest(transcript).length;
    // Protected handshake bytes: sealed by one side, opened by the other.
    const sealed = trafficAead.seal(nonce, protectedBytes, aad);
    sink += trafficAead.open(nonce, sealed, aad)!.length;
    // Two new tickets sealed by the server.
    for (let i = 0; i < 2; i++) sink += ticketAead.importKey(ticketKey).seal(nonce, ticketState, aad).length;
    return sink;
  };
}

// ------------------------------------------------------------ call counting

export interface CallCounts {
  hashDigest: number;
  hashBytes: number;
  hashContexts: number;
  contextDigests: number;
  hmac: number;
  hkdfExtract: number;
  hkdfExpand: number;
  aeadImports: number;
  seal: number;
  sealBytes: number;
  open: number;
  openBytes: number;
  keyExchange: number;
  sign: number;
  verify: number;
}

export function zeroCounts(): CallCounts {
  return {
    hashDigest: 0,
    hashBytes: 0,
    hashContexts: 0,
    contextDigests: 0,
    hmac: 0,
    hkdfExtract: 0,
    hkdfExpand: 0,
    aeadImports: 0,
    seal: 0,
    sealBytes: 0,
    open: 0,
    openBytes: 0,
    keyExchange: 0,
    sign: 0,
    verify: 0,
  };
}

/**
 * Wraps a provider to count what the engine asks of it: evidence for where
 * the engine does more cryptographic work than the protocol needs.
 */
export function countingProvider(base: CryptoProvider, counts: CallCounts): CryptoProvider {
  const wrapHash = (h: Hash): Hash => ({
    name: h.name,
    outputLength: h.outputLength,
    digest(data) {
      counts.hashDigest++;
      counts.hashBytes += data.length;
      return h.digest(data);
    },
    create() {
      counts.hashContexts++;
      const wrapCtx = (ctx: ReturnType<Hash['create']>): ReturnType<Hash['create']> => ({
        update(data) {
          counts.hashBytes += data.length;
          ctx.update(data);
          return this;
        },
        digest() {
          counts.contextDigests++;
          return ctx.digest();
        },
        clone() {
          return wrapCtx(ctx.clone());
        },
      });
      return wrapCtx(h.create());
    },
  });
  const hashes = new Map<string, Hash>();
  const hashFor = (name: Parameters<CryptoProvider['hash']>[0]): Hash => {
    let h = hashes.get(name);
    if (!h) {
      h = wrapHash(base.hash(name));
      hashes.set(name, h);
    }
    return h;
  };
  const unwrap = (h: Hash) => base.hash(h.name);
  return {
    name: `${base.name} (counted)`,
    get random() {
      return base.random;
    },
    groups: base.groups,
    signatureSchemes: base.signatureSchemes,
    hash: hashFor,
    hmac(h, key, data) {
      counts.hmac++;
      return base.hmac(unwrap(h), key, data);
    },
    hkdfExtract(h, salt, ikm) {
      counts.hkdfExtract++;
      return base.hkdfExtract(unwrap(h), salt, ikm);
    },
    hkdfExpand(h, prk, info, length) {
      counts.hkdfExpand++;
      return base.hkdfExpand(unwrap(h), prk, info, length);
    },
    aead(name) {
      const a = base.aead(name);
      return {
        name: a.name,
        keyLength: a.keyLength,
        nonceLength: a.nonceLength,
        tagLength: a.tagLength,
        importKey(key) {
          counts.aeadImports++;
          const k = a.importKey(key);
          return {
            seal(nonce, plaintext, aad) {
              counts.seal++;
              counts.sealBytes += plaintext.length;
              return k.seal(nonce, plaintext, aad);
            },
            open(nonce, ciphertext, aad) {
              counts.open++;
              counts.openBytes += ciphertext.length;
              return k.open(nonce, ciphertext, aad);
            },
          };
        },
      };
    },
    keyExchange(group) {
      const kx = base.keyExchange(group);
      if (!kx) return undefined;
      return {
        group: kx.group,
        name: kx.name,
        generate(random) {
          counts.keyExchange++;
          return kx.generate(random);
        },
        encapsulate(share, random) {
          counts.keyExchange++;
          return kx.encapsulate(share, random);
        },
        decapsulate(priv, share) {
          counts.keyExchange++;
          return kx.decapsulate(priv, share);
        },
      };
    },
    signature(scheme) {
      const s = base.signature(scheme);
      if (!s) return undefined;
      return {
        scheme: s.scheme,
        name: s.name,
        handshake: s.handshake,
        supports: (key) => s.supports(key),
        sign(key, message, random) {
          counts.sign++;
          return s.sign(key, message, random);
        },
        verify(key, message, signature) {
          counts.verify++;
          return s.verify(key, message, signature);
        },
      };
    },
  };
}
