/**
 * A real in-memory handshake between our client and server, with a
 * TraceRecorder on each side sharing one clock, and the wire bytes fed to
 * the recorders too. Kept independent of other test helpers on purpose.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ClientConfig, ServerConfig } from '../../src/config.js';
import { ClientConnection, ServerConnection } from '../../src/connection.js';
import { TraceClock, TraceRecorder } from '../../src/inspect/index.js';

const PKI = fileURLToPath(new URL('../fixtures/pki/', import.meta.url));

export function pki(file: string): string {
  return readFileSync(PKI + file, 'utf8');
}

export const ROOT = pki('root-ec.pem');
export const SERVER_CERT = { cert: pki('leaf-p256.pem') + pki('int-ec.pem'), key: pki('leaf-p256.key') };
export const CLIENT_CERT = { cert: pki('leaf-client.pem') + pki('int-ec.pem'), key: pki('leaf-client.key') };
export const now = (): Date => new Date('2026-06-01T00:00:00Z');

export interface TracedPair {
  readonly client: ClientConnection;
  readonly server: ServerConnection;
  readonly c: TraceRecorder;
  readonly s: TraceRecorder;
  readonly clientKeyLog: string[];
  readonly serverKeyLog: string[];
}

/** Runs a handshake (plus whatever `after` does) and shuttles bytes until both sides are quiet. */
export async function tracedHandshake(
  clientConfig: ClientConfig = {},
  serverConfig: Partial<ServerConfig> = {},
  after?: (p: TracedPair) => void,
): Promise<TracedPair> {
  const clock = new TraceClock();
  const c = new TraceRecorder('client', { clock });
  const s = new TraceRecorder('server', { clock });
  const clientKeyLog: string[] = [];
  const serverKeyLog: string[] = [];
  const client = new ClientConnection(
    { ca: ROOT, now, alpnProtocols: ['h2', 'http/1.1'], trace: c.handler, keyLog: (l) => clientKeyLog.push(l), ...clientConfig },
    { serverName: 'localhost' },
  );
  const server = new ServerConnection({
    certificates: [SERVER_CERT],
    now,
    alpnProtocols: ['h2'],
    trace: s.handler,
    keyLog: (l) => serverKeyLog.push(l),
    ...serverConfig,
  });
  const pair = { client, server, c, s, clientKeyLog, serverKeyLog };
  const pump = async (): Promise<void> => {
    for (let round = 0; round < 32; round++) {
      await client.settled();
      const toServer = client.takeOutgoing();
      if (toServer.length > 0) {
        c.wire('sent', toServer);
        s.wire('received', toServer);
        server.receive(toServer);
      }
      await server.settled();
      const toClient = server.takeOutgoing();
      if (toClient.length > 0) {
        s.wire('sent', toClient);
        c.wire('received', toClient);
        client.receive(toClient);
      }
      await client.settled();
      if (toServer.length === 0 && toClient.length === 0) return;
    }
    throw new Error('still talking after 32 rounds');
  };
  await pump();
  if (after) {
    after(pair);
    await pump();
  }
  if (client.error) throw client.error;
  if (server.error) throw server.error;
  return pair;
}
