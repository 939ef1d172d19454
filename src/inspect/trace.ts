/**
 * The annotated trace: collect what a connection reports through
 * `config.trace`, then print it for people (formatTrace, formatDialogue) or
 * for programs (traceToJSON).
 *
 *   const clock = new TraceClock();
 *   const c = new TraceRecorder('client', { clock });
 *   const s = new TraceRecorder('server', { clock });
 *   new ClientConnection({ trace: c.handler, ... });
 *   new ServerConnection({ trace: s.handler, ... });
 *   ...
 *   console.log(formatDialogue(c.entries, s.entries, { color: process.stdout.isTTY }));
 *
 * Secrets appear only when both the connection was configured with
 * `traceSecrets: true` (so the entries hold them) and the formatter is asked
 * for them with `{ secrets: true }`: a trace pasted into a bug report must
 * not decrypt the session by accident.
 */
import type { TraceEntry, TrafficLevel } from '../handshake/events.js';
import { RecordDeframer } from '../record/index.js';
import { ContentType, codeName } from '../registry.js';
import { toHex } from '../util/bytes.js';
import { type FieldNode, count, describeMessage, describeRecord } from './describe.js';
import { palette, renderFields, type Palette } from './render.js';
import { KEY_SECTIONS, RECORD_SECTIONS, messageName, messageSection } from './rfc.js';

export type Side = 'client' | 'server';
export type Direction = 'sent' | 'received';

/** A record as it crossed the transport (see TraceRecorder.wire), RFC 8446 §5. */
export interface WireRecordEntry {
  readonly kind: 'record';
  readonly direction: Direction;
  readonly contentType: number;
  readonly version: number;
  readonly fragment: Uint8Array;
}

/** What the inspector shows: the connection's trace entries, and records seen on the wire. */
export type InspectEntry = TraceEntry | WireRecordEntry;

/** An entry as recorded: with its place in the (possibly shared) sequence and the side that saw it. */
export type RecordedEntry = InspectEntry & { readonly seq: number; readonly side: Side };

/**
 * A counter shared by several recorders, so that the entries of a client
 * and a server driven in one process interleave in the order they happened.
 */
export class TraceClock {
  private last = 0;

  /** The next sequence number (1, 2, ...). */
  next(): number {
    return ++this.last;
  }
}

export interface TraceRecorderOptions {
  /** Share one clock between the client's and the server's recorder to merge them (formatDialogue). */
  readonly clock?: TraceClock;
}

/** Collects trace entries; pass `handler` as `config.trace`. */
export class TraceRecorder {
  readonly entries: RecordedEntry[] = [];
  readonly clock: TraceClock;
  private readonly deframers: Record<Direction, RecordDeframer | undefined>;

  constructor(
    readonly side: Side,
    options: TraceRecorderOptions = {},
  ) {
    this.clock = options.clock ?? new TraceClock();
    this.deframers = { sent: newDeframer(), received: newDeframer() };
  }

  /** The function to give the connection as `config.trace`. */
  readonly handler = (entry: TraceEntry): void => {
    this.add(copyEntry(entry));
  };

  /**
   * Optional: the bytes this side sent to (or received from) the transport,
   * to show the records (§5) that carried the messages. Feed every chunk in
   * order; records split across chunks are reassembled.
   */
  wire(direction: Direction, bytes: Uint8Array): void {
    const deframer = this.deframers[direction];
    if (!deframer) return;
    try {
      deframer.push(bytes.slice());
      for (let r = deframer.next(); r; r = deframer.next()) {
        this.add({ kind: 'record', direction, contentType: r.type, version: r.version, fragment: r.fragment });
      }
    } catch (err) {
      // Not TLS records (or a stream we joined midway): say so once and stop framing this direction.
      this.deframers[direction] = undefined;
      this.add({ kind: 'note', text: `${direction} bytes no longer frame as TLS records: ${err instanceof Error ? err.message : String(err)}` });
    }
  }

