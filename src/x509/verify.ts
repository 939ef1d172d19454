/**
 * Certification path building and validation (RFC 5280 §6, RFC 4158 for the
 * building part), for TLS server and client certificates.
 *
 * Building is a depth-first search from the leaf towards the configured roots
 * over every certificate we know (the peer's list and configured
 * intermediates): a candidate issuer has the child's issuer name as its
 * subject (compared as DER) and, when both key identifiers are present, a
 * subjectKeyIdentifier equal to the child's authorityKeyIdentifier. The search
 * backtracks, so a bad or misleading certificate in the peer's list (an
 * expired cross-sign, an impostor with the same name) cannot hide a good path.
 * It is bounded: at most `maxChainLength` certificates per chain, no
 * certificate twice in one chain, and at most MAX_SIGNATURE_CHECKS signature
 * verifications per call, so a hostile list cannot make us spin.
 *
 * At each step, as in Go's verifier, the signature is checked first (is this
 * candidate really the issuer?), then what the candidate may do: be current,
 * be a CA (basicConstraints cA, keyUsage keyCertSign), respect its path length
 * and name constraints, allow the requested extended key usage, and carry no
 * critical extension we do not understand.
 *
 * Roots are trust anchors (RFC 5280 §6.1.1 (d)): their own signature is not
 * checked and an unknown critical extension on them is not held against
 * them; but an expired root, a root with cA explicitly false, and a root's
 * path length, name constraints and EKU are enforced, as Go and OpenSSL do.
 */
import type { CryptoProvider } from '../crypto/provider.js';
import { bytesEqual } from '../util/bytes.js';
import { type MaybePromise, type Step, run } from '../util/steps.js';
import { parseCertificate, type Certificate } from './certificate.js';
import { X509DecodeError, X509VerificationError } from './errors.js';
import { verifyHostname } from './hostname.js';
import { nameConstraintViolation } from './nameConstraints.js';
import { OID } from './oids.js';
import { verifySignature, type SignatureCheck } from './signature.js';
import { rememberGoodSignature, signatureCacheKey, signatureKnownGood } from './signatureCache.js';

export type CertificateUsage = 'server' | 'client';

export interface VerifyOptions {
  /** The end-entity certificate (parsed, or DER as received). */
  readonly leaf: Certificate | Uint8Array;
  /** Candidate intermediates: the rest of the peer's list plus any configured ones, in any order. */
  readonly intermediates?: readonly (Certificate | Uint8Array)[];
  /** Trust anchors. */
  readonly roots: readonly Certificate[];
  /** The time to check validity against (injected so tests and replays are deterministic). */
  readonly now: Date;
  readonly provider: CryptoProvider;
  /** The name the client meant to reach (DNS name or IP literal); checked against subjectAltName. */
  readonly serverName?: string;
  /** Which extended key usage the leaf needs: serverAuth or clientAuth. */
  readonly usage: CertificateUsage;
  /** Longest chain accepted, leaf and root included (default 10). */
  readonly maxChainLength?: number;
}

/** Upper bound on signature verifications per verifyChain call. */
export const MAX_SIGNATURE_CHECKS = 100;
/** Upper bound on complete chains collected. */
const MAX_CHAINS = 16;

const USAGE: Readonly<Record<CertificateUsage, { oid: string; text: string }>> = {
  server: { oid: OID.serverAuth, text: 'TLS server authentication (serverAuth)' },
  client: { oid: OID.clientAuth, text: 'TLS client authentication (clientAuth)' },
};

const EKU_NAMES: Readonly<Record<string, string>> = {
  [OID.serverAuth]: 'serverAuth',
  [OID.clientAuth]: 'clientAuth',
  [OID.anyExtendedKeyUsage]: 'anyExtendedKeyUsage',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
};

/**
 * Verifies `leaf` for `usage` (and `serverName`, if given) and returns every
 * chain found from it to a root, each leaf first and root last. Throws
 * X509VerificationError when there is none; its `reason` says why and its
 * message what to do. With a synchronous crypto provider (noble, node) the
 * result and any error come synchronously; with an asynchronous one, as a
 * Promise.
 */
export function verifyChain(options: VerifyOptions): MaybePromise<Certificate[][]> {
  return run(verifyChainSteps(options));
}

