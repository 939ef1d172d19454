/**
 * Writes the seed corpus of every fuzz target into test/fuzz/corpus/<target>/
 * from our own deterministic handshakes (test/hardening/scenarios.ts) and
 * RFC 8448 (vectors/rfc8448/*.json). Re-run after a change that alters the
 * bytes on the wire; the files are named `seed-…` so they stay apart from
 * what fuzzing adds.
 *
 *   npx tsx test/fuzz/support/makeCorpus.ts
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TraceEntry } from '../../../src/handshake/events.js';
import { parsePem } from '../../../src/x509/index.js';
import { REPO_ROOT, SCENARIOS, record, type ScenarioName } from '../../hardening/scenarios.js';
import { concat } from '../../hardening/streams.js';
import { CLIENT_SCENARIOS } from '../targets/client.js';
import { SERVER_SCENARIOS } from '../targets/server.js';
import { CORPUS_DIR } from './runner.js';

type Seeds = Map<string, Uint8Array>;

interface RfcSection {
  readonly steps: readonly { readonly actor: string; readonly values: readonly { readonly label: string; readonly hex: string | null }[] }[];
}

const fromHex = (hex: string): Uint8Array => Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
const prefixed = (prefix: readonly number[], body: Uint8Array): Uint8Array => concat([Uint8Array.from(prefix), body]);

function rfcSections(): { name: string; section: RfcSection }[] {
  const dir = join(REPO_ROOT, 'vectors/rfc8448');
  return readdirSync(dir)
    .filter((f) => /^section[3-7].*\.json$/.test(f))
    .map((f) => ({ name: f.replace(/\.json$/, ''), section: JSON.parse(readFileSync(join(dir, f), 'utf8')) as RfcSection }));
}

const HANDSHAKE_LABELS = new Set([
  'ClientHello',
  'ServerHello',
  'EncryptedExtensions',
  'Certificate',
  'CertificateRequest',
  'CertificateVerify',
  'Finished',
  'NewSessionTicket',
  'EndOfEarlyData',
]);

function recordedWithMessages(name: ScenarioName): { toServer: Uint8Array; toClient: Uint8Array; messages: Uint8Array[] } {
  const messages: Uint8Array[] = [];
  const trace = (e: TraceEntry): void => {
    if (e.kind === 'message') messages.push(e.bytes);
  };
  const t = record(name, { client: { trace }, server: { trace } });
  return { toServer: concat(t.toServer), toClient: concat(t.toClient), messages };
}

/** The certificates in a Certificate message (RFC 8446 §4.4.2), for the X.509 seeds. */
function certificatesIn(message: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 4;
  at += 1 + message[at]!; // certificate_request_context
  const end = at + 3 + ((message[at]! << 16) | (message[at + 1]! << 8) | message[at + 2]!);
  at += 3;
  while (at + 3 <= end) {
    const n = (message[at]! << 16) | (message[at + 1]! << 8) | message[at + 2]!;
    out.push(message.subarray(at + 3, at + 3 + n));
    at += 3 + n;
    at += 2 + ((message[at]! << 8) | message[at + 1]!);
  }
  return out;
}