  /** Forgets what was recorded (the clock keeps counting). */
  clear(): void {
    this.entries.length = 0;
  }

  private add(entry: InspectEntry): void {
    this.entries.push({ ...entry, seq: this.clock.next(), side: this.side });
  }
}

function newDeframer(): RecordDeframer {
  return new RecordDeframer({ maxBufferedBytes: Number.POSITIVE_INFINITY });
}

/** Our own copies of the byte fields, so a later change to the connection's buffers cannot alter the record. */
function copyEntry(entry: TraceEntry): TraceEntry {
  switch (entry.kind) {
    case 'message':
      return { ...entry, bytes: entry.bytes.slice() };
    case 'keys':
      return entry.secret ? { ...entry, secret: entry.secret.slice() } : { ...entry };
    default:
      return { ...entry };
  }
}

// ------------------------------------------------------------------ shared

/** Entries as given (recorded or raw), each with a sequence number and maybe a side. */
interface Positioned {
  readonly entry: InspectEntry;
  readonly seq: number;
  readonly side: Side | undefined;
}

function position(entries: readonly (InspectEntry | RecordedEntry)[]): Positioned[] {
  return entries.map((e, i) => ('seq' in e ? { entry: e, seq: e.seq, side: e.side } : { entry: e, seq: i + 1, side: undefined }));
}

/**
 * The RFC 8446 §7.1 name of the secret behind a key install, e.g. the
 * client's read keys at handshake level come from server_handshake_traffic_secret.
 * Application secrets are numbered: each KeyUpdate moves to the next (§7.2).
 */
class SecretNames {
  private readonly generations = new Map<string, number>();

  name(side: Side | undefined, direction: 'read' | 'write', level: TrafficLevel): string | undefined {
    if (!side) return undefined;
    const writer: Side = direction === 'write' ? side : side === 'client' ? 'server' : 'client';
    if (level === 'early') return 'client_early_traffic_secret';
    if (level === 'handshake') return `${writer}_handshake_traffic_secret`;
    const key = `${side}/${direction}`;
    const n = this.generations.get(key) ?? 0;
    this.generations.set(key, n + 1);
    return `${writer}_application_traffic_secret_${n}`;
  }
}

function alertSection(alert: string): string {
  return alert === 'close_notify' || alert === 'user_canceled' ? 'RFC 8446 §6.1' : 'RFC 8446 §6.2';
}

// ------------------------------------------------------------------- text

export interface FormatOptions {
  /** ANSI colours (decide with e.g. `process.stdout.isTTY`); default false. */
  readonly color?: boolean;
  /** Print traffic secrets, if the entries hold them (`traceSecrets: true`); default false. */
  readonly secrets?: boolean;
  /**
   * Decode messages field by field: true (default for formatTrace), false
   * (headers only), or 'sent' (only where the message was sent: the default
   * for formatDialogue, where every message appears on both sides).
   */
  readonly fields?: boolean | 'sent';
  /** Opaque values longer than this are truncated (default 32 bytes). */
  readonly maxBytes?: number;
}

interface Block {
  readonly head: string;
  readonly body: readonly string[];
}

function arrow(direction: Direction): string {
  return direction === 'sent' ? '→' : '←';
}

/** Whether an entry in this direction is decoded field by field. */
function decodes(options: FormatOptions, direction: Direction): boolean {
  return options.fields === undefined || options.fields === true || (options.fields === 'sent' && direction === 'sent');
}

