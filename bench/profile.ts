/**
 * Drives one handshake row in memory for a few seconds, for `node --cpu-prof`:
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/profile.ts resumed_psk_ke [--native] [--seconds 5]
 *
 * then `npx tsx bench/profile.ts --top /tmp/prof/<file>.cpuprofile` prints
 * the functions with the most self time, and the share of each source file.
 */
import { readFileSync } from 'node:fs';
import { nobleCrypto } from '../src/crypto/noble.js';
import { nodeCrypto } from '../src/crypto/node.js';
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

const args = process.argv.slice(2);
if (args[0] === '--top') top(args[1]!, Number(args[2] ?? 40));
else {
  const secondsAt = args.indexOf('--seconds');
  await drive(args[0] ?? 'resumed_psk_ke', args.includes('--native'), secondsAt >= 0 ? Number(args[secondsAt + 1]) : 5);
}