function* verifyChainSteps(options: VerifyOptions): Step<Certificate[][]> {
  const leaf = toCertificate(options.leaf, 'the leaf certificate');
  const intermediates = (options.intermediates ?? []).map((c, i) => toCertificate(c, `intermediate certificate ${i + 1}`));
  const now = options.now.getTime();
  if (Number.isNaN(now)) throw new TypeError('verifyChain: `now` is an invalid Date');

  // Checks on the leaf alone come first, as in Go: they are cheap and the
  // most direct explanation when they fail.
  checkValidity(leaf, now, 'leaf');
  checkCriticalExtensions(leaf);
  if (options.serverName !== undefined) verifyHostname(leaf, options.serverName);
  checkLeafUsage(leaf, options.usage);

  // A leaf that is itself a configured trust anchor is trusted as it stands.
  if (options.roots.some((r) => bytesEqual(r.raw, leaf.raw))) return [[leaf]];

  const builder = new ChainBuilder(options, leaf, intermediates, now);
  yield* builder.extend([leaf]);
  if (builder.chains.length > 0) return builder.chains;
  throw builder.failure();
}

function toCertificate(input: Certificate | Uint8Array, what: string): Certificate {
  if (!(input instanceof Uint8Array)) return input;
  try {
    return parseCertificate(input);
  } catch (err) {
    if (!(err instanceof X509DecodeError)) throw err;
    throw new X509VerificationError(
      'malformed',
      `${what} could not be parsed (${err.message}): it is not a valid DER X.509 certificate`,
      { cause: err },
    );
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

type Role = 'leaf' | 'intermediate' | 'root';

function describe(cert: Certificate, role: Role): string {
  const name = cert.subject.text || `serial ${cert.serialHex}`;
  return role === 'leaf' ? `certificate ${name}` : role === 'root' ? `root CA ${name}` : `intermediate CA ${name}`;
}

/** RFC 5280 §4.1.2.5: valid from notBefore through notAfter, both inclusive. */
function checkValidity(cert: Certificate, now: number, role: Role): void {
  if (now > cert.notAfterMs) {
    throw new X509VerificationError(
      'expired',
      `${describe(cert, role)} has expired (notAfter ${iso(cert.notAfterMs)}, now ${iso(now)}): renew it or check the clock`,
    );
  }
  if (now < cert.notBeforeMs) {
    throw new X509VerificationError(
      'not-yet-valid',
      `${describe(cert, role)} is not valid yet (notBefore ${iso(cert.notBeforeMs)}, now ${iso(now)}): check the clock`,
    );
  }
}

/** RFC 5280 §4.2: a certificate with a critical extension we cannot process must be rejected. */
function checkCriticalExtensions(cert: Certificate, role: Role = 'leaf'): void {
  if (cert.unhandledCriticalExtensions.length === 0) return;
  throw new X509VerificationError(
    'unhandled-critical-extension',
    `${describe(cert, role)} has a critical extension this library does not process ` +
      `(${cert.unhandledCriticalExtensions.join(', ')}), so it must be rejected (RFC 5280 §4.2): reissue it without it`,
  );
}

function ekuAllows(eku: readonly string[] | undefined, usage: CertificateUsage): boolean {
  return eku === undefined || eku.includes(USAGE[usage].oid) || eku.includes(OID.anyExtendedKeyUsage);
}

function ekuText(eku: readonly string[]): string {
  return eku.map((o) => EKU_NAMES[o] ?? o).join(', ');
}

/** RFC 5280 §4.2.1.12: no EKU, or anyExtendedKeyUsage, allows every purpose. */
function checkLeafUsage(leaf: Certificate, usage: CertificateUsage): void {
  if (ekuAllows(leaf.extKeyUsage, usage)) return;
  throw new X509VerificationError(
    'eku',
    `${describe(leaf, 'leaf')} is not valid for ${USAGE[usage].text}: its extendedKeyUsage is ` +
      `${ekuText(leaf.extKeyUsage ?? [])}; reissue it with ${usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
  );
}

/** Whether `issuer` may be the certificate that issued `child`, by names and key identifiers. */
function mayHaveIssued(issuer: Certificate, child: Certificate): boolean {
  if (!bytesEqual(issuer.subject.raw, child.issuer.raw)) return false;
  const aki = child.authorityKeyIdentifier;
  const ski = issuer.subjectKeyIdentifier;
  return aki === undefined || ski === undefined || bytesEqual(aki, ski);
}

/** The same certificate, or the same subject with the same key (a re-issue or cross-sign of it). */
function sameEntity(a: Certificate, b: Certificate): boolean {
  return (
    bytesEqual(a.raw, b.raw) ||
    (bytesEqual(a.subject.raw, b.subject.raw) && bytesEqual(a.subjectPublicKeyInfo.raw, b.subjectPublicKeyInfo.raw))
  );
}

interface Candidate {
  readonly cert: Certificate;
  readonly isRoot: boolean;
}

class ChainBuilder {
  readonly chains: Certificate[][] = [];
  private readonly pool: Candidate[];
  private readonly maxLength: number;
  private signatureChecks = 0;
  private budgetExceeded = false;
  private firstProblem: X509VerificationError | undefined;
  /** The certificate farthest from the leaf for which no issuer was found. */
  private deadEnd: { cert: Certificate; depth: number } | undefined;

  constructor(
    private readonly options: VerifyOptions,
    private readonly leaf: Certificate,
    intermediates: readonly Certificate[],
    private readonly now: number,
  ) {
    this.maxLength = options.maxChainLength ?? 10;
    // Roots first, so the shortest path to an anchor is tried first; a
    // certificate sent by the peer that is also a root is used as the root.
    const seen: Certificate[] = [];
    const pool: Candidate[] = [];
    for (const [cert, isRoot] of [
      ...options.roots.map((c) => [c, true] as const),
      ...intermediates.map((c) => [c, false] as const),
    ]) {
      if (seen.some((s) => bytesEqual(s.raw, cert.raw))) continue;
      seen.push(cert);
      pool.push({ cert, isRoot });
    }
    this.pool = pool;
  }

  *extend(chain: readonly Certificate[]): Step<void> {
    const child = chain[chain.length - 1]!;
    const candidates = this.pool.filter((c) => mayHaveIssued(c.cert, child) && !chain.some((x) => sameEntity(x, c.cert)));
    if (candidates.length === 0) {
      this.noteDeadEnd(child, chain.length);
      return;
    }
    for (const candidate of candidates) {
      if (this.chains.length >= MAX_CHAINS || this.budgetExceeded) return;
      if (!candidate.isRoot && chain.length + 1 >= this.maxLength) {
        this.noteDeadEnd(child, chain.length);
        continue;
      }
      const problem = yield* this.checkIssuer(chain, candidate);
      // Out of budget: this candidate was not really checked, so it tells us nothing.
      if (this.budgetExceeded) return;
      if (problem) {
        this.firstProblem ??= problem;
        continue;
      }
      if (candidate.isRoot) this.chains.push([...chain, candidate.cert]);
      else yield* this.extend([...chain, candidate.cert]);
    }
  }

  private noteDeadEnd(cert: Certificate, depth: number): void {
    if (!this.deadEnd || depth > this.deadEnd.depth) this.deadEnd = { cert, depth };
  }

  /** Everything that must hold for `candidate` to have issued the last certificate of `chain`. */
  private *checkIssuer(chain: readonly Certificate[], candidate: Candidate): Step<X509VerificationError | undefined> {
    const child = chain[chain.length - 1]!;
    const issuer = candidate.cert;
    const role: Role = candidate.isRoot ? 'root' : 'intermediate';
    const childRole: Role = chain.length === 1 ? 'leaf' : 'intermediate';

    const sig = yield* this.checkSignature(child, issuer);
    if (!sig.ok) {
      const detail =
        sig.why === 'unsupported'
          ? `${describe(child, childRole)} cannot be checked: ${sig.detail}; ` +
            'reissue it with ECDSA (SHA-2), RSA-PSS, RSA PKCS#1 v1.5 (SHA-2) or Ed25519'
          : `the signature on ${describe(child, childRole)} by ${issuer.subject.text} does not verify (${sig.detail}): ` +
            'the certificate was altered, or a different key with the same CA name issued it';
      return new X509VerificationError('bad-signature', detail);
    }
    try {
      checkValidity(issuer, this.now, role);
      this.checkIsCa(issuer, role);
      this.checkPathLength(chain, issuer, role);
      if (!candidate.isRoot) checkCriticalExtensions(issuer, role);
      this.checkIssuerUsage(issuer, role);
      this.checkNameConstraints(chain, issuer, role);
    } catch (err) {
      if (err instanceof X509VerificationError) return err;
      throw err;
    }
    return undefined;
  }

  private *checkSignature(child: Certificate, issuer: Certificate): Step<SignatureCheck> {
    if (issuer.publicKey === null) {
      return {
        ok: false,
        why: 'unsupported',
        detail: `the issuer's key is ${issuer.subjectPublicKeyInfo.description}`,
      };
    }
    if (this.signatureChecks >= MAX_SIGNATURE_CHECKS) {
      this.budgetExceeded = true;
      return { ok: false, why: 'bad-signature', detail: 'signature check limit reached' };
    }
    this.signatureChecks++;
    // The same chain comes back on every full handshake: a signature that
    // verified before is not verified again (signatureCache.ts says why
    // that is safe); every other check below still runs.
    const provider = this.options.provider;
    const key = signatureCacheKey(provider, child, issuer);
    if (signatureKnownGood(provider, key)) return { ok: true };
    const check = yield* verifySignature(provider, child.signatureAlgorithm, issuer.publicKey, child.tbs, child.signature);
    if (check.ok) rememberGoodSignature(provider, key);
    return check;
  }

  /**
   * RFC 5280 §4.2.1.9 and §6.1.4 (k), (n): an intermediate must assert cA and,
   * if keyUsage is present, keyCertSign. A root without basicConstraints (an
   * old v1 anchor) is accepted; one that says cA false is not.
   */
  private checkIsCa(issuer: Certificate, role: Role): void {
    const bc = issuer.basicConstraints;
    if (role === 'intermediate' ? !bc?.ca : bc !== undefined && !bc.ca) {
      throw new X509VerificationError(
        'not-a-ca',
        `${describe(issuer, role)} is not a CA (basicConstraints ${bc ? 'cA is false' : 'is missing'}), ` +
          'so it cannot issue certificates: the peer must send its real intermediate CA',
      );
    }
    if (issuer.keyUsage && !issuer.keyUsage.keyCertSign) {
      throw new X509VerificationError(
        'not-a-ca',
        `${describe(issuer, role)} may not sign certificates (its keyUsage lacks keyCertSign): ` +
          'reissue the CA with keyCertSign or use another issuer',
      );
    }
  }

  /**
   * RFC 5280 §4.2.1.9, §6.1.4 (l), (m): pathLenConstraint bounds the number of
   * non-self-issued intermediate certificates that follow the CA (below it).
   */
  private checkPathLength(chain: readonly Certificate[], issuer: Certificate, role: Role): void {
    const limit = issuer.basicConstraints?.pathLength;
    if (limit === undefined) return;
    const below = chain.slice(1).filter((c) => !c.selfIssued).length;
    if (below > limit) {
      throw new X509VerificationError(
        'path-length',
        `${describe(issuer, role)} allows at most ${limit} intermediate CA${limit === 1 ? '' : 's'} below it ` +
          `(pathLenConstraint), but this chain has ${below}: issue the certificate from a CA that is allowed to`,
      );
    }
  }

  /**
   * Go's rule (not RFC 5280's, which leaves CA EKU to policy): a CA that
   * lists extended key usages vouches only for those, so every CA in the
   * chain must allow the purpose too.
   */
  private checkIssuerUsage(issuer: Certificate, role: Role): void {
    const usage = this.options.usage;
    if (ekuAllows(issuer.extKeyUsage, usage)) return;
    throw new X509VerificationError(
      'eku',
      `${describe(issuer, role)} limits the certificates it issues to ${ekuText(issuer.extKeyUsage ?? [])} ` +
        `(extendedKeyUsage), so it cannot vouch for ${USAGE[usage].text}`,
    );
  }

  /**
   * RFC 5280 §6.1.3 (b), §6.1.4 (g): a CA's constraints apply to every
   * certificate below it, except self-issued intermediates.
   */
  private checkNameConstraints(chain: readonly Certificate[], issuer: Certificate, role: Role): void {
    const nc = issuer.nameConstraints;
    if (!nc) return;
    chain.forEach((cert, i) => {
      if (i > 0 && cert.selfIssued) return;
      const violation = nameConstraintViolation(nc, cert);
      if (violation) {
        throw new X509VerificationError(
          'name-constraints',
          `${describe(cert, i === 0 ? 'leaf' : 'intermediate')} violates the name constraints of ${describe(issuer, role)}: ` +
            `${violation}`,
        );
      }
    });
  }

  /** The error to report when no chain was found. */
  failure(): X509VerificationError {
    if (this.budgetExceeded && !this.firstProblem) {
      return new X509VerificationError(
        'unknown-authority',
        `gave up building a certificate chain after ${MAX_SIGNATURE_CHECKS} signature checks: ` +
          'the peer sent too many candidate certificates',
      );
    }
    if (this.firstProblem) return this.firstProblem;
    const end = this.deadEnd ?? { cert: this.leaf, depth: 1 };
    const cert = end.cert;
    if (end.depth === 1 && cert.selfIssued) {
      return new X509VerificationError(
        'unknown-authority',
        `certificate ${cert.subject.text} is self-signed and not trusted: add it to \`ca\` if you mean to trust it`,
      );
    }
    if (end.depth === 1) {
      return new X509VerificationError(
        'unknown-authority',
        `certificate signed by unknown authority (issuer ${cert.issuer.text}): add the issuing CA to \`ca\`, ` +
          'or make sure the peer sends its intermediate certificates',
      );
    }
    return new X509VerificationError(
      'unknown-authority',
      `certificate signed by unknown authority (the chain reaches ${cert.subject.text}, issued by ${cert.issuer.text}): ` +
        'add the issuing CA to `ca`',
    );
  }
}
