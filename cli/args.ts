/**
 * A small, strict command-line parser: every flag is declared, an unknown
 * or repeated flag is an error that shows the usage, and values are checked
 * (integers are integers, choices are choices) before a command runs.
 *
 *   --name value   --name=value   --switch   -h / --help
 */

export type FlagType = 'string' | 'boolean' | 'integer';

export interface FlagSpec {
  readonly type: FlagType;
  /** One line of help. */
  readonly help: string;
  /** Placeholder shown in the usage ("FILE", "N", ...). */
  readonly value?: string;
  /** Allowed values of a string flag. */
  readonly choices?: readonly string[];
  /** Smallest allowed value of an integer flag (default 0). */
  readonly min?: number;
  readonly max?: number;
}

export interface CommandSpec {
  /** "tls13 client", as shown in the usage line. */
  readonly name: string;
  /** Positional arguments, e.g. ["HOST:PORT"]; all required. */
  readonly positionals: readonly string[];
  readonly summary: string;
  readonly flags: Readonly<Record<string, FlagSpec>>;
  /** Extra text after the flag list (examples). */
  readonly epilogue?: string;
}

/** A mistake in how the command was invoked: printed with the usage, exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(message);
  }
}

/** Asked for help: print `text` and exit 0. */
export class HelpRequested extends Error {
  override readonly name = 'HelpRequested';
  constructor(readonly text: string) {
    super('help');
  }
}

export class ParsedArgs {
  constructor(
    private readonly spec: CommandSpec,
    private readonly values: ReadonlyMap<string, string | number | boolean>,
    readonly positionals: readonly string[],
  ) {}

  has(name: string): boolean {
    this.declared(name);
    return this.values.has(name);
  }

  string(name: string): string | undefined {
    this.declared(name, 'string');
    return this.values.get(name) as string | undefined;
  }

  /** A string flag that must be present. */
  required(name: string): string {
    const v = this.string(name);
    if (v === undefined) throw new UsageError(`--${name} is required`, formatUsage(this.spec));
    return v;
  }

  integer(name: string): number | undefined {
    this.declared(name, 'integer');
    return this.values.get(name) as number | undefined;
  }

  flag(name: string): boolean {
    this.declared(name, 'boolean');
    return this.values.get(name) === true;
  }

  /** A comma-separated list ("a,b , c" → ["a", "b", "c"]), undefined when absent. */
  list(name: string): string[] | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    const items = v.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    if (items.length === 0) throw new UsageError(`--${name} needs at least one value`, formatUsage(this.spec));
    return items;
  }

  /** Raises a usage error from within a command (a bad combination of flags). */
  fail(message: string): never {
    throw new UsageError(message, formatUsage(this.spec));
  }

  private declared(name: string, type?: FlagType): void {
    const f = this.spec.flags[name];
    // A programming error in a command, not a user error.
    if (!f || (type !== undefined && f.type !== type)) throw new Error(`flag --${name} is not declared as ${type ?? 'a flag'}`);
  }
}

export function parseArgs(spec: CommandSpec, argv: readonly string[]): ParsedArgs {
  const usage = formatUsage(spec);
  const values = new Map<string, string | number | boolean>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') throw new HelpRequested(usage);
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    if (!arg.startsWith('--')) throw new UsageError(`unknown option ${arg} (options are spelled --name)`, usage);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const flag = spec.flags[name];
    if (!flag) throw new UsageError(`unknown option --${name}`, usage);
    if (values.has(name)) throw new UsageError(`--${name} given twice`, usage);
    if (flag.type === 'boolean') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`, usage);
      values.set(name, true);
      continue;
    }
    let raw: string;
    if (eq >= 0) raw = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) {
        throw new UsageError(`--${name} needs a value (${flag.value ?? flag.type})`, usage);
      }
      raw = next;
      i++;
    }
    values.set(name, checkValue(name, flag, raw, usage));
  }
  if (positionals.length !== spec.positionals.length) {
    const want = spec.positionals.length === 0 ? 'no arguments' : spec.positionals.join(' ');
    const got = positionals.length === 0 ? 'none' : positionals.map((p) => JSON.stringify(p)).join(' ');
    throw new UsageError(`expected ${want}, got ${got}`, usage);
  }
  return new ParsedArgs(spec, values, positionals);
}

function checkValue(name: string, flag: FlagSpec, raw: string, usage: string): string | number {
  if (flag.type === 'integer') {
    if (!/^[0-9]+$/.test(raw)) throw new UsageError(`--${name} must be a whole number, got "${raw}"`, usage);
    const n = Number(raw);
    const min = flag.min ?? 0;
    const max = flag.max ?? Number.MAX_SAFE_INTEGER;
    if (n < min || n > max) throw new UsageError(`--${name} must be between ${min} and ${max}, got ${raw}`, usage);
    return n;
  }
  if (flag.choices && !flag.choices.includes(raw)) {
    throw new UsageError(`--${name} must be one of ${flag.choices.join(', ')}; got "${raw}"`, usage);
  }
  if (raw === '') throw new UsageError(`--${name} needs a non-empty value`, usage);
  return raw;
}

export function formatUsage(spec: CommandSpec): string {
  const lines = [`usage: ${spec.name}${spec.positionals.map((p) => ` ${p}`).join('')} [options]`, '', spec.summary, ''];
  const entries = Object.entries(spec.flags).map(([name, f]) => {
    const value = f.type === 'boolean' ? '' : ` ${f.value ?? (f.type === 'integer' ? 'N' : 'VALUE')}`;
    const choices = f.choices ? ` (${f.choices.join(' | ')})` : '';
    return [`--${name}${value}`, f.help + choices] as const;
  });
  const width = Math.min(28, Math.max(...entries.map(([left]) => left.length), 10));
  if (entries.length > 0) lines.push('options:');
  for (const [left, help] of entries) {
    lines.push(left.length > width ? `  ${left}\n  ${' '.repeat(width)}  ${help}` : `  ${left.padEnd(width)}  ${help}`);
  }
  lines.push(`  ${'--help'.padEnd(width)}  show this help`);
  if (spec.epilogue) lines.push('', spec.epilogue);
  return lines.join('\n');
}
