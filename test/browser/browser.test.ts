/**
 * The browser example in Debian's headless Chromium, driven by
 * playwright-core (which never downloads a browser of its own):
 * - the page runs a client and a server handshake in memory and shows the
 *   annotated trace;
 * - the page's client fetches a page from `openssl s_server -www` over
 *   TLS-over-WebSocket through the Node relay.
 * Everything listens on 127.0.0.1 with ephemeral ports; s_server is ended
 * by pid in teardown.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasOpenssl, startExample, type RunningExample } from '../../examples/browser/serve.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const haveOpenssl = hasOpenssl();

/** Waits until a status element leaves 'idle'/'running', then returns its state and text. */
async function settledStatus(page: Page, id: string): Promise<{ state: string; text: string }> {
  await page.waitForSelector(`#${id}[data-state="done"], #${id}[data-state="error"]`, { timeout: 25_000 });
  const el = page.locator(`#${id}`);
  return { state: (await el.getAttribute('data-state')) ?? '', text: (await el.textContent()) ?? '' };
}

describe.skipIf(!haveChromium)(
  `the browser example in headless Chromium${haveChromium ? '' : ` (skipped: ${CHROMIUM} is missing; apt-get install chromium)`}`,
  () => {
    let example: RunningExample;
    let context: BrowserContext;
    let page: Page;
    let profile: string;
    const pageErrors: string[] = [];

    beforeAll(async () => {
      example = await startExample();
      profile = mkdtempSync(join(tmpdir(), 'tls13-chromium-'));
      // A fresh profile each run, and none of Chromium's own network chatter.
      context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
      page = context.pages()[0] ?? (await context.newPage());
      page.on('pageerror', (err) => pageErrors.push(err.message));
      await page.goto(example.url);
    }, 30_000);

    afterAll(async () => {
      await context?.close();
      await example?.close();
      if (profile) rmSync(profile, { recursive: true, force: true });
    });

    it('runs a client and a server handshake inside the page and shows the annotated trace', async () => {
      const status = await settledStatus(page, 'status');
      expect(status.text).toMatch(/^handshake complete in \d+ ms: TLS_AES_128_GCM_SHA256 with X25519MLKEM768$/);
      expect(status.state).toBe('done');

      const summary = (await page.textContent('#summary')) ?? '';
      expect(summary).toContain('certificate verified for server.example');
      expect(summary).toContain('the server echoed "hello from the page"');

      const trace = (await page.textContent('#trace')) ?? '';
      const lines = trace.split('\n');
      // Both sides, in the order things happened, each message decoded with its RFC section.
      expect(lines[0]).toMatch(/^C: +#1 → ClientHello +\d+ bytes +\[RFC 8446 §4\.1\.2\]$/);
      for (const message of ['ServerHello', 'EncryptedExtensions', 'Certificate', 'CertificateVerify', 'Finished']) {
        expect(lines.some((l) => l.startsWith('S: ') && l.includes(`→ ${message} `))).toBe(true);
        expect(lines.some((l) => l.startsWith('C: ') && l.includes(`← ${message} `))).toBe(true);
      }
      expect(trace).toContain('host_name: "server.example"');
      expect(trace).toMatch(/C: .*\[state\] WAIT_FINISHED → CONNECTED/);
      expect(trace).toMatch(/S: .*\[state\] WAIT_FINISHED → CONNECTED/);
      expect(trace).toContain('close_notify');
      // Secrets stay out of the trace unless asked for.
      expect(trace).not.toMatch(/secret: [0-9a-f]{32}/);
      expect(pageErrors).toEqual([]);
    }, 30_000);

    it.skipIf(!haveOpenssl)(
      `fetches from openssl s_server -www over TLS-over-WebSocket through the relay${haveOpenssl ? '' : ' (skipped: no openssl)'}`,
      async () => {
        await page.waitForSelector('#ws-run:not([disabled])', { timeout: 10_000 });
        expect(await page.textContent('#ws-target')).toContain(`tcp://127.0.0.1:${example.target?.port}`);
        await page.click('#ws-run');
        const status = await settledStatus(page, 'ws-status');
        expect(status.text).toMatch(/^HTTP\/1\.0 200 ok — TLSv1\.3, TLS_\w+, \w+, \w+, certificate verified for localhost$/);
        expect(status.state).toBe('done');

        // s_server -www answers with a page describing the session it served.
        const response = (await page.textContent('#ws-response')) ?? '';
        expect(response.startsWith('HTTP/1.0 200 ok\r\n')).toBe(true);
        expect(response).toContain('Ciphers supported in s_server binary');
        expect(response).toMatch(/New, TLSv1\.3, Cipher is TLS_/);

        // The client's trace shows the records that crossed the WebSocket, and the messages in them.
        const trace = (await page.textContent('#ws-trace')) ?? '';
        expect(trace).toMatch(/\[record\] → TLSPlaintext handshake/);
        expect(trace).toMatch(/← CertificateVerify/);
        expect(example.relay.total).toBe(1);
        expect(pageErrors).toEqual([]);
      },
      30_000,
    );
  },
);
