/**
 * The benchmark: handshakes and bulk throughput side by side with the crypto
 * ceiling and node:tls, measured in one run; memory per connection and per
 * handshake. Prints tables and writes bench/results/latest.json.
 *
 *   npm run bench                 (several minutes)
 *   npm run bench -- --quick      (under a minute, noisier)
 *
 * Every figure is the median of ≥ 5 timed rounds after a warm-up, with the
 * min..max of the rounds beside it. Ratios are taken between figures of this
 * same run, so they stay meaningful on a shared or busy machine even when
 * the absolute numbers move.
 *
 * Two providers run every handshake row: noble (pure JS, the default) and
 * node (src/crypto/node.ts, OpenSSL through node:crypto). With native
 * primitives the crypto costs little, so "ours (native) / node:tls" shows
 * the engine's own cost against OpenSSL's whole TLS stack.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { nobleCrypto } from '../src/crypto/noble.js';
import { nodeCrypto } from '../src/crypto/node.js';
import type { CryptoProvider } from '../src/crypto/provider.js';
import { CIPHER_SUITES } from '../src/crypto/suites.js';
import { type Contender, type Interleaved, type Stat, benchSettings, formatRate, formatTable, measureInterleaved, medianRatio, toStat } from './measure.js';
import { LOOPBACK_BATCH, bulkConfigs, memoryBulk, nodeTlsBulk, ourLoopbackBulk, rawAead } from './lib/bulk.js';
import { type CallCounts, ceilingOperation, countingProvider, keyScheduleCounts, traceShape, zeroCounts, type HandshakeShape } from './lib/ceiling.js';
import {
  type HandshakeExpectation,
  NodeTlsLoopback,
  OurLoopbackServer,
  concurrently,
  memoryHandshake,
  ourLoopbackHandshake,
} from './lib/drivers.js';
import { loadPki } from './lib/pki.js';
import { EARLY_DATA, HANDSHAKE_ROWS, type HandshakeRow, SUITE_NAME, rowConfigs } from './lib/rows.js';

const { quick, options, clock } = benchSettings();

/** `--only handshake,bulk,memory` runs some sections; such a partial run does not replace latest.json. */
const SECTIONS = ['handshake', 'bulk', 'memory'] as const;
const onlyAt = process.argv.indexOf('--only');
const sections = new Set<string>(onlyAt >= 0 ? (process.argv[onlyAt + 1] ?? '').split(',') : SECTIONS);
for (const name of sections) {
  if (!(SECTIONS as readonly string[]).includes(name)) throw new Error(`--only takes a comma list of ${SECTIONS.join(', ')}; got "${name}"`);
}
const partial = sections.size < SECTIONS.length;
const started = Date.now();
const notes: string[] = [];
const progress = (what: string) => process.stderr.write(`  ${((Date.now() - started) / 1000).toFixed(0).padStart(3)}s  ${what}\n`);

/**
 * Concurrent connections per timed loopback call. Native crypto and
 * node:tls spend much of a handshake waiting on the loopback, so several
 * connections are kept in flight; noble is CPU-bound, so one at a time.
 */
const LOOPBACK_CONCURRENCY: Readonly<Record<string, number>> = { noble: 1, node: 4, 'node:tls': 4 };

/**
 * Measures contenders two by two (0 with 1, 2 with 3, …), each pair in its
 * own interleaved rounds, and returns them as one set. A ratio is only ever
 * taken within a pair, and a pair measured alone keeps the garbage of
 * unrelated contenders (e.g. the native provider's Buffers) out of its rounds.
 */
async function measurePairs(contenders: readonly Contender[]): Promise<Interleaved> {
  const sets: Interleaved[] = [];
  for (let i = 0; i < contenders.length; i += 2) sets.push(await measureInterleaved(contenders.slice(i, i + 2), options, clock));
  return {
    measurements: sets.flatMap((set) => set.measurements),
    rates: sets.flatMap((set) => set.rates),
    wall: sets.flatMap((set) => set.wall),
  };
}

/** Contender `i` of an interleaved set as a Stat, with its wall-clock median beside it. */
function stat(set: Interleaved, i: number, unit: string, scale = 1): Stat {
  return { ...toStat(set.measurements[i]!, unit, scale), wallMedian: set.wall[i]!.opsPerSec * scale };
}

// ---------------------------------------------------------------- machine

