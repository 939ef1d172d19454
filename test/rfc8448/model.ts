/**
 * What a trace *means*, worked out from the RFC 8448 text independently of
 * the library under test: the handshake transcript in wire order, which
 * traffic keys and sequence number protect each record, and small hand
 * parsers for the few message fields the checks need (the library's own
 * codecs are what we are testing, so we do not lean on them here).
 *
 * Everything here reads the vectors with `peek()`: working out the structure
 * is navigation, not verification.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { ContentType, HandshakeType, NamedGroup } from '../../src/registry.js';
import { ByteReader, ByteWriter, bytesEqual, concat, utf8 } from '../../src/util/bytes.js';
import type { PublicKey } from '../../src/crypto/provider.js';
import type { Actor, StepView, Trace } from './vectors.js';

// ---------------------------------------------------------------------------
// Handshake messages and the transcript (RFC 8446 §4.4.1).

/** The ServerHello.random that marks a HelloRetryRequest (RFC 8446 §4.1.3). */
export const HRR_RANDOM = Uint8Array.from([
  0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
  0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
]);

export interface MessageRef {
  readonly sender: Actor;
  readonly type: number;
  /** The whole message, header included. */
  readonly bytes: Uint8Array;
  /** The "send handshake record" step that carried it. */
  readonly record: StepView;
}

export function isHelloRetryRequest(message: Uint8Array): boolean {
  return message[0] === HandshakeType.server_hello && bytesEqual(message.subarray(6, 38), HRR_RANDOM);
}

/** Splits a handshake record payload into whole messages (4-byte headers, §4). */
export function splitHandshakeMessages(payload: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const r = new ByteReader(payload);
  while (!r.atEnd) {
    const start = r.offset;
    r.u8('msg_type');
    r.vec24('handshake body');
    out.push(payload.subarray(start, r.offset));
  }
  return out;
}

/** Every handshake message in the order the RFC's records put them on the wire. */
export function wireMessages(trace: Trace): MessageRef[] {
  const out: MessageRef[] = [];
  for (const step of trace.find({ action: 'send handshake record', hasValues: true })) {
    for (const bytes of splitHandshakeMessages(step.peek('payload'))) {
      out.push({ sender: step.actor!, type: bytes[0]!, bytes, record: step });
    }
  }
  return out;
}

/**
 * Transcript-Hash over the first `count` wire messages. After a
 * HelloRetryRequest the first ClientHello is replaced by the synthetic
 * message_hash message (RFC 8446 §4.4.1).
 */
export function transcriptHash(messages: readonly MessageRef[], count: number): Uint8Array {
  if (count < 0 || count > messages.length) throw new Error(`transcript of ${count} messages out of range`);
  const included = messages.slice(0, count).map((m) => m.bytes);
  const hrrAt = messages.findIndex((m) => isHelloRetryRequest(m.bytes));
  if (hrrAt >= 0 && hrrAt < count) {
    if (hrrAt !== 1 || messages[0]!.type !== HandshakeType.client_hello) {
      throw new Error('HelloRetryRequest must directly follow the first ClientHello');
    }
    const digest = sha256(included[0]!);
    included[0] = concat(Uint8Array.of(HandshakeType.message_hash, 0, 0, digest.length), digest);
  }
  return sha256(concat(...included));
}

/** Named transcript points used by the key schedule (RFC 8446 §7.1). */
export class Transcript {
  readonly messages: readonly MessageRef[];

  constructor(readonly trace: Trace) {
    this.messages = wireMessages(trace);
  }

  private indexOf(pred: (m: MessageRef) => boolean, what: string): number {
    const i = this.messages.findIndex(pred);
    if (i < 0) throw new Error(`§${this.trace.section}: no ${what} in the transcript`);
    return i;
  }

  hashOf(count: number): Uint8Array {
    return transcriptHash(this.messages, count);
  }

  /** Through the (last) ClientHello: the context of the early secrets. */
  clientHello(): Uint8Array {
    const last = this.messages.map((m) => m.type).lastIndexOf(HandshakeType.client_hello);
    if (last < 0) throw new Error(`§${this.trace.section}: no ClientHello`);
    return this.hashOf(last + 1);
  }

  /** Through the real ServerHello (not a HelloRetryRequest): handshake traffic secrets. */
  serverHello(): Uint8Array {
    const i = this.indexOf((m) => m.type === HandshakeType.server_hello && !isHelloRetryRequest(m.bytes), 'ServerHello');
    return this.hashOf(i + 1);
  }

  /** Everything before `sender`'s Finished: what that Finished MACs (§4.4.4). */
  beforeFinished(sender: Actor): Uint8Array {
    return this.hashOf(this.indexOf((m) => m.type === HandshakeType.finished && m.sender === sender, `${sender} Finished`));
  }