function entryBlock(e: Positioned, options: FormatOptions, p: Palette, names: SecretNames): Block {
  const { entry } = e;
  switch (entry.kind) {
    case 'message': {
      const header = `${p.bold(`${arrow(entry.direction)} ${messageName(entry.message)}`)}  ${count(entry.bytes.length, 'byte')}  ${p.dim(`[${messageSection(entry.message)}]`)}`;
      if (!decodes(options, entry.direction)) return { head: header, body: [] };
      const tree = describeMessage(entry.message, options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes });
      const body = tree.note ? [p.dim(`— ${tree.note}`)] : [];
      for (const child of tree.children ?? []) body.push(...renderFields(child, { color: options.color ?? false }));
      return { head: header, body };
    }
    case 'transition':
      return {
        head: `${p.yellow('[state]')} ${p.yellow(`${entry.from} → ${entry.to}`)}  on ${entry.on}  ${p.dim(`(${entry.rfc})`)}`,
        body: [],
      };
    case 'keys': {
      const name = names.name(e.side, entry.direction, entry.level);
      const generation = name?.match(/_(\d+)$/);
      const rfc = generation && generation[1] !== '0' ? KEY_SECTIONS.update : KEY_SECTIONS.schedule;
      const head = `${p.green('[keys]')} ${entry.direction} ← ${entry.level}${name ? `  ${name}` : ''}  ${p.dim(`[${rfc}]`)}`;
      if (!options.secrets) return { head, body: [] };
      const body = entry.secret
        ? [`secret: ${p.red(toHex(entry.secret))}`]
        : [p.dim('secret: not recorded (configure the connection with traceSecrets: true)')];
      return { head, body };
    }
    case 'change_cipher_spec':
      return {
        head: `${p.magenta('[ccs]')} ${arrow(entry.direction)} ChangeCipherSpec  ${p.dim(`— compatibility only, ignored [${RECORD_SECTIONS.changeCipherSpec}]`)}`,
        body: [],
      };
    case 'alert':
      return {
        head: `${p.red('[alert]')} ${arrow(entry.direction)} ${entry.level} ${entry.alert}  ${p.dim(`[${alertSection(entry.alert)}]`)}`,
        body: [],
      };
    case 'note':
      return { head: `${p.dim('[note]')} ${entry.text}`, body: [] };
    case 'record': {
      const tree = describeRecord(entry, options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes });
      const typeName = codeName(ContentType, entry.contentType);
      const head = `${p.blue('[record]')} ${arrow(entry.direction)} ${tree.label} ${typeName}  ${count(entry.fragment.length, 'byte')}  ${p.dim(`[${tree.rfc ?? ''}]`)}`;
      // The header already says type and length; show the rest.
      const rest: FieldNode[] = (tree.children ?? []).filter((c) => c.label !== 'type' && c.label !== 'opaque_type' && c.label !== 'length');
      return { head, body: decodes(options, entry.direction) ? rest.flatMap((c) => renderFields(c, { color: options.color ?? false })) : [] };
    }
  }
}

function blocks(entries: readonly Positioned[], options: FormatOptions): { e: Positioned; block: Block }[] {
  const p = palette(options.color ?? false);
  const names = new SecretNames();
  return entries.map((e) => ({ e, block: entryBlock(e, options, p, names) }));
}

/** Lines of one block: `#seq head`, then the body indented under the head. */
function blockLines(seq: number, width: number, block: Block, p: Palette): string[] {
  const label = `#${seq}`.padStart(width);
  const pad = ' '.repeat(width + 1);
  return [`${p.dim(label)} ${block.head}`, ...block.body.map((l) => `${pad}  ${l}`)];
}

/**
 * One side's trace as text: one block per entry, messages decoded field by
 * field with their RFC sections, transitions as `WAIT_SH → WAIT_EE`, key
 * changes as `[keys] write ← handshake`. Accepts recorded entries or the raw
 * entries a `config.trace` callback received.
 */
export function formatTrace(entries: readonly (InspectEntry | RecordedEntry)[], options: FormatOptions = {}): string {
  const p = palette(options.color ?? false);
  const positioned = position(entries);
  const width = Math.max(2, ...positioned.map((e) => String(e.seq).length + 1));
  return blocks(positioned, options)
    .flatMap(({ e, block }) => blockLines(e.seq, width, block, p))
    .join('\n');
}

/**
 * Client and server traces merged by sequence number (record them with one
 * shared TraceClock), each line prefixed `C:` or `S:`. Each message shows up
 * twice, sent by one side and received by the other; by default it is
 * decoded only where it was sent.
 */
