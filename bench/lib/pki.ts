/**
 * Certificates for the benches: the committed test PKI (test/fixtures/pki,
 * made by its make.sh), or, when that directory is missing, a small PKI of
 * the same shape generated with the openssl CLI into a temporary directory.
 *
 *   root-ec (ECDSA P-256) → int-ec (ECDSA P-256) → leaf-p256   (ECDSA P-256 key)
 *                                               → leaf-ed25519 (Ed25519 key)
 *                                               → leaf-rsa     (RSA-2048 key)
 *
 * Every leaf is signed by the P-256 intermediate, so a client verifies two
 * ECDSA P-256 certificate signatures and one CertificateVerify of the leaf's
 * own kind per full handshake.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type LeafKind = 'p256' | 'ed25519' | 'rsa';

export interface Leaf {
  /** PEM: the leaf then the intermediate. */
  readonly chainPem: string;
  readonly keyPem: string;
  /** A DNS name in the leaf's subjectAltName. */
  readonly host: string;
}

export interface Pki {
  readonly rootPem: string;
  readonly leaves: Partial<Record<LeafKind, Leaf>>;
  /** Where the PEM files came from, for the report. */
  readonly source: string;
  /** Leaf kinds that could not be made, with the reason (printed as a note). */
  readonly missing: readonly string[];
}

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/pki/', import.meta.url));
const HOSTS: Readonly<Record<LeafKind, string>> = { p256: 'p256.test', ed25519: 'ed25519.test', rsa: 'rsa.test' };

export function loadPki(): Pki {
  if (existsSync(join(FIXTURES, 'root-ec.pem'))) return fromDirectory(FIXTURES, 'test/fixtures/pki (committed)');
  return generateWithOpenssl();
}

function fromDirectory(dir: string, source: string): Pki {
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  const leaves: Partial<Record<LeafKind, Leaf>> = {};
  const missing: string[] = [];
  for (const kind of ['p256', 'ed25519', 'rsa'] as const) {
    const base = `leaf-${kind}`;
    if (!existsSync(join(dir, `${base}.pem`))) {
      missing.push(`${base}: not in ${dir}`);
      continue;
    }
    leaves[kind] = { chainPem: read(`${base}.pem`) + read('int-ec.pem'), keyPem: read(`${base}.key`), host: HOSTS[kind] };
  }
  return { rootPem: read('root-ec.pem'), leaves, source, missing };
}

function opensslAvailable(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The same shape as the fixtures, freshly generated (used only when the fixtures are absent). */
export function generateWithOpenssl(): Pki {
  if (!opensslAvailable()) {
    return { rootPem: '', leaves: {}, source: 'none', missing: ['no test/fixtures/pki and no openssl on PATH: certificate rows skipped'] };
  }
  const dir = mkdtempSync(join(tmpdir(), 'tls13-bench-pki-'));
  const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ext = (name: string, text: string) => writeFileSync(join(dir, name), text);
  try {
    const keygen: Record<string, string[]> = {
      p256: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
      ed25519: ['-algorithm', 'ED25519'],
      rsa: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
    };
    ossl('genpkey', ...keygen.p256!, '-out', 'root-ec.key');
    ossl('req', '-x509', '-new', '-key', 'root-ec.key', '-subj', '/CN=bench root', '-days', '3650', '-sha256',
      '-addext', 'basicConstraints=critical,CA:true', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', 'root-ec.pem');
    const issue = (name: string, subject: string, issuer: string, extFile: string) => {
      ossl('req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`);
      ossl('x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`, '-set_serial', String(Date.now() % 1e9),
        '-days', '3650', '-sha256', '-extfile', extFile, '-out', `${name}.pem`);
    };
    ext('ca.ext', 'basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid:always\n');
    ossl('genpkey', ...keygen.p256!, '-out', 'int-ec.key');
    issue('int-ec', '/CN=bench intermediate', 'root-ec', 'ca.ext');
    for (const kind of ['p256', 'ed25519', 'rsa'] as const) {
      ext(`${kind}.ext`, `basicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:${HOSTS[kind]},DNS:localhost\n`);
      ossl('genpkey', ...keygen[kind]!, '-out', `leaf-${kind}.key`);
      issue(`leaf-${kind}`, `/CN=${HOSTS[kind]}`, 'int-ec', `${kind}.ext`);
    }
    return fromDirectory(dir, 'generated with openssl (test/fixtures/pki not found)');
  } catch (err) {
    return { rootPem: '', leaves: {}, source: 'none', missing: [`openssl failed to make a PKI: ${(err as Error).message}`] };
  } finally {
    // The PEM text is in memory by now.
    rmSync(dir, { recursive: true, force: true });
  }
}
