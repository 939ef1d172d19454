/**
 * What must hold whatever a peer sends (DESIGN.md, "Errors people can act
 * on"; RFC 8446 §5, §6): no exception escapes the connection, every failure
 * is a TLSError carrying an alert the RFC allows for hostile input, a failed
 * connection stays failed and inert, application data comes only from an
 * authenticated peer (0-RTT data flagged `early`), and what the connection
 * holds stays bounded.
 *
 * Plain functions that throw `InvariantViolation`, with no test-framework
 * import, so the property tests and the Jazzer.js fuzz targets share them.
 */
import { ClientConnection, ServerConnection, type ConnectionEvent } from '../../src/connection.js';
import { TLSError } from '../../src/errors.js';
import { DEFAULT_MAX_BUFFERED_BYTES, DEFAULT_MAX_CERTIFICATE_MESSAGE_LENGTH } from '../../src/record/index.js';
import type { AlertName } from '../../src/registry.js';

export class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation';
}

/**
 * Alerts a connection may raise against malformed, reordered, tampered or
 * hostile input. internal_error is deliberately absent: it says "our bug",
 * so a peer must never be able to provoke it.
 */
export const HOSTILE_INPUT_ALERTS: ReadonlySet<AlertName> = new Set<AlertName>([
  'unexpected_message',
  'bad_record_mac',
  'record_overflow',
  'handshake_failure',
  'bad_certificate',
  'unsupported_certificate',
  'certificate_expired',
  'certificate_unknown',
  'illegal_parameter',
  'unknown_ca',
  'decode_error',
  'decrypt_error',
  'protocol_version',
  'insufficient_security',
  'missing_extension',
  'unsupported_extension',
  'unrecognized_name',
  'certificate_required',
  'no_application_protocol',
]);

/** Most bytes a connection may hold unconsumed in its record layer (one record, plus one partial handshake message). */
const MAX_HELD_BYTES = DEFAULT_MAX_BUFFERED_BYTES + DEFAULT_MAX_CERTIFICATE_MESSAGE_LENGTH + 4;

export interface AttackExpectations {
  /** 0-RTT data may be delivered (server of an accepted-early-data scenario). */
  readonly earlyAllowed?: boolean;
  /** The application data the genuine peer sent after the handshake: anything delivered must be a prefix of it. */
  readonly data?: Uint8Array;
  /** The genuine 0-RTT data: anything delivered early must be a prefix of it. */
  readonly early?: Uint8Array;
  /** Most bytes the connection may send in answer (default 64 KiB). */
  readonly maxOutgoing?: number;
}

export interface AttackOutcome {
  readonly error: TLSError | undefined;
  readonly events: ConnectionEvent[];
  readonly completed: boolean;
  readonly data: Uint8Array;
  readonly early: Uint8Array;
  readonly outgoing: number;
}

type Connection = ClientConnection | ServerConnection;

function violation(message: string, cause?: unknown): never {
  throw new InvariantViolation(message, cause === undefined ? undefined : { cause });
}

function guarded<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    violation(`${what} threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`, err);
  }
}

function join(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function isPrefix(prefix: Uint8Array, of: Uint8Array): boolean {
  if (prefix.length > of.length) return false;
  for (let i = 0; i < prefix.length; i++) if (prefix[i] !== of[i]) return false;
  return true;
}

/** Checks one failure: a TLSError, with an alert hostile input may cause when we raised it. */
export function checkFailure(error: unknown): TLSError {
  if (!(error instanceof TLSError)) violation(`the connection failed with a non-TLSError: ${String(error)}`);
  if (error.side === 'local' && !HOSTILE_INPUT_ALERTS.has(error.alert)) {
    violation(`hostile input raised ${error.alert}, which is not an alert for bad peer input: ${error.message}`, error);
  }
  return error;
}

/**
 * Feeds `chunks` to `conn` one receive() at a time (synchronous providers
 * and hooks only), checking every invariant after each, then checks that a
 * failed connection is inert. Throws InvariantViolation on the first breach.
 */
export function attack(conn: Connection, chunks: readonly Uint8Array[], expect: AttackExpectations = {}): AttackOutcome {
  const events: ConnectionEvent[] = [];
  const data: Uint8Array[] = [];
  const early: Uint8Array[] = [];
  let handshakeSeen = false;
  let errorSeen: TLSError | undefined;
  let outgoing = 0;
  const maxOutgoing = expect.maxOutgoing ?? 64 * 1024;
  const isServer = conn instanceof ServerConnection;

  const collect = (): void => {
    for (const e of guarded('events()', () => conn.events())) {
      events.push(e);
      if (errorSeen && e.type !== 'close') violation(`event ${e.type} after the connection failed`);
      switch (e.type) {
        case 'handshake':
          handshakeSeen = true;
          break;
        case 'data':
          if (e.early) {
            if (!isServer || !expect.earlyAllowed) violation('data flagged early where no 0-RTT was accepted');
            if (handshakeSeen) violation('0-RTT data delivered after the handshake completed');
            early.push(e.bytes);
          } else {
            if (!handshakeSeen) violation('application data delivered before the peer was authenticated');
            data.push(e.bytes);
          }
          if (e.bytes.length === 0) violation('an empty data event');
          break;
        case 'error':
          if (errorSeen) violation('a second error event');
          errorSeen = checkFailure(e.error);
          break;
        default:
          break;
      }
    }
    outgoing += guarded('takeOutgoing()', () => conn.takeOutgoing()).length;
    if (outgoing > maxOutgoing) violation(`the connection sent ${outgoing} bytes in answer`);
    const held = conn.record.bufferedBytes + conn.record.pendingHandshakeBytes;
    if (held > MAX_HELD_BYTES) violation(`the record layer holds ${held} bytes`);
  };

  collect();
  for (const chunk of chunks) {
    guarded('receive()', () => conn.receive(chunk));
    collect();
  }

  const error = conn.error;
  if (error !== errorSeen) violation('conn.error and the error event disagree');
  const allData = join(data);
  const allEarly = join(early);
  if (expect.data && !isPrefix(allData, expect.data)) violation('delivered application data the peer never sent');
  if (expect.early && !isPrefix(allEarly, expect.early)) violation('delivered 0-RTT data the peer never sent');
  if (error) checkInert(conn, error);
  return { error, events, completed: handshakeSeen, data: allData, early: allEarly, outgoing };
}

/** After a failure every call is a no-op or throws that same error (RFC 8446 §6.2: no data after a fatal alert). */
export function checkInert(conn: Connection, error: TLSError): void {
  if (!conn.closed) violation('a failed connection does not report closed');
  guarded('receive() after failure', () => conn.receive(Uint8Array.of(23, 3, 3, 0, 1, 0)));
  guarded('close() after failure', () => conn.close());
  const later = guarded('events() after failure', () => conn.events());
  if (later.length > 0) violation(`events after failure: ${later.map((e) => e.type).join(', ')}`);
  if (guarded('takeOutgoing() after failure', () => conn.takeOutgoing()).length > 0) violation('bytes sent after failure');
  for (const [what, call] of [
    ['write()', () => conn.write(Uint8Array.of(1))],
    ['updateKeys()', () => conn.updateKeys()],
  ] as const) {
    try {
      call();
      violation(`${what} after failure did not throw`);
    } catch (err) {
      if (err instanceof InvariantViolation) throw err;
      if (err !== error) violation(`${what} after failure threw something other than the connection's error: ${String(err)}`);
    }
  }
  if (conn.error !== error) violation('the error changed after failure');
}