const cpus = os.cpus();
const machine = {
  cpu: cpus[0]?.model ?? 'unknown',
  cores: cpus.length,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  node: process.version,
  openssl: process.versions.openssl,
  loadAverageAtStart: os.loadavg().map((l) => Number(l.toFixed(2))),
  loadAverageAtEnd: [] as number[],
};

// ------------------------------------------------------------- handshakes

interface ProviderFigures {
  ours: Stat;
  ceiling: Stat;
  efficiency: number;
  oursLoopback: Stat;
  ratioNodeTls: number | null;
}

interface HandshakeResult extends ProviderFigures {
  label: string;
  nodeTls: Stat | null;
  native: ProviderFigures;
  shape: HandshakeShape;
  calls: { engine: CallCounts; minimal: ReturnType<typeof keyScheduleCounts> & { keyExchange: number; sign: number; verify: number } };
}

function expectationFor(row: HandshakeRow): HandshakeExpectation {
  switch (row.kind) {
    case 'full':
      return { resumed: false, group: row.group, scheme: row.scheme };
    case 'resumed':
      return { resumed: true, group: row.group };
    case 'psk_ke':
      return { resumed: true, group: null };
    case 'early':
      return { resumed: true, group: row.group, earlyDataAccepted: true };
  }
}

const pki = loadPki();
for (const m of pki.missing) notes.push(m);

interface RowSetup {
  readonly provider: CryptoProvider;
  readonly shape: HandshakeShape;
  readonly memory: () => Promise<number>;
  readonly ceiling: () => number;
  readonly loopback: () => Promise<number>;
  readonly close: () => Promise<void>;
}

/** Configs, a priming handshake (it issues the tickets resumed rows use), the traced shape, and the operations to time. */
async function setUpRow(row: HandshakeRow, provider: CryptoProvider): Promise<RowSetup | undefined> {
  const configs = rowConfigs(row, pki, provider);
  if (!configs) return undefined;
  const { client, server, serverName } = configs;
  const expect = expectationFor(row);
  const early = row.kind === 'early' ? EARLY_DATA : undefined;
  await memoryHandshake(client, server, serverName);
  const shape = await traceShape(client, server, serverName, row);
  const ceiling = ceilingOperation(provider, row, pki, shape);
  const loop = new OurLoopbackServer(server);
  await loop.listen();
  const lanes = LOOPBACK_CONCURRENCY[provider.name] ?? 1;
  const waitTicket = row.kind !== 'full';
  return {
    provider,
    shape,
    memory: async () => {
      await memoryHandshake(client, server, serverName, expect, early);
      return 1;
    },
    ceiling: () => {
      ceiling();
      return 1;
    },
    loopback: () => concurrently(lanes, () => ourLoopbackHandshake(loop, client, serverName, { expect, waitTicket, ...(early ? { early } : {}) })),
    close: () => loop.close(),
  };
}

/** node:tls over loopback for the rows it can do (full, psk_dhe_ke resumption); undefined otherwise. */
async function setUpNodeTls(row: HandshakeRow): Promise<{ run: () => Promise<number>; close: () => Promise<void> } | undefined> {
  const leaf = pki.leaves[row.leaf];
  if (!row.nodeTls || !leaf) return undefined;
  const srv = new NodeTlsLoopback({
    chainPem: leaf.chainPem,
    keyPem: leaf.keyPem,
    rootPem: pki.rootPem,
    host: leaf.host,
    ecdhCurve: row.nodeTls.ecdhCurve,
    sigalgs: row.nodeTls.sigalgs,
    ciphersuites: SUITE_NAME,
  });
  await srv.listen();
  const resume = row.kind === 'resumed';
  // A first connection that waits for its ticket, so resumption has a session.
  await srv.handshake(false, true);
  const lanes = LOOPBACK_CONCURRENCY['node:tls']!;
  // OpenSSL's tickets are multi-use and it sends no new one on a resumed
  // connection: every resumed handshake offers the ticket of that first one.
  return { run: () => concurrently(lanes, () => srv.handshake(resume, false)), close: () => srv.close() };
}

