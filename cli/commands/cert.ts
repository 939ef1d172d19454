/**
 * `tls13 cert`: a tiny private CA for development, in the spirit of minica.
 *
 *   tls13 cert ca --out ca                         → ca/ca.crt, ca/ca.key
 *   tls13 cert issue --ca ca --dns localhost --ip 127.0.0.1 --out localhost
 *                                                  → localhost.crt, localhost.key
 *
 * Keys are ECDSA P-256 by default (--ed25519 for Ed25519), written as PKCS#8
 * PEM with file mode 0600; certificates are PEM. Everything is done by the
 * library itself (src/x509/issue.ts), no openssl needed.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { nobleCrypto, parseCertificates, parsePrivateKey, type PrivateKey } from '../../src/index.js';
import {
  createCertificate,
  encodeCertificatePem,
  encodePrivateKeyPem,
  generatePrivateKey,
  publicKeyFromPrivateKey,
  type IssueUsage,
} from '../../src/x509/index.js';
import { HelpRequested, parseArgs, UsageError, type CommandSpec } from '../args.js';
import { CliError, readText } from '../files.js';

export const CERT_HELP = `usage: tls13 cert ca --out DIR [--name NAME] [--ed25519] [--days N]
       tls13 cert issue --ca DIR --out PREFIX [--dns a,b] [--ip 127.0.0.1] [--client | --both] [--ed25519] [--days N]

A private certificate authority for development and tests.

Files:
  .crt  a certificate, PEM ("-----BEGIN CERTIFICATE-----"): public, give it to anyone.
        A CA's .crt is what peers put in --ca to trust certificates it issues.
  .key  a private key, PEM PKCS#8 ("-----BEGIN PRIVATE KEY-----"): secret, written
        with mode 0600. Whoever has it can impersonate the certificate's owner.
  .pem  just the generic name of the PEM text format; certificates and keys are both
        PEM. Here .crt and .key say which is which.

Mutual TLS in three commands (then run the server and client as shown):
  tls13 cert ca --out ca
  tls13 cert issue --ca ca --dns localhost --ip 127.0.0.1 --out server
  tls13 cert issue --ca ca --client --out alice

  tls13 server --cert server.crt --key server.key --ca ca/ca.crt --www
  tls13 client localhost:4433 --ca ca/ca.crt --cert alice.crt --key alice.key

Identity lives in subjectAltName (--dns, --ip); the Common Name is only a label.
Server certificates need at least one --dns or --ip. Certificates are valid from
one hour ago (clock skew) for --days (CA default 3650, others 825).`;

const CA_SPEC: CommandSpec = {
  name: 'tls13 cert ca',
  positionals: [],
  summary: 'Create a CA: DIR/ca.crt (certificate) and DIR/ca.key (private key).',
  flags: {
    out: { type: 'string', value: 'DIR', help: 'directory to write ca.crt and ca.key into (created if missing)' },
    name: { type: 'string', value: 'NAME', help: 'the CA\'s Common Name (default "tls13 development CA")' },
    ed25519: { type: 'boolean', help: 'Ed25519 key instead of ECDSA P-256' },
    days: { type: 'integer', value: 'N', min: 1, max: 36500, help: 'validity in days (default 3650)' },
    force: { type: 'boolean', help: 'overwrite existing files' },
  },
};

const ISSUE_SPEC: CommandSpec = {
  name: 'tls13 cert issue',
  positionals: [],
  summary: 'Issue a certificate signed by the CA in DIR: PREFIX.crt and PREFIX.key.',
  flags: {
    ca: { type: 'string', value: 'DIR', help: 'the CA directory (made by `tls13 cert ca`)' },
    out: { type: 'string', value: 'PREFIX', help: 'write PREFIX.crt and PREFIX.key' },
    dns: { type: 'string', value: 'a,b', help: 'DNS names (subjectAltName); "*.example.com" wildcards allowed' },
    ip: { type: 'string', value: 'a,b', help: 'IP addresses (subjectAltName)' },
    name: { type: 'string', value: 'NAME', help: 'Common Name label (default: the first DNS name or IP, or PREFIX)' },
    client: { type: 'boolean', help: 'a client certificate (clientAuth) instead of a server one' },
    both: { type: 'boolean', help: 'usable by servers and clients (serverAuth and clientAuth)' },
    ed25519: { type: 'boolean', help: 'Ed25519 key instead of ECDSA P-256' },
    days: { type: 'integer', value: 'N', min: 1, max: 36500, help: 'validity in days (default 825)' },
    force: { type: 'boolean', help: 'overwrite existing files' },
  },
};

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export async function certCommand(argv: readonly string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') throw new HelpRequested(CERT_HELP);
  if (sub === 'ca') return makeCa(rest);
  if (sub === 'issue') return issue(rest);
  throw new UsageError(`unknown cert command "${sub}" (expected ca or issue)`, CERT_HELP);
}

async function makeCa(argv: readonly string[]): Promise<number> {
  const args = parseArgs(CA_SPEC, argv);
  const dir = args.required('out');
  const crtPath = join(dir, 'ca.crt');
  const keyPath = join(dir, 'ca.key');
  refuseOverwrite([crtPath, keyPath], args.flag('force'));
  const provider = nobleCrypto;
  const key = generatePrivateKey(args.flag('ed25519') ? 'Ed25519' : 'P-256', provider.random);
  const now = Date.now();
  const der = await createCertificate({
    subject: { organization: 'tls13', commonName: args.string('name') ?? 'tls13 development CA' },
    issuerKey: key,
    publicKey: publicKeyFromPrivateKey(key),
    notBefore: new Date(now - HOUR),
    notAfter: new Date(now + (args.integer('days') ?? 3650) * DAY),
    usage: 'ca',
    // No intermediates below a development root: leaves only.
    pathLen: 0,
    provider,
  });
  mkdirSync(dir, { recursive: true });
  writeFileSync(keyPath, encodePrivateKeyPem(key), { mode: 0o600 });
  writeFileSync(crtPath, encodeCertificatePem(der));
  process.stdout.write(`wrote ${crtPath} (CA certificate: give it to peers as --ca)\nwrote ${keyPath} (CA private key: keep it secret)\n`);
  return 0;
}

async function issue(argv: readonly string[]): Promise<number> {
  const args = parseArgs(ISSUE_SPEC, argv);
  const caDir = args.required('ca');
  const prefix = args.required('out');
  const dnsNames = args.list('dns') ?? [];
  const ipAddresses = args.list('ip') ?? [];
  if (args.flag('client') && args.flag('both')) args.fail('--client and --both exclude each other');
  const usage: IssueUsage = args.flag('both') ? 'both' : args.flag('client') ? 'client' : 'server';
  if (usage !== 'client' && dnsNames.length + ipAddresses.length === 0) {
    args.fail('a server certificate needs --dns or --ip: clients check the name they dial against these, never the Common Name');
  }
  const crtPath = `${prefix}.crt`;
  const keyPath = `${prefix}.key`;
  refuseOverwrite([crtPath, keyPath], args.flag('force'));

  const caCrtPath = join(caDir, 'ca.crt');
  const caKeyPath = join(caDir, 'ca.key');
  let caCert;
  let caKey: PrivateKey;
  try {
    caCert = parseCertificates(readText(caCrtPath, 'CA certificate'))[0]!;
    caKey = parsePrivateKey(readText(caKeyPath, 'CA key'));
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`CA in ${caDir}: ${(err as Error).message}`);
  }

  const provider = nobleCrypto;
  const key = generatePrivateKey(args.flag('ed25519') ? 'Ed25519' : 'P-256', provider.random);
  const now = Date.now();
  const label = args.string('name') ?? dnsNames[0] ?? ipAddresses[0] ?? basename(prefix);
  let der: Uint8Array;
  try {
    der = await createCertificate({
      subject: { commonName: label },
      issuer: caCert,
      issuerKey: caKey,
      publicKey: publicKeyFromPrivateKey(key),
      notBefore: new Date(now - HOUR),
      // Never outlive the CA: a verifier would reject the chain from that day on.
      notAfter: new Date(Math.min(now + (args.integer('days') ?? 825) * DAY, caCert.notAfterMs)),
      dnsNames,
      ipAddresses,
      usage,
      provider,
    });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const parent = dirname(prefix);
  if (parent && parent !== '.') mkdirSync(parent, { recursive: true });
  writeFileSync(keyPath, encodePrivateKeyPem(key), { mode: 0o600 });
  writeFileSync(crtPath, encodeCertificatePem(der));
  const names = [...dnsNames.map((d) => `DNS:${d}`), ...ipAddresses.map((i) => `IP:${i}`)].join(', ') || '(no names)';
  process.stdout.write(`wrote ${crtPath} (${usage} certificate for ${names}, issued by ${caCert.subject.text})\nwrote ${keyPath}\n`);
  return 0;
}

function basename(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || path;
}

function refuseOverwrite(paths: readonly string[], force: boolean): void {
  if (force) return;
  for (const p of paths) {
    if (existsSync(p)) throw new CliError(`${p} already exists (use --force to overwrite)`);
  }
}