  /** Through `sender`'s Finished: server → application secrets, client → resumption secret. */
  throughFinished(sender: Actor): Uint8Array {
    return this.hashOf(this.indexOf((m) => m.type === HandshakeType.finished && m.sender === sender, `${sender} Finished`) + 1);
  }

  /** Everything before `sender`'s CertificateVerify: what it signs (§4.4.3). */
  beforeCertificateVerify(sender: Actor): Uint8Array {
    return this.hashOf(
      this.indexOf((m) => m.type === HandshakeType.certificate_verify && m.sender === sender, `${sender} CertificateVerify`),
    );
  }

  /** The messages of one type sent by one side, in order. */
  sent(sender: Actor, type: number): MessageRef[] {
    return this.messages.filter((m) => m.sender === sender && m.type === type);
  }
}

// ---------------------------------------------------------------------------
// Records: which keys and sequence number protect each one (RFC 8446 §5).

const RECORD_ACTION = /^send (handshake|application_data|alert|change_cipher_spec) record$/;
const WRITE_KEYS_ACTION = /^derive write traffic keys for (.+) data$/;

export interface RecordPlan {
  readonly step: StepView;
  readonly sender: Actor;
  /** Outer type for plaintext records, inner (TLSInnerPlaintext) type for protected ones. */
  readonly contentType: number;
  readonly protected: boolean;
  /** "handshake", "application", "early application"; null while unprotected. */
  readonly epoch: string | null;
  readonly sequence: bigint;
  /** The step whose "key expanded"/"iv expanded" are the write keys in use. */
  readonly keySource: StepView | null;
}

/**
 * Walks the trace the way each sender's record layer would: a "derive write
 * traffic keys for X data" step by the sender switches its write keys and
 * resets the sequence number to 0 (§5.3); each protected record then uses
 * the next number. Change_cipher_spec is never protected (§5, App. D.4).
 *
 * When the sender's own key step only says "(same as ...)", the values sit in
 * the peer's matching "derive read traffic keys" step.
 */
export function planRecords(trace: Trace): RecordPlan[] {
  const state: Record<Actor, { epoch: string | null; sequence: bigint }> = {
    client: { epoch: null, sequence: 0n },
    server: { epoch: null, sequence: 0n },
  };
  const plans: RecordPlan[] = [];
  for (const step of trace.steps) {
    if (step.actor === null) continue;
    const keys = WRITE_KEYS_ACTION.exec(step.action);
    if (keys) {
      state[step.actor] = { epoch: keys[1]!, sequence: 0n };
      continue;
    }
    const record = RECORD_ACTION.exec(step.action);
    if (!record) continue;
    const kind = record[1] as keyof typeof ContentType;
    const contentType = ContentType[kind];
    const s = state[step.actor];
    if (s.epoch === null || contentType === ContentType.change_cipher_spec) {
      plans.push({ step, sender: step.actor, contentType, protected: false, epoch: null, sequence: 0n, keySource: null });
      continue;
    }
    plans.push({
      step,
      sender: step.actor,
      contentType,
      protected: true,
      epoch: s.epoch,
      sequence: s.sequence,
      keySource: trafficKeyStep(trace, step.actor, s.epoch),
    });
    s.sequence += 1n;
  }
  return plans;
}

/** The step listing `writer`'s write keys for `epoch` (its own, or the peer's read keys). */
export function trafficKeyStep(trace: Trace, writer: Actor, epoch: string): StepView {
  const reader: Actor = writer === 'client' ? 'server' : 'client';
  const own = trace.find({ actor: writer, action: `derive write traffic keys for ${epoch} data`, hasValues: true });
  const peer = trace.find({ actor: reader, action: `derive read traffic keys for ${epoch} data`, hasValues: true });
  const all = [...own, ...peer];
  if (all.length !== 1) {
    throw new Error(`§${trace.section}: expected one key listing for ${writer} ${epoch} writes, found ${all.length}`);
  }
  return all[0]!;
}

// ---------------------------------------------------------------------------
// HKDF labels (RFC 8446 §7.1), built here so the RFC's "info" values check
// the library's encoding rather than being fed to it.

export function hkdfLabel(length: number, label: string, context: Uint8Array): Uint8Array {
  return new ByteWriter()
    .u16(length)
    .vec8(utf8(`tls13 ${label}`))
    .vec8(context)
    .finish();
}

// ---------------------------------------------------------------------------
// Hand parsers for the few fields the checks cross-reference.

export function serverHelloCipherSuite(serverHello: Uint8Array): number {
  const r = new ByteReader(serverHello);
  r.u8();
  const body = new ByteReader(r.vec24('ServerHello'));
  body.u16('legacy_version');
  body.bytes(32, 'random');
  body.vec8('legacy_session_id_echo');
  return body.u16('cipher_suite');
}

