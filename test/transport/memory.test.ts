import { describe, expect, it } from 'vitest';
import { ClientConnection, ServerConnection } from '../../src/connection.js';
import { TLSError } from '../../src/errors.js';
import { ContentType } from '../../src/registry.js';
import { chopRandomly, connectPair, handshakePair, pump, receivedData } from '../../src/transport/memory.js';
import { IMPOSTOR_ROOT, clientConfig, seeded, serverConfig } from './helpers.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const decode = (b: Uint8Array): string => new TextDecoder().decode(b);
const types = (events: readonly { type: string }[]): string[] => events.map((e) => e.type);

describe('handshakePair', () => {
  it('completes a handshake and reports the negotiated state on both sides', async () => {
    const pair = await handshakePair(clientConfig, serverConfig, { serverName: 'localhost' });
    expect(pair.error).toBeUndefined();
    expect(types(pair.client)).toContain('handshake');
    expect(types(pair.server)).toContain('handshake');
    expect(pair.clientConnection.handshakeComplete).toBe(true);
    expect(pair.serverConnection.handshakeComplete).toBe(true);
    expect(pair.clientConnection.handshakeState).toBe('CONNECTED');
    expect(pair.serverConnection.handshakeState).toBe('CONNECTED');
    const c = pair.clientConnection.state;
    const s = pair.serverConnection.state;
    expect(c.cipherSuite).toEqual(s.cipherSuite);
    expect(c.group).toEqual(s.group);
    expect(s.serverName).toBe('localhost');
    expect(c.verifiedChains.length).toBeGreaterThan(0);
    // The exporter (RFC 8446 §7.5) agrees only if both sides derived the same secrets.
    const label = 'EXPORTER-test';
    const ctx = text('ctx');
    expect(pair.clientConnection.exportKeyingMaterial(label, ctx, 32)).toEqual(
      pair.serverConnection.exportKeyingMaterial(label, ctx, 32),
    );
  });

  it('carries application data both ways, in order, and close_notify as an end event', async () => {
    const { clientConnection: client, serverConnection: server, error } = await handshakePair(clientConfig, serverConfig, {
      serverName: 'localhost',
    });
    expect(error).toBeUndefined();
    client.write(text('ping 1 '));
    client.write(text('ping 2'));
    server.write(text('pong'));
    let ev = await connectPair(client, server);
    expect(decode(receivedData(ev.server))).toBe('ping 1 ping 2');
    expect(decode(receivedData(ev.client))).toBe('pong');
    expect(ev.server.filter((e) => e.type === 'data').every((e) => e.type === 'data' && !e.early)).toBe(true);

    // Half-close: the client's close_notify ends only its direction (§6.1).
    client.close();
    ev = await connectPair(client, server);
    expect(types(ev.server)).toEqual(['end']);
    server.write(text('after your close'));
    server.close();
    ev = await connectPair(client, server);
    expect(decode(receivedData(ev.client))).toBe('after your close');
    expect(types(ev.client)).toEqual(['data', 'end', 'close']);
    // The server's close_notify closed its last open direction.
    expect(types(ev.server)).toEqual(['close']);
    expect(client.closed).toBe(true);
    expect(server.closed).toBe(true);
  });

  it('returns the failure instead of throwing when the server is not trusted', async () => {
    const pair = await handshakePair({ ...clientConfig, ca: IMPOSTOR_ROOT }, serverConfig, { serverName: 'localhost' });
    expect(pair.error).toBeInstanceOf(TLSError);
    expect(pair.error?.alert).toBe('unknown_ca');
    expect(pair.error?.side).toBe('local');
    // The server learns of it through the alert the client sent.
    const serverError = pair.server.find((e) => e.type === 'error');
    expect(serverError?.type === 'error' && serverError.error.alert).toBe('unknown_ca');
    expect(serverError?.type === 'error' && serverError.error.side).toBe('remote');
    expect(pair.clientConnection.handshakeComplete).toBe(false);
  });

  it('waits for asynchronous hooks on both sides', async () => {
    const calls: string[] = [];
    const delay = (): Promise<void> => new Promise((r) => setTimeout(r, 5));
    const pair = await handshakePair(
      {
        ...clientConfig,
        async verifyPeerCertificate(raw) {
          await delay();
          calls.push(`client saw ${raw.length} certificates`);
        },
      },
      {
        ...serverConfig,
        async getConfigForClient(hello) {
          await delay();
          calls.push(`server saw SNI ${hello.serverName}`);
          return undefined;
        },
      },
      { serverName: 'localhost' },
    );
    expect(pair.error).toBeUndefined();
    expect(calls).toEqual(['server saw SNI localhost', 'client saw 2 certificates']);
    expect(pair.clientConnection.handshakeComplete && pair.serverConnection.handshakeComplete).toBe(true);
  });
});

