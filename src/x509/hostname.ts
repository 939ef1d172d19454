/**
 * Server identity checks (RFC 6125 §6, as profiled for TLS by RFC 8446 §4.4.2.2
 * and RFC 9525): does this certificate name the host we meant to reach?
 *
 * - Only subjectAltName counts. The Common Name is never consulted (RFC 9525
 *   drops CN-IDs; Go, rustls and browsers all ignore it), so a certificate
 *   without subjectAltName matches nothing.
 * - DNS names compare as case-insensitive ASCII (§6.4.1), with one trailing
 *   dot removed from either side (an absolute name is the same host).
 *   Internationalized names must be given as A-labels (§6.4.2).
 * - A wildcard is honoured only as the entire left-most label, "*.example.com",
 *   and matches exactly one label (§6.4.3 rules 1 and 2). Partial wildcards
 *   ("f*.example.com", rule 3's MAY) are refused, as Go and rustls do, and so
 *   is a wildcard directly above a single label ("*.com").
 * - A server name that is an IP literal matches only iPAddress entries, by
 *   bytes; a wildcard never matches an address.
 */
import type { Certificate } from './certificate.js';
import { X509VerificationError } from './errors.js';
import type { SubjectAltName } from './extensions.js';
import { formatIpAddress, parseIpAddress } from './ip.js';
import { nameAttribute } from './name.js';
import { bytesEqual } from '../util/bytes.js';

/** What we expect to find in the certificate (RFC 6125 §1.8 "reference identifier"). */
export type ReferenceIdentity =
  | { readonly kind: 'dns'; readonly name: string }
  | { readonly kind: 'ip'; readonly bytes: Uint8Array; readonly text: string };

const LABEL = /^[a-z0-9_-]{1,63}$/;

/** Lower-cases ASCII and drops one trailing dot; undefined for non-ASCII. */
function normalizeDnsName(name: string): string | undefined {
  if (!/^[\x21-\x7e]*$/.test(name)) return undefined;
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/**
 * Parses a server name as the client gave it: an IP literal (IPv4 dotted
 * quad, IPv6, optionally in brackets) or a DNS host name (letters, digits,
 * hyphen and underscore; labels of 1..63; at most 253 characters; the last
 * label not all digits, so "1.2.3.999" is neither). Undefined if invalid.
 */
export function parseReferenceIdentity(serverName: string): ReferenceIdentity | undefined {
  const ip = parseIpAddress(serverName);
  if (ip) return { kind: 'ip', bytes: ip, text: formatIpAddress(ip) };
  const name = normalizeDnsName(serverName);
  if (name === undefined || name.length === 0 || name.length > 253) return undefined;
  const labels = name.split('.');
  if (!labels.every((l) => LABEL.test(l))) return undefined;
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) return undefined;
  return { kind: 'dns', name };
}

/**
 * Whether a presented dNSName (from the certificate) matches a reference DNS
 * name already normalised by parseReferenceIdentity.
 */
export function matchDnsName(presented: string, reference: string): boolean {
  const p = normalizeDnsName(presented);
  if (p === undefined || p.length === 0) return false;
  const pLabels = p.split('.');
  if (!pLabels.every((l, i) => LABEL.test(l) || (i === 0 && l === '*'))) return false;
  if (pLabels[0] !== '*') return p === reference;
  // "*.example.com": at least two labels under the wildcard, and it stands
  // for exactly one non-empty label of the reference.
  if (pLabels.length < 3) return false;
  const rLabels = reference.split('.');
  if (rLabels.length !== pLabels.length) return false;
  return rLabels.slice(1).join('.') === pLabels.slice(1).join('.') && rLabels[0]!.length > 0;
}

/** Whether the certificate's subjectAltName matches `serverName` (false if the name is invalid). */
export function matchHostname(cert: { readonly subjectAltName: SubjectAltName | undefined }, serverName: string): boolean {
  const ref = parseReferenceIdentity(serverName);
  return ref !== undefined && matchesReference(cert.subjectAltName, ref);
}

function matchesReference(san: SubjectAltName | undefined, ref: ReferenceIdentity): boolean {
  if (!san) return false;
  if (ref.kind === 'ip') return san.ipAddresses.some((ip) => bytesEqual(ip, ref.bytes));
  return san.dnsNames.some((d) => matchDnsName(d, ref.name));
}

/** Throws X509VerificationError('hostname-mismatch') with a message that lists what the certificate is valid for. */
export function verifyHostname(cert: Pick<Certificate, 'subjectAltName' | 'subject'>, serverName: string): void {
  const ref = parseReferenceIdentity(serverName);
  if (!ref) {
    throw new X509VerificationError(
      'hostname-mismatch',
      `server name "${serverName}" is not a valid host name or IP address: ` +
        'pass a DNS name (A-labels for IDNs) or an IP literal',
    );
  }
  const san = cert.subjectAltName;
  if (matchesReference(san, ref)) return;
  const valid = san ? [...san.dnsNames, ...san.ipAddresses.map(formatIpAddress)] : [];
  if (valid.length === 0) {
    const cn = nameAttribute(cert.subject, 'CN');
    throw new X509VerificationError(
      'hostname-mismatch',
      `certificate has no DNS or IP subjectAltName, so it is not valid for ${ref.kind === 'ip' ? ref.text : ref.name}` +
        (cn !== undefined ? ` (its Common Name "${cn}" is not used for matching)` : '') +
        ': reissue it with a subjectAltName',
    );
  }
  const shown = valid.length > 10 ? [...valid.slice(0, 10), `and ${valid.length - 10} more`] : valid;
  let hint = '';
  if (ref.kind === 'ip' && san && san.ipAddresses.length === 0) {
    hint = ' (an IP address matches only IP entries in subjectAltName)';
  } else if (ref.kind === 'dns' && san && san.dnsNames.length === 0) {
    hint = ' (a host name matches only DNS entries in subjectAltName)';
  }
  throw new X509VerificationError(
    'hostname-mismatch',
    `certificate is valid for ${shown.join(', ')}, not ${ref.kind === 'ip' ? ref.text : ref.name}${hint}`,
  );
}

