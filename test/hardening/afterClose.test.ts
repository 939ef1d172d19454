/**
 * Nothing goes out after our fatal alert (RFC 8446 §6.2: "Upon transmission
 * or receipt of a fatal alert message, both parties MUST immediately close
 * the connection") or after our close_notify (§6.1: it "notifies the
 * recipient that the sender will not send any more messages on this
 * connection").
 *
 * The tests marked "(bug)" failed when written: ServerConnection.sendTickets
 * and updateKeys() do not check that the write side is still open, and a
 * peer's KeyUpdate(update_requested) is answered even after our
 * close_notify. See the hardening report for the suggested fix.
 */
import { describe, expect, it } from 'vitest';
import { TLSError } from '../../src/errors.js';
import { clientForger, connected } from './helpers.js';

/** A record the server cannot authenticate: bad_record_mac. */
const GARBAGE = Uint8Array.of(23, 3, 3, 0, 20, ...new Array<number>(20).fill(0));

function failedServer(): ReturnType<typeof connected> {
  const pair = connected('full');
  pair.server.receive(GARBAGE);
  expect(pair.server.error?.alert).toBe('bad_record_mac');
  pair.server.takeOutgoing(); // the alert
  return pair;
}

function closedServer(): ReturnType<typeof connected> {
  const pair = connected('full');
  pair.server.close();
  expect(pair.server.takeOutgoing().length).toBeGreaterThan(0); // close_notify
  return pair;
}

/** Runs `f`; whether it throws or not, nothing may have been queued to send. */
function sendsNothing(pair: ReturnType<typeof connected>, f: () => void): unknown {
  let thrown: unknown;
  try {
    f();
  } catch (err) {
    thrown = err;
  }
  expect(pair.server.takeOutgoing().length).toBe(0);
  return thrown;
}

describe('after a fatal error', () => {
  it('write(), updateKeys() rethrow the error and send nothing', () => {
    const pair = failedServer();
    expect(sendsNothing(pair, () => pair.server.write(Uint8Array.of(1)))).toBe(pair.server.error);
    expect(sendsNothing(pair, () => pair.server.updateKeys())).toBe(pair.server.error);
    expect(sendsNothing(pair, () => pair.server.close())).toBeUndefined();
  });

  it('sendTickets() rethrows the error and sends nothing (bug)', () => {
    const pair = failedServer();
    expect(sendsNothing(pair, () => pair.server.sendTickets(1))).toBe(pair.server.error);
  });
});

describe('after our close_notify', () => {
  it('write() throws and sends nothing', () => {
    const pair = closedServer();
    expect(sendsNothing(pair, () => pair.server.write(Uint8Array.of(1)))).toBeInstanceOf(TLSError);
  });

  it('updateKeys() sends nothing (bug)', () => {
    const pair = closedServer();
    sendsNothing(pair, () => pair.server.updateKeys());
  });

  it('sendTickets() sends nothing (bug)', () => {
    const pair = closedServer();
    sendsNothing(pair, () => pair.server.sendTickets(1));
  });

  it("the peer's KeyUpdate(update_requested) is read but not answered (bug)", () => {
    const pair = closedServer();
    const forge = clientForger(pair);
    pair.server.receive(forge.keyUpdate(true));
    expect(pair.server.error).toBeUndefined();
    expect(pair.server.takeOutgoing().length).toBe(0);
    // Our read side still follows the peer's new keys.
    pair.server.receive(forge.seal(23, Uint8Array.of(5)));
    expect(pair.server.events().some((e) => e.type === 'data')).toBe(true);
  });
});
