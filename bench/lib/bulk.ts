/**
 * Bulk transfer: application data client → server on an established
 * connection, in full 16 KiB records or in 1 KiB writes (one record each),
 * in memory and over loopback; the raw AEAD doing the same seal + open; and
 * node:tls over the same loopback.
 */
import type { ClientConfig, ServerConfig } from '../../src/config.js';
import type { AeadName, CryptoProvider } from '../../src/crypto/provider.js';
import { ClientConnection, ServerConnection } from '../../src/connection.js';
import { NamedGroup } from '../../src/registry.js';
import type { Pki } from './pki.js';
import { type NodeTlsLoopback, OurLoopbackServer, memoryHandshake, ourLoopbackClient, writeChunks } from './drivers.js';

/** Bytes moved per timed call over loopback (amortises the round trip that ends a call). */
export const LOOPBACK_BATCH = 256 * 1024;
/** Application writes per timed call in memory, for the 1 KiB case. */
const MEMORY_SMALL_WRITES = 16;

/** The bulk rows' configurations: x25519, the P-256 leaf, one cipher suite, no tickets. */
export function bulkConfigs(pki: Pki, provider: CryptoProvider, suite: number): { client: ClientConfig; server: ServerConfig; serverName: string } | undefined {
  const leaf = pki.leaves.p256;
  if (!leaf) return undefined;
  return {
    client: { crypto: provider, ca: pki.rootPem, groups: [NamedGroup.x25519], cipherSuites: [suite], sessionCache: false },
    server: { crypto: provider, certificates: [{ cert: leaf.chainPem, key: leaf.keyPem }], groups: [NamedGroup.x25519], cipherSuites: [suite], ticketCount: 0 },
    serverName: leaf.host,
  };
}

/** An established in-memory pair; each call writes and delivers, returning the bytes delivered. */
export async function memoryBulk(client: ClientConfig, server: ServerConfig, serverName: string, writeSize: number): Promise<() => number> {
  const pair = await memoryHandshake(client, server, serverName);
  const c: ClientConnection = pair.client;
  const s: ServerConnection = pair.server;
  const payload = new Uint8Array(writeSize).fill(0x5a);
  const writes = writeSize >= 16384 ? 1 : MEMORY_SMALL_WRITES;
  return () => {
    let delivered = 0;
    for (let i = 0; i < writes; i++) {
      c.write(payload);
      s.receive(c.takeOutgoing());
      for (const ev of s.events()) if (ev.type === 'data') delivered += ev.bytes.length;
    }
    if (delivered !== writes * writeSize) throw new Error(`memory bulk: delivered ${delivered} of ${writes * writeSize}`);
    return delivered;
  };
}

/** The AEAD alone: seal one record's inner plaintext and open it again (one side each). */
export function rawAead(provider: CryptoProvider, aead: AeadName, writeSize: number): () => number {
  const a = provider.aead(aead);
  const key = a.importKey(provider.random(a.keyLength));
  const inner = new Uint8Array(writeSize + 1).fill(0x5a); // content + inner content type
  const nonce = provider.random(12);
  const header = Uint8Array.of(23, 3, 3, (inner.length + 16) >> 8, (inner.length + 16) & 0xff);
  return () => {
    const sealed = key.seal(nonce, inner, header);
    const opened = key.open(nonce, sealed, header);
    if (!opened) throw new Error('raw AEAD failed to open');
    return writeSize;
  };
}

/** Our TLS over loopback: one connection, LOOPBACK_BATCH bytes per call. */
export async function ourLoopbackBulk(
  client: ClientConfig,
  server: ServerConfig,
  serverName: string,
  writeSize: number,
): Promise<{ run: () => Promise<number>; close: () => Promise<void> }> {
  const srv = new OurLoopbackServer(server);
  await srv.listen();
  const c = await ourLoopbackClient(srv.port, client, serverName);
  await srv.serverDone(c.localPort);
  const payload = new Uint8Array(writeSize).fill(0x5a);
  let total = 0;
  const write = (data: Uint8Array): boolean => {
    c.conn.write(data);
    return c.socket.write(c.conn.takeOutgoing());
  };
  const waitDrain = () => new Promise<void>((resolve) => c.socket.once('drain', resolve));
  return {
    async run() {
      total += LOOPBACK_BATCH;
      const arrived = srv.receivedBytes(c.localPort, total);
      await writeChunks(write, waitDrain, payload, LOOPBACK_BATCH);
      await arrived;
      return LOOPBACK_BATCH;
    },
    async close() {
      c.socket.destroy();
      await srv.close();
    },
  };
}

/** node:tls over loopback: one connection, LOOPBACK_BATCH bytes per call. */
export async function nodeTlsBulk(server: NodeTlsLoopback, writeSize: number): Promise<{ run: () => Promise<number>; close: () => void }> {
  const socket = await server.connect(false, false);
  await server.serverDone(socket.localPort!);
  const payload = Buffer.alloc(writeSize, 0x5a);
  let total = 0;
  const waitDrain = () => new Promise<void>((resolve) => socket.once('drain', resolve));
  return {
    async run() {
      total += LOOPBACK_BATCH;
      const arrived = server.receivedBytes(socket.localPort!, total);
      await writeChunks((d) => socket.write(d), waitDrain, payload, LOOPBACK_BATCH);
      await arrived;
      return LOOPBACK_BATCH;
    },
    close() {
      socket.destroy();
    },
  };
}
