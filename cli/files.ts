/**
 * Files the commands read and write: PEM certificates and keys, session
 * files (--sess-out / --sess-in) and NSS key logs (--keylog). Errors name
 * the file and say what was expected.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { exportSession, importSession, parseCertificates, parsePrivateKey, type ClientSession } from '../src/index.js';
import { encodePem, encodeSubjectPublicKeyInfo, parsePem, publicKeyFromPrivateKey } from '../src/x509/index.js';

export class CliError extends Error {
  override readonly name = 'CliError';
}

export function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'latin1');
  } catch (err) {
    throw new CliError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** PEM text with at least one certificate (checked now, so a wrong file fails before any connection). */
export function readCertificates(path: string, what: string): string {
  const text = readText(path, what);
  try {
    parseCertificates(text);
  } catch (err) {
    throw new CliError(`${what} ${path}: ${(err as Error).message}`);
  }
  return text;
}

export function readPrivateKey(path: string): string {
  const text = readText(path, 'key file');
  try {
    parsePrivateKey(text);
  } catch (err) {
    throw new CliError(`key file ${path}: ${(err as Error).message}`);
  }
  return text;
}

/**
 * A certificate chain and the private key of its leaf, checked to belong
 * together: a mismatch would otherwise surface only at the first handshake,
 * as a signature the peer rejects.
 */
export function readKeyPair(certPath: string, keyPath: string): { cert: string; key: string } {
  const cert = readCertificates(certPath, 'certificate file');
  const key = readPrivateKey(keyPath);
  const leaf = parseCertificates(cert)[0]!;
  const pub = publicKeyFromPrivateKey(parsePrivateKey(key));
  if (!leaf.publicKey || !bytesEqual(encodeSubjectPublicKeyInfo(pub), encodeSubjectPublicKeyInfo(leaf.publicKey))) {
    throw new CliError(`the key in ${keyPath} does not belong to the certificate in ${certPath} (${leaf.subject.text || 'leaf'})`);
  }
  return { cert, key };
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

const SESSION_LABEL = 'TLS13 SESSION';

/**
 * Session files are PEM ("TLS13 SESSION") around exportSession's bytes, so
 * they survive copy and paste. They contain the resumption secret: whoever
 * has the file can resume as this client (until the ticket expires).
 */
export function writeSession(path: string, session: ClientSession): void {
  writeFileSync(path, encodePem(SESSION_LABEL, exportSession(session)), { mode: 0o600 });
}

export function readSession(path: string): ClientSession {
  const raw = readFileSync(path);
  try {
    const text = raw.toString('latin1');
    const block = text.includes('-----BEGIN') ? parsePem(text).find((b) => b.label === SESSION_LABEL) : undefined;
    if (text.includes('-----BEGIN') && !block) throw new Error(`no ${SESSION_LABEL} block`);
    return importSession(block ? block.bytes : new Uint8Array(raw));
  } catch (err) {
    throw new CliError(`session file ${path}: ${(err as Error).message}`);
  }
}

/** NSS key log (SSLKEYLOGFILE format): appended line by line, readable by Wireshark. */
export function keyLogWriter(path: string): (line: string) => void {
  // Create (or keep) the file now, owner-readable only: it decrypts the traffic.
  writeFileSync(path, '', { flag: 'a', mode: 0o600 });
  return (line) => appendFileSync(path, `${line}\n`);
}
