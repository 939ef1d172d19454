import { describe, expect, it } from 'vitest';
import { fromHex } from '../../src/util/bytes.js';
import {
  X509VerificationError,
  formatIpAddress,
  matchDnsName,
  matchHostname,
  parseIpAddress,
  parseReferenceIdentity,
  verifyHostname,
  type SubjectAltName,
} from '../../src/x509/index.js';
import { cert } from './helpers.js';

function sanOf(dnsNames: string[], ips: string[] = []): { subjectAltName: SubjectAltName } {
  const ipAddresses = ips.map((t) => parseIpAddress(t)!);
  return {
    subjectAltName: {
      names: [
        ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
        ...ipAddresses.map((bytes) => ({ type: 'ip' as const, bytes, text: formatIpAddress(bytes) })),
      ],
      dnsNames,
      ipAddresses,
    },
  };
}

describe('DNS-ID matching (RFC 6125 §6.4)', () => {
  // [presented (SAN dNSName), server name, match?]
  const table: [string, string, boolean][] = [
    ['example.com', 'example.com', true],
    ['example.com', 'EXAMPLE.com', true],
    ['ExAmPlE.CoM', 'example.com', true],
    ['example.com', 'example.com.', true],
    ['example.com.', 'example.com', true],
    ['example.com', 'www.example.com', false],
    ['www.example.com', 'example.com', false],
    ['example.com', 'example.co', false],
    ['example.com', 'example.com..', false],
    // Wildcards: the whole left-most label, exactly one label.
    ['*.example.com', 'a.example.com', true],
    ['*.example.com', 'A.EXAMPLE.COM.', true],
    ['*.EXAMPLE.com', 'xn--bcher-kva.example.com', true],
    ['*.example.com', 'example.com', false],
    ['*.example.com', 'a.b.example.com', false],
    ['*.example.com', '.example.com', false],
    ['*.example.com', 'a.example.org', false],
    // Partial and misplaced wildcards are refused.
    ['f*.example.com', 'foo.example.com', false],
    ['*o.example.com', 'foo.example.com', false],
    ['f*o.example.com', 'foo.example.com', false],
    ['a.*.example.com', 'a.b.example.com', false],
    ['*.*.example.com', 'a.b.example.com', false],
    ['**.example.com', 'a.example.com', false],
    ['*', 'localhost', false],
    // A wildcard directly above one label ("*.com") is refused.
    ['*.com', 'example.com', false],
    ['*.test', 'wild.test', false],
    // Presented names that are not host names never match.
    ['exa mple.com', 'exa mple.com', false],
    ['', '', false],
    ['example..com', 'example..com', false],
  ];

  it.each(table)('%j vs %j → %s', (presented, serverName, expected) => {
    expect(matchHostname(sanOf([presented]), serverName)).toBe(expected);
  });

  it('matchDnsName takes a normalised reference', () => {
    expect(matchDnsName('*.Example.COM.', 'a.example.com')).toBe(true);
    expect(matchDnsName('example.com', 'example.com')).toBe(true);
  });
});

describe('IP-ID matching', () => {
  const ipCert = cert('leaf-ip'); // IP:127.0.0.1, IP:::1

  it.each([
    ['127.0.0.1', true],
    ['::1', true],
    ['[::1]', true],
    ['0:0:0:0:0:0:0:1', true],
    ['0000:0000::0001', true],
    ['127.0.0.2', false],
    ['::2', false],
    // The IPv4-mapped form is a different (16-byte) address.
    ['::ffff:127.0.0.1', false],
    // An IP SAN never matches a DNS name, even a numeric-looking one.
    ['localhost', false],
  ])('leaf-ip vs %s → %s', (serverName, expected) => {
    expect(matchHostname(ipCert, serverName)).toBe(expected);
  });

  it('a DNS SAN that spells an address does not match the address', () => {
    expect(matchHostname(sanOf(['127.0.0.1']), '127.0.0.1')).toBe(false);
    expect(matchHostname(sanOf(['*.0.0.1']), '127.0.0.1')).toBe(false);
  });

  it('DNS names do not match IP SANs, IPs do not match DNS SANs', () => {
    expect(matchHostname(sanOf([], ['10.0.0.1']), '10.0.0.1')).toBe(true);
    expect(matchHostname(sanOf(['a.test'], ['10.0.0.1']), 'a.test')).toBe(true);
    expect(matchHostname(sanOf([], ['10.0.0.1']), 'a.test')).toBe(false);
    expect(matchHostname(sanOf(['a.test']), '10.0.0.1')).toBe(false);
  });
});

