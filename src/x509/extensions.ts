/**
 * The certificate extensions that path validation needs (RFC 5280 §4.2.1):
 * subjectAltName, basicConstraints, keyUsage, extKeyUsage, nameConstraints,
 * and the key identifiers that guide chain building. Each parser takes the
 * extnValue's contents (the DER inside the OCTET STRING) and must consume it
 * whole.
 */
import { DerReader, Tag, contextConstructed, contextTag, decodeBitString, ia5, type DerElement } from './der.js';
import { X509DecodeError } from './errors.js';
import { readName, type Name } from './name.js';
import { formatIpAddress } from './ip.js';

export interface Extension {
  readonly oid: string;
  readonly critical: boolean;
  /** The extnValue OCTET STRING's contents: the extension's own DER. */
  readonly value: Uint8Array;
}

/** GeneralName (RFC 5280 §4.2.1.6), with the forms we act on decoded. */
export type GeneralName =
  | { readonly type: 'dns'; readonly value: string }
  | { readonly type: 'ip'; readonly bytes: Uint8Array; readonly text: string }
  | { readonly type: 'email'; readonly value: string }
  | { readonly type: 'uri'; readonly value: string }
  | { readonly type: 'directory'; readonly name: Name }
  /** otherName [0], x400Address [3], ediPartyName [5], registeredID [8]: kept raw. */
  | { readonly type: 'other'; readonly tag: number; readonly raw: Uint8Array };

export interface SubjectAltName {
  readonly names: readonly GeneralName[];
  /** The dNSName entries, as written (lower-casing happens when matching). */
  readonly dnsNames: readonly string[];
  /** The iPAddress entries: 4 bytes (IPv4) or 16 bytes (IPv6). */
  readonly ipAddresses: readonly Uint8Array[];
}

export interface BasicConstraints {
  readonly ca: boolean;
  /** How many non-self-issued intermediate CAs may follow this one; undefined = no limit. */
  readonly pathLength: number | undefined;
}

/** KeyUsage bits (RFC 5280 §4.2.1.3). */
export interface KeyUsage {
  readonly digitalSignature: boolean;
  readonly nonRepudiation: boolean;
  readonly keyEncipherment: boolean;
  readonly dataEncipherment: boolean;
  readonly keyAgreement: boolean;
  readonly keyCertSign: boolean;
  readonly cRLSign: boolean;
  readonly encipherOnly: boolean;
  readonly decipherOnly: boolean;
}

const KEY_USAGE_BITS = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;

/** The base of a GeneralSubtree (RFC 5280 §4.2.1.10). */
export type NameConstraintBase =
  | { readonly type: 'dns'; readonly value: string }
  /** Address and mask, both 4 or both 16 bytes. */
  | { readonly type: 'ip'; readonly address: Uint8Array; readonly mask: Uint8Array; readonly text: string }
  | { readonly type: 'email'; readonly value: string }
  | { readonly type: 'uri'; readonly value: string }
  | { readonly type: 'directory'; readonly name: Name }
  | { readonly type: 'other'; readonly tag: number; readonly raw: Uint8Array };

export interface NameConstraints {
  readonly permitted: readonly NameConstraintBase[];
  readonly excluded: readonly NameConstraintBase[];
}

export interface AuthorityKeyIdentifier {
  readonly keyIdentifier: Uint8Array | undefined;
}

function fail(message: string): never {
  throw new X509DecodeError(message);
}

/** Opens an extension value that must be exactly one DER element with `tag`. */
function open(value: Uint8Array, tag: number, what: string): DerReader {
  const outer = new DerReader(value, 2);
  const inner = outer.enter(tag, what);
  outer.end(what);
  return inner;
}

/** SubjectAltName ::= GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName */
export function parseSubjectAltName(value: Uint8Array): SubjectAltName {
  const seq = open(value, Tag.SEQUENCE, 'subjectAltName');
  if (seq.atEnd) fail('subjectAltName: must contain at least one name');
  const names: GeneralName[] = [];
  while (!seq.atEnd) names.push(readGeneralName(seq, 'subjectAltName'));
  return {
    names,
    dnsNames: names.flatMap((n) => (n.type === 'dns' ? [n.value] : [])),
    ipAddresses: names.flatMap((n) => (n.type === 'ip' ? [n.bytes] : [])),
  };
}

