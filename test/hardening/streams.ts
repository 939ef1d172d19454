/**
 * Cutting a recorded byte stream into records and putting it back together,
 * faithfully (re-fragmentation and coalescing that a legitimate peer or the
 * network may produce) or not (bit flips, truncation, duplication, deletion,
 * reordering, injected records).
 */
import { ContentType } from '../../src/registry.js';

export interface StreamRecord {
  readonly type: number;
  readonly version: number;
  /** Header and body. */
  readonly raw: Uint8Array;
  /** Offset of the record in the stream. */
  readonly start: number;
}

/** The records of a stream, in order; a trailing partial record is dropped. */
export function splitRecords(stream: Uint8Array): StreamRecord[] {
  const out: StreamRecord[] = [];
  for (let at = 0; at + 5 <= stream.length; ) {
    const length = (stream[at + 3]! << 8) | stream[at + 4]!;
    if (at + 5 + length > stream.length) break;
    out.push({ type: stream[at]!, version: (stream[at + 1]! << 8) | stream[at + 2]!, raw: stream.subarray(at, at + 5 + length), start: at });
    at += 5 + length;
  }
  return out;
}

export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

export function plaintextRecord(type: number, body: Uint8Array, version = 0x0303): Uint8Array {
  const out = new Uint8Array(5 + body.length);
  out.set([type, version >> 8, version & 0xff, body.length >> 8, body.length & 0xff]);
  out.set(body, 5);
  return out;
}

/**
 * Legitimate record re-fragmentation and coalescing (RFC 8446 §5.1): each
 * run of consecutive unprotected handshake records is joined and cut again
 * into records of the sizes `size` picks (1..2^14 bytes each). Handshake
 * messages may span records and records may hold several messages, so the
 * result must be accepted exactly like the original.
 */
export function refragmentHandshakeRecords(stream: Uint8Array, size: (remaining: number) => number): Uint8Array {
  const records = splitRecords(stream);
  const out: Uint8Array[] = [];
  for (let i = 0; i < records.length; ) {
    const r = records[i]!;
    if (r.type !== ContentType.handshake) {
      out.push(r.raw);
      i++;
      continue;
    }
    const run: Uint8Array[] = [];
    const version = r.version;
    while (i < records.length && records[i]!.type === ContentType.handshake) run.push(records[i++]!.raw.subarray(5));
    const body = concat(run);
    for (let at = 0; at < body.length; ) {
      const n = Math.max(1, Math.min(2 ** 14, body.length - at, size(body.length - at)));
      out.push(plaintextRecord(ContentType.handshake, body.subarray(at, at + n), version));
      at += n;
    }
  }
  const tail = records.length === 0 ? stream : stream.subarray(records[records.length - 1]!.start + records[records.length - 1]!.raw.length);
  return concat([...out, tail]);
}

/** Cuts a stream into receive() calls of the given sizes (cycled), as TCP may. */
export function chop(stream: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0, i = 0; at < stream.length; i++) {
    const n = Math.max(1, sizes.length === 0 ? stream.length : sizes[i % sizes.length]!);
    out.push(stream.subarray(at, at + n));
    at += n;
  }
  return out;
}

export type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'duplicate'; readonly record: number }
  | { readonly kind: 'drop'; readonly record: number }
  | { readonly kind: 'swap'; readonly a: number; readonly b: number }
  | { readonly kind: 'inject'; readonly record: number; readonly type: number; readonly body: Uint8Array };

/** What a mutation touched, so the expected alert can be stated precisely where the RFC fixes it. */
export interface Mutated {
  readonly stream: Uint8Array;
  /** The record kinds touched ('protected' = outer type application_data). */
  readonly touched: readonly ('protected' | 'plaintext')[];
  /** For a flip: whether it hit a record header or body. */
  readonly where?: 'header' | 'body';
  /** Index of the (first) record touched. */
  readonly index?: number;
  readonly records: number;
  /** The mutation leaves the stream unchanged (e.g. swapping a record with itself). */
  readonly noop: boolean;
}

const kindOf = (r: StreamRecord): 'protected' | 'plaintext' => (r.type === ContentType.application_data ? 'protected' : 'plaintext');

export function mutate(stream: Uint8Array, m: Mutation): Mutated {
  const records = splitRecords(stream);
  const n = records.length;
  const pick = (i: number): number => ((i % n) + n) % n;
  const rebuild = (list: readonly Uint8Array[]): Uint8Array => concat(list);
  if (stream.length === 0 || (n === 0 && m.kind !== 'flip' && m.kind !== 'truncate')) {
    return { stream, touched: [], records: n, noop: true };
  }
  switch (m.kind) {
    case 'flip': {
      const at = m.at % stream.length;
      const out = stream.slice();
      out[at] = out[at]! ^ (1 << (m.bit & 7));
      const index = records.findIndex((r) => at >= r.start && at < r.start + r.raw.length);
      const r = records[index];
      return {
        stream: out,
        touched: r ? [kindOf(r)] : [],
        ...(r ? { where: at - r.start < 5 ? ('header' as const) : ('body' as const), index } : {}),
        records: n,
        noop: false,
      };
    }
    case 'truncate':
      return { stream: stream.subarray(0, m.at % stream.length), touched: [], records: n, noop: false };
    case 'duplicate': {
      const i = pick(m.record);
      const list = records.map((r) => r.raw);
      list.splice(i + 1, 0, records[i]!.raw);
      return { stream: rebuild(list), touched: [kindOf(records[i]!)], index: i, records: n, noop: false };
    }
    case 'drop': {
      const i = pick(m.record);
      const list = records.map((r) => r.raw);
      list.splice(i, 1);
      return { stream: rebuild(list), touched: [kindOf(records[i]!)], index: i, records: n, noop: false };
    }
    case 'swap': {
      const a = pick(m.a);
      const b = pick(m.b);
      const list = records.map((r) => r.raw);
      [list[a], list[b]] = [list[b]!, list[a]!];
      const same = a === b || records[a]!.raw.every((x, k) => records[b]!.raw[k] === x) && records[a]!.raw.length === records[b]!.raw.length;
      return { stream: rebuild(list), touched: [kindOf(records[a]!), kindOf(records[b]!)], index: Math.min(a, b), records: n, noop: same };
    }
    case 'inject': {
      const i = pick(m.record);
      const list = records.map((r) => r.raw);
      list.splice(i, 0, plaintextRecord(m.type, m.body));
      return { stream: rebuild(list), touched: [m.type === ContentType.application_data ? 'protected' : 'plaintext'], index: i, records: n, noop: false };
    }
  }
}