export function makeSeeds(): Record<string, Seeds> {
  const seeds: Record<string, Seeds> = { record: new Map(), handshake: new Map(), x509: new Map(), server: new Map(), client: new Map() };
  const recorded = new Map(SCENARIOS.map((n) => [n, recordedWithMessages(n)] as const));

  for (const [name, r] of recorded) {
    for (const [dir, stream] of [['to-server', r.toServer], ['to-client', r.toClient]] as const) {
      seeds.record!.set(`seed-${name}-${dir}-plain`, prefixed([1, 0], stream));
      seeds.record!.set(`seed-${name}-${dir}-chunked`, prefixed([1, 7], stream));
      seeds.record!.set(`seed-${name}-${dir}-deframer`, prefixed([0, 3], stream));
    }
    r.messages.forEach((m, i) => {
      seeds.handshake!.set(`seed-${name}-${String(i).padStart(2, '0')}`, prefixed([0], m));
      if (m[0] === 11) certificatesIn(m).forEach((c, k) => seeds.x509!.set(`seed-${name}-msg${i}-cert${k}`, c));
    });
  }
  // Protected-record mode: a few inner plaintexts (handshake, alert, application data, padding).
  seeds.record!.set('seed-protected', prefixed([2, 0], Uint8Array.of(0, 0, 6, 1, 0, 0, 2, 3, 22, 0, 0, 3, 1, 0, 21, 0, 0, 4, 65, 23, 0, 0)));

  SERVER_SCENARIOS.forEach((name, i) => {
    seeds.server!.set(`seed-${name}`, prefixed([i, 0], recorded.get(name)!.toServer));
    seeds.server!.set(`seed-${name}-bytewise`, prefixed([i, 1], recorded.get(name)!.toServer));
  });
  // The first server config also serves plain and resumed handshakes.
  seeds.server!.set('seed-full', prefixed([0, 0], recorded.get('full')!.toServer));
  seeds.server!.set('seed-resume', prefixed([0, 0], recorded.get('resume')!.toServer));
  CLIENT_SCENARIOS.forEach((name, i) => {
    seeds.client!.set(`seed-${name}`, prefixed([i, 0], recorded.get(name)!.toClient));
    seeds.client!.set(`seed-${name}-chunked`, prefixed([i, 13], recorded.get(name)!.toClient));
  });

  for (const { name, section } of rfcSections()) {
    const toServer: Uint8Array[] = [];
    const toClient: Uint8Array[] = [];
    for (const step of section.steps) {
      for (const v of step.values) {
        if (!v.hex) continue;
        const bytes = fromHex(v.hex);
        if (v.label === 'complete record') (step.actor === 'client' ? toServer : toClient).push(bytes);
        if (HANDSHAKE_LABELS.has(v.label) && bytes.length >= 4 && bytes[0] !== undefined) {
          seeds.handshake!.set(`seed-rfc8448-${name}-${v.label}-${bytes.length}`, prefixed([0], bytes));
          if (v.label === 'Certificate') certificatesIn(bytes).forEach((c, k) => seeds.x509!.set(`seed-rfc8448-${name}-cert${k}`, c));
        }
      }
    }
    if (toServer.length > 0) {
      seeds.server!.set(`seed-rfc8448-${name}`, prefixed([0, 0], concat(toServer)));
      seeds.record!.set(`seed-rfc8448-${name}-to-server`, prefixed([1, 0], concat(toServer)));
    }
    if (toClient.length > 0) {
      seeds.client!.set(`seed-rfc8448-${name}`, prefixed([0, 0], concat(toClient)));
      seeds.record!.set(`seed-rfc8448-${name}-to-client`, prefixed([1, 0], concat(toClient)));
    }
  }

  // Every fixture certificate, as DER, and one as PEM text.
  const pkiDir = join(REPO_ROOT, 'test/fixtures/pki');
  for (const file of readdirSync(pkiDir).filter((f) => f.endsWith('.pem'))) {
    const text = readFileSync(join(pkiDir, file), 'utf8');
    parsePem(text)
      .filter((b) => b.label === 'CERTIFICATE')
      .forEach((b, k) => seeds.x509!.set(`seed-pki-${file.replace(/\.pem$/, '')}-${k}`, b.bytes));
  }
  seeds.x509!.set('seed-pem-text', new TextEncoder().encode(readFileSync(join(pkiDir, 'leaf-p256.pem'), 'utf8')));
  return seeds;
}

function main(): void {
  for (const [target, seeds] of Object.entries(makeSeeds())) {
    const dir = join(CORPUS_DIR, target);
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(dir).filter((f) => f.startsWith('seed-'))) rmSync(join(dir, f));
    // Identical inputs (a message both sides' traces saw, the same certificate twice) are kept once.
    const seen = new Set<string>();
    for (const [name, bytes] of seeds) {
      const key = Buffer.from(bytes).toString('base64');
      if (seen.has(key)) continue;
      seen.add(key);
      writeFileSync(join(dir, name), bytes);
    }
    console.log(`${target}: ${seen.size} seeds`);
  }
}

main();