/** What the engine asks of the provider in one handshake of the row (noble, counted). */
async function engineCalls(row: HandshakeRow): Promise<CallCounts> {
  const counts = zeroCounts();
  const configs = rowConfigs(row, pki, countingProvider(nobleCrypto, counts))!;
  await memoryHandshake(configs.client, configs.server, configs.serverName);
  // Count a second handshake: settings are resolved and, for resumed rows, a ticket is cached.
  Object.assign(counts, zeroCounts());
  const early = row.kind === 'early' ? EARLY_DATA : undefined;
  await memoryHandshake(configs.client, configs.server, configs.serverName, expectationFor(row), early);
  return { ...counts };
}

function minimalCalls(row: HandshakeRow) {
  const ks = keyScheduleCounts(row);
  const dhe = row.kind !== 'psk_ke';
  // verify: the CertificateVerify; the chain's two certificate signatures only
  // on first contact (the client remembers good signatures, see ceiling.ts).
  return { ...ks, keyExchange: dhe ? 3 : 0, sign: row.kind === 'full' ? 1 : 0, verify: row.kind === 'full' ? 1 : 0 };
}

const handshake: Record<string, HandshakeResult> = {};
async function runHandshakes(): Promise<void> {
  if (Object.keys(pki.leaves).length === 0) {
    notes.push('handshake rows skipped: no certificates');
    return;
  }
  for (const row of HANDSHAKE_ROWS) {
    if (!pki.leaves[row.leaf]) {
      notes.push(`${row.key}: skipped (no ${row.leaf} certificate)`);
      continue;
    }
    progress(`handshake ${row.key}`);
    const noble = (await setUpRow(row, nobleCrypto))!;
    const native = (await setUpRow(row, nodeCrypto))!;
    const nodeTls = await setUpNodeTls(row);
    // In memory: ours and the ceiling, interleaved, one provider at a time
    // (a pair to itself: the other provider's garbage stays out of its rounds).
    const mem = await measurePairs([
      { name: 'noble', fn: noble.memory },
      { name: 'noble ceiling', fn: noble.ceiling },
      { name: 'native', fn: native.memory },
      { name: 'native ceiling', fn: native.ceiling },
    ]);
    // Loopback: ours (both providers) and node:tls, interleaved.
    const loop = await measureInterleaved(
      [
        { name: 'noble loopback', fn: noble.loopback },
        { name: 'native loopback', fn: native.loopback },
        ...(nodeTls ? [{ name: 'node:tls', fn: nodeTls.run }] : []),
      ],
      options,
      clock,
    );
    await Promise.all([noble.close(), native.close(), nodeTls?.close()]);
    const hs = (i: number, set: Interleaved) => stat(set, i, 'handshakes/s');
    const nodeTlsStat = nodeTls ? hs(2, loop) : null;
    const vsNodeTls = (i: number) => (nodeTls ? medianRatio(loop.rates[i]!, loop.rates[2]!) : null);
    handshake[row.key] = {
      label: row.label,
      ours: hs(0, mem),
      ceiling: hs(1, mem),
      efficiency: medianRatio(mem.rates[0]!, mem.rates[1]!),
      oursLoopback: hs(0, loop),
      nodeTls: nodeTlsStat,
      ratioNodeTls: vsNodeTls(0),
      native: {
        ours: hs(2, mem),
        ceiling: hs(3, mem),
        efficiency: medianRatio(mem.rates[2]!, mem.rates[3]!),
        oursLoopback: hs(1, loop),
        ratioNodeTls: vsNodeTls(1),
      },
      shape: noble.shape,
      calls: { engine: await engineCalls(row), minimal: minimalCalls(row) },
    };
  }
}

// ------------------------------------------------------------------- bulk

interface BulkVariant {
  oursMBps: Stat;
  rawMBps: Stat;
  efficiency: number;
  oursLoopbackMBps: Stat;
  nodeTlsMBps: Stat | null;
  ratioNodeTls: number | null;
  native: { oursMBps: Stat; rawMBps: Stat; efficiency: number; oursLoopbackMBps: Stat; ratioNodeTls: number | null };
}

interface BulkResult {
  oursMBps: Stat;
  rawMBps: Stat;
  efficiency: number;
  nodeTlsMBps: Stat | null;
  variants: Record<string, BulkVariant>;
}

const bulk: Record<string, BulkResult> = {};

const MB = 1e-6;

