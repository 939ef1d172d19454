/**
 * receive() processes the caller's bytes in place and keeps a copy only of
 * what is still queued when it returns: a caller that reuses (here, scribbles
 * over) its buffer right after receive() must not corrupt the connection,
 * even when a step is waiting on an asynchronous provider mid-flight.
 */
import { describe, expect, it } from 'vitest';
import { ClientConnection, ServerConnection } from '../../src/connection.js';
import { NamedGroup } from '../../src/registry.js';
import { ROOT, asyncCrypto, certified, newPair, now, payload, sendHalfRttData } from './pair.js';

type Conn = ClientConnection | ServerConnection;

/** Hands `bytes` over through one reused buffer, scribbled on as soon as receive() returns. */
function handOver(to: Conn, bytes: Uint8Array, scratch: Uint8Array): void {
  const view = scratch.subarray(0, bytes.length);
  view.set(bytes);
  to.receive(view);
  scratch.fill(0xa5);
}

async function pump(client: ClientConnection, server: ServerConnection, scratch: Uint8Array): Promise<void> {
  for (let round = 0; round < 32; round++) {
    await client.settled();
    const toServer = client.takeOutgoing();
    if (toServer.length > 0) handOver(server, toServer, scratch);
    await server.settled();
    const toClient = server.takeOutgoing();
    if (toClient.length > 0) handOver(client, toClient, scratch);
    if (toServer.length === 0 && toClient.length === 0) return;
  }
  throw new Error('still talking after 32 rounds');
}

describe('receive() and the caller\'s buffer', () => {
  it.each([
    ['synchronous', undefined],
    ['asynchronous', asyncCrypto()],
  ] as const)('a reused input buffer does not disturb a handshake (%s provider) or the data after it', async (_, crypto) => {
    const extra = crypto ? { crypto } : {};
    const pair = newPair(
      { ca: ROOT, now, groups: [NamedGroup.x25519], sessionCache: false, ...extra },
      { certificates: [certified('leaf-p256')], now, ...extra },
      'p256.test',
    );
    // 0.5-RTT data behind the server's flight makes the client's input larger
    // than one record feed: with an asynchronous provider, most of it is still
    // queued in the connection while ServerHello's key exchange is pending.
    const halfRtt = payload(40_000, 3);
    sendHalfRttData(pair.server, halfRtt);
    const client = pair.client.conn;
    const server = pair.server.conn;
    const scratch = new Uint8Array(128 * 1024);
    await pump(client, server, scratch);
    expect(client.state.handshakeComplete).toBe(true);
    expect(server.state.handshakeComplete).toBe(true);
    expect(received(client)).toEqual(halfRtt);

    const data = payload(40_000, 7);
    client.write(data);
    await pump(client, server, scratch);
    expect(received(server)).toEqual(data);
  });

  it('records split anywhere across reads survive the caller scribbling over each read', async () => {
    // Whole records are read in place from the caller's bytes; a record cut
    // by the end of a read must be copied before receive() returns.
    const pair = newPair(
      { ca: ROOT, now, groups: [NamedGroup.x25519], sessionCache: false },
      { certificates: [certified('leaf-p256')], now },
      'p256.test',
    );
    const client = pair.client.conn;
    const server = pair.server.conn;
    const scratch = new Uint8Array(128 * 1024);
    await pump(client, server, scratch);
    for (const cuts of [[1], [5, 6], [16_000, 16_500, 16_410 + 22], [3, 20_000, 33_000, 33_001], [7_777, 15_555, 23_333, 31_111]]) {
      const data = payload(40_000, cuts.length);
      client.write(data);
      const wire = client.takeOutgoing();
      let from = 0;
      for (const at of [...cuts, wire.length]) {
        if (at > from && at <= wire.length) handOver(server, wire.subarray(from, at), scratch);
        from = Math.max(from, Math.min(at, wire.length));
      }
      expect(received(server)).toEqual(data);
    }
  });
});

function received(conn: Conn): Uint8Array {
  const got = conn.events().flatMap((e) => (e.type === 'data' ? [e.bytes] : []));
  const joined = new Uint8Array(got.reduce((n, d) => n + d.length, 0));
  let off = 0;
  for (const d of got) {
    joined.set(d, off);
    off += d.length;
  }
  return joined;
}
