/**
 * Handshake message checks: every message the RFC constructs decodes with
 * decodeHandshake and re-encodes to the same bytes with encodeHandshake; the
 * record payloads are exactly the messages constructed before them; and the
 * values that messages carry (key shares, verify_data, binder, ticket) are
 * the ones the trace computed.
 */
import { HandshakeType, NamedGroup } from '../../../src/registry.js';
import { ByteWriter, DecodeError, concat } from '../../../src/util/bytes.js';
import { decodeHandshake, encodeHandshake } from '../../../src/wire/index.js';
import {
  GROUP_OF_ACTION,
  Transcript,
  indexOfBytes,
  isHelloRetryRequest,
  keyShareEntry,
  newSessionTicketParts,
  splitHandshakeMessages,
} from '../model.js';
import type { SectionNumber, StepView, Trace } from '../vectors.js';
import { type Check, type CheckContext, sameBytes, sameValue } from './context.js';

const CONSTRUCT = /^construct an? (\w+) handshake message$/;

/** RFC 8448's message labels → the wire layer's `type` discriminants (registry names). */
const TYPE_OF_LABEL: Readonly<Record<string, keyof typeof HandshakeType>> = {
  ClientHello: 'client_hello',
  ServerHello: 'server_hello',
  NewSessionTicket: 'new_session_ticket',
  EndOfEarlyData: 'end_of_early_data',
  EncryptedExtensions: 'encrypted_extensions',
  Certificate: 'certificate',
  CertificateRequest: 'certificate_request',
  CertificateVerify: 'certificate_verify',
  Finished: 'finished',
};

