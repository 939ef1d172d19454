/**
 * Drives one handshake row in memory for a few seconds, for `node --cpu-prof`:
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/profile.ts resumed_psk_ke [--native] [--seconds 5]
 *
 * or bulk data in memory (the bench's memoryBulk), one suite and write size:
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/profile.ts --bulk chacha 16384 [--native] [--seconds 5]
 *
 * (`--bulk-raw` with the same arguments drives the raw AEAD alone, to compare).
 *
 * `--bulk-ratio [--native] [--rounds N]` prints ours / raw AEAD for every
 * suite and size, measured as bench/run.ts does (interleaved, CPU clock) but
 * in both orders (see bulkRatio), without the rest of the bench.
 *
 * then `npx tsx bench/profile.ts --top /tmp/prof/<file>.cpuprofile` prints
 * the functions with the most self time, and the share of each source file.
 */
import { readFileSync } from 'node:fs';
import { nobleCrypto } from '../src/crypto/noble.js';
import { nodeCrypto } from '../src/crypto/node.js';
import type { CryptoProvider } from '../src/crypto/provider.js';
import { CIPHER_SUITES, type CipherSuiteInfo } from '../src/crypto/suites.js';
import { measureInterleaved, medianRatio } from './measure.js';
import { bulkConfigs, memoryBulk, rawAead } from './lib/bulk.js';
import { memoryHandshake } from './lib/drivers.js';
import { loadPki } from './lib/pki.js';
import { EARLY_DATA, HANDSHAKE_ROWS, rowConfigs } from './lib/rows.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
}

function top(file: string, count = 40): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfTime = new Map<string, number>();
  const perFile = new Map<string, number>();
  for (const id of profile.samples) {
    const n = byId.get(id)!;
    const url = n.callFrame.url.replace(/^.*\/(node_modules\/|src\/|bench\/)/, '$1');
    const key = `${n.callFrame.functionName || '(anonymous)'}  ${url}:${n.callFrame.lineNumber + 1}`;
    selfTime.set(key, (selfTime.get(key) ?? 0) + 1);
    perFile.set(url || n.callFrame.functionName, (perFile.get(url || n.callFrame.functionName) ?? 0) + 1);
  }
  const total = profile.samples.length;
  const print = (m: Map<string, number>, n: number) =>
    [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).forEach(([k, v]) => console.log(`${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`));
  console.log(`self time, ${total} samples`);
  print(selfTime, count);
  console.log('\nby file');
  print(perFile, 25);
  console.log('\ninclusive (time in the function and what it calls), our code');
  print(inclusiveTime(profile, byId, (url) => url.includes('/src/')), count);
}

/** Samples under each function (counted once per sample even when it recurses). */
function inclusiveTime(profile: Profile, byId: Map<number, ProfileNode>, keep: (url: string) => boolean): Map<string, number> {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const result = new Map<string, number>();
  for (const id of profile.samples) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const n = byId.get(at)!;
      if (!keep(n.callFrame.url)) continue;
      const key = `${n.callFrame.functionName || '(anonymous)'}  ${n.callFrame.url.replace(/^.*\/src\//, 'src/')}`;
      if (seen.has(key)) continue;
      seen.add(key);
      result.set(key, (result.get(key) ?? 0) + 1);
    }
  }
  return result;
}

async function drive(rowKey: string, native: boolean, seconds: number): Promise<void> {
  const row = HANDSHAKE_ROWS.find((r) => r.key === rowKey);
  if (!row) throw new Error(`no row ${rowKey}; rows: ${HANDSHAKE_ROWS.map((r) => r.key).join(', ')}`);
  const configs = rowConfigs(row, loadPki(), native ? nodeCrypto : nobleCrypto)!;
  const early = row.kind === 'early' ? EARLY_DATA : undefined;
  await memoryHandshake(configs.client, configs.server, configs.serverName);
  const end = Date.now() + seconds * 1000;
  let n = 0;
  while (Date.now() < end) {
    await memoryHandshake(configs.client, configs.server, configs.serverName, {}, early);
    n++;
  }
  console.log(`${rowKey} (${native ? 'native' : 'noble'}): ${n} handshakes in ${seconds} s = ${(n / seconds).toFixed(1)}/s`);
}