async function runBulk(): Promise<void> {
  if (!pki.leaves.p256) {
    notes.push('bulk rows skipped: no P-256 certificate');
    return;
  }
  const leaf = pki.leaves.p256;
  for (const suite of CIPHER_SUITES) {
    const variants: Record<string, BulkVariant> = {};
    for (const size of [16384, 1024]) {
      const variant = size === 16384 ? '16KiB records' : '1KiB writes';
      progress(`bulk ${suite.name} ${variant}`);
      const setUp = async (provider: CryptoProvider) => {
        const cfg = bulkConfigs(pki, provider, suite.code)!;
        const memory = await memoryBulk(cfg.client, cfg.server, cfg.serverName, size);
        const raw = rawAead(provider, suite.aead, size);
        const loopback = await ourLoopbackBulk(cfg.client, cfg.server, cfg.serverName, size);
        return { memory, raw, loopback };
      };
      const nobleSide = await setUp(nobleCrypto);
      const nativeSide = await setUp(nodeCrypto);
      const srv = new NodeTlsLoopback({
        chainPem: leaf.chainPem,
        keyPem: leaf.keyPem,
        rootPem: pki.rootPem,
        host: leaf.host,
        ecdhCurve: 'X25519',
        sigalgs: 'ecdsa_secp256r1_sha256',
        ciphersuites: suite.name,
      });
      await srv.listen();
      const nodeConn = await nodeTlsBulk(srv, size);

      const mem = await measurePairs([
        { name: 'noble', fn: nobleSide.memory },
        { name: 'noble raw', fn: nobleSide.raw },
        { name: 'native', fn: nativeSide.memory },
        { name: 'native raw', fn: nativeSide.raw },
      ]);
      const loop = await measureInterleaved(
        [
          { name: 'noble loopback', fn: nobleSide.loopback.run },
          { name: 'native loopback', fn: nativeSide.loopback.run },
          { name: 'node:tls', fn: nodeConn.run },
        ],
        options,
        clock,
      );
      await nobleSide.loopback.close();
      await nativeSide.loopback.close();
      nodeConn.close();
      await srv.close();
      const mbps = (i: number, set: Interleaved) => stat(set, i, 'MB/s', MB);
      const noble = { ours: mbps(0, mem), raw: mbps(1, mem), loopback: mbps(0, loop) };
      const native = { ours: mbps(2, mem), raw: mbps(3, mem), loopback: mbps(1, loop) };
      const nodeTls = mbps(2, loop);

      variants[variant] = {
        oursMBps: noble.ours,
        rawMBps: noble.raw,
        efficiency: medianRatio(mem.rates[0]!, mem.rates[1]!),
        oursLoopbackMBps: noble.loopback,
        nodeTlsMBps: nodeTls,
        ratioNodeTls: medianRatio(loop.rates[0]!, loop.rates[2]!),
        native: {
          oursMBps: native.ours,
          rawMBps: native.raw,
          efficiency: medianRatio(mem.rates[2]!, mem.rates[3]!),
          oursLoopbackMBps: native.loopback,
          ratioNodeTls: medianRatio(loop.rates[1]!, loop.rates[2]!),
        },
      };
    }
    const main = variants['16KiB records']!;
    bulk[suite.name] = {
      oursMBps: main.oursMBps,
      rawMBps: main.rawMBps,
      efficiency: main.efficiency,
      nodeTlsMBps: main.nodeTlsMBps,
      variants,
    };
  }
}

// ----------------------------------------------------------------- memory

interface MemoryChild {
  row: string;
  retained: { provider: string; connections: number; bytesPerPair: number; bytesPerServerConnection: number; bytesPerClientConnection: number; rssPerPair: number }[];
  allocated: { provider: string; handshakes: number; bytesPerHandshake: number; attempts: number }[];
}

let memory: { bytesPerIdleConnection: number; bytesPerIdleConnectionProvider: string; bytesPerHandshake: number; detail: MemoryChild } | undefined;

function runMemoryChild(): Promise<MemoryChild> {
  const script = fileURLToPath(new URL('./memory.ts', import.meta.url));
  // A young generation large enough that a small batch of handshakes runs without a collection.
  const args = ['--expose-gc', '--max-semi-space-size=128', '--min-semi-space-size=128', '--import', 'tsx', script, ...(quick ? ['--quick'] : [])];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`memory child exited with ${code}`));
      const last = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(last) as MemoryChild);
      } catch (err) {
        reject(err);
      }
    });
  });
}

