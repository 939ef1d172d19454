/**
 * The annotated trace of a real handshake between our client and server:
 * every message in order and decoded, every transition, key installs with
 * secrets only when both the config and the formatter ask, JSON that
 * survives JSON.stringify/parse, ANSI only with colour on, and the merged
 * two-party view in the order things happened.
 */
import { describe, expect, it } from 'vitest';
import {
  type RecordedEntry,
  TraceClock,
  TraceRecorder,
  formatDialogue,
  formatTrace,
  stripAnsi,
  traceToJSON,
} from '../../src/inspect/index.js';
import type { TraceEntry } from '../../src/handshake/events.js';
import { toHex } from '../../src/util/bytes.js';
import { parseCertificates } from '../../src/x509/index.js';
import { CLIENT_CERT, ROOT, SERVER_CERT, tracedHandshake } from './helpers.js';

type MessageEntry = Extract<RecordedEntry, { kind: 'message' }>;
type TransitionEntry = Extract<RecordedEntry, { kind: 'transition' }>;
type KeysEntry = Extract<RecordedEntry, { kind: 'keys' }>;

const ESC = '\u001b';

function messages(entries: readonly RecordedEntry[]): string[] {
  return entries.filter((e): e is MessageEntry => e.kind === 'message').map((e) => `${e.direction} ${e.message.type}`);
}

function transitions(entries: readonly RecordedEntry[]): TransitionEntry[] {
  return entries.filter((e): e is TransitionEntry => e.kind === 'transition');
}

function keys(entries: readonly RecordedEntry[]): KeysEntry[] {
  return entries.filter((e): e is KeysEntry => e.kind === 'keys');
}

/** Asserts each needle occurs in `text`, in this order. */
function expectInOrder(text: string, needles: readonly string[]): void {
  let at = -1;
  for (const needle of needles) {
    const next = text.indexOf(needle, at + 1);
    expect(next, `"${needle}" should follow position ${at}`).toBeGreaterThan(at);
    at = next;
  }
}

/** The secret of a key log line, by NSS label. */
function logged(lines: readonly string[], label: string): string {
  const line = lines.find((l) => l.startsWith(`${label} `));
  expect(line, `${label} in the key log`).toBeDefined();
  return line!.split(' ')[2]!;
}