describe('pump', () => {
  it('moves one flight at a time, as the RFC 8446 §2 diagram shows', async () => {
    const client = new ClientConnection(clientConfig, { serverName: 'localhost' });
    const server = new ServerConnection(serverConfig);

    const clientHello = await pump(client, server);
    // One plaintext handshake record holding the ClientHello (type 1).
    expect(clientHello[0]).toBe(ContentType.handshake);
    expect(clientHello[5]).toBe(1);
    expect(server.handshakeState).not.toBe('START');

    const serverFlight = await pump(server, client);
    // ServerHello in the clear, then encrypted records (application_data outer type).
    expect(serverFlight[0]).toBe(ContentType.handshake);
    expect(serverFlight[5]).toBe(2);
    expect(client.handshakeComplete).toBe(true);
    expect(server.handshakeComplete).toBe(false);

    const clientFinished = await pump(client, server);
    expect(clientFinished.length).toBeGreaterThan(0);
    expect(server.handshakeComplete).toBe(true);

    // After the client's Finished the server issues its tickets (§4.6.1; two by default).
    client.events();
    const tickets = await pump(server, client);
    expect(tickets[0]).toBe(ContentType.application_data);
    expect(types(client.events())).toEqual(['ticket', 'ticket']);

    // Nothing left to say: an empty transfer.
    expect((await pump(client, server)).length).toBe(0);
    expect((await pump(server, client)).length).toBe(0);
  });

  it('reassembles handshakes and records cut into random pieces', async () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const random = seeded(seed);
      const chop = chopRandomly(1 + Math.floor(random() * 300), random);
      const pair = await handshakePair(clientConfig, serverConfig, { serverName: 'localhost' }, { chop });
      expect(pair.error, `seed ${seed}`).toBeUndefined();
      const payload = new Uint8Array(40_000).map((_, i) => (i * 31 + seed) & 0xff);
      pair.clientConnection.write(payload);
      pair.serverConnection.write(payload.subarray(0, 12_345));
      const ev = await connectPair(pair.clientConnection, pair.serverConnection, { chop });
      expect(receivedData(ev.server), `seed ${seed}`).toEqual(payload);
      expect(receivedData(ev.client), `seed ${seed}`).toEqual(payload.subarray(0, 12_345));
    }
  });

  it('lets a test tamper with the bytes in flight: a flipped bit is bad_record_mac', async () => {
    const { clientConnection: client, serverConnection: server } = await handshakePair(clientConfig, serverConfig, {
      serverName: 'localhost',
    });
    client.write(text('secret'));
    const ev = await connectPair(client, server, {
      onTransfer: (from, bytes) => {
        if (from !== client) return bytes;
        const copy = bytes.slice();
        copy[copy.length - 1]! ^= 1;
        return copy;
      },
    });
    expect(types(ev.server)).toEqual(['error', 'close']);
    const err = ev.server[0];
    expect(err?.type === 'error' && err.error.alert).toBe('bad_record_mac');
    expect(receivedData(ev.server).length).toBe(0);
    expect(client.error?.alert).toBe('bad_record_mac');
    expect(client.error?.side).toBe('remote');
  });
});

describe('chopRandomly', () => {
  it('cuts into pieces of 1..max bytes that join back to the input', () => {
    const chop = chopRandomly(7, seeded(42));
    const input = new Uint8Array(1000).map((_, i) => i & 0xff);
    const pieces = chop(input);
    expect(pieces.every((p) => p.length >= 1 && p.length <= 7)).toBe(true);
    expect(pieces.length).toBeGreaterThan(1000 / 7);
    const joined = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of pieces) {
      joined.set(p, at);
      at += p.length;
    }
    expect(joined).toEqual(input);
    expect(() => chopRandomly(0)).toThrow(RangeError);
  });
});
