/**
 * An in-memory "network" for two sans-I/O connections: no sockets, no
 * timers, just bytes handed from one side to the other. Tests, the demo and
 * teaching pages use it to run a whole handshake in a few lines:
 *
 *   const { client, server, error } = await handshakePair(clientConfig, serverConfig, { serverName: 'localhost' });
 *
 * or to watch it flight by flight:
 *
 *   await pump(client, server);   // ClientHello →
 *   await pump(server, client);   // ← ServerHello … Finished
 *   await pump(client, server);   // Finished →
 *
 * Either side may run asynchronous hooks or crypto; every step waits for
 * `settled()` before it looks at what a connection produced.
 */
import type { ClientConfig, ServerConfig } from '../config.js';
import { ClientConnection, ServerConnection, type ConnectionEvent } from '../connection.js';
import type { TLSError } from '../errors.js';
import type { ClientOptions } from '../handshake/client.js';

/** Either kind of connection: the driver only uses what both share. */
export type AnyConnection = ClientConnection | ServerConnection;

/** Splits one transfer into the pieces that are delivered one `receive()` at a time. */
export type Chopper = (bytes: Uint8Array) => Uint8Array[];

export interface PumpOptions {
  /**
   * How to cut the bytes in flight; default: one piece. Use `chopRandomly`
   * to exercise record and handshake reassembly (a TCP stream keeps no
   * record boundaries, so neither may we).
   */
  readonly chop?: Chopper;
  /**
   * Sees (and may replace) every transfer: to log it, or to tamper with it in
   * a test. `from` is the side that sent the bytes.
   */
  readonly onTransfer?: (from: AnyConnection, bytes: Uint8Array) => Uint8Array;
}

export interface PairOptions extends PumpOptions {
  /** Gives up after this many round trips without quiescence (default 64). */
  readonly maxRounds?: number;
}

/** What each side raised while the pair was driven. */
export interface PairEvents {
  readonly client: ConnectionEvent[];
  readonly server: ConnectionEvent[];
  /** Round trips it took to go quiet. */
  readonly rounds: number;
}

/** Two connections after `handshakePair`, with everything they raised. */
export interface HandshakePair extends PairEvents {
  readonly clientConnection: ClientConnection;
  readonly serverConnection: ServerConnection;
  /** The first failure, client side first; undefined when both sides completed. */
  readonly error: TLSError | undefined;
}

/**
 * Moves everything `from` has to send over to `to`, in pieces if asked, and
 * waits until `to` has processed it. Returns the bytes moved (empty when
 * `from` had nothing to say).
 */
export async function pump(from: AnyConnection, to: AnyConnection, options: PumpOptions = {}): Promise<Uint8Array> {
  await from.settled();
  let bytes = from.takeOutgoing();
  if (bytes.length === 0) return bytes;
  if (options.onTransfer) bytes = options.onTransfer(from, bytes);
  const pieces = options.chop ? options.chop(bytes) : [bytes];
  for (const piece of pieces) {
    to.receive(piece);
    // Let an asynchronous step finish before the next piece, as a slow network would.
    await to.settled();
  }
  return bytes;
}

/**
 * Shuttles bytes both ways until neither side has anything left to send,
 * collecting every event either side raised. Call it again after `write()`,
 * `close()` or `updateKeys()` to deliver what they produced.
 */
export async function connectPair(
  client: AnyConnection,
  server: AnyConnection,
  options: PairOptions = {},
): Promise<PairEvents> {
  const maxRounds = options.maxRounds ?? 64;
  const events: { client: ConnectionEvent[]; server: ConnectionEvent[] } = { client: [], server: [] };
  for (let rounds = 0; rounds < maxRounds; rounds++) {
    const toServer = await pump(client, server, options);
    const toClient = await pump(server, client, options);
    events.client.push(...client.events());
    events.server.push(...server.events());
    if (toServer.length === 0 && toClient.length === 0) return { ...events, rounds };
  }
  throw new Error(`connectPair: the connections were still talking after ${maxRounds} round trips`);
}

/**
 * Creates a client and a server connection and runs the handshake between
 * them. Never throws for a TLS failure: the first error is in `error` (and
 * in the events), so negative tests read as plainly as positive ones.
 */
export async function handshakePair(
  clientConfig: ClientConfig,
  serverConfig: ServerConfig,
  clientOptions: ClientOptions = {},
  options: PairOptions = {},
): Promise<HandshakePair> {
  const clientConnection = new ClientConnection(clientConfig, clientOptions);
  const serverConnection = new ServerConnection(serverConfig);
  const events = await connectPair(clientConnection, serverConnection, options);
  return {
    ...events,
    clientConnection,
    serverConnection,
    error: clientConnection.error ?? serverConnection.error,
  };
}

/**
 * A chopper that cuts transfers into pieces of 1..`maxPiece` bytes. Pass a
 * seeded `random` (returning [0, 1)) to make a failing run reproducible.
 */
export function chopRandomly(maxPiece: number, random: () => number = Math.random): Chopper {
  if (!Number.isInteger(maxPiece) || maxPiece < 1) throw new RangeError('maxPiece must be a positive integer');
  return (bytes) => {
    const pieces: Uint8Array[] = [];
    for (let at = 0; at < bytes.length; ) {
      const size = 1 + Math.floor(random() * maxPiece);
      pieces.push(bytes.subarray(at, at + size));
      at += size;
    }
    return pieces;
  };
}

/** Concatenated application data from a list of events (confirmed and early alike). */
export function receivedData(events: readonly ConnectionEvent[]): Uint8Array {
  const chunks = events.flatMap((e) => (e.type === 'data' ? [e.bytes] : []));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
