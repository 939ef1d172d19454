/**
 * Builds the fuzz targets and runs Jazzer.js (libFuzzer) on them.
 *
 *   npm run fuzz -- <target|all> [seconds]     long run; new inputs go into test/fuzz/corpus/<target>/
 *
 * Targets are TypeScript (test/fuzz/targets/*.ts). Jazzer.js loads
 * CommonJS and instruments what it loads, so each target is bundled by
 * esbuild (tsx's own dependency) into test/fuzz/.build/<target>.cjs with
 * our sources inside (instrumented for coverage) and @noble/* left outside
 * (loaded from node_modules, which Jazzer does not instrument: the
 * primitives' arithmetic would only add noise to the coverage signal).
 *
 * On systems whose glibc is older than the one the prebuilt libFuzzer addon
 * was built for, a patched copy is used (glibcCompat.ts).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { writePatchedAddon } from './glibcCompat.js';

export const TARGETS = ['record', 'handshake', 'x509', 'server', 'client'] as const;
export type Target = (typeof TARGETS)[number];

/** Longest input per target: a record stream or handshake flight fits easily. */
const MAX_LEN: Readonly<Record<Target, number>> = { record: 8192, handshake: 8192, x509: 8192, server: 12288, client: 12288 };

const ROOT = resolve(process.env.TLS13_ROOT ?? process.cwd());
export const FUZZ_DIR = join(ROOT, 'test/fuzz');
export const BUILD_DIR = join(FUZZ_DIR, '.build');
export const CORPUS_DIR = join(FUZZ_DIR, 'corpus');
export const REGRESSIONS_DIR = join(FUZZ_DIR, 'regressions');

const require = createRequire(join(ROOT, 'package.json'));

/**
 * Bundles every target into `<dir>/<target>.cjs` (default test/fuzz/.build/).
 * Concurrent runs (a long `npm run fuzz` while `npm test` runs) should use
 * separate directories under test/fuzz/.build/, so that node_modules still
 * resolves and no run loads a bundle another is rewriting.
 */
export async function buildTargets(dir: string = BUILD_DIR): Promise<string> {
  mkdirSync(dir, { recursive: true });
  await build({
    entryPoints: TARGETS.map((t) => join(FUZZ_DIR, 'targets', `${t}.ts`)),
    outdir: dir,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['@noble/*'],
    logLevel: 'warning',
  });
  return dir;
}

let addonEnv: Record<string, string> | undefined;

/** Environment for the Jazzer process: empty if the addon loads as shipped, else the redirect to a patched copy. */
export function addonEnvironment(): Record<string, string> {
  addonEnv ??= probeAddon();
  return addonEnv;
}

function probeAddon(): Record<string, string> {
  const cli = require.resolve('@jazzer.js/core/dist/cli.js');
  const fuzzerDir = resolve(require.resolve('@jazzer.js/fuzzer/package.json', { paths: [cli] }), '..');
  const addon = join(fuzzerDir, 'prebuilds', `fuzzer-${process.platform}-${process.arch}.node`);
  const probe = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(addon)})`], { encoding: 'utf8' });
  if (probe.status === 0) return {};
  if (process.platform !== 'linux' || !/GLIBC|GLIBCXX/.test(probe.stderr)) {
    throw new Error(`the Jazzer.js fuzzer addon does not load: ${probe.stderr.trim()}`);
  }
  mkdirSync(BUILD_DIR, { recursive: true });
  const patched = join(BUILD_DIR, `fuzzer-${process.platform}-${process.arch}.node`);
  // Written aside and renamed into place: a Jazzer process of another run
  // may have the previous copy mapped.
  const scratch = `${patched}.${process.pid}.tmp`;
  if (!writePatchedAddon(addon, scratch)) throw new Error(`the Jazzer.js fuzzer addon does not load: ${probe.stderr.trim()}`);
  renameSync(scratch, patched);
  const check = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(patched)})`], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`the patched Jazzer.js addon does not load either: ${check.stderr.trim()}`);
  return { TLS13_FUZZ_ADDON_FROM: addon, TLS13_FUZZ_ADDON_TO: patched };
}

export interface FuzzRun {
  readonly code: number | null;
  /** The signal that ended Jazzer, if any (an abort in the addon, an OOM kill). */
  readonly signal: NodeJS.Signals | null;
  readonly output: string;
  /** Inputs executed, from libFuzzer's final statistics. */
  readonly executions: number | undefined;
  readonly artifacts: readonly string[];
}

