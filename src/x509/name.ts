/**
 * Distinguished names (RFC 5280 §4.1.2.4): a SEQUENCE of RDNs, each a SET of
 * (type, value) pairs.
 *
 * Chain building compares names by their DER bytes (RFC 5280 §7.1 lets us:
 * a CA that encodes its name the same way in both places is the norm, and
 * byte comparison cannot be fooled by string-preparation differences). The
 * text form is for people: RFC 4514 order (last RDN first), "CN=foo, O=bar".
 */
import { bytesEqual, toHex } from '../util/bytes.js';
import { DerReader, Tag, decodeString, type DerElement } from './der.js';
import { ATTRIBUTE_NAMES } from './oids.js';

export interface AttributeTypeAndValue {
  /** The attribute type's OID, dotted. */
  readonly type: string;
  /** The short name (CN, O, ...) or the dotted OID when unknown. */
  readonly shortName: string;
  /** The value as text, or undefined when it is not a string type. */
  readonly value: string | undefined;
  /** The value's full DER element. */
  readonly rawValue: Uint8Array;
}

/** One relative distinguished name: usually a single attribute. */
export type RelativeDistinguishedName = readonly AttributeTypeAndValue[];

export interface Name {
  /** The Name's DER encoding (the SEQUENCE), for exact comparison. */
  readonly raw: Uint8Array;
  /** The RDNs in encoding order (most significant first, e.g. C, O, CN). */
  readonly rdns: readonly RelativeDistinguishedName[];
  /** RFC 4514-style text, least significant RDN first: "CN=foo, O=bar". */
  readonly text: string;
}

/** Reads a Name (a SEQUENCE) from `reader`. */
export function readName(reader: DerReader, what: string): Name {
  const el = reader.expect(Tag.SEQUENCE, what);
  const seq = reader.child(el);
  const rdns: RelativeDistinguishedName[] = [];
  while (!seq.atEnd) {
    const set = seq.enter(Tag.SET, `${what} RDN`);
    const attrs: AttributeTypeAndValue[] = [];
    // X.501: an RDN is a non-empty SET.
    do {
      const atv = set.enter(Tag.SEQUENCE, `${what} attribute`);
      const type = atv.oid(`${what} attribute type`);
      const valueEl = atv.read(`${what} attribute value`);
      atv.end(`${what} attribute`);
      attrs.push({
        type,
        shortName: ATTRIBUTE_NAMES[type] ?? type,
        value: tryString(valueEl, `${what} ${ATTRIBUTE_NAMES[type] ?? type}`),
        rawValue: valueEl.raw,
      });
    } while (!set.atEnd);
    rdns.push(attrs);
  }
  return { raw: el.raw, rdns, text: nameToText(rdns) };
}

const STRING_TAGS: ReadonlySet<number> = new Set([
  Tag.UTF8String,
  Tag.PrintableString,
  Tag.IA5String,
  Tag.NumericString,
  Tag.VisibleString,
  Tag.TeletexString,
  Tag.BMPString,
  Tag.UniversalString,
]);

function tryString(el: DerElement, what: string): string | undefined {
  // A string type with a bad encoding is an error; a non-string value is kept raw.
  return STRING_TAGS.has(el.tag) ? decodeString(el.tag, el.contents, what) : undefined;
}

/** RFC 4514 §2: reverse order, '+' inside an RDN, ", " between RDNs (for readability). */
function nameToText(rdns: readonly RelativeDistinguishedName[]): string {
  return [...rdns]
    .reverse()
    .map((rdn) =>
      rdn
        .map((a) =>
          a.value === undefined || a.shortName === a.type
            ? `${a.type}=#${toHex(a.rawValue)}`
            : `${a.shortName}=${escapeValue(a.value)}`,
        )
        .join('+'),
    )
    .join(', ');
}

/** RFC 4514 §2.4: escape the specials, a leading '#' or space, a trailing space. */
function escapeValue(value: string): string {
  let out = value.replace(/[\\,+"<>;]/g, (c) => `\\${c}`).replace(/\0/g, '\\00');
  if (out.startsWith('#') || out.startsWith(' ')) out = `\\${out}`;
  if (out.endsWith(' ') && out.length > 1) out = `${out.slice(0, -1)}\\ `;
  return out;
}

export function namesEqual(a: Name, b: Name): boolean {
  return bytesEqual(a.raw, b.raw);
}

/** The first value of an attribute (e.g. the Common Name), for messages. */
export function nameAttribute(name: Name, shortName: string): string | undefined {
  for (const rdn of name.rdns) for (const a of rdn) if (a.shortName === shortName) return a.value;
  return undefined;
}

/**
 * Whether `name` lies under `base` in the directory tree (RFC 5280 §4.2.1.10
 * directoryName constraints): base's RDNs are a prefix of name's. RDNs are
 * compared by their DER encoding.
 */
export function nameWithin(name: Name, base: Name): boolean {
  if (base.rdns.length > name.rdns.length) return false;
  return base.rdns.every((rdn, i) => rdnEqual(rdn, name.rdns[i]!));
}

function rdnEqual(a: RelativeDistinguishedName, b: RelativeDistinguishedName): boolean {
  if (a.length !== b.length) return false;
  // DER sorts SET OF members, so equal sets have equal order.
  return a.every((x, i) => x.type === b[i]!.type && bytesEqual(x.rawValue, b[i]!.rawValue));
}
