/**
 * Key schedule checks (RFC 8446 §7.1–§7.3, §4.4.4, §4.2.11.2, §4.6.1).
 *
 * Each HKDF step of a trace is checked twice:
 *
 * - "HKDF": from the inputs the RFC lists for that step alone. The `info`
 *   must equal the HkdfLabel we build from the label and context; the output
 *   must equal both raw HKDF-Expand over that info and the library's
 *   expandLabel / deriveSecret / trafficKeys / finishedKey / verifyData.
 *   A failure here points at one primitive.
 * - "chain": from the section's roots only (the ECDHE shared secret, the PSK
 *   resumed from §3, and transcript hashes of the RFC's own messages) through
 *   the KeySchedule's named steps. The step's PRK, salt, IKM and hash must be
 *   what the schedule feeds in, and its output what the schedule produces.
 *   A failure here, with "HKDF" passing, points at the wiring between steps.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { KeySchedule } from '../../../src/crypto/keySchedule.js';
import type { Hash } from '../../../src/crypto/provider.js';
import { cipherSuiteInfo, type CipherSuiteInfo } from '../../../src/crypto/suites.js';
import { HandshakeType } from '../../../src/registry.js';
import { concat } from '../../../src/util/bytes.js';
import {
  GROUP_OF_ACTION,
  Transcript,
  hkdfLabel,
  isHelloRetryRequest,
  newSessionTicketParts,
  serverHelloCipherSuite,
} from '../model.js';
import type { Actor, SectionNumber, StepView, Trace } from '../vectors.js';
import { type Check, type CheckContext, sameBytes, sameValue, zeros } from './context.js';

const EXTRACT = /^extract secret "(early|handshake|master)"$/;
const DERIVE = /^derive secret (?:for (handshake|master) )?"tls13 ([^"]+)"$/;
const TRAFFIC_KEYS = /^derive (read|write) traffic keys for (.+) data$/;
const FINISHED = 'calculate finished "tls13 finished"';
const BINDER = 'calculate PSK binder';
const RESUMPTION = 'generate resumption secret "tls13 resumption"';
const ZERO_SALT = '0 (all zero octets)';

/** Everything the chain checks expect, computed from the section's roots. */
export interface ScheduleModel {
  readonly ks: KeySchedule;
  readonly hash: Hash;
  readonly suite: CipherSuiteInfo;
  readonly transcript: Transcript;
  readonly psk: Uint8Array | undefined;
  readonly shared: Uint8Array;
  readonly early: Uint8Array;
  readonly binderKey: Uint8Array | undefined;
  readonly clientEarlyTraffic: Uint8Array | undefined;
  readonly earlyExporter: Uint8Array | undefined;
  readonly derivedForHandshake: Uint8Array;
  readonly handshake: Uint8Array;
  readonly clientHandshakeTraffic: Uint8Array;
  readonly serverHandshakeTraffic: Uint8Array;
  readonly derivedForMaster: Uint8Array;
  readonly master: Uint8Array;
  readonly clientApplicationTraffic: Uint8Array;
  readonly serverApplicationTraffic: Uint8Array;
  readonly exporter: Uint8Array;
  readonly resumptionMaster: Uint8Array;
  /** The PSK this connection's (first) ticket yields, when the server sent one. */
  readonly ticketPsk: Uint8Array | undefined;
  readonly ticketNonce: Uint8Array | undefined;
  readonly ticket: Uint8Array | undefined;
}

export function cipherSuiteOf(transcript: Transcript): CipherSuiteInfo {
  const sh = transcript.messages.find((m) => m.type === HandshakeType.server_hello && !isHelloRetryRequest(m.bytes));
  if (!sh) throw new Error(`§${transcript.trace.section}: no ServerHello`);
  const code = serverHelloCipherSuite(sh.bytes);
  const suite = cipherSuiteInfo(code);
  if (!suite) throw new Error(`unknown cipher suite 0x${code.toString(16)}`);
  return suite;
}

/** The (EC)DHE shared secret, from the last key pair each side created. */
export async function sharedSecret(ctx: CheckContext, trace: Trace): Promise<Uint8Array> {
  const pairs = trace.steps.filter((s) => GROUP_OF_ACTION[s.action] !== undefined && s.data.values.length > 0);
  const client = pairs.filter((s) => s.actor === 'client').at(-1);
  const server = pairs.filter((s) => s.actor === 'server').at(-1);
  if (!client || !server) throw new Error(`§${trace.section}: missing a key pair`);
  const group = GROUP_OF_ACTION[client.action]!;
  const kx = ctx.provider.keyExchange(group);
  if (!kx) throw new Error(`provider lacks group 0x${group.toString(16)}`);
  return kx.decapsulate(client.peek('private key'), server.peek('public key'));
}

