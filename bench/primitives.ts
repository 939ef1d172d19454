/**
 * Primitive costs of a crypto provider (noble by default, `--native` for
 * src/crypto/node.ts): key exchange, signatures, AEAD throughput on full
 * 16 KiB records, and a small HMAC (the size of a Finished MAC).
 *
 *   npx tsx bench/primitives.ts            (~1 min)
 *   npx tsx bench/primitives.ts --quick    (~15 s, noisier)
 *   npx tsx bench/primitives.ts --native   (the node:crypto provider)
 */
import { generateKeyPairSync } from 'node:crypto';
import { nobleCrypto } from '../src/crypto/noble.js';
import { nodeCrypto } from '../src/crypto/node.js';
import type { AeadName, PrivateKey, PublicKey } from '../src/crypto/provider.js';
import { NamedGroup, SignatureScheme } from '../src/registry.js';
import { bytesToBigInt } from '../src/crypto/bigint.js';
import { benchSettings, formatRate, formatTable, measure, type Measurement } from './measure.js';

const { quick, options } = benchSettings();
const provider = process.argv.includes('--native') ? nodeCrypto : nobleCrypto;
const random = provider.random;
const rows: string[][] = [];
const started = Date.now();

function row(kind: string, m: Measurement, unit: 'ops/s' | 'MB/s', bytesPerOp = 0): void {
  const rate = unit === 'MB/s' ? (m.opsPerSec * bytesPerOp) / 1e6 : m.opsPerSec;
  const lo = unit === 'MB/s' ? (m.minOpsPerSec * bytesPerOp) / 1e6 : m.minOpsPerSec;
  const hi = unit === 'MB/s' ? (m.maxOpsPerSec * bytesPerOp) / 1e6 : m.maxOpsPerSec;
  rows.push([kind, m.name, `${formatRate(rate)} ${unit}`, `${formatRate(lo)}..${formatRate(hi)}`, m.microsPerOp.toFixed(1)]);
  process.stderr.write('.');
}

function sync<T>(value: T | Promise<T>): T {
  if (value instanceof Promise) throw new Error(`the ${provider.name} provider is synchronous`);
  return value;
}

// -- key exchange -------------------------------------------------------------

const groups = [
  NamedGroup.X25519MLKEM768,
  NamedGroup.x25519,
  NamedGroup.secp256r1,
  NamedGroup.secp384r1,
  NamedGroup.x448,
];
for (const code of groups) {
  const kx = provider.keyExchange(code)!;
  const client = sync(kx.generate(random));
  const server = sync(kx.encapsulate(client.share, random));
  row('kex', measure(`${kx.name} generate`, () => kx.generate(random), options), 'ops/s');
  row('kex', measure(`${kx.name} encapsulate`, () => kx.encapsulate(client.share, random), options), 'ops/s');
  row('kex', measure(`${kx.name} decapsulate`, () => kx.decapsulate(client.privateKey, server.share), options), 'ops/s');
}

// -- signatures -----------------------------------------------------------------

function b64u(s: string | undefined): Uint8Array {
  return new Uint8Array(Buffer.from(s ?? '', 'base64url'));
}

function keys(kind: 'P-256' | 'P-384' | 'ed25519' | 'rsa'): { pub: PublicKey; priv: PrivateKey } {
  if (kind === 'rsa') {
    const jwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
    const int = (s: string | undefined) => bytesToBigInt(b64u(s));
    const n = int(jwk.n);
    const e = int(jwk.e);
    return {
      pub: { kind: 'rsa', n, e },
      priv: { kind: 'rsa', n, e, d: int(jwk.d), p: int(jwk.p), q: int(jwk.q), dp: int(jwk.dp), dq: int(jwk.dq), qinv: int(jwk.qi) },
    };
  }
  if (kind === 'ed25519') {
    const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
    return { pub: { kind: 'ed25519', key: b64u(jwk.x) }, priv: { kind: 'ed25519', seed: b64u(jwk.d) } };
  }
  const jwk = generateKeyPairSync('ec', { namedCurve: kind }).privateKey.export({ format: 'jwk' });
  return {
    pub: { kind: 'ec', curve: kind, point: new Uint8Array([4, ...b64u(jwk.x), ...b64u(jwk.y)]) },
    priv: { kind: 'ec', curve: kind, d: b64u(jwk.d) },
  };
}