export function formatDialogue(
  clientEntries: readonly RecordedEntry[],
  serverEntries: readonly RecordedEntry[],
  options: FormatOptions = {},
): string {
  const p = palette(options.color ?? false);
  const merged = [
    ...position(clientEntries).map((e) => ({ ...e, side: 'client' as const })),
    ...position(serverEntries).map((e) => ({ ...e, side: 'server' as const })),
  ].sort((a, b) => a.seq - b.seq || (a.side === b.side ? 0 : a.side === 'client' ? -1 : 1));
  const width = Math.max(2, ...merged.map((e) => String(e.seq).length + 1));
  const opts: FormatOptions = { ...options, fields: options.fields ?? 'sent' };
  const out: string[] = [];
  for (const { e, block } of blocks(merged, opts)) {
    const prefix = e.side === 'client' ? p.cyan('C:') : p.magenta('S:');
    for (const line of blockLines(e.seq, width, block, p)) out.push(`${prefix} ${line}`);
  }
  return out.join('\n');
}

// ------------------------------------------------------------------- JSON

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** An entry in JSON form: only strings, numbers, booleans, arrays and objects; bytes as hex. */
export type JsonTraceEntry = { [key: string]: JsonValue };

export interface JsonOptions {
  /** Include traffic secrets the entries hold (default false, as for text). */
  readonly secrets?: boolean;
  /** Include each message's decoded field tree as `fields` (default true). */
  readonly fields?: boolean;
  readonly maxBytes?: number;
}

/** Any value built of plain data, Uint8Array and bigint, as JSON (bytes → hex; undefined fields dropped). */
export function toJsonValue(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  if (value instanceof Uint8Array) return toHex(value);
  if (value instanceof Date) return value.toISOString();
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return value.toString();
    case 'object': {
      if (Array.isArray(value)) return value.map(toJsonValue);
      const out: { [key: string]: JsonValue } = {};
      for (const [k, v] of Object.entries(value)) if (v !== undefined && typeof v !== 'function') out[k] = toJsonValue(v);
      return out;
    }
    default:
      return String(value);
  }
}

/**
 * The trace as JSON-safe objects (for a web page, a test, a file): every
 * entry keeps its kind and fields, bytes become hex, messages also get
 * their RFC name and section and (by default) the decoded field tree.
 */
export function traceToJSON(entries: readonly (InspectEntry | RecordedEntry)[], options: JsonOptions = {}): JsonTraceEntry[] {
  const names = new SecretNames();
  const describeOptions = options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes };
  return position(entries).map(({ entry, seq, side }) => {
    const base: JsonTraceEntry = { seq, ...(side ? { side } : {}), kind: entry.kind };
    switch (entry.kind) {
      case 'message':
        return {
          ...base,
          direction: entry.direction,
          type: entry.message.type,
          name: messageName(entry.message),
          rfc: messageSection(entry.message),
          length: entry.bytes.length,
          bytes: toHex(entry.bytes),
          message: toJsonValue(entry.message),
          ...(options.fields === false ? {} : { fields: toJsonValue(describeMessage(entry.message, describeOptions)) }),
        };
      case 'keys': {
        const name = names.name(side, entry.direction, entry.level);
        return {
          ...base,
          direction: entry.direction,
          level: entry.level,
          ...(name ? { secretName: name } : {}),
          ...(options.secrets && entry.secret ? { secret: toHex(entry.secret) } : {}),
        };
      }
      case 'record':
        return {
          ...base,
          direction: entry.direction,
          contentType: entry.contentType,
          version: entry.version,
          length: entry.fragment.length,
          fragment: toHex(entry.fragment),
          ...(options.fields === false ? {} : { fields: toJsonValue(describeRecord(entry, describeOptions)) }),
        };
      case 'transition':
      case 'change_cipher_spec':
      case 'alert':
      case 'note': {
        const { kind: _kind, ...rest } = entry;
        return { ...base, ...(toJsonValue(rest) as JsonTraceEntry) };
      }
    }
  });
}