export function scheduleModel(ctx: CheckContext, section: SectionNumber): Promise<ScheduleModel> {
  return ctx.once(`schedule:${section}`, () => buildScheduleModel(ctx, section));
}

async function buildScheduleModel(ctx: CheckContext, section: SectionNumber): Promise<ScheduleModel> {
  const trace = ctx.trace(section);
  const transcript = new Transcript(trace);
  const suite = cipherSuiteOf(transcript);
  const hash = ctx.provider.hash(suite.hash);
  const ks = new KeySchedule(ctx.provider, hash);

  // §4 resumes the session of §3 with the ticket §3's server sent.
  const usesPsk = trace.find({ action: BINDER, hasValues: true }).length > 0;
  let psk: Uint8Array | undefined;
  if (usesPsk) {
    if (section !== 4) throw new Error(`§${section}: unexpected PSK`);
    psk = (await scheduleModel(ctx, 3)).ticketPsk;
    if (!psk) throw new Error('§3 has no ticket to resume');
  }

  const shared = await sharedSecret(ctx, trace);
  const early = ks.earlySecret(psk);
  const clientHello = transcript.clientHello();
  const serverHello = transcript.serverHello();
  const derivedForHandshake = ks.deriveSecret(early, 'derived', ks.emptyHash());
  const handshake = ks.handshakeSecret(early, shared);
  const derivedForMaster = ks.deriveSecret(handshake, 'derived', ks.emptyHash());
  const master = ks.masterSecret(handshake);
  const serverFinished = transcript.throughFinished('server');
  const clientFinished = transcript.throughFinished('client');
  const resumptionMaster = ks.resumptionMasterSecret(master, clientFinished);

  const nst = transcript.sent('server', HandshakeType.new_session_ticket)[0];
  const ticketParts = nst ? newSessionTicketParts(nst.bytes) : undefined;

  return {
    ks,
    hash,
    suite,
    transcript,
    psk,
    shared,
    early,
    binderKey: psk ? ks.binderKey(early, 'res') : undefined,
    clientEarlyTraffic: psk ? ks.clientEarlyTrafficSecret(early, clientHello) : undefined,
    earlyExporter: psk ? ks.earlyExporterMasterSecret(early, clientHello) : undefined,
    derivedForHandshake,
    handshake,
    clientHandshakeTraffic: ks.clientHandshakeTrafficSecret(handshake, serverHello),
    serverHandshakeTraffic: ks.serverHandshakeTrafficSecret(handshake, serverHello),
    derivedForMaster,
    master,
    clientApplicationTraffic: ks.clientApplicationTrafficSecret(master, serverFinished),
    serverApplicationTraffic: ks.serverApplicationTrafficSecret(master, serverFinished),
    exporter: ks.exporterMasterSecret(master, serverFinished),
    resumptionMaster,
    ticketPsk: ticketParts ? ks.resumptionPsk(resumptionMaster, ticketParts.nonce) : undefined,
    ticketNonce: ticketParts?.nonce,
    ticket: ticketParts?.ticket,
  };
}

