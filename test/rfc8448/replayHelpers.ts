/**
 * Machinery for replaying RFC 8448 handshakes through the real connections:
 * a scripted random source (the RFC's randoms and ephemeral keys, in the
 * order our code asks for them), a `shapeMessage` hook that turns our
 * messages into the RFC peer's exact extension lists, a crypto provider
 * wrapper that injects a CertificateVerify signature whose private key the
 * RFC does not print, recovery of an RSA-PSS salt from a signature, and a
 * driver that feeds one side the RFC peer's records and compares what it
 * sends with the RFC's records, byte for byte.
 *
 * Nothing here is a second implementation of TLS: it only moves the RFC's
 * bytes in and out of the library and explains any difference it finds.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { expect } from 'vitest';
import type { ClientConnection, ConnectionEvent, ServerConnection } from '../../src/connection.js';
import type { CryptoProvider, PublicKey, RandomSource, SignatureAlgorithm } from '../../src/crypto/provider.js';
import type { TraceEntry } from '../../src/handshake/events.js';
import { AlertDescription, ExtensionType, HandshakeType, NamedGroup, SignatureScheme, codeName } from '../../src/registry.js';
import { ByteReader, bytesEqual, concat, toHex } from '../../src/util/bytes.js';
import { type Extension, type HandshakeMessage, decodeHandshake, extensionCode } from '../../src/wire/index.js';
import { bigintFromBytes, splitHandshakeMessages, wireMessages } from './model.js';
import type { Actor, Trace } from './vectors.js';

/**
 * Inside the validity of every RFC 8448 certificate (2016-07-30 to
 * 2026-07-30): the month the RFC was published.
 */
export const RFC8448_NOW = new Date('2019-01-15T00:00:00Z');

// ---------------------------------------------------------------------------
// Scripted randomness

export interface ScriptEntry {
  /** What the bytes are, for failure messages ("client random", ...). */
  readonly label: string;
  readonly bytes: Uint8Array;
}

/**
 * A RandomSource that returns the script's entries in order, each to a call
 * asking for exactly its length; a call of another length fails and names
 * the entry it expected, so a change in the order of our draws is reported
 * plainly. After the script, `tail` decides: 'none' refuses further draws;
 * 'filler' hands out a deterministic SHA-256 counter stream, for draws that
 * cannot influence any output (RSA blinding: the blinding factor cancels).
 */
export class ScriptedRandom {
  private next = 0;
  private fillerCounter = 0;
  /** Every draw, in order: the entry's label, or "filler". */
  readonly log: { readonly label: string; readonly length: number }[] = [];

  constructor(
    private readonly script: readonly ScriptEntry[],
    private readonly tail: 'none' | 'filler',
  ) {}

  readonly source: RandomSource = (length: number): Uint8Array => {
    const entry = this.script[this.next];
    if (entry) {
      if (entry.bytes.length !== length) {
        throw new Error(
          `random draw #${this.log.length + 1} asked for ${length} bytes, but the script's next entry is ` +
            `"${entry.label}" (${entry.bytes.length} bytes): our code draws randomness in another order than expected`,
        );
      }
      this.next++;
      this.log.push({ label: entry.label, length });
      return entry.bytes.slice();
    }
    if (this.tail === 'none') {
      throw new Error(`random draw #${this.log.length + 1} of ${length} bytes after the script ended (unexpected draw)`);
    }
    this.log.push({ label: 'filler', length });
    return this.filler(length);
  };

  private filler(length: number): Uint8Array {
    const blocks: Uint8Array[] = [];
    for (let have = 0; have < length; have += 32) {
      blocks.push(sha256(concat(Uint8Array.of(0x52, 0x38, 0x34, 0x34, 0x38), u32(this.fillerCounter++))));
    }
    return concat(...blocks).slice(0, length);
  }

  /** The labels of the scripted entries used so far. */
  get used(): string[] {
    return this.script.slice(0, this.next).map((e) => e.label);
  }

