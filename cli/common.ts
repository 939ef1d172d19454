/**
 * Pieces the client and server commands share: the flags both take, turning
 * them into config, and describing a finished handshake.
 */
import type { CommonConfig, ConnectionState, TraceEntry } from '../src/index.js';
import { TraceRecorder, formatTrace, type Side } from '../src/inspect/index.js';
import type { FlagSpec, ParsedArgs } from './args.js';
import { keyLogWriter } from './files.js';
import { parseCipherSuites, parseGroups } from './names.js';

export const SHARED_FLAGS: Readonly<Record<string, FlagSpec>> = {
  alpn: { type: 'string', value: 'a,b', help: 'ALPN protocols to offer / accept, in preference order' },
  groups: { type: 'string', value: 'g1,g2', help: 'key exchange groups, IANA names (x25519, secp256r1, secp384r1, X25519MLKEM768)' },
  ciphers: { type: 'string', value: 's1,s2', help: 'cipher suites, IANA names (TLS_AES_128_GCM_SHA256, ...)' },
  keylog: { type: 'string', value: 'FILE', help: 'append NSS key log lines (SSLKEYLOGFILE, for Wireshark) to FILE' },
  trace: { type: 'boolean', help: 'print every handshake message, state change and key change on stderr' },
  quiet: { type: 'boolean', help: 'print only data (and errors)' },
};

/** The config fields the shared flags set (all but `trace`: see `traceWriter`). */
export function sharedConfig(args: ParsedArgs): CommonConfig {
  const config: CommonConfig = {};
  const fail = (err: unknown): never => args.fail((err as Error).message);
  const alpn = args.list('alpn');
  if (alpn) {
    for (const p of alpn) if (p.length > 255) args.fail(`ALPN protocol "${p.slice(0, 20)}…" is longer than 255 bytes`);
    config.alpnProtocols = alpn;
  }
  const groups = args.list('groups');
  if (groups) {
    try {
      config.groups = parseGroups(groups);
    } catch (err) {
      fail(err);
    }
  }
  const ciphers = args.list('ciphers');
  if (ciphers) {
    try {
      config.cipherSuites = parseCipherSuites(ciphers);
    } catch (err) {
      fail(err);
    }
  }
  const keylog = args.string('keylog');
  if (keylog) config.keyLog = keyLogWriter(keylog);
  return config;
}

/** Above this many entries a connection's trace is formatted entry by entry (see traceWriter). */
const REFORMAT_LIMIT = 400;

/**
 * A `config.trace` for --trace: each entry is written to stderr as it
 * happens, decoded field by field by src/inspect (messages with their RFC
 * sections, state transitions, key changes with the secret's RFC name).
 *
 * formatTrace names application secrets by generation (…_secret_0, _1 after
 * a KeyUpdate), which needs the entries before; so the connection's whole
 * trace is formatted again and only the new lines are written. Traces are a
 * few dozen entries; a very long-lived connection switches to formatting
 * entries alone.
 */
export function traceWriter(side: Side, prefix = ''): (entry: TraceEntry) => void {
  const recorder = new TraceRecorder(side);
  const color = Boolean(process.stderr.isTTY) && !process.env['NO_COLOR'];
  let printed = 0;
  return (entry) => {
    recorder.handler(entry);
    const all = recorder.entries;
    let lines: string[];
    if (all.length <= REFORMAT_LIMIT) {
      const text = formatTrace(all, { color }).split('\n');
      lines = text.slice(printed);
      printed = text.length;
    } else {
      lines = formatTrace([all[all.length - 1]!], { color }).split('\n');
    }
    for (const line of lines) process.stderr.write(`${prefix}${side}: ${line}\n`);
  };
}

/** One line for a completed handshake: "TLSv1.3 TLS_AES_128_GCM_SHA256 x25519, ALPN h2, resumed". */
export function describeState(state: ConnectionState): string {
  const parts = [
    state.version ?? '?',
    state.cipherSuite?.name ?? '?',
    state.group ? `group ${state.group.name}` : 'no key exchange (psk_ke)',
  ];
  if (state.signatureScheme) parts.push(`signed with ${state.signatureScheme.name}`);
  parts.push(`ALPN ${state.alpnProtocol ?? '(none)'}`);
  parts.push(state.resumed ? 'resumed (PSK)' : 'full handshake');
  if (state.resumed) parts.push(state.earlyDataAccepted ? '0-RTT accepted' : 'no 0-RTT');
  return parts.join(', ');
}

/** Splits "host:port", "[v6]:port". */
export function parseHostPort(text: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  if (!m) throw new Error(`expected HOST:PORT (or [IPv6]:PORT), got "${text}"`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new Error(`port must be 1..65535, got ${m[2]}`);
  return { host: m[1]!, port };
}