export function certificateVerifyParts(message: Uint8Array): { scheme: number; signature: Uint8Array } {
  const r = new ByteReader(message);
  if (r.u8() !== HandshakeType.certificate_verify) throw new Error('not a CertificateVerify');
  const body = new ByteReader(r.vec24('CertificateVerify'));
  const scheme = body.u16('algorithm');
  const signature = body.vec16('signature');
  body.end('CertificateVerify');
  return { scheme, signature };
}

/** The end-entity certificate (first CertificateEntry, RFC 8446 §4.4.2). */
export function endEntityCertificate(message: Uint8Array): Uint8Array {
  const r = new ByteReader(message);
  if (r.u8() !== HandshakeType.certificate) throw new Error('not a Certificate');
  const body = new ByteReader(r.vec24('Certificate'));
  body.vec8('certificate_request_context');
  const list = new ByteReader(body.vec24('certificate_list'));
  return list.vec24('cert_data');
}

export function newSessionTicketParts(message: Uint8Array): { nonce: Uint8Array; ticket: Uint8Array } {
  const r = new ByteReader(message);
  if (r.u8() !== HandshakeType.new_session_ticket) throw new Error('not a NewSessionTicket');
  const body = new ByteReader(r.vec24('NewSessionTicket'));
  body.u32('ticket_lifetime');
  body.u32('ticket_age_add');
  const nonce = body.vec8('ticket_nonce');
  const ticket = body.vec16('ticket');
  body.vec16('extensions');
  body.end('NewSessionTicket');
  return { nonce, ticket };
}

/** A KeyShareEntry as it appears on the wire (RFC 8446 §4.2.8). */
export function keyShareEntry(group: number, keyExchange: Uint8Array): Uint8Array {
  return new ByteWriter().u16(group).vec16(keyExchange).finish();
}

export function indexOfBytes(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

export const GROUP_OF_ACTION: Readonly<Record<string, number>> = {
  'create an ephemeral x25519 key pair': NamedGroup.x25519,
  'create an ephemeral P-256 key pair': NamedGroup.secp256r1,
};

// ---------------------------------------------------------------------------
// Just enough DER (X.690) to read a certificate's SubjectPublicKeyInfo.

interface Tlv {
  readonly tag: number;
  readonly content: Uint8Array;
}

function readTlvs(der: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  let off = 0;
  while (off < der.length) {
    const tag = der[off++]!;
    let len = der[off++]!;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 3) throw new Error('unsupported DER length');
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + der[off++]!;
    }
    if (off + len > der.length) throw new Error('truncated DER');
    out.push({ tag, content: der.subarray(off, off + len) });
    off += len;
  }
  return out;
}

function only(der: Uint8Array, tag: number): Uint8Array {
  const tlvs = readTlvs(der);
  if (tlvs.length !== 1 || tlvs[0]!.tag !== tag) throw new Error(`expected a single DER element with tag ${tag}`);
  return tlvs[0]!.content;
}

function unsigned(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

const OID_RSA_ENCRYPTION = Uint8Array.from([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]);
const OID_EC_PUBLIC_KEY = Uint8Array.from([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]);
const OID_P256 = Uint8Array.from([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]);

/** The subject public key of an X.509 certificate (RFC 5280 §4.1), RSA or P-256 only. */
export function certificatePublicKey(certDer: Uint8Array): PublicKey {
  const tbs = readTlvs(only(certDer, 0x30))[0]!;
  const fields = readTlvs(tbs.content);
  // version [0] is optional; SPKI is the 6th field after it.
  const spkiField = fields[fields[0]!.tag === 0xa0 ? 6 : 5]!;
  const [algorithm, bits] = readTlvs(spkiField.content);
  const [oid, params] = readTlvs(algorithm!.content);
  if (bits!.tag !== 0x03 || bits!.content[0] !== 0) throw new Error('bad subjectPublicKey BIT STRING');
  const key = bits!.content.subarray(1);
  if (bytesEqual(oid!.content, OID_RSA_ENCRYPTION)) {
    const [n, e] = readTlvs(only(key, 0x30));
    return { kind: 'rsa', n: unsigned(n!.content), e: unsigned(e!.content) };
  }
  if (bytesEqual(oid!.content, OID_EC_PUBLIC_KEY) && params && bytesEqual(params.content, OID_P256)) {
    return { kind: 'ec', curve: 'P-256', point: key };
  }
  throw new Error('unsupported certificate key type');
}

export function bigintFromBytes(bytes: Uint8Array): bigint {
  return unsigned(bytes);
}

/** The content a CertificateVerify signs (RFC 8446 §4.4.3). */
export function certificateVerifyContent(sender: Actor, transcriptHash: Uint8Array): Uint8Array {
  return concat(
    new Uint8Array(64).fill(0x20),
    utf8(`TLS 1.3, ${sender} CertificateVerify`),
    Uint8Array.of(0),
    transcriptHash,
  );
}
