/**
 * Small, dependency-free measuring helpers shared by the benches.
 *
 * Method: warm up (so the JIT has compiled the hot path), calibrate a batch
 * size that takes about `roundMs`, then time `rounds` batches and report the
 * median rate, plus the spread (min..max) so noisy numbers are visible.
 */
import { performance } from 'node:perf_hooks';

export interface MeasureOptions {
  /** Timed rounds; the median is reported. At least 5. */
  rounds?: number;
  /** Target duration of one round, in ms. */
  roundMs?: number;
  /** Warm-up duration before calibration, in ms. */
  warmupMs?: number;
}

export interface Measurement {
  readonly name: string;
  /** Median operations per second over the rounds. */
  readonly opsPerSec: number;
  readonly minOpsPerSec: number;
  readonly maxOpsPerSec: number;
  /** Median time per operation, in microseconds. */
  readonly microsPerOp: number;
  readonly rounds: number;
  readonly opsPerRound: number;
}

export interface BenchSettings {
  readonly quick: boolean;
  readonly options: Required<MeasureOptions>;
}

/** `--quick` shortens every measurement (≈ 4× faster run, noisier numbers). */
export function benchSettings(argv: readonly string[] = process.argv.slice(2)): BenchSettings {
  const quick = argv.includes('--quick');
  return {
    quick,
    options: quick ? { rounds: 5, roundMs: 60, warmupMs: 40 } : { rounds: 7, roundMs: 220, warmupMs: 150 },
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function normalise(options: MeasureOptions): Required<MeasureOptions> {
  return {
    rounds: Math.max(5, options.rounds ?? 7),
    roundMs: options.roundMs ?? 220,
    warmupMs: options.warmupMs ?? 150,
  };
}

function summarise(name: string, rates: number[], opsPerRound: number): Measurement {
  const opsPerSec = median(rates);
  return {
    name,
    opsPerSec,
    minOpsPerSec: Math.min(...rates),
    maxOpsPerSec: Math.max(...rates),
    microsPerOp: 1e6 / opsPerSec,
    rounds: rates.length,
    opsPerRound,
  };
}

/** Measures a synchronous operation. The result of `fn` is kept alive so it cannot be optimised away. */
export function measure(name: string, fn: () => unknown, options: MeasureOptions = {}): Measurement {
  const { rounds, roundMs, warmupMs } = normalise(options);
  let sink: unknown;
  let warmupOps = 0;
  const warmupStart = performance.now();
  do {
    sink = fn();
    warmupOps++;
  } while (performance.now() - warmupStart < warmupMs);
  const perOpMs = (performance.now() - warmupStart) / warmupOps;
  const opsPerRound = Math.max(1, Math.round(roundMs / Math.max(perOpMs, 1e-6)));

  const rates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    for (let i = 0; i < opsPerRound; i++) sink = fn();
    const elapsed = performance.now() - start;
    rates.push((opsPerRound * 1000) / Math.max(elapsed, 1e-6));
  }
  keep(sink);
  return summarise(name, rates, opsPerRound);
}

/** Measures an asynchronous operation (awaited one at a time). */
export async function measureAsync(name: string, fn: () => Promise<unknown>, options: MeasureOptions = {}): Promise<Measurement> {
  const { rounds, roundMs, warmupMs } = normalise(options);
  let sink: unknown;
  let warmupOps = 0;
  const warmupStart = performance.now();
  do {
    sink = await fn();
    warmupOps++;
  } while (performance.now() - warmupStart < warmupMs);
  const perOpMs = (performance.now() - warmupStart) / warmupOps;
  const opsPerRound = Math.max(1, Math.round(roundMs / Math.max(perOpMs, 1e-6)));

  const rates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    for (let i = 0; i < opsPerRound; i++) sink = await fn();
    const elapsed = performance.now() - start;
    rates.push((opsPerRound * 1000) / Math.max(elapsed, 1e-6));
  }
  keep(sink);
  return summarise(name, rates, opsPerRound);
}

/** Holds the last result of a measured function so the engine cannot skip the work. */
let blackhole: unknown;
function keep(value: unknown): void {
  blackhole = value;
  if (blackhole === keep) console.log('unreachable');
}

/** Formats a number with 3 significant digits and a thousands separator. */
export function formatRate(value: number): string {
  if (value >= 1000) return Math.round(value).toLocaleString('en-US');
  return value.toPrecision(3);
}

/** A plain-text table with right-aligned numeric columns (all but the first). */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