function suiteNamed(name: string): CipherSuiteInfo {
  const want = name.toLowerCase();
  const suite = CIPHER_SUITES.find((s) => s.name.toLowerCase().includes(want) || s.aead.toLowerCase().includes(want));
  if (!suite) throw new Error(`no suite matching ${name}; suites: ${CIPHER_SUITES.map((s) => s.name).join(', ')}`);
  return suite;
}

async function bulkDriver(provider: CryptoProvider, suite: CipherSuiteInfo, size: number) {
  const cfg = bulkConfigs(loadPki(), provider, suite.code);
  if (!cfg) throw new Error('bulk needs the P-256 test certificate');
  return memoryBulk(cfg.client, cfg.server, cfg.serverName, size);
}

/** Drives ours alone (or with `raw`, the raw AEAD alone), so a profile holds one of them. */
async function driveBulk(suiteName: string, size: number, native: boolean, seconds: number, raw: boolean): Promise<void> {
  const suite = suiteNamed(suiteName);
  const provider = native ? nodeCrypto : nobleCrypto;
  const fn = raw ? rawAead(provider, suite.aead, size) : await bulkDriver(provider, suite, size);
  let bytes = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) bytes += fn();
  const rate = (bytes * 1e-3) / (performance.now() - start);
  console.log(`bulk ${raw ? 'raw AEAD' : 'ours'} ${suite.name} ${size} B (${native ? 'native' : 'noble'}): ${rate.toFixed(1)} MB/s (wall clock)`);
}

/**
 * ours / raw for every suite and size, on the CPU clock as bench/run.ts
 * measures. Whichever contender runs second in a round pays for the garbage
 * the first one left (a collection the first one's allocations triggered),
 * so each pair is measured in both orders and the figure is the geometric
 * mean of the two median ratios; both are printed.
 */
async function bulkRatio(native: boolean, rounds: number): Promise<void> {
  const provider = native ? nodeCrypto : nobleCrypto;
  for (const suite of CIPHER_SUITES) {
    for (const size of [16384, 1024]) {
      const ours = { name: 'ours', fn: await bulkDriver(provider, suite, size) };
      const raw = { name: 'raw', fn: rawAead(provider, suite.aead, size) };
      const settings = { rounds, roundMs: 100, warmupMs: 60 };
      const a = await measureInterleaved([ours, raw], settings);
      const b = await measureInterleaved([raw, ours], settings);
      const oursFirst = medianRatio(a.rates[0]!, a.rates[1]!);
      const rawFirst = medianRatio(b.rates[1]!, b.rates[0]!);
      const mbps = (m: typeof a, i: number) => (m.measurements[i]!.opsPerSec * 1e-6).toFixed(1).padStart(6);
      console.log(
        `${suite.aead.padEnd(17)} ${String(size).padStart(5)} B  ours ${mbps(a, 0)} MB/s  raw ${mbps(a, 1)} MB/s  ` +
          `ratio ${Math.sqrt(oursFirst * rawFirst).toFixed(2)} (ours first ${oursFirst.toFixed(2)}, raw first ${rawFirst.toFixed(2)})`,
      );
    }
  }
}

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
if (args[0] === '--top') top(args[1]!, Number(args[2] ?? 40));
else if (args[0] === '--bulk' || args[0] === '--bulk-raw') {
  await driveBulk(args[1] ?? 'aes-128', Number(args[2] ?? 16384), args.includes('--native'), option('--seconds', 5), args[0] === '--bulk-raw');
}
else if (args[0] === '--bulk-ratio') await bulkRatio(args.includes('--native'), option('--rounds', 9));
else {
  const secondsAt = args.indexOf('--seconds');
  await drive(args[0] ?? 'resumed_psk_ke', args.includes('--native'), secondsAt >= 0 ? Number(args[secondsAt + 1]) : 5);
}
