/**
 * The GnuTLS cells of the interop matrix inside `npm test`: every row of
 * interop/cases.ts that interop/gnutls.ts maps runs against the local
 * gnutls-serv / gnutls-cli (Debian's gnutls-bin), one test per cell.
 * Without gnutls-bin the suite is skipped and its title says why; CI
 * (.ci/run) installs gnutls-bin first. The PKI is made with the local
 * openssl CLI, as for the OpenSSL cells.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASES } from '../../interop/cases.js';
import { commandLine, gnutlsPeer, localPeer, type Peer } from '../../interop/peer.js';
import { makePki, type Pki } from '../../interop/pki.js';
import { Limiter, runCase, type CaseResult } from '../../interop/runner.js';
import { directionHead, formatTable } from '../../interop/table.js';

const CONCURRENCY = 3;
const TIMEOUT_SCALE = 2;
const BACKSTOP_MS = 10 * 60_000;

let peer: Peer | undefined;
let missing = '';
try {
  localPeer('openssl'); // the PKI needs it
  peer = gnutlsPeer();
} catch (err) {
  missing = (err as Error).message;
}

function explain(r: CaseResult): string {
  const output = r.peerOutput.length > 3000 ? `${r.peerOutput.slice(0, 1500)}\n[…]\n${r.peerOutput.slice(-1500)}` : r.peerOutput;
  return [`step: ${r.step}`, `error: ${r.error}`, ...r.notes.map((n) => `note: ${n}`), 'peer output:', output].join('\n');
}

describe('the GnuTLS peer without running it', () => {
  const fake: Peer = { kind: 'gnutls', label: 'GnuTLS 3.7.9', dir: '', capabilities: { version: '3.7.9', mlkem: false } };

  it('runs gnutls-serv / gnutls-cli from PATH or from its directory, and nothing else', () => {
    expect(commandLine(fake, ['gnutls-cli', '-p', '443', '127.0.0.1'], { mounts: [], name: 'x' })).toEqual({ file: 'gnutls-cli', args: ['-p', '443', '127.0.0.1'] });
    expect(commandLine({ ...fake, dir: '/opt/gnutls/bin' }, ['gnutls-serv', '--echo'], { mounts: [], name: 'x' })).toEqual({ file: '/opt/gnutls/bin/gnutls-serv', args: ['--echo'] });
    expect(() => commandLine(fake, ['s_server'], { mounts: [], name: 'x' })).toThrow(/gnutls-serv or gnutls-cli/);
  });

  it('marks exactly the rows GnuTLS cannot do n/a, each with a reason', () => {
    const na = CASES.filter((c) => c.notApplicable?.(fake) !== undefined).map((c) => c.id);
    expect(na).toEqual([
      'mlkem/client',
      'mlkem/server',
      'early-rejected/client',
      'early-replay/client',
      'early-replay/server',
      'keyupdate-peer/client',
      'keyupdate-peer-requested/client',
      'close-by-peer/client',
    ]);
    for (const c of CASES) expect(c.notApplicable?.(fake) ?? '').not.toMatch(/not mapped/);
  });

  it('names its tools in the column heads', () => {
    expect(directionHead(fake, 'client')).toBe('our client → gnutls-serv');
    expect(directionHead(fake, 'server')).toBe('gnutls-cli → our server');
    expect(formatTable(CASES.slice(0, 2), [fake], [])).toContain('our client → gnutls-serv │ gnutls-cli → our server');
  });
});

describe.skipIf(peer === undefined)(
  peer ? `interop with ${peer.label}` : `interop with GnuTLS — SKIPPED: ${missing} (apt-get install gnutls-bin)`,
  () => {
    if (peer === undefined) {
      // Only reached to collect the (skipped) suite; it shows up as skipped with the reason above.
      it('needs gnutls-serv and gnutls-cli', () => {
        expect(peer).toBeDefined();
      });
      return;
    }
    const p = peer;
    let pki: Pki | undefined;
    const limiter = new Limiter(CONCURRENCY);

    beforeAll(async () => {
      pki = await makePki();
    }, 120_000);
    afterAll(() => pki?.cleanup());

    for (const c of CASES) {
      if (c.notApplicable?.(p) !== undefined) continue;
      it.concurrent(
        `${c.section} › ${c.row} [${directionHead(p, c.direction)}]`,
        async () => {
          const r = await limiter.run(() => runCase(c, p, pki!, { timeoutScale: TIMEOUT_SCALE }));
          if (r.status !== 'pass') expect.fail(explain(r));
          expect(r.status).toBe('pass');
        },
        BACKSTOP_MS,
      );
    }
  },
);