  /** Whether every entry was drawn. */
  get exhausted(): boolean {
    return this.next === this.script.length;
  }
}

function u32(n: number): Uint8Array {
  return Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

// ---------------------------------------------------------------------------
// RSA-PSS salt recovery (RFC 8017 §8.1.2, §9.1.2)

function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  let result = 1n;
  let b = base % m;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
  }
  return result;
}

function mgf1Sha256(seed: Uint8Array, length: number): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (let counter = 0; blocks.length * 32 < length; counter++) blocks.push(sha256(concat(seed, u32(counter))));
  return concat(...blocks).slice(0, length);
}

/**
 * The salt inside an RSASSA-PSS (SHA-256, MGF1-SHA-256, 32-byte salt)
 * signature, read with the public key alone: EM = s^e mod n, split EM into
 * maskedDB || H || 0xbc, unmask DB with MGF1(H), and DB = PS || 0x01 || salt.
 * It also checks H = SHA-256(0^8 || SHA-256(message) || salt), i.e. that the
 * signature is valid, so the salt we inject is the one the RFC's server used.
 */
export function recoverPssSalt(key: PublicKey & { kind: 'rsa' }, message: Uint8Array, signature: Uint8Array): Uint8Array {
  const hLen = 32;
  const modBits = key.n.toString(2).length;
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  const m = modPow(bigintFromBytes(signature), key.e, key.n);
  const em = new Uint8Array(emLen);
  let v = m;
  for (let i = emLen - 1; i >= 0; i--) {
    em[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  if (v !== 0n) throw new Error('PSS: s^e mod n does not fit in emLen octets');
  if (em[emLen - 1] !== 0xbc) throw new Error('PSS: EM does not end in 0xbc');
  const maskedDb = em.subarray(0, emLen - hLen - 1);
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  const mask = mgf1Sha256(h, maskedDb.length);
  const db = maskedDb.map((b, i) => b ^ mask[i]!);
  db[0]! &= 0xff >> (8 * emLen - emBits);
  const psLength = db.length - hLen - 1;
  if (db.subarray(0, psLength).some((b) => b !== 0) || db[psLength] !== 0x01) {
    throw new Error('PSS: DB is not PS || 0x01 || salt with a 32-byte salt');
  }
  const salt = db.slice(psLength + 1);
  const hPrime = sha256(concat(new Uint8Array(8), sha256(message), salt));
  if (!bytesEqual(hPrime, h)) throw new Error('PSS: the signature does not cover this message');
  return salt;
}

// ---------------------------------------------------------------------------
// Injected signatures

export interface InjectedSignature {
  readonly scheme: number;
  /** What the signature covers: exactly what our side must ask to sign. */
  readonly content: Uint8Array;
  readonly signature: Uint8Array;
  /** Who signs, for messages. */
  readonly signer: Actor;
}

/** A provider that hands out one injected signature, and counts how often it did. */
export interface InjectingProvider extends CryptoProvider {
  readonly injections: number;
}

/**
 * A provider identical to `base` except that `scheme`'s sign() returns the
 * RFC's signature, for a certificate whose private key RFC 8448 does not
 * print. It refuses to sign anything but `content` (the RFC's
 * CertificateVerify content), so the injection only stands in for a key we
 * lack and still checks that our side signs the RFC's transcript. The caller
 * must first check that the signature verifies (see `verifyInjection`).
 */
export function withInjectedSignature(base: CryptoProvider, injection: InjectedSignature): InjectingProvider {
  const real = base.signature(injection.scheme);
  if (!real) throw new Error(`the provider lacks ${codeName(SignatureScheme, injection.scheme)}`);
  let uses = 0;
  const injected: SignatureAlgorithm = {
    scheme: real.scheme,
    name: real.name,
    handshake: real.handshake,
    supports: (key) => real.supports(key),
    verify: (key, message, signature) => real.verify(key, message, signature),
    sign(_key, message) {
      if (!bytesEqual(message, injection.content)) {
        throw new Error(
          `injected ${real.name} signature: the ${injection.signer} asked to sign other content than the RFC's ` +
            `CertificateVerify content (first difference at byte ${firstDifference(message, injection.content)})`,
        );
      }
      uses++;
      return injection.signature.slice();
    },
  };
  return {
    ...base,
    signature: (scheme) => (scheme === injection.scheme ? injected : base.signature(scheme)),
    get injections() {
      return uses;
    },
  };
}

/** The RFC's signature must verify over the RFC's content with the certificate's key. */
export async function verifyInjection(base: CryptoProvider, injection: InjectedSignature, key: PublicKey): Promise<boolean> {
  return base.signature(injection.scheme)!.verify(key, injection.content, injection.signature);
}

// ---------------------------------------------------------------------------
// Reshaping our messages into the RFC peer's extension lists

/**
 * Which differences between our message and the RFC's the shaper may make
 * good, by extension code point. Every other extension must be one we send
 * ourselves (and then ours is kept, bytes and all: the final record
 * comparison checks it against the RFC's).
 */
export interface ShapePolicy {
  /** The RFC's peer sends these and our engine does not: insert the RFC's. */
  readonly add?: readonly number[];
  /** Code point lists where we implement a subset: ours must be a subset of the RFC's, which is used. */
  readonly widen?: readonly number[];
  /** We send these and the RFC's peer does not: remove ours. */
  readonly drop?: readonly number[];
}

type WithExtensions = HandshakeMessage & { readonly extensions: readonly Extension[] };

function extensionList(ext: Extension): readonly number[] {
  if ('groups' in ext) return ext.groups;
  if ('schemes' in ext) return ext.schemes;
  throw new Error(`extension ${ext.type} is not a code point list`);
}

function extName(code: number): string {
  return codeName(ExtensionType, code);
}

function listItemName(extension: number, code: number): string {
  return extension === ExtensionType.supported_groups ? codeName(NamedGroup, code) : codeName(SignatureScheme, code);
}

/**
 * A `shapeMessage` hook. For each message type in `policies`, the next RFC
 * message of that type from our side is the template: the result carries
 * the template's extensions in the template's order, each one OURS when we
 * send it, the RFC's when the policy says to add or widen it. What it did is
 * written to `adjustments`, so a test can state it exactly.
 */
export class MessageShaper {
  readonly adjustments: string[] = [];
  private readonly templates = new Map<string, WithExtensions[]>();
  private readonly counts = new Map<string, number>();

  constructor(
    rfcMessages: readonly Uint8Array[],
    private readonly policies: Readonly<Partial<Record<HandshakeMessage['type'], ShapePolicy>>>,
  ) {
    for (const raw of rfcMessages) {
      const m = decodeHandshake(raw, { hashLength: 32 });
      if (!(m.type in policies)) continue;
      const list = this.templates.get(m.type) ?? [];
      list.push(m as WithExtensions);
      this.templates.set(m.type, list);
    }
  }

  readonly shape = (message: HandshakeMessage): HandshakeMessage => {
    const policy = this.policies[message.type];
    if (!policy) return message;
    const n = (this.counts.get(message.type) ?? 0) + 1;
    this.counts.set(message.type, n);
    const template = this.templates.get(message.type)?.[n - 1];
    const what = `${message.type} ${n}`;
    if (!template) throw new Error(`shapeMessage: we send ${what}, but the RFC's side sends no such message`);
    const ours = message as WithExtensions;
    if (ours.type === 'server_hello' && template.type === 'server_hello' && ours.helloRetryRequest !== template.helloRetryRequest) {
      throw new Error(`shapeMessage: ${what} is ${ours.helloRetryRequest ? 'a HelloRetryRequest' : 'a ServerHello'}, the RFC's is not`);
    }
    const extensions = this.reshape(what, ours.extensions, template.extensions, policy);
    return { ...ours, extensions } as HandshakeMessage;
  };

  private reshape(what: string, ours: readonly Extension[], rfc: readonly Extension[], policy: ShapePolicy): Extension[] {
    const out: Extension[] = [];
    const used = new Set<number>();
    const firstNote = this.adjustments.length;
    for (const r of rfc) {
      const code = extensionCode(r);
      const i = ours.findIndex((e) => extensionCode(e) === code);
      if (i < 0) {
        if (!policy.add?.includes(code)) {
          throw new Error(`shapeMessage: in ${what} the RFC's side sends ${extName(code)}, which we did not send`);
        }
        this.adjustments.push(`${what}: + ${extName(code)}`);
        out.push(r);
        continue;
      }
      used.add(i);
      const mine = ours[i]!;
      if (policy.widen?.includes(code)) {
        const ourList = extensionList(mine);
        const rfcList = extensionList(r);
        const missing = ourList.filter((c) => !rfcList.includes(c));
        if (missing.length > 0) {
          throw new Error(
            `shapeMessage: in ${what} our ${extName(code)} lists ${missing.map((c) => listItemName(code, c)).join(', ')}, which the RFC's does not`,
          );
        }
        const same = ourList.length === rfcList.length && ourList.every((c, k) => rfcList[k] === c);
        if (!same) {
          const extra = rfcList.filter((c) => !ourList.includes(c)).map((c) => listItemName(code, c));
          this.adjustments.push(`${what}: ${extName(code)} as the RFC's${extra.length > 0 ? ` (+ ${extra.join(', ')})` : ' (reordered)'}`);
          out.push(r);
          continue;
        }
      }
      out.push(mine);
    }
    // Our own extensions, in the order they now go out, against the order we made them in.
    const kept = out.filter((e) => ours.includes(e)).map((e) => ours.indexOf(e));
    if (kept.some((v, k) => k > 0 && v < kept[k - 1]!)) this.adjustments.splice(firstNote, 0, `${what}: extension order as the RFC's`);
    ours.forEach((e, i) => {
      if (used.has(i)) return;
      const code = extensionCode(e);
      if (!policy.drop?.includes(code)) {
        throw new Error(`shapeMessage: in ${what} we send ${extName(code)}, which the RFC's side does not`);
      }
      this.adjustments.push(`${what}: - ${extName(code)}`);
    });
    return out;
  }

  /** Whether every template was used (we sent as many shaped messages as the RFC's side). */
  get complete(): boolean {
    return [...this.templates].every(([type, list]) => (this.counts.get(type) ?? 0) === list.length);
  }
}

// ---------------------------------------------------------------------------
// Records

const RECORD_ACTION = /^send (handshake|application_data|alert|change_cipher_spec) record$/;

export interface RfcRecord {
  readonly sender: Actor;
  readonly kind: 'handshake' | 'application_data' | 'alert' | 'change_cipher_spec';
  /** Plaintext content (inner content for protected records). */
  readonly payload: Uint8Array;
  /** The record as on the wire. */
  readonly record: Uint8Array;
  /** The RFC step and line, for messages. */
  readonly where: string;
  /** Handshake message types in a handshake record. */
  readonly messageTypes: readonly number[];
}

/** Every record of the trace, in RFC order. */
export function rfcRecords(trace: Trace): RfcRecord[] {
  return trace.find({ action: RECORD_ACTION, hasValues: true }).map((step) => {
    const kind = RECORD_ACTION.exec(step.action)![1] as RfcRecord['kind'];
    const payload = step.peek('payload');
    return {
      sender: step.actor!,
      kind,
      payload,
      record: step.peek('complete record'),
      where: `§${trace.section} {${step.actor}} ${step.action} (RFC 8448 line ${step.data.line})`,
      messageTypes: kind === 'handshake' ? splitHandshakeMessages(payload).map((m) => m[0]!) : [],
    };
  });
}

/** Splits a byte stream into whole TLSPlaintext/TLSCiphertext records (5-byte header, §5.1). */
export function splitRecords(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const r = new ByteReader(bytes);
  while (!r.atEnd) {
    const start = r.offset;
    r.u8('type');
    r.u16('legacy_record_version');
    r.vec16('fragment');
    out.push(bytes.slice(start, r.offset));
  }
  return out;
}

export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** The first path at which two decoded values differ ("extensions[3].clientShares[0].group"). */
export function firstFieldDifference(a: unknown, b: unknown, path = ''): string | undefined {
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (a instanceof Uint8Array && b instanceof Uint8Array && bytesEqual(a, b)) return undefined;
    const show = (x: unknown): string => (x instanceof Uint8Array ? `${x.length} bytes ${toHex(x).slice(0, 64)}` : JSON.stringify(x));
    return `${path || '(value)'}: ours ${show(a)}, RFC ${show(b)}`;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (i >= a.length || i >= b.length) return `${path}: ours has ${a.length} entries, RFC ${b.length}`;
      const d = firstFieldDifference(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const k of keys) {
      const d = firstFieldDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
      if (d) return d;
    }
    return undefined;
  }
  return Object.is(a, b) ? undefined : `${path || '(value)'}: ours ${JSON.stringify(a)}, RFC ${JSON.stringify(b)}`;
}

/** Explains the first handshake message where `ours` and `rfc` (whole messages, in order) differ. */
export function explainMessageDifference(ours: readonly Uint8Array[], rfc: readonly Uint8Array[]): string {
  for (let i = 0; i < Math.max(ours.length, rfc.length); i++) {
    const a = ours[i];
    const b = rfc[i];
    if (!a) return `we sent ${ours.length} handshake messages, the RFC's side ${rfc.length}`;
    if (!b) return `we sent an extra handshake message (${codeName(HandshakeType, a[0]!)})`;
    if (bytesEqual(a, b)) continue;
    const name = codeName(HandshakeType, b[0]!);
    let field = '';
    try {
      field = firstFieldDifference(decodeHandshake(a, { hashLength: 32 }), decodeHandshake(b, { hashLength: 32 })) ?? '';
    } catch (err) {
      field = `(could not decode: ${(err as Error).message})`;
    }
    return `handshake message ${i + 1} (${name}) differs first at byte ${firstDifference(a, b)} of the message; ${field}`;
  }
  return 'all handshake messages sent so far are identical to the RFC\'s';
}

// ---------------------------------------------------------------------------
// The replay driver

export interface ReplayReport {
  /** Our records that matched the RFC's byte for byte, as "<where>". */
  readonly compared: string[];
  /** The peer's records our side accepted. */
  readonly accepted: string[];
  /** Our-side RFC records not compared, with the reason. */
  readonly notCompared: string[];
  /** Every event our side raised. */
  readonly events: ConnectionEvent[];
  /** Key log lines, label → secret (hex). */
  readonly keyLog: Map<string, string>;
  /** The client random named by the key log lines. */
  readonly keyLogRandoms: Set<string>;
}

/** Collects the handshake messages we send and the key log, for the driver's messages. */
export class ReplayObserver {
  readonly sentMessages: Uint8Array[] = [];
  readonly keyLog = new Map<string, string>();
  readonly keyLogRandoms = new Set<string>();

  readonly trace = (entry: TraceEntry): void => {
    if (entry.kind === 'message' && entry.direction === 'sent') this.sentMessages.push(entry.bytes);
  };

  readonly log = (line: string): void => {
    const [label, random, secret] = line.split(' ');
    this.keyLog.set(label!, secret!);
    this.keyLogRandoms.add(random!);
  };
}

type AnyConnection = ClientConnection | ServerConnection;

/**
 * Plays the trace with `ours` as `side`: each record of the RFC's peer is fed
 * to `ours`; at each record of the RFC's `side`, our next record is taken
 * and compared byte for byte (after asking ours to write the RFC's
 * application data, or to close, when that is what the record carries).
 *
 * `stopComparing` names the first of our side's RFC records that is not to
 * be compared, and why; it and every later record of our side are listed in
 * `notCompared` instead (later records' sequence numbers count it), while
 * the peer's records are still fed and checked.
 */
export async function replay(
  trace: Trace,
  side: Actor,
  ours: AnyConnection,
  observer: ReplayObserver,
  options: { stopComparing?: { at: (rec: RfcRecord) => boolean; reason: string } } = {},
): Promise<ReplayReport> {
  const report: ReplayReport = {
    compared: [],
    accepted: [],
    notCompared: [],
    events: [],
    keyLog: observer.keyLog,
    keyLogRandoms: observer.keyLogRandoms,
  };
  const rfcOurMessages = wireMessages(trace)
    .filter((m) => m.sender === side)
    .map((m) => m.bytes);
  const queue: Uint8Array[] = [];
  let skipping: string | undefined;

  const takeEvents = (): ConnectionEvent[] => {
    const events = ours.events();
    report.events.push(...events);
    const error = events.find((e) => e.type === 'error');
    if (error && error.type === 'error') {
      throw new Error(`our ${side} failed: ${error.error.alert}: ${error.error.message}`);
    }
    return events;
  };

  for (const rec of rfcRecords(trace)) {
    if (rec.sender !== side) {
      ours.receive(rec.record);
      await ours.settled();
      const events = takeEvents();
      checkReception(rec, events);
      report.accepted.push(rec.where);
      continue;
    }

    if (options.stopComparing?.at(rec)) skipping ??= options.stopComparing.reason;
    if (skipping) {
      report.notCompared.push(`${rec.where}: ${skipping}`);
      continue;
    }

    if (rec.kind === 'application_data') ours.write(rec.payload);
    if (rec.kind === 'alert') {
      expect(toHex(rec.payload), `${rec.where}: the RFC's alert is a warning close_notify`).toBe(
        toHex(Uint8Array.of(1, AlertDescription.close_notify)),
      );
      ours.close();
    }
    if (queue.length === 0) queue.push(...splitRecords(ours.takeOutgoing()));
    takeEvents();
    const mine = queue.shift();
    if (!mine) {
      throw new Error(`${rec.where}: our ${side} sent nothing where the RFC's sends this ${rec.kind} record`);
    }
    if (!bytesEqual(mine, rec.record)) {
      const at = firstDifference(mine, rec.record);
      throw new Error(
        `${rec.where}: our record differs from the RFC's ` +
          `(ours ${mine.length} bytes, RFC ${rec.record.length}; first difference at byte ${at}, ` +
          `${at < 5 ? 'in the record header' : 'in the fragment'}). ` +
          `Handshake messages so far: ${explainMessageDifference(observer.sentMessages, rfcOurMessages)}`,
      );
    }
    report.compared.push(rec.where);
  }
  queue.push(...splitRecords(ours.takeOutgoing()));
  takeEvents();
  if (queue.length > 0) {
    throw new Error(`our ${side} sent ${queue.length} record(s) more than the RFC's: first ${toHex(queue[0]!.subarray(0, 16))}…`);
  }
  return report;
}

/** What our side must make of a record of the RFC's peer, beyond not failing. */
function checkReception(rec: RfcRecord, events: readonly ConnectionEvent[]): void {
  if (rec.kind === 'application_data') {
    const data = events.filter((e) => e.type === 'data');
    expect(data, `${rec.where}: delivered as one chunk of application data`).toHaveLength(1);
    const d = data[0]!;
    if (d.type !== 'data') return;
    expect(toHex(d.bytes), `${rec.where}: the application data`).toBe(toHex(rec.payload));
    expect(d.early, `${rec.where}: not early data`).toBe(false);
  }
  if (rec.kind === 'alert') {
    expect(toHex(rec.payload), `${rec.where}: the RFC's alert is a warning close_notify`).toBe(
      toHex(Uint8Array.of(1, AlertDescription.close_notify)),
    );
    expect(events.some((e) => e.type === 'end'), `${rec.where}: close_notify ends the peer's direction`).toBe(true);
  }
  if (rec.messageTypes.includes(HandshakeType.new_session_ticket)) {
    expect(events.filter((e) => e.type === 'ticket'), `${rec.where}: a ticket event`).toHaveLength(1);
  }
}