/** A message whose 4-byte header claims more body than it has: §4's ClientHello without binders. */
function isTruncated(bytes: Uint8Array): boolean {
  const claimed = (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!;
  return bytes.length !== 4 + claimed;
}

function roundTrip(trace: Trace, bytes: Uint8Array, expectedType: string, what: string, hashLength: number): void {
  const decoded = decodeHandshake(bytes, { hashLength });
  sameValue(trace, decoded.type, expectedType, `${what}: decoded type`);
  if (decoded.type === 'server_hello') {
    sameValue(trace, decoded.helloRetryRequest, isHelloRetryRequest(bytes), `${what}: helloRetryRequest flag`);
  }
  sameBytes(trace, encodeHandshake(decoded), bytes, `${what}: encodeHandshake(decodeHandshake(x)) = x`);
}

/** The messages constructed by `record`'s sender since its previous handshake record. */
function constructedFor(trace: Trace, record: StepView): StepView[] {
  const previous = trace
    .find({ actor: record.actor, action: 'send handshake record', before: record.index })
    .at(-1);
  return trace.find({
    actor: record.actor,
    action: CONSTRUCT,
    after: previous?.index ?? -1,
    before: record.index,
  });
}

function messageValue(step: StepView): { label: string; bytes: Uint8Array } {
  const label = CONSTRUCT.exec(step.action)![1]!;
  return { label, bytes: step.bytes(label) };
}

export function messageChecks(ctx: CheckContext, section: SectionNumber): Check[] {
  if (section === 2) return [];
  const trace = ctx.trace(section);
  const checks: Check[] = [];
  const hashLength = 32; // every RFC 8448 trace negotiates TLS_AES_128_GCM_SHA256

  // 1. Each constructed message round-trips through the codec.
  for (const step of trace.find({ action: CONSTRUCT, hasValues: true })) {
    checks.push({
      kind: 'message',
      section,
      name: `${step.describe()}: decode/encode`,
      run: () => {
        const { label, bytes } = messageValue(step);
        const type = TYPE_OF_LABEL[label];
        if (!type) throw new Error(`${step.describe()}: unknown message ${label}`);
        if (isTruncated(bytes)) {
          // §4 prints the ClientHello before its binders are filled in; the
          // whole message is round-tripped from the record payload below.
          sameValue(trace, label, 'ClientHello', `${step.describe()}: only a ClientHello is shown truncated`);
          decodeRejectsTruncated(trace, bytes, step.describe());
          return;
        }
        roundTrip(trace, bytes, type, step.describe(), hashLength);
      },
    });
  }

  // 2. Each handshake record carries exactly the messages constructed before it,
  //    and every message on the wire round-trips (including §4's full ClientHello).
  for (const record of trace.find({ action: 'send handshake record', hasValues: true })) {
    checks.push({
      kind: 'message',
      section,
      name: `${record.describe()}: payload = constructed messages`,
      run: () => {
        const payload = record.bytes('payload');
        const parts = constructedFor(trace, record).map((s) => messageValue(s).bytes);
        let expected = concat(...parts);
        const last = parts.at(-1);
        if (last && isTruncated(last)) {
          // Append the PSK binders list computed by the binder step (RFC 8446 §4.2.11.2).
          const binder = trace.one({ actor: record.actor, action: 'calculate PSK binder', hasValues: true }).bytes('finished');
          expected = concat(expected, new ByteWriter().nested(2, (w) => w.vec8(binder)).finish());
        }
        sameBytes(trace, expected, payload, `${record.describe()}: payload`);
        for (const message of splitHandshakeMessages(payload)) {
          const type = Object.entries(HandshakeType).find(([, code]) => code === message[0])?.[0];
          if (!type) throw new Error(`${record.describe()}: unknown handshake type ${message[0]}`);
          roundTrip(trace, message, type, `${record.describe()}: ${type}`, hashLength);
        }
      },
    });
  }

  // 3. Finished carries the verify_data the same side calculated just before.
  for (const step of trace.find({ action: 'construct a Finished handshake message' })) {
    checks.push({
      kind: 'message',
      section,
      name: `${step.describe()}: verify_data`,
      run: () => {
        const calc = trace
          .find({ actor: step.actor, action: 'calculate finished "tls13 finished"', hasValues: true, before: step.index })
          .at(-1)!;
        const verifyData = calc.bytes('finished');
        const expected = concat(Uint8Array.of(HandshakeType.finished, 0, 0, verifyData.length), verifyData);
        sameBytes(trace, expected, step.bytes('Finished'), `${step.describe()}: Finished = header || verify_data`);
      },
    });
  }

  // 4. Hellos carry the key share of the key pair their sender created last.
  for (const step of trace.find({ action: /^construct a (Client|Server)Hello handshake message$/ })) {
    checks.push({
      kind: 'message',
      section,
      name: `${step.describe()}: key_share`,
      run: () => {
        const label = step.actor === 'client' ? 'ClientHello' : 'ServerHello';
        const message = step.bytes(label);
        if (label === 'ServerHello' && isHelloRetryRequest(message)) {
          // An HRR names a group instead of sending a share (§4.2.8): here P-256.
          const selected = new ByteWriter().u16(0x0033).u16(2).u16(NamedGroup.secp256r1).finish();
          sameValue(trace, indexOfBytes(message, selected) > 0, true, `${step.describe()}: HRR selects secp256r1`);
          return;
        }
        const pair = trace
          .find({ actor: step.actor, hasValues: true, before: step.index })
          .filter((s) => GROUP_OF_ACTION[s.action] !== undefined)
          .at(-1)!;
        const entry = keyShareEntry(GROUP_OF_ACTION[pair.action]!, pair.bytes('public key'));
        sameValue(trace, indexOfBytes(message, entry) > 0, true, `${step.describe()}: contains ${pair.describe()} share`);
      },
    });
  }

  // 5. §4 offers the ticket §3's server issued.
  if (section === 4) {
    checks.push({
      kind: 'message',
      section,
      name: '§4 ClientHello offers the §3 ticket as its PSK identity',
      run: () => {
        const nst = new Transcript(ctx.trace(3)).sent('server', HandshakeType.new_session_ticket)[0]!;
        const { ticket } = newSessionTicketParts(nst.bytes);
        const hello = trace.one({ action: 'construct a ClientHello handshake message' }).bytes('ClientHello');
        const identity = new ByteWriter().vec16(ticket).finish();
        sameValue(trace, indexOfBytes(hello, identity) > 0, true, 'PskIdentity.identity = §3 ticket');
      },
    });
  }
  return checks;
}

function decodeRejectsTruncated(trace: Trace, bytes: Uint8Array, what: string): void {
  let error: unknown;
  try {
    decodeHandshake(bytes);
  } catch (e) {
    error = e;
  }
  sameValue(trace, error instanceof DecodeError, true, `${what}: a message shorter than its header says is a DecodeError`);
}
