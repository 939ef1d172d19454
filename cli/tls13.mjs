#!/usr/bin/env node
/**
 * The `tls13` command (package.json "bin"). The CLI is TypeScript (cli/main.ts)
 * and the repository runs it through tsx, a devDependency: `npx tls13 …` and
 * `npm run demo` work in a clone after `npm install`. tsx is not a runtime
 * dependency of the library (that is only @noble/*), so an installation
 * without devDependencies has no `tls13` command; run `npx tsx cli/main.ts`
 * from a clone instead.
 */
let register;
try {
  ({ register } = await import('tsx/esm/api'));
} catch {
  process.stderr.write(
    'tls13: the command-line tool runs through tsx, a development dependency of this package.\n' +
      'Run it from a clone of the repository after `npm install` (npx tls13 …, or npx tsx cli/main.ts …).\n',
  );
  process.exit(1);
}
register();
const { run } = await import('./main.ts');
run(process.argv.slice(2));
