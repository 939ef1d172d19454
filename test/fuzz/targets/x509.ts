/**
 * Fuzz target: the X.509 / DER parser (parseCertificate) and what runs on a
 * parsed certificate before any signature check: host name matching and
 * the printable names. Only X509DecodeError (a DecodeError) may be thrown;
 * the first byte picks whether the input is DER or PEM text.
 */
import { DecodeError } from '../../../src/util/bytes.js';
import { matchHostname, parseCertificate, parseCertificates } from '../../../src/x509/index.js';
import { finding } from '../support/check.js';

export function fuzz(input: Uint8Array): void {
  if (input.length < 1) return;
  const asPem = input[0]! === 0x2d; // '-'
  try {
    const certs = asPem ? parseCertificates(new TextDecoder().decode(input)) : [parseCertificate(input)];
    for (const cert of certs) {
      if (!(cert.raw instanceof Uint8Array) || cert.raw.length === 0) finding('a parsed certificate without its DER');
      void cert.subject.text;
      void cert.issuer.text;
      matchHostname(cert, 'localhost');
      matchHostname(cert, '127.0.0.1');
      matchHostname(cert, 'a.b.example');
    }
  } catch (err) {
    if (!(err instanceof DecodeError)) finding('the X.509 parser threw a non-DecodeError', err);
  }
}
