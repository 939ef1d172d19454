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
  /** `--wall` times rounds by the wall clock instead of CPU time (see Clock). */
  readonly clock: Clock;
}

/** `--quick` shortens every measurement (≈ 4× faster run, noisier numbers). */
export function benchSettings(argv: readonly string[] = process.argv.slice(2)): BenchSettings {
  const quick = argv.includes('--quick');
  return {
    quick,
    clock: argv.includes('--wall') ? 'wall' : 'cpu',
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

/**
 * Measures an operation that reports how many units of work it did (e.g. a
 * batch of 4 concurrent handshakes returns 4, a bulk transfer returns its
 * bytes). Rates are units per second. Sync and async functions alike.
 */
export async function measureOps(
  name: string,
  fn: () => number | Promise<number>,
  options: MeasureOptions = {},
): Promise<Measurement> {
  const { rounds, roundMs, warmupMs } = normalise(options);
  let warmupCalls = 0;
  const warmupStart = performance.now();
  do {
    await fn();
    warmupCalls++;
  } while (performance.now() - warmupStart < warmupMs);
  const perCallMs = (performance.now() - warmupStart) / warmupCalls;
  const callsPerRound = Math.max(1, Math.round(roundMs / Math.max(perCallMs, 1e-6)));

  const rates: number[] = [];
  let units = 0;
  for (let r = 0; r < rounds; r++) {
    let done = 0;
    const start = performance.now();
    for (let i = 0; i < callsPerRound; i++) done += await fn();
    const elapsed = performance.now() - start;
    rates.push((done * 1000) / Math.max(elapsed, 1e-6));
    units = done;
  }
  return summarise(name, rates, units);
}

/** One of several operations measured side by side. Returns the units of work it did. */
export interface Contender {
  readonly name: string;
  readonly fn: () => number | Promise<number>;
}

export interface Interleaved {
  /** Rates on the chosen clock (CPU time by default). */
  readonly measurements: Measurement[];
  /** rates[contender][round], units per second, on the chosen clock. */
  readonly rates: number[][];
  /** The same rounds timed by the wall clock, for reference. */
  readonly wall: Measurement[];
}

/**
 * What a round's duration is taken from. `cpu` (the default) is this
 * process's user + system CPU time, all threads: on a machine shared with
 * other work it stays put when the scheduler takes the core away, which the
 * wall clock does not. It also means that time spent waiting on the
 * loopback (nothing to do) is not counted: a rate is "per second of one busy
 * core". `wall` is the elapsed time.
 */
export type Clock = 'cpu' | 'wall';

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Measures several operations in interleaved rounds (A B C, B C A, …), so
 * that on a busy machine a burst of load hits all of them alike: a ratio of
 * two contenders taken round by round (`medianRatio`) is much steadier than
 * the ratio of two figures measured a minute apart.
 */
export async function measureInterleaved(contenders: readonly Contender[], options: MeasureOptions = {}, clock: Clock = 'cpu'): Promise<Interleaved> {
  const { rounds, roundMs, warmupMs } = normalise(options);
  const callsPerRound: number[] = [];
  for (const c of contenders) {
    let calls = 0;
    const start = performance.now();
    do {
      await c.fn();
      calls++;
    } while (performance.now() - start < warmupMs);
    const perCallMs = (performance.now() - start) / calls;
    callsPerRound.push(Math.max(1, Math.round(roundMs / Math.max(perCallMs, 1e-6))));
  }
  const rates: number[][] = contenders.map(() => []);
  const wallRates: number[][] = contenders.map(() => []);
  const units: number[] = contenders.map(() => 0);
  for (let r = 0; r < rounds; r++) {
    // Each round starts with a different contender: whoever runs right after
    // an allocation-heavy contender pays for its garbage, so a fixed order
    // would bias every round the same way. (A forced collection between
    // rounds is no cure: V8 then shrinks the young generation and every
    // contender runs several times slower than in real use.)
    for (let j = 0; j < contenders.length; j++) {
      const i = (r + j) % contenders.length;
      const c = contenders[i]!;
      let done = 0;
      const start = performance.now();
      const startCpu = cpuMs();
      for (let k = 0; k < callsPerRound[i]!; k++) done += await c.fn();
      const elapsed = performance.now() - start;
      const cpu = cpuMs() - startCpu;
      const wallRate = (done * 1000) / Math.max(elapsed, 1e-6);
      wallRates[i]!.push(wallRate);
      rates[i]!.push(clock === 'wall' ? wallRate : (done * 1000) / Math.max(cpu, 1e-3));
      units[i] = done;
    }
  }
  return {
    measurements: contenders.map((c, i) => summarise(c.name, rates[i]!, units[i]!)),
    rates,
    wall: contenders.map((c, i) => summarise(c.name, wallRates[i]!, units[i]!)),
  };
}

/** The median of the round-by-round ratios a[i] / b[i] of two interleaved contenders. */
export function medianRatio(a: readonly number[], b: readonly number[]): number {
  return median(a.map((x, i) => x / b[i]!));
}

/** A figure as the JSON results keep it: median and spread over the rounds. */
export interface Stat {
  readonly median: number;
  /** The wall-clock median of the same rounds, when the figure was timed in CPU time. */
  readonly wallMedian?: number;
  readonly min: number;
  readonly max: number;
  readonly rounds: number;
  readonly unit: string;
}

/** A Measurement as a Stat, optionally scaled (e.g. bytes/s → MB/s with 1e-6). */
export function toStat(m: Measurement, unit: string, scale = 1): Stat {
  return { median: m.opsPerSec * scale, min: m.minOpsPerSec * scale, max: m.maxOpsPerSec * scale, rounds: m.rounds, unit };
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
