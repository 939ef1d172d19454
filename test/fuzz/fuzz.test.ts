/**
 * A short, fixed-time Jazzer.js run of every fuzz target (issue 8, part 3),
 * so a regression that the corpus or a few seconds of mutation can reach
 * fails `npm test`. Long runs: `npm run fuzz -- <target> [seconds]`.
 *
 * New inputs found here go to a temporary directory (the committed corpus
 * is only read); crash inputs are written to test/fuzz/.build/artifacts/ and
 * named in the failure message: turn each into a regression file in
 * test/fuzz/regressions/<target>/ once fixed.
 *
 * TLS13_FUZZ_SECONDS sets the time per target (default 8).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILD_DIR, CORPUS_DIR, REGRESSIONS_DIR, TARGETS, buildTargets, runFuzzer, type FuzzRun, type Target } from './support/runner.js';

const SECONDS = Number(process.env.TLS13_FUZZ_SECONDS ?? 8);
/** Two fuzzers at a time: libFuzzer is single-threaded, and CI has two cores. */
const PARALLEL = 2;

const scratch = mkdtempSync(join(tmpdir(), 'tls13-fuzz-'));
/** Bundles of this run only, beside node_modules (so @noble/* resolves), apart from any concurrent run. */
const buildDir = join(BUILD_DIR, `test-run-${process.pid}`);
const results = new Map<Target, Promise<FuzzRun>>();

function startAll(): void {
  const queue = [...TARGETS];
  const next = (): Promise<void> | undefined => {
    const target = queue.shift();
    if (!target) return undefined;
    const run = runFuzzer(target, {
      seconds: SECONDS,
      outputCorpus: join(scratch, target),
      seedCorpora: [join(CORPUS_DIR, target), join(REGRESSIONS_DIR, target)],
      buildDir,
      // Kept after the run, so a crash input can be turned into a regression file.
      artifactDir: join(BUILD_DIR, 'artifacts', `test-run-${process.pid}`, target),
    });
    results.set(target, run);
    return run.then(() => next());
  };
  for (let i = 0; i < PARALLEL; i++) void next();
}

beforeAll(async () => {
  await buildTargets(buildDir);
  startAll();
}, 60_000);

afterAll(async () => {
  // Let every run finish before removing what they use.
  await Promise.allSettled(results.values());
  rmSync(scratch, { recursive: true, force: true });
  rmSync(buildDir, { recursive: true, force: true });
});

describe(`Jazzer.js, ${SECONDS} s per target`, () => {
  for (const target of TARGETS) {
    it(`${target}: no crash, no invariant violation`, async () => {
      // Targets start in order, two at a time; wait for ours to be scheduled.
      while (!results.has(target)) await new Promise((r) => setTimeout(r, 100));
      const run = await results.get(target)!;
      const tail = run.output.split('\n').filter((l) => !/^#\d+\s+(NEW|REDUCE|pulse)/.test(l)).slice(-40).join('\n');
      expect(run.artifacts, `crash inputs written:\n${tail}`).toEqual([]);
      expect(run.code, `jazzer exited ${run.code ?? run.signal}:\n${tail}`).toBe(0);
      expect(run.executions ?? 0).toBeGreaterThan(0);
      console.log(`fuzz ${target}: ${run.executions} executions in ${SECONDS} s`);
    }, (SECONDS * 3 + 120) * 1000);
  }
});
