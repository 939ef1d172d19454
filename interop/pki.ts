/**
 * A fresh PKI for every run, made with the local openssl CLI in a temporary
 * directory, so the suite is self-contained and never depends on committed
 * keys or on dates baked into fixtures.
 *
 *   roots:   root-p256, root-p384, root-ed25519, root-rsa (each self-signed)
 *            root-client (issues client certificates)
 *            root-untrusted (trusted by nobody: the unknown-CA cases)
 *   servers: p256, p384, ed25519, rsa: one leaf under the root of its own
 *            algorithm (CA → leaf); p256-int: root-p256 → int-p256 → leaf
 *            other: a P-256 leaf for other.example (SNI selection)
 *            untrusted: a P-256 leaf for localhost under root-untrusted
 *   clients: client (under root-client), client-untrusted (under root-untrusted)
 *
 * Every server leaf names localhost and 127.0.0.1 (DNS and IP SANs) except
 * `other`. `ca.pem` holds the four server roots: what both sides trust.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type ServerCertName = 'p256' | 'p384' | 'ed25519' | 'rsa' | 'p256-int' | 'other' | 'untrusted';
export type ClientCertName = 'client' | 'client-untrusted';

/** Paths of one certificate, its key, and the chain a server sends (leaf + intermediates). */
export interface CertFiles {
  readonly cert: string;
  readonly key: string;
  /** Intermediates only (s_server -cert_chain), or undefined. */
  readonly chain: string | undefined;
  /** leaf + intermediates, PEM (what our side loads). */
  readonly chainPem: string;
  readonly keyPem: string;
}

export interface Pki {
  readonly dir: string;
  /** The trusted server roots (PEM file and text). */
  readonly caFile: string;
  readonly caPem: string;
  /** The root that issues client certificates. */
  readonly clientCaFile: string;
  readonly clientCaPem: string;
  /** The root nobody trusts. */
  readonly untrustedCaFile: string;
  readonly server: Record<ServerCertName, CertFiles>;
  readonly client: Record<ClientCertName, CertFiles>;
  /** Removes the directory. */
  cleanup(): void;
}

type KeyAlg = 'p256' | 'p384' | 'ed25519' | 'rsa';

const KEYGEN: Record<KeyAlg, string[]> = {
  p256: ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  p384: ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
  ed25519: ['genpkey', '-algorithm', 'ED25519'],
  rsa: ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
};

/** Ed25519 signs without a separate digest; openssl refuses -sha256 for it. */
function digestFor(alg: KeyAlg): string[] {
  return alg === 'ed25519' ? [] : alg === 'p384' ? ['-sha384'] : ['-sha256'];
}

const CA_EXT = [
  'basicConstraints=critical,CA:TRUE',
  'keyUsage=critical,keyCertSign,cRLSign',
  'subjectKeyIdentifier=hash',
];

function leafExt(names: { dns: string[]; ip: string[] }, usage: 'serverAuth' | 'clientAuth'): string[] {
  const san = [...names.dns.map((d) => `DNS:${d}`), ...names.ip.map((i) => `IP:${i}`)].join(',');
  return [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    `extendedKeyUsage=${usage}`,
    'subjectKeyIdentifier=hash',
    'authorityKeyIdentifier=keyid',
    ...(san ? [`subjectAltName=${san}`] : []),
  ];
}

