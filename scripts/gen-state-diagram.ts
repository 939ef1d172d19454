/**
 * Writes docs/state-machine.md: the client and server state machines as
 * Mermaid diagrams and tables, generated from the transition tables the code
 * dispatches on (see src/inspect/diagram.ts).
 *
 *   npx tsx scripts/gen-state-diagram.ts          # write the file
 *   npx tsx scripts/gen-state-diagram.ts --check  # exit 1 if it is stale
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stateMachineMarkdown } from '../src/inspect/diagram.js';

const target = fileURLToPath(new URL('../docs/state-machine.md', import.meta.url));
const content = stateMachineMarkdown();

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // Missing counts as stale.
  }
  if (current !== content) {
    console.error(`${target} is stale: run npx tsx scripts/gen-state-diagram.ts`);
    process.exit(1);
  }
  console.log(`${target} is up to date`);
} else {
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, content);
  console.log(`wrote ${target}`);
}
