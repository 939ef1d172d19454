/**
 * `npm run interop`: runs the interop matrix against OpenSSL and prints it.
 *
 *   npm run interop                         the local openssl
 *   npm run interop -- --peer /opt/ossl/bin/openssl --peer openssl
 *   npm run interop -- --docker             OpenSSL 3.0 and 3.5 images (see README.md)
 *   npm run interop -- --filter resumption --verbose
 *
 * Exit status: 0 when every applicable cell passed, 1 otherwise, 2 on usage errors.
 */
import { writeFileSync } from 'node:fs';
import { CASES, selectCases } from './cases.js';
import { parseArgs, resolvePeers, USAGE, type Options } from './cli.js';
import { makePki, type Pki } from './pki.js';
import { PeerProcess, type Peer } from './peer.js';
import { runMatrix, type CaseResult } from './runner.js';
import { cellText, countResults, formatFailures, formatTable } from './table.js';

async function main(argv: readonly string[]): Promise<number> {
  let opts: Options;
  let peers: Peer[];
  try {
    opts = parseArgs(argv);
    if (opts.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    peers = resolvePeers(opts);
  } catch (err) {
    process.stderr.write(`interop: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const cases = selectCases(opts.filters);
  if (opts.list) {
    for (const c of cases) process.stdout.write(`${c.id.padEnd(48)} ${c.row} [${c.direction}]\n`);
    return 0;
  }
  if (cases.length === 0) {
    process.stderr.write(`interop: no case matches ${opts.filters.join(', ')} (of ${CASES.length})\n`);
    return 2;
  }

  process.stdout.write(`interop: ${cases.length} cases × ${peers.length} peer(s): ${peers.map((p) => p.label).join(', ')}\n`);
  const started = performance.now();
  let pki: Pki;
  try {
    pki = await makePki();
  } catch (err) {
    process.stderr.write(`interop: cannot create the test PKI: ${(err as Error).message}\n`);
    return 1;
  }
  const stop = (): void => {
    // Interrupted: end every openssl still running, by pid, and remove the temporary PKI.
    PeerProcess.killAllNow();
    pki.cleanup();
    process.exit(130);
  };
  process.once('SIGINT', stop);

  let done = 0;
  const total = cases.length * peers.length;
  let results: CaseResult[];
  try {
    results = await runMatrix(cases, peers, pki, {
      concurrency: opts.concurrency,
      timeoutScale: opts.timeoutScale,
      onResult: (r) => {
        done++;
        if (opts.verbose || r.status === 'fail') {
          process.stdout.write(
            `[${String(done).padStart(String(total).length)}/${total}] ${cellText(r).padEnd(12)} ${r.case.row} [${r.case.direction}] ${r.peer.label} ${(r.durationMs / 1000).toFixed(1)}s${r.error ? `: ${r.error}` : ''}\n` +
              (opts.verbose ? r.notes.map((n) => `      note: ${n}\n`).join('') : ''),
          );
        } else if (process.stdout.isTTY) {
          process.stdout.write(`\r[${done}/${total}]`);
        }
      },
    });
  } finally {
    process.off('SIGINT', stop);
    pki.cleanup();
  }
  if (process.stdout.isTTY && !opts.verbose) process.stdout.write('\r');

  const failures = formatFailures(results);
  if (failures) process.stdout.write(`\nFailures\n\n${failures}\n`);
  process.stdout.write(`\n(${((performance.now() - started) / 1000).toFixed(1)} s, concurrency ${opts.concurrency})\n`);
  // The table ends with the closing line `N passed, M failed`.
  process.stdout.write(`${formatTable(cases, peers, results)}\n`);

  if (opts.json) {
    writeFileSync(
      opts.json,
      JSON.stringify(
        results.map((r) => ({
          id: r.case.id,
          row: r.case.row,
          section: r.case.section,
          direction: r.case.direction,
          peer: r.peer.label,
          status: r.status,
          step: r.step,
          error: r.error,
          notes: r.notes,
          durationMs: Math.round(r.durationMs),
          peerOutput: r.status === 'fail' ? r.peerOutput : undefined,
        })),
        null,
        2,
      ),
    );
  }
  return countResults(results).failed > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`interop: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