export async function makePki(openssl = 'openssl'): Promise<Pki> {
  const dir = mkdtempSync(join(tmpdir(), 'tls13-interop-'));
  const path = (name: string): string => join(dir, name);
  let serial = 0x1000;
  const ossl = async (args: string[]): Promise<void> => {
    try {
      await run(openssl, args, { cwd: dir, timeout: 60_000 });
    } catch (err) {
      throw new Error(`openssl ${args.join(' ')} failed: ${(err as { stderr?: string }).stderr ?? (err as Error).message}`);
    }
  };
  const key = async (name: string, alg: KeyAlg): Promise<void> => ossl([...KEYGEN[alg], '-out', path(`${name}.key`)]);

  /** A self-signed root. */
  const root = async (name: string, alg: KeyAlg, cn: string): Promise<void> => {
    await key(name, alg);
    await ossl([
      'req', '-x509', '-new', '-key', path(`${name}.key`), '-subj', `/O=tls13 interop/CN=${cn}`,
      '-days', '30', ...digestFor(alg), ...CA_EXT.flatMap((e) => ['-addext', e]), '-out', path(`${name}.pem`),
    ]);
  };

  /** A certificate for `name` (key of `alg`) signed by `issuer`. */
  const issue = async (name: string, alg: KeyAlg, issuer: string, issuerAlg: KeyAlg, cn: string, ext: string[]): Promise<void> => {
    await key(name, alg);
    await ossl(['req', '-new', '-key', path(`${name}.key`), '-subj', `/O=tls13 interop/CN=${cn}`, '-out', path(`${name}.csr`)]);
    writeFileSync(path(`${name}.ext`), `[v3]\n${ext.join('\n')}\n`);
    await ossl([
      'x509', '-req', '-in', path(`${name}.csr`), '-CA', path(`${issuer}.pem`), '-CAkey', path(`${issuer}.key`),
      '-set_serial', String(serial++), '-days', '30', ...digestFor(issuerAlg),
      '-extfile', path(`${name}.ext`), '-extensions', 'v3', '-out', path(`${name}.pem`),
    ]);
  };

  const local = { dns: ['localhost'], ip: ['127.0.0.1'] };
  // Roots first (they are independent: make them concurrently), then leaves.
  await Promise.all([
    root('root-p256', 'p256', 'root P-256'),
    root('root-p384', 'p384', 'root P-384'),
    root('root-ed25519', 'ed25519', 'root Ed25519'),
    root('root-rsa', 'rsa', 'root RSA'),
    root('root-client', 'p256', 'client root'),
    root('root-untrusted', 'p256', 'untrusted root'),
  ]);
  await Promise.all([
    issue('p256', 'p256', 'root-p256', 'p256', 'localhost', leafExt(local, 'serverAuth')),
    issue('p384', 'p384', 'root-p384', 'p384', 'localhost', leafExt(local, 'serverAuth')),
    issue('ed25519', 'ed25519', 'root-ed25519', 'ed25519', 'localhost', leafExt(local, 'serverAuth')),
    issue('rsa', 'rsa', 'root-rsa', 'rsa', 'localhost', leafExt(local, 'serverAuth')),
    issue('int-p256', 'p256', 'root-p256', 'p256', 'intermediate P-256', [
      'basicConstraints=critical,CA:TRUE,pathlen:0',
      'keyUsage=critical,keyCertSign,cRLSign',
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid',
    ]),
    issue('other', 'p256', 'root-p256', 'p256', 'other.example', leafExt({ dns: ['other.example'], ip: [] }, 'serverAuth')),
    issue('untrusted', 'p256', 'root-untrusted', 'p256', 'localhost', leafExt(local, 'serverAuth')),
    issue('client', 'p256', 'root-client', 'p256', 'tls13 interop client', leafExt({ dns: [], ip: [] }, 'clientAuth')),
    issue('client-untrusted', 'p256', 'root-untrusted', 'p256', 'untrusted client', leafExt({ dns: [], ip: [] }, 'clientAuth')),
  ]);
  await issue('p256-int', 'p256', 'int-p256', 'p256', 'localhost', leafExt(local, 'serverAuth'));

  const text = (name: string): string => readFileSync(path(name), 'utf8');
  const caPem = ['root-p256', 'root-p384', 'root-ed25519', 'root-rsa'].map((n) => text(`${n}.pem`)).join('');
  writeFileSync(path('ca.pem'), caPem);

  const files = (name: string, intermediates: string[] = []): CertFiles => {
    let chain: string | undefined;
    if (intermediates.length > 0) {
      chain = path(`${name}.chain.pem`);
      writeFileSync(chain, intermediates.map((n) => text(`${n}.pem`)).join(''));
    }
    return {
      cert: path(`${name}.pem`),
      key: path(`${name}.key`),
      chain,
      chainPem: [name, ...intermediates].map((n) => text(`${n}.pem`)).join(''),
      keyPem: text(`${name}.key`),
    };
  };

  return {
    dir,
    caFile: path('ca.pem'),
    caPem,
    clientCaFile: path('root-client.pem'),
    clientCaPem: text('root-client.pem'),
    untrustedCaFile: path('root-untrusted.pem'),
    server: {
      p256: files('p256'),
      p384: files('p384'),
      ed25519: files('ed25519'),
      rsa: files('rsa'),
      'p256-int': files('p256-int', ['int-p256']),
      other: files('other'),
      untrusted: files('untrusted'),
    },
    client: {
      client: files('client'),
      'client-untrusted': files('client-untrusted'),
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
