/**
 * Every committed corpus input and every regression input, run through its
 * fuzz target directly (no Jazzer): deterministic, and fast enough to run on
 * every `npm test`. An input that once crashed a target lives in
 * test/fuzz/regressions/<target>/ and must keep passing here.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fuzz as client } from './targets/client.js';
import { fuzz as handshake } from './targets/handshake.js';
import { fuzz as record } from './targets/record.js';
import { fuzz as server } from './targets/server.js';
import { fuzz as x509 } from './targets/x509.js';
import { CORPUS_DIR, REGRESSIONS_DIR, TARGETS, type Target } from './support/runner.js';

const FUZZ: Readonly<Record<Target, (input: Uint8Array) => void>> = { record, handshake, x509, server, client };

function inputs(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => !f.startsWith('.')).map((f) => join(dir, f)) : [];
}

describe('fuzz corpus and regressions, replayed', () => {
  for (const target of TARGETS) {
    it(`${target}: every seed and regression input passes`, () => {
      const files = [...inputs(join(CORPUS_DIR, target)), ...inputs(join(REGRESSIONS_DIR, target))];
      expect(files.length).toBeGreaterThan(0);
      for (const file of files) {
        try {
          FUZZ[target](new Uint8Array(readFileSync(file)));
        } catch (err) {
          throw new Error(`${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        }
      }
    }, 120_000);
  }
});
