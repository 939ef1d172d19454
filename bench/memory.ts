/**
 * Memory figures, run in a child process that has the garbage collector at
 * hand (bench/run.ts starts it; it can also be run alone):
 *
 *   node --expose-gc --max-semi-space-size=128 --min-semi-space-size=128 --import tsx bench/memory.ts [--quick]
 *
 * - retained heap per established idle connection: open N in-memory pairs
 *   (up to 10 000, or what a minute allows; the quick run: native-built, ≤ 1 000)
 *   (full handshake, tickets delivered, events drained), keep them, collect
 *   garbage, and divide the growth of heap + ArrayBuffer memory by N; then
 *   drop the clients to split the figure between the two sides;
 * - bytes allocated per handshake: with a young generation large enough that
 *   no collection runs during a small batch of handshakes, the growth of
 *   heap + ArrayBuffer memory over the batch is what it allocated. A batch
 *   during which a collection did run (seen through PerformanceObserver) is
 *   thrown away and retried smaller.
 *
 * Prints one JSON object on its last line.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { nobleCrypto } from '../src/crypto/noble.js';
import { nodeCrypto } from '../src/crypto/node.js';
import type { CryptoProvider } from '../src/crypto/provider.js';
import { memoryHandshake, type MemoryPair } from './lib/drivers.js';
import { loadPki } from './lib/pki.js';
import { HANDSHAKE_ROWS, rowConfigs } from './lib/rows.js';

type Gc = () => void;
const gc = (globalThis as { gc?: Gc }).gc;
if (!gc) {
  console.error('bench/memory.ts needs --expose-gc');
  process.exit(2);
}

const quick = process.argv.includes('--quick');
const pki = loadPki();
const row = HANDSHAKE_ROWS[0]!; // full x25519 + ECDSA P-256 chain

let gcEvents = 0;
const observer = new PerformanceObserver((list) => {
  gcEvents += list.getEntries().length;
});
observer.observe({ entryTypes: ['gc'] });

function used(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

async function settle(): Promise<number> {
  // Several passes: weak references and finalizers free more on later ones.
  for (let i = 0; i < 3; i++) {
    gc!();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return used();
}

interface Retained {
  readonly provider: string;
  readonly connections: number;
  readonly bytesPerPair: number;
  readonly bytesPerServerConnection: number;
  readonly bytesPerClientConnection: number;
  readonly rssPerPair: number;
}

/** What the retained-memory measurement keeps alive. */
const held: { clients: unknown[]; servers: unknown[] } = { clients: [], servers: [] };

async function retained(provider: CryptoProvider, wanted: number, budgetMs: number): Promise<Retained> {
  const configs = rowConfigs(row, pki, provider)!;
  // One warm-up handshake: parsed certificates, settings and code are not per connection.
  await memoryHandshake(configs.client, configs.server, configs.serverName);
  const rss0 = process.memoryUsage().rss;
  const before = await settle();
  let pairs: MemoryPair[] = [];
  // Up to `wanted` pairs, fewer if the time budget runs out (a busy machine).
  const deadline = Date.now() + budgetMs;
  while (pairs.length < wanted && (pairs.length < 20 || Date.now() < deadline)) {
    pairs.push(await memoryHandshake(configs.client, configs.server, configs.serverName));
  }
  const count = pairs.length;
  // Keep the connections (not the events they raised) in a module-level
  // holder: a local that is not read after an await is dead to V8, which
  // may collect what it points to while the function is suspended.
  held.clients = pairs.map((p) => p.client);
  held.servers = pairs.map((p) => p.server);
  pairs = [];
  const withBoth = await settle();
  const rss1 = process.memoryUsage().rss;
  held.clients = [];
  const serversOnly = await settle();
  held.servers = [];
  return {
    provider: provider.name,
    connections: count,
    bytesPerPair: (withBoth - before) / count,
    bytesPerServerConnection: (serversOnly - before) / count,
    bytesPerClientConnection: (withBoth - serversOnly) / count,
    rssPerPair: (rss1 - rss0) / count,
  };
}

interface Allocated {
  readonly provider: string;
  readonly handshakes: number;
  readonly bytesPerHandshake: number;
  readonly attempts: number;
}

async function allocated(provider: CryptoProvider, batch: number): Promise<Allocated> {
  const configs = rowConfigs(row, pki, provider)!;
  for (let i = 0; i < 3; i++) await memoryHandshake(configs.client, configs.server, configs.serverName);
  const samples: number[] = [];
  let attempts = 0;
  for (let n = batch; samples.length < 3 && attempts < 12; attempts++) {
    await settle();
    await new Promise((resolve) => setImmediate(resolve));
    const gcBefore = gcEvents;
    const start = used();
    for (let i = 0; i < n; i++) await memoryHandshake(configs.client, configs.server, configs.serverName);
    const end = used();
    await new Promise((resolve) => setImmediate(resolve));
    if (gcEvents !== gcBefore) {
      // A collection ran inside the batch: the difference undercounts. Smaller batch.
      n = Math.max(1, n >> 1);
      continue;
    }
    samples.push((end - start) / n);
    batch = n;
  }
  samples.sort((a, b) => a - b);
  return {
    provider: provider.name,
    handshakes: batch,
    bytesPerHandshake: samples.length ? samples[samples.length >> 1]! : NaN,
    attempts,
  };
}

async function main(): Promise<void> {
  const result = {
    row: row.key,
    // What a connection retains does not depend on the provider, except for
    // what OpenSSL keeps outside the JS heap (a few hundred bytes). noble
    // makes pairs slowly, and a few dozen pairs give a noisy figure, so the
    // quick run counts native-built pairs only.
    retained: quick
      ? [await retained(nodeCrypto, 1000, 3_000)]
      : [await retained(nobleCrypto, 10_000, 60_000), await retained(nodeCrypto, 10_000, 60_000)],
    allocated: [await allocated(nobleCrypto, quick ? 4 : 16), await allocated(nodeCrypto, quick ? 10 : 50)],
  };
  observer.disconnect();
  console.log(JSON.stringify(result));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