describe('trace of a full handshake', async () => {
  const plain = await tracedHandshake();

  it('records every message on each side, in order', () => {
    expect(messages(plain.c.entries)).toEqual([
      'sent client_hello',
      'received server_hello',
      'received encrypted_extensions',
      'received certificate',
      'received certificate_verify',
      'received finished',
      'sent finished',
      'received new_session_ticket',
      'received new_session_ticket',
    ]);
    expect(messages(plain.s.entries)).toEqual([
      'received client_hello',
      'sent server_hello',
      'sent encrypted_extensions',
      'sent certificate',
      'sent certificate_verify',
      'sent finished',
      'received finished',
      'sent new_session_ticket',
      'sent new_session_ticket',
    ]);
  });

  it('prints one block per message, in order, with direction and RFC section', () => {
    const text = formatTrace(plain.c.entries);
    expectInOrder(text, [
      '→ ClientHello',
      '[RFC 8446 §4.1.2]',
      '← ServerHello',
      '[RFC 8446 §4.1.3]',
      '← EncryptedExtensions',
      '[RFC 8446 §4.3.1]',
      '← Certificate ',
      '[RFC 8446 §4.4.2]',
      '← CertificateVerify',
      '[RFC 8446 §4.4.3]',
      '← Finished',
      '→ Finished',
      '← NewSessionTicket',
      '[RFC 8446 §4.6.1]',
      '← NewSessionTicket',
    ]);
    // The header gives the message's exact length.
    const hello = plain.c.entries.find((e): e is MessageEntry => e.kind === 'message')!;
    expect(text).toContain(`→ ClientHello  ${hello.bytes.length} bytes  [RFC 8446 §4.1.2]`);
  });

  it('decodes the messages field by field, code points by name', () => {
    const text = formatTrace(plain.c.entries);
    expectInOrder(text, [
      'legacy_version: TLS 1.2 (0x0303)',
      'cipher_suites: 3 suites',
      '- TLS_AES_128_GCM_SHA256 (0x1301)',
      'server_name (0)  [RFC 6066 §3]',
      'host_name: "localhost"',
      'supported_versions (43)  [RFC 8446 §4.2.1]',
      '- TLS 1.3 (0x0304)',
      'key_share (51)  [RFC 8446 §4.2.8]',
      'KeyShareEntry: X25519MLKEM768 (0x11ec)',
      '(1216 bytes)',
      'psk_key_exchange_modes (45)  [RFC 8446 §4.2.9]',
      '- psk_dhe_ke (1)',
      'application_layer_protocol_negotiation (16)  [RFC 7301 §3.1]',
      '- "h2"',
      '- "http/1.1"',
      // ServerHello
      'cipher_suite: TLS_AES_128_GCM_SHA256 (0x1301)',
      'server_share: X25519MLKEM768 (0x11ec)',
      '(1120 bytes)',
      'selected_version: TLS 1.3 (0x0304)',
      // CertificateVerify
      'algorithm: ecdsa_secp256r1_sha256 (0x0403)',
    ]);
  });

  it('shows each certificate with its length and parsed subject and issuer', () => {
    const [leaf, intermediate] = parseCertificates(SERVER_CERT.cert);
    const text = formatTrace(plain.c.entries);
    expectInOrder(text, [
      'CertificateEntry [0]',
      `cert_data: ${toHex(leaf!.raw.subarray(0, 32))}… (${leaf!.raw.length} bytes)`,
      `subject: ${leaf!.subject.text}`,
      `issuer: ${leaf!.issuer.text}`,
      'subject_alt_name: DNS:p256.test, DNS:localhost',
      'public_key: ECDSA P-256',
      'CertificateEntry [1]',
      `subject: ${intermediate!.subject.text}`,
      `issuer: ${intermediate!.issuer.text}`,
    ]);
  });

  it('records every state transition and prints it as FROM → TO with its section', () => {
    const client = transitions(plain.c.entries);
    expect(client.map((t) => `${t.from}→${t.to}`)).toEqual([
      'START→WAIT_SH',
      'WAIT_SH→WAIT_EE',
      'WAIT_EE→WAIT_CERT_CR',
      'WAIT_CERT_CR→WAIT_CV',
      'WAIT_CV→WAIT_FINISHED',
      'WAIT_FINISHED→CONNECTED',
      'CONNECTED→CONNECTED',
      'CONNECTED→CONNECTED',
    ]);
    // The server passes through RECVD_CH, NEGOTIATED and WAIT_FLIGHT2 while handling ClientHello.
    const serverTargets = transitions(plain.s.entries).map((t) => t.to);
    expectInOrder(serverTargets.join(' '), ['RECVD_CH', 'NEGOTIATED', 'WAIT_FLIGHT2', 'WAIT_FINISHED', 'CONNECTED']);
    for (const [rec, ts] of [
      [plain.c, client],
      [plain.s, transitions(plain.s.entries)],
    ] as const) {
      const text = formatTrace(rec.entries);
      expectInOrder(
        text,
        ts.map((t) => `[state] ${t.from} → ${t.to}  on ${t.on}  (${t.rfc})`),
      );
    }
    expect(formatTrace(plain.c.entries)).toContain('[state] WAIT_SH → WAIT_EE  on server_hello  (§4.1.3, §4.1.4)');
  });

  it('records key installs, named after the secret they come from, without secrets by default', () => {
    expect(keys(plain.c.entries).map((k) => `${k.direction} ${k.level}`)).toEqual([
      'read handshake',
      'read application',
      'write handshake',
      'write application',
    ]);
    for (const k of [...keys(plain.c.entries), ...keys(plain.s.entries)]) expect(k.secret).toBeUndefined();
    const text = formatTrace(plain.c.entries);
    expectInOrder(text, [
      '[keys] read ← handshake  server_handshake_traffic_secret',
      '[keys] read ← application  server_application_traffic_secret_0',
      '[keys] write ← handshake  client_handshake_traffic_secret',
      '[keys] write ← application  client_application_traffic_secret_0',
    ]);
    // Asking for secrets that were never recorded prints none, and says why.
    const asked = formatTrace(plain.c.entries, { secrets: true });
    expect(asked).toContain('secret: not recorded (configure the connection with traceSecrets: true)');
    for (const label of ['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'SERVER_TRAFFIC_SECRET_0']) {
      const secret = logged(plain.clientKeyLog, label);
      expect(asked).not.toContain(secret);
      expect(JSON.stringify(traceToJSON(plain.c.entries, { secrets: true }))).not.toContain(secret);
    }
  });

  it('prints no ANSI escapes with colour off, and the same text with colour on', () => {
    for (const text of [formatTrace(plain.c.entries), formatTrace(plain.s.entries, { color: false }), formatDialogue(plain.c.entries, plain.s.entries)]) {
      expect(text).not.toContain(ESC);
    }
    const coloured = formatTrace(plain.c.entries, { color: true });
    expect(coloured).toContain(`${ESC}[`);
    expect(stripAnsi(coloured)).toBe(formatTrace(plain.c.entries));
    const dialogue = formatDialogue(plain.c.entries, plain.s.entries, { color: true });
    expect(dialogue).toContain(`${ESC}[`);
    expect(stripAnsi(dialogue)).toBe(formatDialogue(plain.c.entries, plain.s.entries));
  });

  it('gives a JSON form that round-trips and keeps the bytes as hex', () => {
    for (const rec of [plain.c, plain.s]) {
      const json = traceToJSON(rec.entries);
      expect(JSON.parse(JSON.stringify(json))).toEqual(json);
      expect(json).toHaveLength(rec.entries.length);
      rec.entries.forEach((entry, i) => {
        const j = json[i]!;
        expect(j['seq']).toBe(entry.seq);
        expect(j['side']).toBe(rec.side);
        expect(j['kind']).toBe(entry.kind);
        if (entry.kind === 'message') {
          expect(j['bytes']).toBe(toHex(entry.bytes));
          expect(j['type']).toBe(entry.message.type);
          expect(j['length']).toBe(entry.bytes.length);
          expect(j['fields']).toMatchObject({ kind: 'message', rfc: expect.stringMatching(/^RFC 8446 §4/) });
        }
        if (entry.kind === 'transition') expect(j).toMatchObject({ from: entry.from, to: entry.to, on: entry.on, rfc: entry.rfc });
        if (entry.kind === 'record') expect(j['fragment']).toBe(toHex(entry.fragment));
      });
    }
    const hello = traceToJSON(plain.c.entries).find((j) => j['kind'] === 'message')!;
    expect(hello['message']).toMatchObject({ type: 'client_hello', legacyVersion: 0x0303, cipherSuites: [0x1301, 0x1303, 0x1302] });
    expect(typeof (hello['message'] as { random: unknown }).random).toBe('string');
    expect(traceToJSON(plain.c.entries, { fields: false }).some((j) => 'fields' in j)).toBe(false);
  });

  it('accepts the raw entries a config.trace callback received', () => {
    const raw: TraceEntry[] = plain.c.entries.map(({ seq: _seq, side: _side, ...rest }) => rest as TraceEntry);
    const text = formatTrace(raw);
    expectInOrder(text, ['#1 → ClientHello', '[state] START → WAIT_SH', '← ServerHello']);
    // Without a side the secret names are unknown, so they are left out.
    expect(text).toContain('[keys] read ← handshake  [RFC 8446 §7.1, §7.3]');
    expect(JSON.parse(JSON.stringify(traceToJSON(raw)))).toEqual(traceToJSON(raw));
  });

  it('shows the records that carried the messages (wire view)', () => {
    const records = plain.c.entries.filter((e): e is Extract<RecordedEntry, { kind: 'record' }> => e.kind === 'record');
    expect(records.length).toBeGreaterThan(3);
    const first = records[0]!;
    expect(first).toMatchObject({ direction: 'sent', contentType: 22, version: 0x0301 });
    const text = formatTrace(plain.c.entries);
    expectInOrder(text, [
      '[record] → TLSPlaintext handshake',
      'legacy_record_version: TLS 1.0 (0x0301)',
      '- client_hello (1)',
      '[record] ← TLSPlaintext handshake',
      '[record] ← TLSPlaintext change_cipher_spec  1 byte',
      '[record] ← TLSCiphertext application_data',
      'encrypted_record:',
    ]);
  });
});

describe('secrets in the trace', async () => {
  const p = await tracedHandshake({ traceSecrets: true }, { traceSecrets: true }, (pair) => pair.client.updateKeys());

  it('holds the secrets only with traceSecrets, and they are the key log secrets', () => {
    const installs = keys(p.c.entries);
    for (const k of installs) expect(k.secret).toBeInstanceOf(Uint8Array);
    const expected: Record<string, string> = {
      'read handshake': logged(p.clientKeyLog, 'SERVER_HANDSHAKE_TRAFFIC_SECRET'),
      'write handshake': logged(p.clientKeyLog, 'CLIENT_HANDSHAKE_TRAFFIC_SECRET'),
    };
    for (const k of installs.filter((k) => k.level === 'handshake')) expect(toHex(k.secret!)).toBe(expected[`${k.direction} handshake`]);
    const firstApp = (dir: 'read' | 'write') => installs.find((k) => k.level === 'application' && k.direction === dir)!;
    expect(toHex(firstApp('read').secret!)).toBe(logged(p.clientKeyLog, 'SERVER_TRAFFIC_SECRET_0'));
    expect(toHex(firstApp('write').secret!)).toBe(logged(p.clientKeyLog, 'CLIENT_TRAFFIC_SECRET_0'));
  });

  it('prints them only when the formatter is asked to', () => {
    const secrets = ['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'SERVER_TRAFFIC_SECRET_0'].map(
      (l) => logged(p.clientKeyLog, l),
    );
    const hidden = [formatTrace(p.c.entries), formatDialogue(p.c.entries, p.s.entries), JSON.stringify(traceToJSON(p.c.entries))];
    for (const text of hidden) for (const s of secrets) expect(text).not.toContain(s);
    const shown = formatTrace(p.c.entries, { secrets: true });
    const json = JSON.stringify(traceToJSON(p.c.entries, { secrets: true }));
    for (const s of secrets) {
      expect(shown).toContain(`secret: ${s}`);
      expect(json).toContain(s);
    }
    expect(shown).not.toContain('not recorded');
  });

  it('numbers application secrets across KeyUpdate (§7.2) on both sides alike', () => {
    const text = formatTrace(p.c.entries);
    expectInOrder(text, [
      '→ KeyUpdate',
      'request_update: update_requested (1)',
      '[keys] write ← application  client_application_traffic_secret_1  [RFC 8446 §7.2, §4.6.3]',
      '← KeyUpdate',
      'request_update: update_not_requested (0)',
      '[keys] read ← application  server_application_traffic_secret_1',
    ]);
    expectInOrder(formatTrace(p.s.entries), [
      '[keys] read ← application  client_application_traffic_secret_1',
      '[keys] write ← application  server_application_traffic_secret_1',
    ]);
    // Both sides hold the same secret under the same name.
    const named = (rec: typeof p.c) =>
      new Map(traceToJSON(rec.entries, { secrets: true }).filter((j) => j['kind'] === 'keys').map((j) => [j['secretName'], j['secret']]));
    const c = named(p.c);
    const s = named(p.s);
    expect(c.size).toBe(6);
    for (const [name, secret] of c) expect(s.get(name), String(name)).toBe(secret);
  });
});

describe('the two-party dialogue', async () => {
  const mutual = await tracedHandshake({ certificates: [CLIENT_CERT] }, { clientAuth: 'require-and-verify', ca: ROOT });

  it('interleaves both sides by the shared clock, C: on the client, S: on the server', () => {
    const text = formatDialogue(mutual.c.entries, mutual.s.entries);
    const lines = text.split('\n');
    for (const line of lines) expect(line).toMatch(/^[CS]: /);
    const seqs = lines.map((l) => /^[CS]: +#(\d+) /.exec(l)).filter((m) => m !== null).map((m) => Number(m[1]));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(mutual.c.entries.length + mutual.s.entries.length);
    expectInOrder(text, [
      'C:  #1 → ClientHello',
      'S: ', // the server's side follows
      '← ClientHello',
      'S: ',
      '→ ServerHello',
      '→ CertificateRequest',
      '[RFC 8446 §4.3.2]',
      'signature_algorithms (13)',
      '→ Certificate ',
      'C: ',
      '← ServerHello',
      '← CertificateRequest',
      '→ Certificate ',
      'subject: CN=client.test',
      '→ CertificateVerify',
      '→ Finished',
      'S: ',
      '← Certificate ',
      '[state] WAIT_CERT → WAIT_CV',
      '← CertificateVerify',
      '[state] WAIT_CV → WAIT_FINISHED',
      '← Finished',
      '[state] WAIT_FINISHED → CONNECTED',
    ]);
  });

  it('decodes each message once, where it was sent, unless asked for both', () => {
    const once = formatDialogue(mutual.c.entries, mutual.s.entries);
    expect(once.split('cipher_suites: ').length - 1).toBe(1);
    const both = formatDialogue(mutual.c.entries, mutual.s.entries, { fields: true });
    expect(both.split('cipher_suites: ').length - 1).toBe(2);
    const none = formatDialogue(mutual.c.entries, mutual.s.entries, { fields: false });
    expect(none).not.toContain('cipher_suites: ');
    expect(none).toContain('→ ClientHello');
  });

  it('without a shared clock the recorders number independently', () => {
    const a = new TraceRecorder('client');
    const b = new TraceRecorder('server');
    a.handler({ kind: 'note', text: 'one' });
    b.handler({ kind: 'note', text: 'two' });
    expect([a.entries[0]!.seq, b.entries[0]!.seq]).toEqual([1, 1]);
    const clock = new TraceClock();
    const c = new TraceRecorder('client', { clock });
    const s = new TraceRecorder('server', { clock });
    s.handler({ kind: 'note', text: 'first' });
    c.handler({ kind: 'note', text: 'second' });
    expect(formatDialogue(c.entries, s.entries)).toBe('S: #1 [note] first\nC: #2 [note] second');
  });
});
