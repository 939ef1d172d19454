/**
 * The runner's promises: a case that hangs is cut off by its timeout and
 * reported with the step it was in; every openssl process a case started is
 * ended by its pid whether the case passed, failed or timed out; a failure
 * keeps the peer's output.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localPeer, type Peer, type PeerProcess } from '../../interop/peer.js';
import { makePki, type Pki } from '../../interop/pki.js';
import { CaseFailure, Limiter, runCase, type CaseContext, type InteropCase } from '../../interop/runner.js';

let peer: Peer | undefined;
try {
  peer = localPeer(process.env.TLS13_INTEROP_OPENSSL ?? 'openssl');
} catch {
  peer = undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('Limiter', () => {
  it('never runs more than its limit at once, and runs everything', async () => {
    const limiter = new Limiter(2);
    let active = 0;
    let peak = 0;
    const done = await Promise.all(
      Array.from({ length: 7 }, (_, i) =>
        limiter.run(async () => {
          active++;
          peak = Math.max(peak, active);
          await new Promise((r) => setTimeout(r, 5));
          active--;
          return i;
        }),
      ),
    );
    expect(done).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(peak).toBe(2);
  });
});

describe.skipIf(peer === undefined)('runCase with a real openssl', () => {
  let pki: Pki;
  beforeAll(async () => {
    pki = await makePki();
  }, 120_000);
  afterAll(() => pki?.cleanup());

  const serverCase = (id: string, timeoutMs: number, body: (ctx: CaseContext, p: PeerProcess) => Promise<void>, seen: PeerProcess[]): InteropCase => ({
    id,
    section: 'runner',
    row: id,
    direction: 'client',
    timeoutMs,
    run: async (ctx) => {
      const p = ctx.spawn(['s_server', '-accept', '127.0.0.1:0', '-tls1_3', '-cert', pki.server.p256.cert, '-key', pki.server.p256.key]);
      seen.push(p);
      await ctx.step('listening', () => p.waitFor(/ACCEPT/));
      await body(ctx, p);
    },
  });

  it('times a hanging case out, names its step, and ends its openssl by pid', async () => {
    const seen: PeerProcess[] = [];
    const c = serverCase('hang', 1500, (ctx) => ctx.step('waiting forever', () => new Promise<void>(() => {})), seen);
    const r = await runCase(c, peer!, pki);
    expect(r.status).toBe('fail');
    expect(r.step).toBe('waiting forever');
    expect(r.error).toMatch(/timed out after 1500 ms/);
    expect(r.peerOutput).toMatch(/^\$ openssl s_server .*\nUsing default temp DH parameters\nACCEPT 127\.0\.0\.1:\d+/);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.hasExited).toBe(true);
    expect(alive(seen[0]!.pid)).toBe(false);
  });

  it('reports a failed check with its step, and still ends the process', async () => {
    const seen: PeerProcess[] = [];
    const c = serverCase(
      'fails',
      5000,
      (ctx) =>
        ctx.step('checking', () => {
          throw new CaseFailure('the thing was wrong');
        }),
      seen,
    );
    const r = await runCase(c, peer!, pki);
    expect(r).toMatchObject({ status: 'fail', step: 'checking', error: 'the thing was wrong' });
    expect(alive(seen[0]!.pid)).toBe(false);
  });

  it('ends the processes of a passing case too, and reports n/a without running', async () => {
    const seen: PeerProcess[] = [];
    const r = await runCase(serverCase('passes', 5000, async () => {}, seen), peer!, pki);
    expect(r.status).toBe('pass');
    expect(alive(seen[0]!.pid)).toBe(false);
    const na = await runCase({ ...serverCase('na', 5000, async () => {}, seen), notApplicable: () => 'not on this peer' }, peer!, pki);
    expect(na).toMatchObject({ status: 'n/a', step: 'not on this peer' });
    expect(seen).toHaveLength(1);
  });
});
