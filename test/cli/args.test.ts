/**
 * The CLI's argument parser and name tables, in process (fast); the
 * commands themselves are exercised as real processes in cli.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { CipherSuite, NamedGroup } from '../../src/index.js';
import { HelpRequested, UsageError, formatUsage, parseArgs, type CommandSpec } from '../../cli/args.js';
import { parseHostPort } from '../../cli/common.js';
import { parseCipherSuites, parseGroups } from '../../cli/names.js';

const SPEC: CommandSpec = {
  name: 'tls13 test',
  positionals: ['HOST:PORT'],
  summary: 'A command for tests.',
  flags: {
    name: { type: 'string', value: 'NAME', help: 'a name' },
    count: { type: 'integer', value: 'N', min: 1, max: 10, help: 'a count' },
    mode: { type: 'string', choices: ['a', 'b'], help: 'a mode' },
    list: { type: 'string', help: 'a list' },
    on: { type: 'boolean', help: 'a switch' },
  },
};

function usageError(argv: string[]): UsageError {
  try {
    parseArgs(SPEC, argv);
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error('expected a UsageError');
}

describe('parseArgs', () => {
  it('reads --name value, --name=value, switches and positionals', () => {
    const a = parseArgs(SPEC, ['h:1', '--name', 'x', '--count=3', '--on', '--mode', 'b', '--list', 'p, q,,r']);
    expect(a.positionals).toEqual(['h:1']);
    expect(a.string('name')).toBe('x');
    expect(a.integer('count')).toBe(3);
    expect(a.flag('on')).toBe(true);
    expect(a.string('mode')).toBe('b');
    expect(a.list('list')).toEqual(['p', 'q', 'r']);
    const b = parseArgs(SPEC, ['h:1']);
    expect(b.flag('on')).toBe(false);
    expect(b.string('name')).toBeUndefined();
    expect(b.list('list')).toBeUndefined();
    expect(b.has('count')).toBe(false);
  });

  it('rejects unknown, repeated and malformed options with the usage attached', () => {
    expect(usageError(['h:1', '--bogus']).message).toBe('unknown option --bogus');
    expect(usageError(['h:1', '--bogus']).usage).toContain('usage: tls13 test HOST:PORT [options]');
    expect(usageError(['h:1', '-x']).message).toMatch(/unknown option -x/);
    expect(usageError(['h:1', '--name', 'a', '--name', 'b']).message).toBe('--name given twice');
    expect(usageError(['h:1', '--name']).message).toMatch(/--name needs a value/);
    expect(usageError(['h:1', '--name', '--on']).message).toMatch(/--name needs a value/);
    expect(usageError(['h:1', '--count', 'x']).message).toMatch(/whole number/);
    expect(usageError(['h:1', '--count', '11']).message).toMatch(/between 1 and 10/);
    expect(usageError(['h:1', '--count', '0']).message).toMatch(/between 1 and 10/);
    expect(usageError(['h:1', '--mode', 'c']).message).toMatch(/one of a, b/);
    expect(usageError(['h:1', '--on=yes']).message).toMatch(/takes no value/);
    expect(usageError([]).message).toMatch(/expected HOST:PORT, got none/);
    expect(usageError(['a', 'b']).message).toMatch(/expected HOST:PORT, got "a" "b"/);
    expect(() => parseArgs(SPEC, ['h:1', '--list', ' , ']).list('list')).toThrow(/at least one value/);
  });

  it('answers --help with the usage text', () => {
    expect(() => parseArgs(SPEC, ['--help'])).toThrow(HelpRequested);
    try {
      parseArgs(SPEC, ['-h']);
    } catch (err) {
      expect((err as HelpRequested).text).toBe(formatUsage(SPEC));
    }
    const usage = formatUsage(SPEC);
    expect(usage).toContain('--count N');
    expect(usage).toContain('a mode (a | b)');
    expect(usage).toContain('--help');
  });

  it('treats everything after -- as positional', () => {
    expect(parseArgs(SPEC, ['--', '--name']).positionals).toEqual(['--name']);
  });
});

describe('names', () => {
  it('accepts IANA group names in any case, and common aliases', () => {
    expect(parseGroups(['x25519', 'SECP256R1', 'X25519MLKEM768', 'P-384', 'prime256v1'])).toEqual([
      NamedGroup.x25519,
      NamedGroup.secp256r1,
      NamedGroup.X25519MLKEM768,
      NamedGroup.secp384r1,
      NamedGroup.secp256r1,
    ]);
    expect(() => parseGroups(['ffdhe2048'])).toThrow(/unsupported group "ffdhe2048" \(supported: .*x25519/);
    expect(() => parseGroups(['nope'])).toThrow(/unknown or unsupported group/);
  });

  it('accepts the TLS 1.3 cipher suite names', () => {
    expect(parseCipherSuites(['TLS_AES_128_GCM_SHA256', 'tls_chacha20_poly1305_sha256'])).toEqual([
      CipherSuite.TLS_AES_128_GCM_SHA256,
      CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
    ]);
    expect(() => parseCipherSuites(['TLS_AES_128_CCM_SHA256'])).toThrow(/unsupported cipher suite/);
    expect(() => parseCipherSuites(['ECDHE-RSA-AES128-GCM-SHA256'])).toThrow(/supported: TLS_AES_128_GCM_SHA256/);
  });

  it('splits HOST:PORT, including bracketed IPv6', () => {
    expect(parseHostPort('localhost:443')).toEqual({ host: 'localhost', port: 443 });
    expect(parseHostPort('[::1]:8443')).toEqual({ host: '::1', port: 8443 });
    expect(() => parseHostPort('localhost')).toThrow(/HOST:PORT/);
    expect(() => parseHostPort('::1:443')).toThrow(/HOST:PORT/);
    expect(() => parseHostPort('h:0')).toThrow(/1\.\.65535/);
    expect(() => parseHostPort('h:70000')).toThrow(/1\.\.65535/);
  });
});
