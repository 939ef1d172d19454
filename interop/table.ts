/**
 * The matrix as text: rows are features (grouped by section), columns are
 * direction × peer, cells say pass, n/a, or FAIL with the step that failed.
 */
import type { Peer } from './peer.js';
import type { CaseResult, Direction, InteropCase } from './runner.js';

const DIRECTION_HEAD: Record<Direction, string> = {
  client: 'our client → s_server',
  server: 's_client → our server',
};

const GNUTLS_DIRECTION_HEAD: Record<Direction, string> = {
  client: 'our client → gnutls-serv',
  server: 'gnutls-cli → our server',
};

/** A column head: the direction, named with the peer's own tools. */
export function directionHead(peer: Peer, direction: Direction): string {
  return (peer.kind === 'gnutls' ? GNUTLS_DIRECTION_HEAD : DIRECTION_HEAD)[direction];
}

/** Text of one cell. */
export function cellText(r: CaseResult | undefined): string {
  if (!r) return '-';
  if (r.status === 'pass') return 'pass';
  if (r.status === 'n/a') return 'n/a';
  return `FAIL: ${r.step ?? '?'}`;
}

export interface Counts {
  readonly passed: number;
  readonly failed: number;
  readonly notApplicable: number;
}

export function countResults(results: readonly CaseResult[]): Counts {
  let passed = 0;
  let failed = 0;
  let notApplicable = 0;
  for (const r of results) {
    if (r.status === 'pass') passed++;
    else if (r.status === 'fail') failed++;
    else notApplicable++;
  }
  return { passed, failed, notApplicable };
}

/** The closing line, exactly `N passed, M failed` (cells that do not apply count in neither). */
export function summaryLine(results: readonly CaseResult[]): string {
  const c = countResults(results);
  return `${c.passed} passed, ${c.failed} failed`;
}

/** The line before it: which cells did not apply, and why. */
export function notApplicableLine(results: readonly CaseResult[]): string | undefined {
  const na = results.filter((r) => r.status === 'n/a');
  if (na.length === 0) return undefined;
  const reasons = [...new Set(na.map((r) => r.step))].join('; ');
  return `${na.length} not applicable: ${reasons}`;
}

/**
 * Formats the table, ending with the closing line. `cases` gives the row order; `peers` the column order
 * (each peer gets the two directions).
 */
export function formatTable(cases: readonly InteropCase[], peers: readonly Peer[], results: readonly CaseResult[], maxCell = 34): string {
  const byKey = new Map<string, CaseResult>();
  for (const r of results) byKey.set(`${r.peer.label}\u0000${r.case.section}\u0000${r.case.row}\u0000${r.case.direction}`, r);

  // Rows in first-seen order, grouped by section.
  const sections: { name: string; rows: string[] }[] = [];
  for (const c of cases) {
    let s = sections.find((x) => x.name === c.section);
    if (!s) sections.push((s = { name: c.section, rows: [] }));
    if (!s.rows.includes(c.row)) s.rows.push(c.row);
  }
  const directions: Direction[] = ['client', 'server'];
  const columns = peers.flatMap((peer) => directions.map((direction) => ({ peer, direction })));

  const clip = (s: string, n: number): string => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);
  const cells = (section: string, row: string): string[] =>
    columns.map(({ peer, direction }) => clip(cellText(byKey.get(`${peer.label}\u0000${section}\u0000${row}\u0000${direction}`)), maxCell));

  const rowWidth = Math.max(7, ...sections.flatMap((s) => s.rows.map((r) => r.length + 2)), ...sections.map((s) => s.name.length));
  const widths = columns.map(({ peer, direction }, i) =>
    Math.max(
      directionHead(peer, direction).length,
      // The peer label spans its two columns.
      i % 2 === 0 ? Math.ceil(peer.label.length / 2) : 0,
      ...sections.flatMap((s) => s.rows.map((r) => cells(s.name, r)[i]!.length)),
    ),
  );
  const line = (first: string, rest: string[]): string =>
    `${first.padEnd(rowWidth)} │ ${rest.map((c, i) => c.padEnd(widths[i]!)).join(' │ ')}`.trimEnd();
  const out: string[] = [];
  const peerHead = peers.map((p, i) => p.label.padEnd(widths[2 * i]! + widths[2 * i + 1]! + 3)).join(' │ ');
  out.push(`${''.padEnd(rowWidth)} │ ${peerHead}`.trimEnd());
  out.push(line('feature', columns.map((c) => directionHead(c.peer, c.direction))));
  const rule = `${'─'.repeat(rowWidth)}─┼─${widths.map((w) => '─'.repeat(w)).join('─┼─')}`;
  out.push(rule);
  for (const s of sections) {
    out.push(s.name);
    for (const row of s.rows) out.push(line(`  ${row}`, cells(s.name, row)));
  }
  out.push(rule);
  const na = notApplicableLine(results);
  if (na) out.push(na);
  out.push(summaryLine(results));
  return out.join('\n');
}

/** The failures in detail: case, step, error, notes and the peer's output (trimmed). */
export function formatFailures(results: readonly CaseResult[], maxOutput = 4000): string {
  const failed = results.filter((r) => r.status === 'fail');
  return failed
    .map((r) => {
      const out = r.peerOutput.length > maxOutput ? `${r.peerOutput.slice(0, maxOutput / 2)}\n[…]\n${r.peerOutput.slice(-maxOutput / 2)}` : r.peerOutput;
      return [
        `✗ ${r.case.row} [${directionHead(r.peer, r.case.direction)}] with ${r.peer.label} (${r.case.id})`,
        `  step:  ${r.step}`,
        `  error: ${r.error}`,
        ...r.notes.map((n) => `  note:  ${n}`),
        '  peer output:',
        out
          .split('\n')
          .map((l) => `    ${l}`)
          .join('\n'),
      ].join('\n');
    })
    .join('\n\n');
}