function present<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the trace has no ${what}`);
  return value;
}

// ---------------------------------------------------------------------------
// "HKDF" checks: one step, the RFC's inputs only.

/** PRK + hash + info → expanded, for every HKDF-Expand-Label step. */
function checkExpandLabel(ctx: CheckContext, m: ScheduleModel, step: StepView, label: string): Uint8Array {
  const t = step.trace;
  const prk = step.bytes('PRK');
  const context = step.bytes('hash');
  const info = step.bytes('info');
  const expanded = step.bytes('expanded');
  const what = step.describe();
  sameBytes(t, hkdfLabel(expanded.length, label, context), info, `${what}: info is HkdfLabel("tls13 ${label}", hash)`);
  // HKDF-Expand over the RFC's own info, independently of any label encoding.
  sameBytes(t, ctx.provider.hkdfExpand(m.hash, prk, info, expanded.length), expanded, `${what}: HKDF-Expand(PRK, info)`);
  sameBytes(t, m.ks.expandLabel(prk, label, context, expanded.length), expanded, `${what}: expandLabel`);
  return expanded;
}

async function hkdfCheck(ctx: CheckContext, section: SectionNumber, step: StepView): Promise<void> {
  const m = await scheduleModel(ctx, section);
  const t = step.trace;
  const what = step.describe();

  const extract = EXTRACT.exec(step.action);
  if (extract) {
    const salt = isTextValue(step, 'salt') ? saltFromText(step, m.hash.outputLength) : step.bytes('salt');
    const ikm = step.bytes('IKM');
    const secret = step.bytes('secret');
    sameBytes(t, ctx.provider.hkdfExtract(m.hash, salt, ikm), secret, `${what}: HKDF-Extract(salt, IKM)`);
    return;
  }

  const derive = DERIVE.exec(step.action);
  if (derive) {
    const label = derive[2]!;
    const expanded = checkExpandLabel(ctx, m, step, label);
    sameBytes(t, m.ks.deriveSecret(step.bytes('PRK'), label, step.bytes('hash')), expanded, `${what}: deriveSecret`);
    return;
  }

  if (TRAFFIC_KEYS.test(step.action)) {
    const prk = step.bytes('PRK');
    const keyInfo = step.bytes('key info');
    const ivInfo = step.bytes('iv info');
    const key = step.bytes('key expanded');
    const iv = step.bytes('iv expanded');
    sameValue(t, key.length, m.suite.keyLength, `${what}: key length of ${m.suite.name}`);
    sameValue(t, iv.length, m.suite.ivLength, `${what}: iv length`);
    sameBytes(t, hkdfLabel(key.length, 'key', zeros(0)), keyInfo, `${what}: key info is HkdfLabel("tls13 key", "")`);
    sameBytes(t, hkdfLabel(iv.length, 'iv', zeros(0)), ivInfo, `${what}: iv info is HkdfLabel("tls13 iv", "")`);
    sameBytes(t, ctx.provider.hkdfExpand(m.hash, prk, keyInfo, key.length), key, `${what}: HKDF-Expand(PRK, key info)`);
    sameBytes(t, ctx.provider.hkdfExpand(m.hash, prk, ivInfo, iv.length), iv, `${what}: HKDF-Expand(PRK, iv info)`);
    const derived = m.ks.trafficKeys(prk, key.length, iv.length);
    sameBytes(t, derived.key, key, `${what}: trafficKeys().key`);
    sameBytes(t, derived.iv, iv, `${what}: trafficKeys().iv`);
    return;
  }

  if (step.action === FINISHED) {
    const actor = step.actor!;
    const finishedKey = checkExpandLabel(ctx, m, step, 'finished');
    const prk = step.bytes('PRK');
    const verifyData = step.bytes('finished');
    const th = m.transcript.beforeFinished(actor);
    sameBytes(t, m.ks.finishedKey(prk), finishedKey, `${what}: finishedKey`);
    sameBytes(t, ctx.provider.hmac(m.hash, finishedKey, th), verifyData, `${what}: HMAC(finished_key, transcript)`);
    sameBytes(t, m.ks.verifyData(prk, th), verifyData, `${what}: verifyData`);
    return;
  }

  if (step.action === BINDER) {
    const binderKey = step.bytes('PRK');
    const finishedKey = checkExpandLabel(ctx, m, step, 'finished');
    const prefix = step.bytes('ClientHello prefix');
    const binderHash = step.bytes('binder hash');
    const binder = step.bytes('finished');
    sameBytes(t, sha256(prefix), binderHash, `${what}: binder hash = Hash(truncated ClientHello)`);
    sameBytes(t, m.ks.finishedKey(binderKey), finishedKey, `${what}: finishedKey(binder key)`);
    sameBytes(t, ctx.provider.hmac(m.hash, finishedKey, binderHash), binder, `${what}: HMAC(finished_key, binder hash)`);
    sameBytes(t, m.ks.binder(binderKey, binderHash), binder, `${what}: binder`);
    return;
  }

  if (step.action === RESUMPTION) {
    const psk = checkExpandLabel(ctx, m, step, 'resumption');
    sameBytes(t, m.ks.resumptionPsk(step.bytes('PRK'), step.bytes('hash')), psk, `${what}: resumptionPsk`);
    return;
  }

  throw new Error(`${what}: not a key schedule step`);
}

function isTextValue(step: StepView, label: string): boolean {
  return step.data.values.some((v) => v.label === label && v.hex === null);
}

function saltFromText(step: StepView, hashLength: number): Uint8Array {
  // "salt: 0" is RFC 8446 §7.1's "0": a string of Hash.length zero bytes.
  sameValue(step.trace, step.text('salt'), ZERO_SALT, `${step.describe()}: salt`);
  return zeros(hashLength);
}

// ---------------------------------------------------------------------------
// "chain" checks: the step's inputs and output as the schedule computes them.

function secretForKeys(m: ScheduleModel, writer: Actor, epoch: string): Uint8Array {
  switch (epoch) {
    case 'handshake':
      return writer === 'client' ? m.clientHandshakeTraffic : m.serverHandshakeTraffic;
    case 'application':
      return writer === 'client' ? m.clientApplicationTraffic : m.serverApplicationTraffic;
    case 'early application':
      if (writer !== 'client') throw new Error('only the client writes early data');
      return present(m.clientEarlyTraffic, 'client early traffic secret');
    default:
      throw new Error(`unknown key epoch "${epoch}"`);
  }
}

async function chainCheck(ctx: CheckContext, section: SectionNumber, step: StepView): Promise<void> {
  const m = await scheduleModel(ctx, section);
  const t = step.trace;
  const what = step.describe();
  const { ks, transcript: th } = m;
  const hashLength = m.hash.outputLength;

  const extract = EXTRACT.exec(step.action);
  if (extract) {
    switch (extract[1]) {
      case 'early':
        saltFromText(step, hashLength);
        sameBytes(t, m.psk ?? zeros(hashLength), step.bytes('IKM'), `${what}: IKM = PSK (or zeros)`);
        sameBytes(t, m.early, step.bytes('secret'), `${what}: earlySecret`);
        return;
      case 'handshake':
        sameBytes(t, m.derivedForHandshake, step.bytes('salt'), `${what}: salt = Derive-Secret(early, "derived", "")`);
        sameBytes(t, m.shared, step.bytes('IKM'), `${what}: IKM = (EC)DHE shared secret`);
        sameBytes(t, m.handshake, step.bytes('secret'), `${what}: handshakeSecret`);
        return;
      case 'master':
        sameBytes(t, m.derivedForMaster, step.bytes('salt'), `${what}: salt = Derive-Secret(handshake, "derived", "")`);
        sameBytes(t, zeros(hashLength), step.bytes('IKM'), `${what}: IKM = zeros`);
        sameBytes(t, m.master, step.bytes('secret'), `${what}: masterSecret`);
        return;
    }
  }

  const derive = DERIVE.exec(step.action);
  if (derive) {
    const label = derive[2]!;
    const table: Record<string, () => [Uint8Array, Uint8Array, Uint8Array]> = {
      derived: () =>
        derive[1] === 'handshake'
          ? [m.early, ks.emptyHash(), m.derivedForHandshake]
          : [m.handshake, ks.emptyHash(), m.derivedForMaster],
      'c e traffic': () => [m.early, th.clientHello(), present(m.clientEarlyTraffic, 'early traffic')],
      'e exp master': () => [m.early, th.clientHello(), present(m.earlyExporter, 'early exporter')],
      'c hs traffic': () => [m.handshake, th.serverHello(), m.clientHandshakeTraffic],
      's hs traffic': () => [m.handshake, th.serverHello(), m.serverHandshakeTraffic],
      'c ap traffic': () => [m.master, th.throughFinished('server'), m.clientApplicationTraffic],
      's ap traffic': () => [m.master, th.throughFinished('server'), m.serverApplicationTraffic],
      'exp master': () => [m.master, th.throughFinished('server'), m.exporter],
      'res master': () => [m.master, th.throughFinished('client'), m.resumptionMaster],
    };
    const expect = table[label];
    if (!expect) throw new Error(`${what}: unknown Derive-Secret label "${label}"`);
    const [prk, hash, out] = expect();
    sameBytes(t, prk, step.bytes('PRK'), `${what}: PRK`);
    sameBytes(t, hash, step.bytes('hash'), `${what}: hash = Transcript-Hash of the RFC's messages`);
    sameBytes(t, out, step.bytes('expanded'), `${what}: KeySchedule output`);
    return;
  }

  const keys = TRAFFIC_KEYS.exec(step.action);
  if (keys) {
    const writer = keys[1] === 'write' ? step.actor! : step.peer;
    const secret = secretForKeys(m, writer, keys[2]!);
    const derived = ks.trafficKeys(secret, m.suite.keyLength, m.suite.ivLength);
    sameBytes(t, secret, step.bytes('PRK'), `${what}: PRK = ${writer} ${keys[2]} traffic secret`);
    sameBytes(t, derived.key, step.bytes('key expanded'), `${what}: key`);
    sameBytes(t, derived.iv, step.bytes('iv expanded'), `${what}: iv`);
    return;
  }

  if (step.action === FINISHED) {
    const actor = step.actor!;
    const base = actor === 'client' ? m.clientHandshakeTraffic : m.serverHandshakeTraffic;
    sameBytes(t, base, step.bytes('PRK'), `${what}: PRK = ${actor} handshake traffic secret`);
    sameBytes(t, zeros(0), step.bytes('hash'), `${what}: finished key context is empty`);
    sameBytes(t, ks.finishedKey(base), step.bytes('expanded'), `${what}: finished_key`);
    sameBytes(t, ks.verifyData(base, th.beforeFinished(actor)), step.bytes('finished'), `${what}: verify_data`);
    return;
  }

  if (step.action === BINDER) {
    const binderKey = present(m.binderKey, 'binder key');
    const fullHello = th.sent('client', HandshakeType.client_hello)[0]!;
    // The binders list is the ClientHello's tail: u16 length, u8 length, one 32-byte binder.
    const bindersLength = 2 + 1 + hashLength;
    const prefix = fullHello.bytes.subarray(0, fullHello.bytes.length - bindersLength);
    const binder = ks.binder(binderKey, sha256(prefix));
    sameBytes(t, binderKey, step.bytes('PRK'), `${what}: PRK = binder key ("res binder")`);
    sameBytes(t, zeros(0), step.bytes('hash'), `${what}: finished key context is empty`);
    sameBytes(t, ks.finishedKey(binderKey), step.bytes('expanded'), `${what}: binder finished_key`);
    sameBytes(t, prefix, step.bytes('ClientHello prefix'), `${what}: ClientHello without binders`);
    sameBytes(t, sha256(prefix), step.bytes('binder hash'), `${what}: Transcript-Hash(truncated ClientHello)`);
    sameBytes(t, binder, step.bytes('finished'), `${what}: binder`);
    sameBytes(
      t,
      fullHello.bytes.subarray(prefix.length),
      concat(Uint8Array.of(0, 1 + hashLength, hashLength), binder),
      `${what}: the ClientHello carries this binder`,
    );
    return;
  }

  if (step.action === RESUMPTION) {
    sameBytes(t, m.resumptionMaster, step.bytes('PRK'), `${what}: PRK = resumption_master_secret`);
    sameBytes(t, present(m.ticketNonce, 'ticket'), step.bytes('hash'), `${what}: context = NewSessionTicket.ticket_nonce`);
    sameBytes(t, present(m.ticketPsk, 'ticket'), step.bytes('expanded'), `${what}: resumption PSK`);
    return;
  }

  throw new Error(`${what}: not a key schedule step`);
}

