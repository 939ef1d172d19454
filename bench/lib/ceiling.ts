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
 *             client verifies CertificateVerify. The certificate signatures
 *             of the chain are not in it: a client that has verified a chain
 *             before remembers the good signatures (src/x509/signatureCache.ts,
 *             keyed by the certificates' bytes and the issuer key), so a
 *             server it talks to again costs it no chain verification. A
 *             first contact adds two ECDSA P-256 verifications (the leaf's and
 *             the intermediate's), which `npm run bench:primitives` prices;
 *   resumed:  the key exchange (psk_dhe_ke) or nothing (psk_ke: that client
 *             sends an empty key_share, RFC 8446 §4.2.8, so it has no share to
 *             make), plus opening the ticket; 0-RTT adds the early traffic
 *             keys and the early data's AEAD;
 *   always:   the key schedule of RFC 8446 §7.1 on both sides (HKDF-Extract
 *             ×3, HKDF-Expand for every Derive-Secret, traffic key and IV and
 *             finished key, HMAC for each Finished; a binder's worth more when
 *             resuming), one pass of the transcript hash over every handshake
 *             message on each side, and every AEAD operation of the handshake
 *             as it happened: each traffic key imported, each record sealed by
 *             one side and opened by the other, each ticket sealed or opened,
 *             at its real size (records cannot be merged across flights, and
 *             an AEAD call has a fixed cost besides its per-byte one).
 *
 * Not counted (it is engine work, not cryptography): parsing certificates,
 * encoding and decoding messages, record framing, copies. Key import into a
 * native library counts as part of the primitive, done as the provider does
 * it: the leaf key is a fresh object each time, as when a connection parses
 * its peer's certificate (the native provider keeps imported public keys by
 * their bytes, so in steady state it does not pay for the import).
 *
 * The transcript size and the AEAD operations come from one real handshake of
 * the row, traced; the calls table of the bench shows that the engine's
 * record count is the protocol's minimum, so replaying its AEAD operations
 * does not flatter the ceiling.
 */
import type { ClientConfig, ServerConfig } from '../../src/config.js';
import { ClientConnection, ServerConnection } from '../../src/connection.js';
import type { AeadKey, AeadName, CryptoProvider, Hash, PrivateKey, PublicKey } from '../../src/crypto/provider.js';
import { nobleCrypto } from '../../src/crypto/noble.js';
import { parseCertificates, parsePrivateKey } from '../../src/x509/index.js';
import { pumpPair } from './drivers.js';
import type { Pki } from './pki.js';
import { EARLY_DATA, type HandshakeRow } from './rows.js';

/** One AEAD call of a traced handshake: a key import, or a seal or open of `bytes` (plaintext / ciphertext). */
export interface AeadOp {
  readonly aead: AeadName;
  readonly op: 'import' | 'seal' | 'open';
  readonly bytes: number;
}

export interface HandshakeShape {
  /** Bytes of all handshake messages in the transcript (each side hashes them once). */
  readonly transcriptBytes: number;
  /** Every AEAD call of the handshake, both sides, in order (traffic records and tickets). */
  readonly aeadOps: readonly AeadOp[];
}

/** Traces one handshake of the row (after any warm-up handshake that issued a ticket). */
export async function traceShape(client: ClientConfig, server: ServerConfig, serverName: string, row: HandshakeRow): Promise<HandshakeShape> {
  let transcriptBytes = 0;
  const trace = (entry: Parameters<NonNullable<ClientConfig['trace']>>[0]) => {
    if (entry.kind !== 'message' || entry.direction !== 'sent') return;
    const type = entry.message.type;
    if (type !== 'new_session_ticket' && type !== 'key_update') transcriptBytes += entry.bytes.length;
  };
  const aeadOps: AeadOp[] = [];
  const counted = (p: CryptoProvider | undefined) => countingProvider(p ?? nobleCrypto, zeroCounts(), aeadOps);
  const c = new ClientConnection({ ...client, crypto: counted(client.crypto), trace }, { serverName });
  const s = new ServerConnection({ ...server, crypto: counted(server.crypto), trace });
  if (row.kind === 'early') c.write(EARLY_DATA);
  await pumpPair(c, s);
  if (!c.handshakeComplete || !s.handshakeComplete) throw new Error(`tracing ${row.key}: handshake failed: ${(c.error ?? s.error)?.message}`);
  return { transcriptBytes, aeadOps };
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

function leafKeys(pki: Pki, row: HandshakeRow): { leafKey: PublicKey; privateKey: PrivateKey } {
  const leaf = pki.leaves[row.leaf]!;
  const [leafCert] = parseCertificates(leaf.chainPem);
  if (!leafCert?.publicKey) throw new Error('fixture chain does not parse');
  return { leafKey: leafCert.publicKey, privateKey: parsePrivateKey(leaf.keyPem) };
}

/** A copy of a public key object: a native provider cannot reuse an import cached on the original. */
function fresh(key: PublicKey): PublicKey {
  return { ...key };
}

function sync<T>(value: T | Promise<T>): T {
  if (value instanceof Promise) throw new Error('the bench ceilings need a synchronous provider');
  return value;
}

/** The traced AEAD calls, ready to replay: keys imported and ciphertexts sealed beforehand for the opens. */
function aeadReplay(provider: CryptoProvider, ops: readonly AeadOp[]): () => number {
  const random = provider.random;
  const nonce = random(12);
  const aad = random(5);
  const keyBytes = new Map<AeadName, Uint8Array>();
  const keys = new Map<AeadName, AeadKey>();
  const keyFor = (name: AeadName) => {
    let k = keys.get(name);
    if (!k) {
      const a = provider.aead(name);
      keyBytes.set(name, random(a.keyLength));
      k = a.importKey(keyBytes.get(name)!);
      keys.set(name, k);
    }
    return k;
  };
  const steps = ops.map((op): (() => number) => {
    const key = keyFor(op.aead);
    switch (op.op) {
      case 'import': {
        const aead = provider.aead(op.aead);
        const bytes = keyBytes.get(op.aead)!;
        return () => (aead.importKey(bytes) ? 1 : 0);
      }
      case 'seal': {
        const plaintext = random(op.bytes);
        return () => key.seal(nonce, plaintext, aad).length;
      }
      case 'open': {
        const sealed = key.seal(nonce, random(op.bytes - 16), aad);
        return () => {
          const opened = key.open(nonce, sealed, aad);
          if (!opened) throw new Error('ceiling: AEAD open failed');
          return opened.length;
        };
      }
    }
  });
  return () => {
    let sink = 0;
    for (const step of steps) sink += step();
    return sink;
  };
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
  const { leafKey, privateKey } = leafKeys(pki, row);
  const cvScheme = provider.signature(row.scheme)!;
  const cvContent = new Uint8Array(64 + 34 + 32).fill(0x20);
  const transcript = random(shape.transcriptBytes);
  const secret = random(32);
  const label = random(50);
  const aead = aeadReplay(provider, shape.aeadOps);

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
    }
    for (let i = 0; i < counts.extract; i++) sink += provider.hkdfExtract(hash, secret, secret).length;
    for (let i = 0; i < counts.expand; i++) sink += provider.hkdfExpand(hash, secret, label, 32).length;
    for (let i = 0; i < counts.hmac; i++) sink += provider.hmac(hash, secret, secret).length;
    // Each side hashes the transcript once.
    sink += hash.digest(transcript).length + hash.digest(transcript).length;
    // Traffic keys, records and tickets, as the traced handshake did them.
    sink += aead();
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
export function countingProvider(base: CryptoProvider, counts: CallCounts, aeadLog?: AeadOp[]): CryptoProvider {
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
          aeadLog?.push({ aead: a.name, op: 'import', bytes: key.length });
          const k = a.importKey(key);
          return {
            seal(nonce, plaintext, aad) {
              counts.seal++;
              counts.sealBytes += plaintext.length;
              aeadLog?.push({ aead: a.name, op: 'seal', bytes: plaintext.length });
              return k.seal(nonce, plaintext, aad);
            },
            open(nonce, ciphertext, aad) {
              counts.open++;
              counts.openBytes += ciphertext.length;
              aeadLog?.push({ aead: a.name, op: 'open', bytes: ciphertext.length });
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
