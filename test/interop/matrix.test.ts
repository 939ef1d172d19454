/**
 * The OpenSSL interop matrix inside `npm test`: every cell of
 * `npm run interop` (interop/cases.ts) is one test here, run against the
 * local openssl (or $TLS13_INTEROP_OPENSSL). Without openssl the suite is
 * skipped, and its title says why; CI (.ci/run) installs openssl first.
 *
 * Cases run three at a time (the runner's own limiter); each has its own
 * timeout inside the runner, scaled up here because other test files share
 * the machine. The vitest timeout is only a backstop.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASES } from '../../interop/cases.js';
import { localPeer, type Peer } from '../../interop/peer.js';
import { makePki, type Pki } from '../../interop/pki.js';
import { Limiter, runCase, type CaseResult } from '../../interop/runner.js';

const BINARY = process.env.TLS13_INTEROP_OPENSSL ?? 'openssl';
const CONCURRENCY = 3;
const TIMEOUT_SCALE = 2;
const BACKSTOP_MS = 10 * 60_000;

let peer: Peer | undefined;
let missing = '';
try {
  peer = localPeer(BINARY);
} catch (err) {
  missing = (err as Error).message;
}

const DIRECTION = { client: 'our client → s_server', server: 's_client → our server' } as const;

function explain(r: CaseResult): string {
  const output = r.peerOutput.length > 3000 ? `${r.peerOutput.slice(0, 1500)}\n[…]\n${r.peerOutput.slice(-1500)}` : r.peerOutput;
  return [`step: ${r.step}`, `error: ${r.error}`, ...r.notes.map((n) => `note: ${n}`), 'peer output:', output].join('\n');
}

describe.skipIf(peer === undefined)(
  peer ? `interop with ${peer.label}` : `interop with openssl — SKIPPED: ${missing} (install openssl 3.x or set TLS13_INTEROP_OPENSSL)`,
  () => {
    if (peer === undefined) {
      // Only reached to collect the (skipped) suite; it shows up as skipped with the reason above.
      it('needs an openssl binary', () => {
        expect(peer).toBeDefined();
      });
      return;
    }
    const p = peer;
    let pki: Pki | undefined;
    const limiter = new Limiter(CONCURRENCY);

    beforeAll(async () => {
      pki = await makePki(BINARY);
    }, 120_000);
    afterAll(() => pki?.cleanup());

    it('marks only the ML-KEM rows not applicable, and only on peers without ML-KEM', () => {
      const na = CASES.filter((c) => c.notApplicable?.(p) !== undefined).map((c) => c.id);
      const mlkemOnly = CASES.filter((c) => c.id.startsWith('mlkem/')).map((c) => c.id);
      expect(na).toEqual(p.capabilities.mlkem ? [] : mlkemOnly);
    });

    for (const c of CASES) {
      if (c.notApplicable?.(p) !== undefined) continue;
      it.concurrent(
        `${c.section} › ${c.row} [${DIRECTION[c.direction]}]`,
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