describe('reference identity syntax', () => {
  it.each([
    ['example.com', { kind: 'dns', name: 'example.com' }],
    ['Example.COM.', { kind: 'dns', name: 'example.com' }],
    ['under_score.test', { kind: 'dns', name: 'under_score.test' }],
    ['localhost', { kind: 'dns', name: 'localhost' }],
    ['1.2.3.4', { kind: 'ip', bytes: fromHex('01020304'), text: '1.2.3.4' }],
    ['[2001:DB8::1]', { kind: 'ip', bytes: fromHex('20010db8000000000000000000000001'), text: '2001:db8::1' }],
    ['::ffff:1.2.3.4', { kind: 'ip', bytes: fromHex('00000000000000000000ffff01020304'), text: '::ffff:102:304' }],
  ])('%s parses', (input, expected) => {
    expect(parseReferenceIdentity(input)).toEqual(expected);
  });

  it.each([
    '',
    '.',
    'a..b',
    '.example.com',
    '*.example.com',
    'exa mple.com',
    'bücher.example',
    `${'a'.repeat(64)}.com`,
    `${'a.'.repeat(127)}com`,
    '1.2.3.256',
    '1.2.3.04',
    '1.2.3',
    '10.0.0.1.5',
    '::1%eth0',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    '12345::',
    '[::1',
  ])('%j is rejected', (input) => {
    expect(parseReferenceIdentity(input)).toBeUndefined();
    expect(matchHostname(sanOf(['example.com']), input)).toBe(false);
  });

  it('accepts a 253-character name', () => {
    const name = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    expect(name.length).toBe(253);
    expect(parseReferenceIdentity(name)?.kind).toBe('dns');
  });
});

describe('IP text forms', () => {
  it.each([
    ['20010db8000000000000000000000001', '2001:db8::1'],
    ['00000000000000000000000000000000', '::'],
    ['20010db8000000010000000000000001', '2001:db8:0:1::1'],
    ['20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
    ['20010db8000100010001000100010001', '2001:db8:1:1:1:1:1:1'],
    ['20010000000000010000000000000000', '2001:0:0:1::'],
    ['7f000001', '127.0.0.1'],
  ])('%s → %s (RFC 5952)', (hex, text) => {
    expect(formatIpAddress(fromHex(hex))).toBe(text);
    expect(parseIpAddress(text)).toEqual(fromHex(hex));
  });
});

describe('verifyHostname messages', () => {
  function message(fn: () => void): string {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(X509VerificationError);
      expect((e as X509VerificationError).reason).toBe('hostname-mismatch');
      expect((e as X509VerificationError).alert).toBe('bad_certificate');
      return (e as Error).message;
    }
    throw new Error('expected a hostname mismatch');
  }

  it('lists what the certificate is valid for', () => {
    expect(message(() => verifyHostname(cert('leaf-wildcard'), 'c.example'))).toBe(
      'certificate is valid for *.wild.test, wild.test, not c.example',
    );
    expect(message(() => verifyHostname(cert('leaf-ip'), '10.0.0.1'))).toBe(
      'certificate is valid for 127.0.0.1, ::1, not 10.0.0.1',
    );
    expect(message(() => verifyHostname(cert('leaf-ip'), 'localhost'))).toBe(
      'certificate is valid for 127.0.0.1, ::1, not localhost (a host name matches only DNS entries in subjectAltName)',
    );
    expect(message(() => verifyHostname(cert('leaf-p256'), '::1'))).toBe(
      'certificate is valid for p256.test, localhost, not ::1 (an IP address matches only IP entries in subjectAltName)',
    );
  });

  it('says the Common Name is not used', () => {
    expect(message(() => verifyHostname(cert('leaf-nosan'), 'nosan.test'))).toBe(
      'certificate has no DNS or IP subjectAltName, so it is not valid for nosan.test ' +
        '(its Common Name "nosan.test" is not used for matching): reissue it with a subjectAltName',
    );
  });

  it('rejects an invalid server name', () => {
    expect(message(() => verifyHostname(cert('leaf-p256'), 'a..b'))).toMatch(/^server name "a..b" is not a valid host name/);
  });

  it('truncates long lists', () => {
    const many = sanOf(Array.from({ length: 12 }, (_, i) => `h${i}.test`));
    expect(message(() => verifyHostname({ ...many, subject: cert('leaf-p256').subject }, 'x.test'))).toBe(
      'certificate is valid for h0.test, h1.test, h2.test, h3.test, h4.test, h5.test, h6.test, h7.test, h8.test, h9.test, and 2 more, not x.test',
    );
  });

  it('passes on a match', () => {
    expect(() => verifyHostname(cert('leaf-wildcard'), 'www.wild.test')).not.toThrow();
    expect(() => verifyHostname(cert('leaf-wildcard'), 'wild.test')).not.toThrow();
    expect(() => verifyHostname(cert('leaf-p256'), 'LOCALHOST.')).not.toThrow();
  });
});