// What a CertificateVerify signs: 64 spaces, context string, 0, a transcript hash.
const toBeSigned = new Uint8Array(64 + 34 + 48).fill(0x20);
const signatureCases = [
  { scheme: SignatureScheme.ecdsa_secp256r1_sha256, label: 'ECDSA P-256', key: keys('P-256') },
  { scheme: SignatureScheme.ecdsa_secp384r1_sha384, label: 'ECDSA P-384', key: keys('P-384') },
  { scheme: SignatureScheme.ed25519, label: 'Ed25519', key: keys('ed25519') },
  { scheme: SignatureScheme.rsa_pss_rsae_sha256, label: 'RSA-2048 PSS-SHA256', key: keys('rsa') },
];
for (const c of signatureCases) {
  const alg = provider.signature(c.scheme)!;
  const signature = sync(alg.sign(c.key.priv, toBeSigned, random));
  if (!sync(alg.verify(c.key.pub, toBeSigned, signature))) throw new Error(`${c.label}: self-verification failed`);
  row('sig', measure(`${c.label} sign`, () => alg.sign(c.key.priv, toBeSigned, random), options), 'ops/s');
  row('sig', measure(`${c.label} verify`, () => alg.verify(c.key.pub, toBeSigned, signature), options), 'ops/s');
}
{
  // Certificate chains are still mostly RSA PKCS#1 v1.5: verification only.
  const rsa = signatureCases[3]!.key;
  const alg = provider.signature(SignatureScheme.rsa_pkcs1_sha256)!;
  const signature = sync(alg.sign(rsa.priv, toBeSigned, random));
  row('sig', measure('RSA-2048 PKCS1-SHA256 verify', () => alg.verify(rsa.pub, toBeSigned, signature), options), 'ops/s');
}

// -- AEAD -------------------------------------------------------------------------

const RECORD = 16384;
const plaintext = random(RECORD + 1); // a full record's inner plaintext (content + type byte)
const aad = Uint8Array.of(0x17, 0x03, 0x03, 0x40, 0x11);
const aeads: AeadName[] = ['AES-128-GCM', 'AES-256-GCM', 'CHACHA20-POLY1305'];
for (const name of aeads) {
  const aead = provider.aead(name);
  const key = aead.importKey(random(aead.keyLength));
  const nonce = random(aead.nonceLength);
  row('aead', measure(`${name} seal 16 KiB`, () => key.seal(nonce, plaintext, aad), options), 'MB/s', plaintext.length);
  const sealed = key.seal(nonce, plaintext, aad);
  row('aead', measure(`${name} open 16 KiB`, () => key.open(nonce, sealed, aad), options), 'MB/s', plaintext.length);
}

// -- HMAC / HKDF ------------------------------------------------------------------

const sha256 = provider.hash('SHA-256');
const macKey = random(32);
const transcriptHash = random(32);
row('mac', measure('HMAC-SHA256 (32-byte msg)', () => provider.hmac(sha256, macKey, transcriptHash), options), 'ops/s');
row('mac', measure('HKDF-Expand-SHA256 (32 bytes)', () => provider.hkdfExpand(sha256, macKey, transcriptHash, 32), options), 'ops/s');

process.stderr.write('\n');
console.log(
  `${provider.name} provider primitives — node ${process.version}, ${quick ? 'quick' : 'full'} run, ` +
    `median of ${options.rounds} rounds × ~${options.roundMs} ms`,
);
console.log(formatTable(['kind', 'operation', 'median', 'min..max', 'µs/op'], rows));
console.log(`(total ${((Date.now() - started) / 1000).toFixed(1)} s)`);
