/**
 * tls13: the command-line face of the library.
 *
 *   tls13 server …    accept connections (echo, or --www status pages)
 *   tls13 client …    connect, copy stdin/stdout
 *   tls13 cert …      a development CA: make one, issue certificates
 *   tls13 demo        watch a handshake, a resumption and 0-RTT, in memory
 *
 * Exit status: 0 success, 1 failure (the reason on stderr), 2 bad usage.
 */
import { pathToFileURL } from 'node:url';
import { HelpRequested, UsageError } from './args.js';
import { certCommand } from './commands/cert.js';
import { clientCommand } from './commands/client.js';
import { demoCommand } from './commands/demo.js';
import { serverCommand } from './commands/server.js';

const COMMANDS: Readonly<Record<string, (argv: readonly string[]) => Promise<number>>> = {
  server: serverCommand,
  client: clientCommand,
  cert: certCommand,
  demo: demoCommand,
};

export const MAIN_USAGE = `usage: tls13 <command> [options]

commands:
  server   accept TLS 1.3 connections (echo, or --www status page)
  client   connect to a TLS 1.3 server; stdin → server → stdout
  cert     a development CA: \`tls13 cert ca\`, \`tls13 cert issue\` (see tls13 cert --help)
  demo     a full handshake, resumption and 0-RTT, explained, in memory

\`tls13 <command> --help\` describes each command's options.`;

/** Runs the CLI with `argv` (without node and script) and returns the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      if (name === undefined) {
        process.stderr.write(`${MAIN_USAGE}\n`);
        return 2;
      }
      process.stdout.write(`${MAIN_USAGE}\n`);
      return 0;
    }
    const command = COMMANDS[name];
    if (!command) throw new UsageError(`unknown command "${name}"`, MAIN_USAGE);
    return await command(rest);
  } catch (err) {
    if (err instanceof HelpRequested) {
      process.stdout.write(`${err.text}\n`);
      return 0;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`tls13: ${err.message}\n\n${err.usage}\n`);
      return 2;
    }
    process.stderr.write(`tls13: error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

/** Exits once stdout and stderr have drained, so piped output is never cut short. */
function exitAfterDrain(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

/**
 * Runs the CLI on this process's arguments and exits with its status. The
 * explicit exit matters: stdin and signal listeners would keep Node alive.
 */
export function run(argv: readonly string[] = process.argv.slice(2)): void {
  main(argv).then(exitAfterDrain, (err: unknown) => {
    process.stderr.write(`tls13: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    exitAfterDrain(1);
  });
}

// `tsx cli/main.ts …` runs this file directly; cli/tls13.mjs imports it and calls run().
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) run();