/**
 * GeneralName ::= CHOICE { otherName [0], rfc822Name [1] IA5String,
 * dNSName [2] IA5String, x400Address [3], directoryName [4] Name,
 * ediPartyName [5], uniformResourceIdentifier [6] IA5String,
 * iPAddress [7] OCTET STRING, registeredID [8] OID }. Tags are IMPLICIT,
 * except directoryName, which is EXPLICIT because Name is a CHOICE.
 */
function readGeneralName(r: DerReader, what: string): GeneralName {
  const el = r.read(`${what} GeneralName`);
  switch (el.tag) {
    case contextTag(1):
      return { type: 'email', value: ia5(el.contents, `${what} rfc822Name`) };
    case contextTag(2):
      return { type: 'dns', value: ia5(el.contents, `${what} dNSName`) };
    case contextTag(6):
      return { type: 'uri', value: ia5(el.contents, `${what} uniformResourceIdentifier`) };
    case contextTag(7):
      // RFC 5280 §4.2.1.6: four octets for IPv4, sixteen for IPv6.
      if (el.contents.length !== 4 && el.contents.length !== 16) {
        fail(`${what}: iPAddress must be 4 or 16 bytes, got ${el.contents.length}`);
      }
      return { type: 'ip', bytes: el.contents, text: formatIpAddress(el.contents) };
    case contextConstructed(4): {
      const inner = r.child(el);
      const name = readName(inner, `${what} directoryName`);
      inner.end(`${what} directoryName`);
      return { type: 'directory', name };
    }
    case contextConstructed(0):
    case contextConstructed(3):
    case contextConstructed(5):
    case contextTag(8):
      return { type: 'other', tag: el.tag, raw: el.raw };
    default:
      return fail(`${what}: unknown GeneralName tag 0x${el.tag.toString(16)}`);
  }
}

/** BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER (0..MAX) OPTIONAL } */
export function parseBasicConstraints(value: Uint8Array): BasicConstraints {
  const seq = open(value, Tag.SEQUENCE, 'basicConstraints');
  // DER omits a DEFAULT value; an explicit FALSE is tolerated, as deployed CAs emit it.
  const ca = seq.peekTag() === Tag.BOOLEAN ? seq.boolean('basicConstraints cA') : false;
  const pathLength =
    seq.peekTag() === Tag.INTEGER ? seq.smallInteger('basicConstraints pathLenConstraint', 0xffff) : undefined;
  seq.end('basicConstraints');
  // §4.2.1.9: pathLenConstraint is meaningful only when cA is asserted.
  if (pathLength !== undefined && !ca) fail('basicConstraints: pathLenConstraint without cA');
  return { ca, pathLength };
}

/** KeyUsage ::= BIT STRING, bit 0 first (the most significant bit of the first byte). */
export function parseKeyUsage(value: Uint8Array): KeyUsage {
  const outer = new DerReader(value, 2);
  const bits = decodeBitString(outer.expect(Tag.BIT_STRING, 'keyUsage').contents, 'keyUsage');
  outer.end('keyUsage');
  const has = (i: number): boolean => {
    const byte = bits.bytes[i >> 3];
    return byte !== undefined && (byte & (0x80 >> (i & 7))) !== 0;
  };
  const usage: Record<(typeof KEY_USAGE_BITS)[number], boolean> = {
    digitalSignature: false,
    nonRepudiation: false,
    keyEncipherment: false,
    dataEncipherment: false,
    keyAgreement: false,
    keyCertSign: false,
    cRLSign: false,
    encipherOnly: false,
    decipherOnly: false,
  };
  KEY_USAGE_BITS.forEach((name, i) => (usage[name] = has(i)));
  // §4.2.1.3: "at least one of the bits MUST be set to 1".
  if (!KEY_USAGE_BITS.some((name) => usage[name])) fail('keyUsage: no bit is set');
  return usage;
}

/** ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId (OIDs) */
export function parseExtKeyUsage(value: Uint8Array): string[] {
  const seq = open(value, Tag.SEQUENCE, 'extKeyUsage');
  const oids: string[] = [];
  while (!seq.atEnd) oids.push(seq.oid('extKeyUsage KeyPurposeId'));
  if (oids.length === 0) fail('extKeyUsage: must list at least one purpose');
  return oids;
}