async function runMemory(): Promise<void> {
  if (!pki.leaves.p256) return;
  progress('memory (child process with --expose-gc)');
  try {
    const detail = await runMemoryChild();
    // noble (the default provider) when measured; the quick run has native-built pairs only.
    const headline = detail.retained.find((r) => r.provider === 'noble') ?? detail.retained[0]!;
    memory = {
      // Per connection, either side: the mean of the pair (each side's figure is in detail).
      bytesPerIdleConnection: headline.bytesPerPair / 2,
      bytesPerIdleConnectionProvider: headline.provider,
      bytesPerHandshake: detail.allocated.find((a) => a.provider === 'noble')!.bytesPerHandshake,
      detail,
    };
  } catch (err) {
    notes.push(`memory figures unavailable: ${(err as Error).message}`);
  }
}

// ----------------------------------------------------------------- output

const fmt = (s: Stat | null | undefined) => (s ? formatRate(s.median) : '—');
const spread = (s: Stat | null | undefined) => (s ? `${formatRate(s.min)}..${formatRate(s.max)}` : '');
const ratio = (r: number | null | undefined) => (r === null || r === undefined || !Number.isFinite(r) ? '—' : r.toFixed(2));
const mark = (value: number | null | undefined, target: number) => (value === null || value === undefined ? '' : value >= target ? 'met' : 'NOT met');
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

function printTables(): void {
  const h = Object.entries(handshake);
  if (h.length > 0) {
    console.log(`\nHandshakes/s, noble provider (pure JS, the default). In-memory = both ends in this process; loopback = TCP 127.0.0.1.`);
    console.log(`Target: efficiency (ours in-memory / crypto ceiling) ≥ 0.90.`);
    console.log(
      formatTable(
        ['row', 'ours mem', 'min..max', 'ceiling', 'eff.', 'target', 'ours loopback', 'node:tls', 'ours/node:tls'],
        h.map(([, r]) => [r.label, fmt(r.ours), spread(r.ours), fmt(r.ceiling), ratio(r.efficiency), mark(r.efficiency, 0.9), fmt(r.oursLoopback), fmt(r.nodeTls), ratio(r.ratioNodeTls)]),
      ),
    );
    console.log(`\nHandshakes/s, ours with native crypto (src/crypto/node.ts): what the engine itself costs.`);
    console.log(`Target: ours (native) loopback / node:tls loopback ≥ 1.0 (aim 2×).`);
    console.log(
      formatTable(
        ['row', 'native mem', 'min..max', 'ceiling', 'eff.', 'native loopback', 'node:tls', 'min..max', 'native/node:tls', 'target'],
        h.map(([, r]) => [
          r.label,
          fmt(r.native.ours),
          spread(r.native.ours),
          fmt(r.native.ceiling),
          ratio(r.native.efficiency),
          fmt(r.native.oursLoopback),
          fmt(r.nodeTls),
          spread(r.nodeTls),
          ratio(r.native.ratioNodeTls),
          mark(r.native.ratioNodeTls, 1.0),
        ]),
      ),
    );
    console.log(`\nProvider calls in one handshake (engine, counted) vs what the protocol needs (minimal, both ends).`);
    console.log(
      formatTable(
        ['row', 'HKDF-Expand', 'HKDF-Extract', 'HMAC', 'hash ctx / digests', 'one-shot hashes', 'AEAD keys', 'seal / open', 'kex', 'sign', 'verify'],
        h.map(([, r]) => {
          const e = r.calls.engine;
          const m = r.calls.minimal;
          return [
            r.label,
            `${e.hkdfExpand} / ${m.expand}`,
            `${e.hkdfExtract} / ${m.extract}`,
            `${e.hmac} / ${m.hmac}`,
            `${e.hashContexts} / ${e.contextDigests}`,
            `${e.hashDigest}`,
            `${e.aeadImports}`,
            `${e.seal} / ${e.open}`,
            `${e.keyExchange} / ${m.keyExchange}`,
            `${e.sign} / ${m.sign}`,
            `${e.verify} / ${m.verify}`,
          ];
        }),
      ),
    );
  }
  const b = Object.entries(bulk);
  if (b.length > 0) {
    console.log(`\nBulk MB/s (client → server, application bytes). Target: ours in-memory / raw AEAD ≥ 0.90.`);
    console.log(`raw = the AEAD alone sealing and opening the same records (one side each, as in memory).`);
    const rows: string[][] = [];
    for (const [suite, r] of b) {
      for (const [variant, v] of Object.entries(r.variants)) {
        rows.push([
          `${suite} ${variant}`,
          fmt(v.oursMBps),
          fmt(v.rawMBps),
          ratio(v.efficiency),
          mark(v.efficiency, 0.9),
          fmt(v.oursLoopbackMBps),
          fmt(v.native.oursMBps),
          fmt(v.native.rawMBps),
          ratio(v.native.efficiency),
          fmt(v.native.oursLoopbackMBps),
          fmt(v.nodeTlsMBps),
          ratio(v.native.ratioNodeTls),
        ]);
      }
    }
    console.log(
      formatTable(['suite, writes', 'ours mem', 'raw', 'eff.', 'target', 'ours loopb.', 'native mem', 'native raw', 'eff.', 'native loopb.', 'node:tls', 'native/node:tls'], rows),
    );
  }
  if (memory) {
    const d = memory.detail;
    console.log(`\nMemory (${d.row}). Target: ≤ 16 KiB retained per idle connection.`);
    console.log(
      formatTable(
        ['provider', 'pairs', 'per pair', 'server conn', 'client conn', 'target (each side)'],
        d.retained.map((r) => [
          r.provider,
          String(r.connections),
          kib(r.bytesPerPair),
          kib(r.bytesPerServerConnection),
          kib(r.bytesPerClientConnection),
          Math.max(r.bytesPerServerConnection, r.bytesPerClientConnection) <= 16384 ? 'met' : 'NOT met',
        ]),
      ),
    );
    console.log(
      formatTable(
        ['provider', 'handshakes/batch', 'allocated per handshake (both ends)'],
        d.allocated.map((a) => [a.provider, String(a.handshakes), `${(a.bytesPerHandshake / 2 ** 20).toFixed(2)} MiB`]),
      ),
    );
    console.log('(native provider: memory OpenSSL holds outside the JS heap, e.g. hash contexts, is not in these figures)');
  }
  for (const n of notes) console.log(`note: ${n}`);
}

