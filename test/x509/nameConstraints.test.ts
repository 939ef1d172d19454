import { describe, expect, it } from 'vitest';
import { fromHex } from '../../src/util/bytes.js';
import type { Certificate, GeneralName, Name, NameConstraintBase, NameConstraints } from '../../src/x509/index.js';
import { nameConstraintViolation } from '../../src/x509/nameConstraints.js';
import { cert } from './helpers.js';

const EMPTY_NAME: Name = { raw: fromHex('3000'), rdns: [], text: '' };

/** Just the fields name constraints look at. */
function subjectWith(names: GeneralName[], subject: Name = EMPTY_NAME): Certificate {
  return {
    subject,
    subjectAltName: {
      names,
      dnsNames: names.flatMap((n) => (n.type === 'dns' ? [n.value] : [])),
      ipAddresses: names.flatMap((n) => (n.type === 'ip' ? [n.bytes] : [])),
    },
  } as unknown as Certificate;
}

const dns = (value: string): GeneralName => ({ type: 'dns', value });
const ip = (hex: string): GeneralName => ({ type: 'ip', bytes: fromHex(hex), text: hex });
const dnsBase = (value: string): NameConstraintBase => ({ type: 'dns', value });
const nc = (permitted: NameConstraintBase[], excluded: NameConstraintBase[] = []): NameConstraints => ({ permitted, excluded });

describe('name constraints (RFC 5280 §4.2.1.10)', () => {
  it.each([
    // [SAN dNSName, permitted base, within?]
    ['example.com', 'example.com', true],
    ['www.example.com', 'example.com', true],
    ['a.b.EXAMPLE.com.', 'example.com', true],
    ['badexample.com', 'example.com', false],
    ['example.com', '.example.com', false],
    ['www.example.com', '.example.com', true],
    ['*.example.com', 'example.com', true],
    ['*.example.com', 'www.example.com', false],
    ['anything.test', '', true],
  ])('dNSName %s within permitted %j → %s', (name, base, within) => {
    const v = nameConstraintViolation(nc([dnsBase(base)]), subjectWith([dns(name)]));
    expect(v === undefined).toBe(within);
  });

  it('a permitted list of one form does not restrict other forms', () => {
    expect(nameConstraintViolation(nc([dnsBase('example.com')]), subjectWith([ip('0a000001')]))).toBeUndefined();
  });

  it('excluded subtrees, and a wildcard that covers an excluded name', () => {
    const rules = nc([], [dnsBase('bad.example.com')]);
    expect(nameConstraintViolation(rules, subjectWith([dns('x.bad.example.com')]))).toBe(
      '"x.bad.example.com" is in the excluded subtree bad.example.com',
    );
    expect(nameConstraintViolation(rules, subjectWith([dns('good.example.com')]))).toBeUndefined();
    // *.example.com would also serve bad.example.com.
    expect(nameConstraintViolation(rules, subjectWith([dns('*.example.com')]))).toBe(
      '"*.example.com" is in the excluded subtree bad.example.com',
    );
    expect(nameConstraintViolation(rules, subjectWith([dns('*.other.example.com')]))).toBeUndefined();
  });

  it('iPAddress ranges, by family', () => {
    const rules = nc([{ type: 'ip', address: fromHex('c0a80000'), mask: fromHex('ffff0000'), text: '192.168.0.0/16' }]);
    expect(nameConstraintViolation(rules, subjectWith([ip('c0a80101')]))).toBeUndefined();
    expect(nameConstraintViolation(rules, subjectWith([ip('c0a90101')]))).toMatch(/outside the permitted subtrees \(192.168.0.0\/16\)/);
    // An IPv6 address is not inside an IPv4 range.
    expect(nameConstraintViolation(rules, subjectWith([ip('00000000000000000000ffffc0a80101')]))).toMatch(/outside/);
  });

  it('directoryName: the subject must lie under the base', () => {
    const root = cert('root-ec'); // O=tls13 test, CN=Test Root CA
    const int = cert('int-ec'); // O=tls13 test, CN=Test Intermediate CA
    const oOnly: Name = { raw: new Uint8Array(0), rdns: [root.subject.rdns[0]!], text: 'O=tls13 test' };
    expect(nameConstraintViolation(nc([{ type: 'directory', name: oOnly }]), subjectWith([], int.subject))).toBeUndefined();
    expect(nameConstraintViolation(nc([{ type: 'directory', name: root.subject }]), subjectWith([], int.subject))).toBe(
      '"CN=Test Intermediate CA, O=tls13 test" is outside the permitted subtrees (CN=Test Root CA, O=tls13 test)',
    );
    expect(
      nameConstraintViolation(nc([], [{ type: 'directory', name: oOnly }]), subjectWith([], cert('leaf-p256').subject)),
    ).toMatch(/excluded subtree O=tls13 test/);
    // An empty subject is not a name to constrain.
    expect(nameConstraintViolation(nc([{ type: 'directory', name: root.subject }]), subjectWith([dns('a.test')]))).toBeUndefined();
  });

  it('rfc822Name: mailbox, host and domain forms', () => {
    const email = (value: string): GeneralName => ({ type: 'email', value });
    const base = (value: string): NameConstraintBase => ({ type: 'email', value });
    expect(nameConstraintViolation(nc([base('a@example.com')]), subjectWith([email('a@EXAMPLE.com')]))).toBeUndefined();
    expect(nameConstraintViolation(nc([base('a@example.com')]), subjectWith([email('A@example.com')]))).toMatch(/outside/);
    expect(nameConstraintViolation(nc([base('example.com')]), subjectWith([email('b@example.com')]))).toBeUndefined();
    expect(nameConstraintViolation(nc([base('example.com')]), subjectWith([email('b@mail.example.com')]))).toMatch(/outside/);
    expect(nameConstraintViolation(nc([base('.example.com')]), subjectWith([email('b@mail.example.com')]))).toBeUndefined();
  });

  it('forms we do not check reject certificates that carry them', () => {
    const uriRule = nc([{ type: 'uri', value: '.example.com' }]);
    expect(nameConstraintViolation(uriRule, subjectWith([{ type: 'uri', value: 'https://www.example.com/' }]))).toBe(
      '"https://www.example.com/" is of a name form whose constraints this library does not check',
    );
    // ...but not certificates without names of that form.
    expect(nameConstraintViolation(uriRule, subjectWith([dns('www.example.com')]))).toBeUndefined();
  });
});
