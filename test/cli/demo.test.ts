/**
 * `tls13 demo` (and `npm run demo`): runs to completion, exit 0, and tells
 * the story: the full handshake's messages, the 0-RTT bytes flagged early,
 * the moment the handshake is confirmed, the refused replay, the summary.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';

describe('tls13 demo', { timeout: 60_000 }, () => {
  it('shows the handshake, resumption, 0-RTT, confirmation and replay, in plain text when piped', async () => {
    const r = await runCli(['demo']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const out = r.stdout;
    // No terminal: no ANSI escapes.
    expect(out).not.toMatch(/\x1b\[/);
    const sections = ['== 0. A private CA', '== 1. Full handshake', '== 2. Resumption with a ticket, and 0-RTT data', '== 3. An attacker replays flight 1', '== Summary =='];
    let at = -1;
    for (const s of sections) {
      const i = out.indexOf(s);
      expect(i, s).toBeGreaterThan(at);
      at = i;
    }
    for (const m of ['ClientHello', 'ServerHello', 'EncryptedExtensions', 'Certificate ', 'CertificateVerify', 'Finished', 'NewSessionTicket', 'EndOfEarlyData']) {
      expect(out).toContain(m);
    }
    expect(out).toMatch(/C ───▶ S {2}ClientHello +\d+ bytes, plaintext {2}\[RFC 8446 §4\.1\.2\]/);
    expect(out).toMatch(/C ◀─── S {2}EncryptedExtensions +\d+ bytes, encrypted, handshake keys/);
    expect(out).toContain('early_data: the server ACCEPTS the 0-RTT data');
    expect(out).toMatch(/server event data early: true {2}\(0-RTT, replayable\) {2}"GET \/early HTTP\/1\.1 \(sent as 0-RTT\)"/);
    expect(out).toMatch(/server event data early: false \(1-RTT\) {2}"and this line goes after the handshake"/);
    expect(out).toContain("server confirmHandshake() resolved: the client's Finished is verified");

    // Order: early data is delivered before confirmation, the 1-RTT line after it.
    const early = out.indexOf('early: true');
    const confirmed = out.indexOf('confirmHandshake() resolved');
    const late = out.indexOf('"and this line goes after the handshake"');
    expect(early).toBeLessThan(confirmed);
    expect(confirmed).toBeLessThan(late);

    expect(out).toContain('replayed 0-RTT bytes delivered to the server application: 0');
    expect(out).toMatch(/0-RTT +accepted: "GET \/early HTTP\/1\.1 \(sent as 0-RTT\)" arrived with the ClientHello, flagged early: true/);
    expect(out).toMatch(/confirmation +server confirmHandshake\(\) resolved at flight 3/);
    expect(out).toMatch(/replay +the replayed 0-RTT data was refused/);
  });

  it('--states adds the state machine transitions; --fields decodes every field', async () => {
    const [states, fields] = await Promise.all([runCli(['demo', '--states']), runCli(['demo', '--fields'])]);
    expect(states.code).toBe(0);
    expect(states.stdout).toMatch(/client state START → WAIT_SH/);
    expect(states.stdout).toMatch(/client state WAIT_FINISHED → CONNECTED/);
    expect(fields.code).toBe(0);
    expect(fields.stdout).toContain('legacy_version: TLS 1.2 (0x0303)');
    expect(fields.stdout).toMatch(/key_share \(51\) +\[RFC 8446 §4\.2\.8\]/);
  });
});
