/**
 * Helpers shared by the OpenSSL cases (cases.ts) and the GnuTLS ones
 * (gnutls.ts): our endpoints' configs from the run's PKI, the steps every
 * case takes on our side, and what to count in a driven connection's events.
 */
import { randomBytes } from 'node:crypto';
import type { ClientConfig, ConnectionState, ServerConfig } from '../src/config.js';
import type { ClientConnection, ServerConnection } from '../src/connection.js';
import { traced, type Driven } from './driver.js';
import type { ServerCertName } from './pki.js';
import { check, type CaseContext } from './runner.js';

export function ccsCount(d: Driven, direction: 'sent' | 'received'): number {
  return d.trace.filter((e) => e.kind === 'change_cipher_spec' && e.direction === direction).length;
}

export function clientCert(ctx: CaseContext, name: 'client' | 'client-untrusted'): { cert: string; key: string } {
  const f = ctx.pki.client[name];
  return { cert: f.chainPem, key: f.keyPem };
}

/** Closes our side cleanly (close_notify) and the socket. */
export function closeQuietly(d: Driven): void {
  if (!d.conn.closed) d.close();
  d.destroy();
}

export function keyUpdates(d: Driven, direction: 'read' | 'write'): number {
  return d.count('key_update', (e) => e.type === 'key_update' && e.direction === direction);
}

export function ourClient(ctx: CaseContext, extra: ClientConfig = {}): ClientConfig {
  return traced({ ca: ctx.pki.caPem, ...extra });
}

export function ourServer(ctx: CaseContext, cert: ServerCertName | readonly ServerCertName[] = 'p256', extra: ServerConfig = {}): ServerConfig {
  const certs = (typeof cert === 'string' ? [cert] : cert).map((c) => {
    const f = ctx.pki.server[c as ServerCertName];
    return { cert: f.chainPem, key: f.keyPem };
  });
  return traced({ certificates: certs, ...extra });
}

/** Our server's side of a connection from s_client. */
export async function serverHandshake(ctx: CaseContext, accept: () => Promise<Driven<ServerConnection>>): Promise<{ d: Driven<ServerConnection>; st: ConnectionState }> {
  const d = await ctx.step('accept', accept);
  const st = await ctx.step('handshake', () => d.handshake());
  return { d, st };
}

export function token(): string {
  return randomBytes(6).toString('hex');
}

/**
 * A second connection with the ticket the first one earned: writes a marked
 * line as 0-RTT before the handshake, then completes it. The caller checks
 * whether the peer accepted the early data.
 */
export async function resumeWithEarlyData(
  ctx: CaseContext,
  port: number,
  config: ClientConfig,
): Promise<{ d: Driven<ClientConnection>; st: ConnectionState; t: string }> {
  const t = token();
  const d = await ctx.step('connect', () => ctx.connect(port, config));
  await ctx.step('write early data', () => {
    check(d.conn.earlyDataWritable > 0, 'the connection offers no 0-RTT');
    d.write(`early ${t}\n`);
  });
  const st = await ctx.step('handshake', () => d.handshake());
  return { d, st, t };
}