export interface FuzzOptions {
  readonly seconds: number;
  /** Where new interesting inputs go (libFuzzer's first corpus directory). */
  readonly outputCorpus: string;
  /** Read-only seed directories. */
  readonly seedCorpora?: readonly string[];
  /** Where crash inputs are written. */
  readonly artifactDir?: string;
  /** Echo Jazzer's output while it runs. */
  readonly echo?: boolean;
  /** Where buildTargets() put the bundles (default test/fuzz/.build/). */
  readonly buildDir?: string;
}

/** Runs Jazzer.js on one built target for a fixed time. Resolves when it exits. */
export function runFuzzer(target: Target, options: FuzzOptions): Promise<FuzzRun> {
  const env = { ...process.env, ...addonEnvironment() };
  const cli = require.resolve('@jazzer.js/core/dist/cli.js');
  const artifactDir = options.artifactDir ?? join(BUILD_DIR, 'artifacts', target);
  mkdirSync(artifactDir, { recursive: true });
  mkdirSync(options.outputCorpus, { recursive: true });
  const seeds = (options.seedCorpora ?? []).filter((d) => existsSync(d));
  const args = [
    '-r',
    join(FUZZ_DIR, 'support/redirectAddon.cjs'),
    cli,
    join(options.buildDir ?? BUILD_DIR, `${target}.cjs`),
    options.outputCorpus,
    ...seeds,
    '--sync',
    '-f',
    'fuzz',
    '--timeout=20000',
    '--',
    `-max_total_time=${Math.max(1, Math.round(options.seconds))}`,
    `-max_len=${MAX_LEN[target]}`,
    `-artifact_prefix=${artifactDir}/`,
    '-print_final_stats=1',
    '-rss_limit_mb=4096',
  ];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const take = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      output += text;
      if (output.length > 2_000_000) output = output.slice(-1_000_000);
      if (options.echo) process.stderr.write(text);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      // The final statistics, else the last progress line (#N ...) libFuzzer printed.
      const runs = /stat::number_of_executed_units:\s*(\d+)/.exec(output) ?? /Done (\d+) runs/.exec(output) ?? [...output.matchAll(/^#(\d+)\s/gm)].pop();
      const artifacts = readdirSync(artifactDir).filter((f) => /^(crash|timeout|oom|leak)-/.test(f));
      resolvePromise({ code, signal, output, executions: runs ? Number(runs[1]) : undefined, artifacts: artifacts.map((f) => join(artifactDir, f)) });
    });
  });
}

/**
 * `npm run fuzz -- <target|all> [seconds]`: new inputs that add coverage go
 * straight into test/fuzz/corpus/<target>/ (libFuzzer's output corpus);
 * commit the ones worth keeping. (libFuzzer's -merge=1 re-executes the
 * command line in subprocesses, which Jazzer.js does not support.)
 */
async function main(argv: readonly string[]): Promise<number> {
  const [which = 'all', secondsText = '300'] = argv;
  const targets = which === 'all' ? [...TARGETS] : [which as Target];
  for (const t of targets) {
    if (!TARGETS.includes(t)) {
      console.error(`unknown target ${t}; one of: ${TARGETS.join(', ')}, all`);
      return 2;
    }
  }
  await buildTargets();
  let status = 0;
  for (const target of targets) {
    console.error(`fuzzing ${target} for ${secondsText} s (corpus test/fuzz/corpus/${target}/)`);
    const before = readdirSync(join(CORPUS_DIR, target)).length;
    const run = await runFuzzer(target, {
      seconds: Number(secondsText),
      outputCorpus: join(CORPUS_DIR, target),
      seedCorpora: [join(REGRESSIONS_DIR, target)],
      echo: true,
    });
    const added = readdirSync(join(CORPUS_DIR, target)).length - before;
    console.error(
      `${target}: exit ${run.code ?? run.signal}, ${run.executions ?? '?'} executions, ${added} inputs added to test/fuzz/corpus/${target}/, ` +
        `crash inputs: ${run.artifacts.join(', ') || 'none'}`,
    );
    if (run.code !== 0) status = 1;
  }
  return status;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(FUZZ_DIR, 'support/runner.ts')) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