async function main(): Promise<void> {
  process.stderr.write(
    `tls13 bench — ${quick ? 'quick' : 'full'} run, median of ${options.rounds} rounds × ~${options.roundMs} ms after ${options.warmupMs} ms warm-up, ${clock === 'cpu' ? 'rates per CPU-second' : 'rates per wall-clock second'}\n` +
      `${machine.cpu} ×${machine.cores}, ${machine.platform}, node ${machine.node}, OpenSSL ${machine.openssl}, load ${machine.loadAverageAtStart.join(' ')}\n` +
      `certificates: ${pki.source}\n`,
  );
  if (sections.has('handshake')) await runHandshakes();
  if (sections.has('bulk')) await runBulk();
  if (sections.has('memory')) await runMemory();
  machine.loadAverageAtEnd = os.loadavg().map((l) => Number(l.toFixed(2)));

  console.log(
    `tls13 bench — ${new Date().toISOString()} — ${machine.cpu} ×${machine.cores}, node ${machine.node}, OpenSSL ${machine.openssl}\n` +
      `${quick ? 'quick' : 'full'} run: median of ${options.rounds} rounds × ~${options.roundMs} ms, ${clock === 'cpu' ? 'rates per second of this process\'s CPU time (--wall for elapsed time)' : 'rates per wall-clock second'}; load average ${machine.loadAverageAtStart.join('/')} at start, ${machine.loadAverageAtEnd.join('/')} at end` +
      (machine.loadAverageAtStart[0]! > machine.cores ? ' (busy machine: absolute figures are noisy, ratios less so)' : ''),
  );
  printTables();

  const results = {
    date: new Date().toISOString(),
    durationSeconds: Math.round((Date.now() - started) / 1000),
    machine,
    settings: { quick, clock, ...options, loopbackConcurrency: LOOPBACK_CONCURRENCY, loopbackBulkBatchBytes: LOOPBACK_BATCH, suite: SUITE_NAME },
    certificates: pki.source,
    notes,
    handshake,
    bulk,
    memory: memory ?? null,
  };
  if (partial) {
    console.log(`\npartial run (--only ${[...sections].join(',')}): bench/results/latest.json left as it was`);
    return;
  }
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}latest.json`, JSON.stringify(results, null, 2) + '\n');
  console.log(`\nwrote bench/results/latest.json (${results.durationSeconds} s)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
