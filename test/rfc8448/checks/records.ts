/**
 * Record checks (RFC 8446 §5): every plaintext record re-framed with
 * encodePlaintextRecord, every protected record sealed from its payload with
 * RecordSealer at the right sequence number and opened back with
 * RecordOpener.
 */
import { TLSError } from '../../../src/errors.js';
import { ContentType, HandshakeType } from '../../../src/registry.js';
import { RecordOpener, RecordSealer, encodePlaintextRecord } from '../../../src/record/index.js';
import { Transcript, planRecords, type RecordPlan } from '../model.js';
import type { SectionNumber, Trace } from '../vectors.js';
import { type Check, type CheckContext, sameBytes, sameValue } from './context.js';
import { cipherSuiteOf } from './keySchedule.js';

function plaintextCheck(trace: Trace, plan: RecordPlan): void {
  const what = plan.step.describe();
  const payload = plan.step.bytes('payload');
  const record = plan.step.bytes('complete record');
  // §5.1: legacy_record_version is 0x0303, except that an initial ClientHello
  // may say 0x0301 (as all the RFC 8448 initial ClientHellos do).
  const initialClientHello =
    plan.contentType === ContentType.handshake &&
    payload[0] === HandshakeType.client_hello &&
    trace.find({ action: 'send handshake record', actor: 'client', before: plan.step.index }).length === 0;
  const version = initialClientHello ? 0x0301 : 0x0303;
  sameBytes(trace, encodePlaintextRecord(plan.contentType, payload, version), record, `${what}: encodePlaintextRecord`);
}

function protectedCheck(ctx: CheckContext, trace: Trace, plan: RecordPlan): void {
  const what = `${plan.step.describe()} [${plan.sender} ${plan.epoch} keys, seq ${plan.sequence}]`;
  const payload = plan.step.bytes('payload');
  const record = plan.step.bytes('complete record');
  const keys = { key: plan.keySource!.peek('key expanded'), iv: plan.keySource!.peek('iv expanded') };
  const aead = cipherSuiteOf(new Transcript(trace)).aead;

  const sealer = new RecordSealer(ctx.provider, aead, keys);
  sealer.sequence = plan.sequence;
  // RFC 8448's records carry no padding.
  sameBytes(trace, sealer.seal(plan.contentType, payload, 0), record, `${what}: RecordSealer.seal`);
  sameValue(trace, sealer.sequence, plan.sequence + 1n, `${what}: sealer sequence advances`);

  const opener = new RecordOpener(ctx.provider, aead, keys);
  opener.sequence = plan.sequence;
  const opened = opener.open(record);
  sameValue(trace, opened.type, plan.contentType, `${what}: inner content type`);
  sameBytes(trace, opened.content, payload, `${what}: RecordOpener.open content`);
  sameValue(trace, opener.sequence, plan.sequence + 1n, `${what}: opener sequence advances`);

  // The nonce depends on the sequence number (§5.3): one off must not open.
  const wrong = new RecordOpener(ctx.provider, aead, keys);
  wrong.sequence = plan.sequence + 1n;
  let error: unknown;
  try {
    wrong.open(record);
  } catch (e) {
    error = e;
  }
  sameValue(trace, error instanceof TLSError && error.alert === 'bad_record_mac', true, `${what}: wrong sequence → bad_record_mac`);
}

export function recordChecks(ctx: CheckContext, section: SectionNumber): Check[] {
  if (section === 2) return [];
  const trace = ctx.trace(section);
  return planRecords(trace).map((plan) => ({
    kind: 'record' as const,
    section,
    name: plan.protected
      ? `${plan.step.describe()}: seal/open (${plan.sender} ${plan.epoch} keys, seq ${plan.sequence})`
      : `${plan.step.describe()}: plaintext framing`,
    run: () => (plan.protected ? protectedCheck(ctx, trace, plan) : plaintextCheck(trace, plan)),
  }));
}
