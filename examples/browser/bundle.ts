/**
 * esbuild bundles for the browser: the library on its own (one ESM file a
 * page can import), and the example page's script.
 *
 *   npx tsx examples/browser/bundle.ts [outdir]     # default dist/browser
 *
 * Bundling for `platform: 'browser'` doubles as a check: a `node:` import
 * reaching the library's entry point fails the build, because the browser
 * has no such modules (the Node adapter lives behind its own entry point).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** What both bundles share: modern ES modules, no Node built-ins. */
const COMMON: BuildOptions = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  // Every browser with WHATWG streams and BigInt (which noble needs) handles ES2022.
  target: 'es2022',
  write: false,
  logLevel: 'silent',
  legalComments: 'none',
};

export interface Bundle {
  readonly code: string;
  readonly bytes: number;
}

async function bundle(entry: string, minify: boolean): Promise<Bundle> {
  const result = await build({ ...COMMON, entryPoints: [join(REPO, entry)], minify, sourcemap: minify ? false : 'inline' });
  const file = result.outputFiles?.[0];
  if (!file) throw new Error(`esbuild produced no output for ${entry}`);
  return { code: file.text, bytes: file.contents.length };
}

/** The library (src/index.ts) as one minified ES module. */
export function bundleLibrary(): Promise<Bundle> {
  return bundle('src/index.ts', true);
}

/** The example page's script (examples/browser/app.ts and what it imports), with an inline source map. */
export function bundlePage(): Promise<Bundle> {
  return bundle('examples/browser/app.ts', false);
}

async function main(outdir: string): Promise<void> {
  mkdirSync(outdir, { recursive: true });
  const [lib, page] = await Promise.all([bundleLibrary(), bundlePage()]);
  writeFileSync(join(outdir, 'tls13.js'), lib.code);
  writeFileSync(join(outdir, 'app.js'), page.code);
  console.log(`${join(outdir, 'tls13.js')}  ${(lib.bytes / 1024).toFixed(0)} KiB (minified)`);
  console.log(`${join(outdir, 'app.js')}  ${(page.bytes / 1024).toFixed(0)} KiB (with source map)`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(resolve(process.argv[2] ?? join(REPO, 'dist', 'browser'))).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