/** SubjectKeyIdentifier ::= OCTET STRING */
export function parseSubjectKeyIdentifier(value: Uint8Array): Uint8Array {
  const outer = new DerReader(value, 2);
  const id = outer.octetString('subjectKeyIdentifier');
  outer.end('subjectKeyIdentifier');
  return id;
}

/**
 * AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] OCTET STRING OPTIONAL,
 * authorityCertIssuer [1] GeneralNames OPTIONAL, authorityCertSerialNumber [2] INTEGER OPTIONAL }
 */
export function parseAuthorityKeyIdentifier(value: Uint8Array): AuthorityKeyIdentifier {
  const seq = open(value, Tag.SEQUENCE, 'authorityKeyIdentifier');
  const keyId = seq.optional(contextTag(0), 'authorityKeyIdentifier keyIdentifier');
  seq.optional(contextConstructed(1), 'authorityKeyIdentifier authorityCertIssuer');
  seq.optional(contextTag(2), 'authorityKeyIdentifier authorityCertSerialNumber');
  seq.end('authorityKeyIdentifier');
  return { keyIdentifier: keyId?.contents };
}

/**
 * NameConstraints ::= SEQUENCE { permittedSubtrees [0] GeneralSubtrees OPTIONAL,
 * excludedSubtrees [1] GeneralSubtrees OPTIONAL }, and
 * GeneralSubtree ::= SEQUENCE { base GeneralName, minimum [0] DEFAULT 0, maximum [1] OPTIONAL }.
 */
export function parseNameConstraints(value: Uint8Array): NameConstraints {
  const seq = open(value, Tag.SEQUENCE, 'nameConstraints');
  const permitted = readSubtrees(seq.optionalEnter(contextConstructed(0), 'permittedSubtrees'), 'permittedSubtrees');
  const excluded = readSubtrees(seq.optionalEnter(contextConstructed(1), 'excludedSubtrees'), 'excludedSubtrees');
  seq.end('nameConstraints');
  // §4.2.1.10: "either the permittedSubtrees field or the excludedSubtrees MUST be present".
  if (permitted === undefined && excluded === undefined) fail('nameConstraints: empty');
  return { permitted: permitted ?? [], excluded: excluded ?? [] };
}

function readSubtrees(r: DerReader | undefined, what: string): NameConstraintBase[] | undefined {
  if (!r) return undefined;
  const out: NameConstraintBase[] = [];
  while (!r.atEnd) {
    const sub = r.enter(Tag.SEQUENCE, `${what} GeneralSubtree`);
    out.push(readSubtreeBase(sub, what));
    // §4.2.1.10: minimum MUST be zero (so, in DER, absent) and maximum MUST be absent.
    if (!sub.atEnd) fail(`${what}: minimum and maximum must be absent`);
  }
  if (out.length === 0) fail(`${what}: must contain at least one subtree`);
  return out;
}

function readSubtreeBase(r: DerReader, what: string): NameConstraintBase {
  const peek = r.peekTag();
  if (peek === contextTag(7)) {
    // In a constraint the iPAddress is address || mask: 8 bytes for IPv4, 32 for IPv6.
    const el: DerElement = r.read(`${what} iPAddress`);
    const len = el.contents.length;
    if (len !== 8 && len !== 32) fail(`${what}: iPAddress constraint must be 8 or 32 bytes, got ${len}`);
    const address = el.contents.subarray(0, len / 2);
    const mask = el.contents.subarray(len / 2);
    if (!isPrefixMask(mask)) fail(`${what}: iPAddress constraint mask is not a CIDR prefix`);
    return { type: 'ip', address, mask, text: `${formatIpAddress(address)}/${prefixLength(mask)}` };
  }
  const name = readGeneralName(r, what);
  switch (name.type) {
    case 'ip':
      return fail('unreachable');
    case 'dns':
    case 'email':
    case 'uri':
      return { type: name.type, value: name.value };
    case 'directory':
      return name;
    case 'other':
      return name;
  }
}

function isPrefixMask(mask: Uint8Array): boolean {
  let seenZero = false;
  for (const byte of mask) {
    for (let bit = 7; bit >= 0; bit--) {
      const one = (byte >> bit) & 1;
      if (one && seenZero) return false;
      if (!one) seenZero = true;
    }
  }
  return true;
}

function prefixLength(mask: Uint8Array): number {
  let n = 0;
  for (const byte of mask) for (let bit = 7; bit >= 0; bit--) n += (byte >> bit) & 1;
  return n;
}
