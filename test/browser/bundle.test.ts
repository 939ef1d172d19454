/**
 * The library bundles for the browser: esbuild with `platform: 'browser'`
 * fails on any `node:` import reachable from src/index.ts, so this test
 * keeps the core portable (DESIGN.md: only node*.ts files may use Node).
 */
import { describe, expect, it } from 'vitest';
import { bundleLibrary, bundlePage } from '../../examples/browser/bundle.js';

describe('browser bundles', () => {
  it('bundles src/index.ts for the browser with no Node built-ins', async () => {
    const lib = await bundleLibrary();
    expect(lib.code).not.toMatch(/from\s*["']node:/);
    expect(lib.code).not.toMatch(/require\(["']node:/);
    // The public API is there: the sans-I/O connections and the Web Streams adapter.
    for (const name of ['ClientConnection', 'ServerConnection', 'connectStreams', 'acceptStreams', 'streamPair', 'formatDialogue']) {
      expect(lib.code).toMatch(new RegExp(`\\b${name}\\b`));
    }
    // A sanity bound, so an accidental dependency shows up (today about 280 KiB minified, 95 KiB gzipped).
    expect(lib.bytes).toBeLessThan(1024 * 1024);
  }, 30_000);

  it('bundles the example page', async () => {
    const page = await bundlePage();
    expect(page.code).toContain('webSocketStreams');
    expect(page.code).not.toMatch(/from\s*["']node:/);
  }, 30_000);
});
