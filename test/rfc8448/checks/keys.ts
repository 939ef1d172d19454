/**
 * Key material checks: the §2 RSA key, and each trace's ephemeral key pairs
 * and (EC)DHE shared secret through the provider's KeyExchange.
 */
import type { PrivateKey, PublicKey } from '../../../src/crypto/provider.js';
import { HandshakeType, SignatureScheme } from '../../../src/registry.js';
import { utf8 } from '../../../src/util/bytes.js';
import { GROUP_OF_ACTION, Transcript, bigintFromBytes, certificatePublicKey, endEntityCertificate } from '../model.js';
import type { SectionNumber, StepView } from '../vectors.js';
import { type Check, type CheckContext, injectedRandom, sameBytes, sameValue } from './context.js';

const RSA_STEP = 'The server in most examples uses an RSA certificate with a private key of';

/** The §2 key as the provider's PrivateKey (the reads count as consumed). */
export function rfcRsaKey(step: StepView): PrivateKey & { kind: 'rsa' } {
  const read = (label: string): Uint8Array => step.bytes(label);
  return {
    kind: 'rsa',
    n: bigintFromBytes(read('modulus (public)')),
    e: bigintFromBytes(read('public exponent')),
    d: bigintFromBytes(read('private exponent')),
    p: bigintFromBytes(read('prime1')),
    q: bigintFromBytes(read('prime2')),
    dp: bigintFromBytes(read('exponent1')),
    dq: bigintFromBytes(read('exponent2')),
    qinv: bigintFromBytes(read('coefficient')),
  };
}

export function rfcRsaPublicKey(ctx: CheckContext): PublicKey {
  const step = ctx.trace(2).one({ action: RSA_STEP });
  return { kind: 'rsa', n: bigintFromBytes(step.peek('modulus (public)')), e: bigintFromBytes(step.peek('public exponent')) };
}

function mod(a: bigint, m: bigint): bigint {
  return ((a % m) + m) % m;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function rsaKeyChecks(ctx: CheckContext): Check[] {
  const trace = ctx.trace(2);
  const step = trace.one({ action: RSA_STEP });
  const section = 2 as const;
  return [
    {
      kind: 'rsa-key',
      section,
      name: '§2 RSA key is a consistent PKCS#1 private key',
      run: () => {
        const k = rfcRsaKey(step);
        sameValue(trace, k.p * k.q, k.n, 'modulus = prime1 * prime2');
        sameValue(trace, k.n.toString(2).length, 1024, 'modulus is 1024 bits');
        const lambda = ((k.p - 1n) * (k.q - 1n)) / gcd(k.p - 1n, k.q - 1n);
        sameValue(trace, mod(k.e * k.d, lambda), 1n, 'e * d = 1 mod lcm(p-1, q-1)');
        sameValue(trace, k.dp, mod(k.d, k.p - 1n), 'exponent1 = d mod (p-1)');
        sameValue(trace, k.dq, mod(k.d, k.q - 1n), 'exponent2 = d mod (q-1)');
        sameValue(trace, mod(k.qinv * k.q, k.p), 1n, 'coefficient = q^-1 mod p');
      },
    },
    {
      kind: 'rsa-key',
      section,
      name: '§2 RSA key is the one in the §3, §5 and §7 server certificates',
      run: () => {
        const k = rfcRsaKey(step);
        for (const s of [3, 5, 7] as const) {
          const cert = new Transcript(ctx.trace(s)).sent('server', HandshakeType.certificate)[0]!;
          const pub = certificatePublicKey(endEntityCertificate(cert.bytes));
          sameValue(trace, pub, { kind: 'rsa', n: k.n, e: k.e }, `§${s} server certificate key`);
        }
      },
    },
    {
      kind: 'rsa-key',
      section,
      name: '§2 RSA key signs rsa_pss_rsae_sha256 through the provider',
      run: async () => {
        const k = rfcRsaKey(step);
        const alg = ctx.provider.signature(SignatureScheme.rsa_pss_rsae_sha256);
        if (!alg) throw new Error('provider lacks rsa_pss_rsae_sha256');
        const message = utf8('RFC 8448 section 2 key');
        const signature = await alg.sign(k, message, ctx.provider.random);
        sameValue(trace, signature.length, 128, 'signature length = modulus length');
        sameValue(trace, await alg.verify({ kind: 'rsa', n: k.n, e: k.e }, message, signature), true, 'signature verifies');
      },
    },
  ];
}

/** x25519 / P-256 key pairs from the RFC's private keys, and the shared secret. */
function keyExchangeChecks(ctx: CheckContext, section: SectionNumber): Check[] {
  const trace = ctx.trace(section);
  const checks: Check[] = [];
  const pairs = trace.steps.filter((s) => GROUP_OF_ACTION[s.action] !== undefined && s.data.values.length > 0);
  for (const step of pairs) {
    checks.push({
      kind: 'key-exchange',
      section,
      name: `${step.describe()}: public key from private key`,
      run: async () => {
        const group = GROUP_OF_ACTION[step.action]!;
        const kx = ctx.provider.keyExchange(group);
        if (!kx) throw new Error(`provider lacks group 0x${group.toString(16)}`);
        const privateKey = step.bytes('private key');
        const pair = await kx.generate(injectedRandom(privateKey));
        sameBytes(trace, pair.share, step.bytes('public key'), `${step.describe()}: public key`);
        sameBytes(trace, pair.privateKey, privateKey, `${step.describe()}: private key kept as given`);
      },
    });
  }
  checks.push({
    kind: 'key-exchange',
    section,
    name: `§${section} shared secret is the handshake-secret IKM, from both sides`,
    run: async () => {
      const client = pairs.filter((s) => s.actor === 'client').at(-1)!;
      const server = pairs.filter((s) => s.actor === 'server').at(-1)!;
      const group = GROUP_OF_ACTION[server.action]!;
      sameValue(trace, GROUP_OF_ACTION[client.action], group, 'both sides use the same group');
      const kx = ctx.provider.keyExchange(group)!;
      const ikm = trace.one({ action: 'extract secret "handshake"', hasValues: true }).bytes('IKM');
      const clientSide = await kx.decapsulate(client.bytes('private key'), server.bytes('public key'));
      sameBytes(trace, clientSide, ikm, 'client: decapsulate(client private, server share)');
      const serverSide = await kx.encapsulate(client.bytes('public key'), injectedRandom(server.bytes('private key')));
      sameBytes(trace, serverSide.share, server.bytes('public key'), 'server: encapsulate() share');
      sameBytes(trace, serverSide.secret, ikm, 'server: encapsulate() secret');
    },
  });
  return checks;
}

export function keyChecks(ctx: CheckContext, section: SectionNumber): Check[] {
  return section === 2 ? rsaKeyChecks(ctx) : keyExchangeChecks(ctx, section);
}
