/**
 * Name constraints (RFC 5280 §4.2.1.10, applied as in §6.1.3 (b)): a CA may
 * limit the names that certificates below it can carry, by permitted and
 * excluded subtrees of each name form.
 *
 * Forms checked: dNSName, iPAddress, directoryName, rfc822Name. For the other
 * forms (URI, otherName, ...) we follow the RFC's rule for a constraint we do
 * not process: if the certificate carries a name of that form, reject it.
 */
import type { Certificate } from './certificate.js';
import type { NameConstraintBase, NameConstraints } from './extensions.js';
import { formatIpAddress } from './ip.js';
import { nameWithin, type Name } from './name.js';

/** A name from the certificate, in the shape the constraints speak about. */
type PresentedName =
  | { readonly type: 'dns'; readonly value: string }
  | { readonly type: 'ip'; readonly bytes: Uint8Array }
  | { readonly type: 'email'; readonly value: string }
  | { readonly type: 'uri'; readonly value: string }
  | { readonly type: 'directory'; readonly name: Name }
  | { readonly type: 'other'; readonly tag: number };

const EMAIL_ADDRESS_OID = '1.2.840.113549.1.9.1';

/** The names a constraint applies to: subject (if not empty), subjectAltName entries, subject emailAddress. */
function presentedNames(cert: Certificate): PresentedName[] {
  const out: PresentedName[] = [];
  if (cert.subject.rdns.length > 0) out.push({ type: 'directory', name: cert.subject });
  // §4.2.1.10: email addresses in the subject's emailAddress attribute are rfc822Names too.
  for (const rdn of cert.subject.rdns) {
    for (const a of rdn) if (a.type === EMAIL_ADDRESS_OID && a.value !== undefined) out.push({ type: 'email', value: a.value });
  }
  for (const n of cert.subjectAltName?.names ?? []) {
    switch (n.type) {
      case 'dns':
      case 'email':
      case 'uri':
        out.push({ type: n.type, value: n.value });
        break;
      case 'ip':
        out.push({ type: 'ip', bytes: n.bytes });
        break;
      case 'directory':
        out.push({ type: 'directory', name: n.name });
        break;
      case 'other':
        out.push({ type: 'other', tag: n.tag });
        break;
    }
  }
  return out;
}

function lowerNoDot(s: string): string {
  const l = s.toLowerCase();
  return l.endsWith('.') ? l.slice(0, -1) : l;
}

/**
 * dNSName: "any DNS name that can be constructed by simply adding zero or
 * more labels to the left-hand side" of the base. A base with a leading dot
 * (".example.com", a common extension) admits subdomains only.
 */
function dnsWithin(name: string, base: string): boolean {
  const n = lowerNoDot(name);
  const b = lowerNoDot(base);
  if (b === '') return true;
  if (b.startsWith('.')) return n.endsWith(b);
  return n === b || n.endsWith(`.${b}`);
}

/**
 * A wildcard "*.x.example" stands for every "label.x.example"; an excluded
 * base "bad.x.example" is one of them, so the wildcard overlaps it even
 * though, read literally, "*.x.example" is not under "bad.x.example".
 */
function wildcardOverlaps(name: string, base: string): boolean {
  const n = lowerNoDot(name);
  const b = lowerNoDot(base);
  if (!n.startsWith('*.') || b.startsWith('.')) return false;
  const parent = n.slice(2);
  return b.endsWith(`.${parent}`) && b.split('.').length === parent.split('.').length + 1;
}

function ipWithin(bytes: Uint8Array, address: Uint8Array, mask: Uint8Array): boolean {
  if (bytes.length !== address.length) return false;
  for (let i = 0; i < bytes.length; i++) if ((bytes[i]! & mask[i]!) !== (address[i]! & mask[i]!)) return false;
  return true;
}

/**
 * rfc822Name: a base with '@' is one mailbox; ".example.com" is any host in
 * that domain; "example.com" is that host exactly. Host parts compare without
 * case (the local part is compared exactly).
 */
function emailWithin(address: string, base: string): boolean {
  const at = address.lastIndexOf('@');
  if (at < 0) return false;
  const host = address.slice(at + 1).toLowerCase();
  if (base.includes('@')) {
    const bAt = base.lastIndexOf('@');
    return address.slice(0, at) === base.slice(0, bAt) && host === base.slice(bAt + 1).toLowerCase();
  }
  const b = base.toLowerCase();
  return b.startsWith('.') ? host.endsWith(b) : host === b;
}

type Verdict = 'within' | 'outside' | 'unchecked';

function within(name: PresentedName, base: NameConstraintBase): Verdict {
  if (name.type !== base.type) return 'outside';
  switch (name.type) {
    case 'dns':
      return dnsWithin(name.value, (base as { value: string }).value) ? 'within' : 'outside';
    case 'ip': {
      const b = base as Extract<NameConstraintBase, { type: 'ip' }>;
      return ipWithin(name.bytes, b.address, b.mask) ? 'within' : 'outside';
    }
    case 'email':
      return emailWithin(name.value, (base as { value: string }).value) ? 'within' : 'outside';
    case 'directory':
      return nameWithin(name.name, (base as { name: Name }).name) ? 'within' : 'outside';
    case 'uri':
      return 'unchecked';
    case 'other':
      return (base as { tag: number }).tag === name.tag ? 'unchecked' : 'outside';
  }
}

function describeName(n: PresentedName): string {
  switch (n.type) {
    case 'dns':
    case 'email':
    case 'uri':
      return `"${n.value}"`;
    case 'ip':
      return formatIpAddress(n.bytes);
    case 'directory':
      return `"${n.name.text}"`;
    case 'other':
      return `a name with tag 0x${n.tag.toString(16)}`;
  }
}

export function describeBase(b: NameConstraintBase): string {
  switch (b.type) {
    case 'dns':
    case 'email':
    case 'uri':
      return b.value === '' ? `any ${b.type}` : b.value;
    case 'ip':
      return b.text;
    case 'directory':
      return b.name.text;
    case 'other':
      return `tag 0x${b.tag.toString(16)}`;
  }
}

/**
 * Checks `cert` against one CA's constraints. Returns undefined when the
 * certificate complies, otherwise a sentence describing the violation.
 */
export function nameConstraintViolation(constraints: NameConstraints, cert: Certificate): string | undefined {
  for (const name of presentedNames(cert)) {
    for (const base of constraints.excluded) {
      const v = within(name, base);
      if (v === 'unchecked') return `${describeName(name)} is of a name form whose constraints this library does not check`;
      const overlaps = name.type === 'dns' && base.type === 'dns' && wildcardOverlaps(name.value, base.value);
      if (v === 'within' || overlaps) return `${describeName(name)} is in the excluded subtree ${describeBase(base)}`;
    }
    const permitted = constraints.permitted.filter((b) => b.type === name.type);
    if (permitted.length === 0) continue;
    const verdicts = permitted.map((b) => within(name, b));
    if (verdicts.includes('within')) continue;
    if (verdicts.includes('unchecked')) {
      return `${describeName(name)} is of a name form whose constraints this library does not check`;
    }
    return `${describeName(name)} is outside the permitted subtrees (${permitted.map(describeBase).join(', ')})`;
  }
  return undefined;
}

