/**
 * The printed matrix: rows by section, a column per direction and peer,
 * cells naming the failing step, and the closing `N passed, M failed` line.
 */
import { describe, expect, it } from 'vitest';
import type { Peer } from '../../interop/peer.js';
import type { CaseResult, CaseStatus, Direction, InteropCase } from '../../interop/runner.js';
import { cellText, formatFailures, formatTable, summaryLine } from '../../interop/table.js';

const peer = (label: string): Peer => ({ kind: 'local', label, binary: 'openssl', capabilities: { version: '3.0.0', mlkem: false } });
const A = peer('OpenSSL 3.0.0');
const B = peer('OpenSSL 3.5.0 (/opt/o)');

const kase = (section: string, row: string, direction: Direction): InteropCase => ({
  id: `${row}/${direction}`,
  section,
  row,
  direction,
  timeoutMs: 1000,
  run: async () => {},
});

const result = (c: InteropCase, p: Peer, status: CaseStatus, step?: string): CaseResult => ({
  case: c,
  peer: p,
  status,
  step,
  error: status === 'fail' ? 'it broke' : undefined,
  peerOutput: status === 'fail' ? '$ openssl s_server\nERROR' : '',
  notes: status === 'fail' ? ['a note'] : [],
  durationMs: 1,
});

describe('the matrix table', () => {
  const cases = [
    kase('features', 'ALPN', 'client'),
    kase('features', 'ALPN', 'server'),
    kase('closure', 'close_notify', 'client'),
    kase('closure', 'close_notify', 'server'),
  ];
  const results = [
    result(cases[0]!, A, 'pass'),
    result(cases[1]!, A, 'fail', 'handshake'),
    result(cases[2]!, A, 'n/a', 'not here'),
    result(cases[3]!, A, 'pass'),
    result(cases[0]!, B, 'pass'),
    result(cases[1]!, B, 'pass'),
    result(cases[2]!, B, 'pass'),
  ];

  it('has a row per feature under its section, a column per direction and peer', () => {
    const lines = formatTable(cases, [A, B], results).split('\n');
    expect(lines[0]).toMatch(/OpenSSL 3\.0\.0 .*│ OpenSSL 3\.5\.0 \(\/opt\/o\)/);
    expect(lines[1]!.split('│').map((s) => s.trim())).toEqual([
      'feature',
      'our client → s_server',
      's_client → our server',
      'our client → s_server',
      's_client → our server',
    ]);
    const row = (name: string): string[] => lines.find((l) => l.trim().startsWith(name))!.split('│').map((s) => s.trim());
    expect(lines).toContain('features');
    expect(lines).toContain('closure');
    expect(row('ALPN')).toEqual(['ALPN', 'pass', 'FAIL: handshake', 'pass', 'pass']);
    expect(row('close_notify')).toEqual(['close_notify', 'n/a', 'pass', 'pass', '-']);
    expect(lines.at(-2)).toBe('1 not applicable: not here');
    expect(lines.at(-1)).toBe('5 passed, 1 failed');
  });

  it('aligns every row to the same column boundaries', () => {
    const lines = formatTable(cases, [A, B], results).split('\n').filter((l) => l.includes('│'));
    const bars = (l: string): number[] => [...l].flatMap((ch, i) => (ch === '│' ? [i] : []));
    const first = bars(lines[1]!);
    for (const l of lines.slice(2)) expect(bars(l)).toEqual(first.slice(0, bars(l).length));
  });

  it('summarises as "N passed, M failed"', () => {
    expect(summaryLine([result(cases[0]!, A, 'pass'), result(cases[1]!, A, 'pass')])).toBe('2 passed, 0 failed');
    expect(cellText(undefined)).toBe('-');
  });

  it('details each failure with its step, error, notes and the peer output', () => {
    const text = formatFailures(results);
    expect(text).toContain('✗ ALPN [s_client → our server] with OpenSSL 3.0.0 (ALPN/server)');
    expect(text).toContain('step:  handshake');
    expect(text).toContain('error: it broke');
    expect(text).toContain('note:  a note');
    expect(text).toContain('    $ openssl s_server');
    expect(formatFailures(results.filter((r) => r.status !== 'fail'))).toBe('');
  });
});