export function isKeyScheduleStep(step: StepView): boolean {
  return (
    EXTRACT.test(step.action) ||
    DERIVE.test(step.action) ||
    TRAFFIC_KEYS.test(step.action) ||
    step.action === FINISHED ||
    step.action === BINDER ||
    step.action === RESUMPTION
  );
}

export function keyScheduleChecks(ctx: CheckContext, section: SectionNumber): Check[] {
  if (section === 2) return [];
  const trace = ctx.trace(section);
  const checks: Check[] = [];
  for (const step of trace.find({ hasValues: true })) {
    if (!isKeyScheduleStep(step)) continue;
    checks.push(
      { kind: 'key-schedule', section, name: `${step.describe()}: HKDF`, run: () => hkdfCheck(ctx, section, step) },
      { kind: 'key-schedule', section, name: `${step.describe()}: chain`, run: () => chainCheck(ctx, section, step) },
    );
  }
  if (section === 3) {
    // The ticket PSK of §3 is the IKM of §4's early secret (RFC 8446 §4.6.1).
    checks.push({
      kind: 'key-schedule',
      section,
      name: '§3 resumption PSK is §4 early secret input',
      run: async () => {
        const m3 = await scheduleModel(ctx, 3);
        const early4 = ctx.trace(4).one({ action: 'extract secret "early"', hasValues: true });
        sameBytes(trace, present(m3.ticketPsk, 'ticket'), early4.peek('IKM'), '§3 ticket PSK = §4 early IKM');
      },
    });
  }
  return checks;
}
