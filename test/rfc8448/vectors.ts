/**
 * Typed access to the RFC 8448 vectors in vectors/rfc8448/ (see the README
 * there for the JSON shape).
 *
 * Every read through `StepView.bytes()` / `.text()` is recorded in the
 * trace's ledger, so a test can assert afterwards that each labelled value of
 * the RFC took part in some check. Reads that only *navigate* the trace
 * (splitting record payloads into messages, finding which keys protect a
 * record) use `.peek()`, which is not recorded: navigation alone verifies
 * nothing.
 */
import { readFileSync } from 'node:fs';
import { fromHex } from '../../src/util/bytes.js';
import type {
  Actor,
  SectionVectors,
  VectorIndex,
  VectorStep,
  VectorValue,
} from '../../scripts/rfc8448-to-json.js';

export type { Actor, SectionVectors, VectorIndex, VectorStep, VectorValue };

export type SectionNumber = 2 | 3 | 4 | 5 | 6 | 7;
export const ALL_SECTIONS: readonly SectionNumber[] = [2, 3, 4, 5, 6, 7];
/** The sections that are handshake traces (section 2 only lists a key). */
export const TRACE_SECTIONS: readonly SectionNumber[] = [3, 4, 5, 6, 7];

const VECTOR_DIR = new URL('../../vectors/rfc8448/', import.meta.url);

export function vectorFileUrl(name: string): URL {
  return new URL(name, VECTOR_DIR);
}

export function loadIndex(): VectorIndex {
  return JSON.parse(readFileSync(vectorFileUrl('index.json'), 'utf8')) as VectorIndex;
}

const cache = new Map<number, SectionVectors>();

/** The raw JSON of one section (parsed once per process). */
export function loadSection(section: SectionNumber): SectionVectors {
  let data = cache.get(section);
  if (!data) {
    const entry = loadIndex().sections.find((s) => s.section === section);
    if (!entry) throw new Error(`no RFC 8448 section ${section} in index.json`);
    data = JSON.parse(readFileSync(vectorFileUrl(entry.file), 'utf8')) as SectionVectors;
    cache.set(section, data);
  }
  return data;
}

/** Which values have been used by a check, and how many comparisons ran. */
export class Ledger {
  private readonly used = new Set<string>();
  comparisons = 0;

  mark(step: number, value: number): void {
    this.used.add(`${step}:${value}`);
  }

  has(step: number, value: number): boolean {
    return this.used.has(`${step}:${value}`);
  }

  get size(): number {
    return this.used.size;
  }
}

export interface StepQuery {
  actor?: Actor | null;
  /** Exact action text, or a pattern tested against it. */
  action?: string | RegExp;
  /** Only steps that list values (true) or only those that do not (false). */
  hasValues?: boolean;
  /** Only steps listing this label. */
  label?: string;
  /** Only steps with index strictly after / before this one. */
  after?: number;
  before?: number;
}

export interface Coverage {
  readonly section: number;
  readonly values: number;
  readonly consumed: number;
  readonly comparisons: number;
  /** Descriptions of the values no check consumed. */
  readonly missing: readonly string[];
}

/** One section with a fresh ledger. */
export class Trace {
  readonly ledger = new Ledger();
  readonly steps: readonly StepView[];

  constructor(readonly data: SectionVectors) {
    this.steps = data.steps.map((s) => new StepView(this, s));
  }

  get section(): number {
    return this.data.section;
  }

  get title(): string {
    return this.data.title;
  }

  find(query: StepQuery = {}): StepView[] {
    return this.steps.filter((s) => s.matches(query));
  }

  /** Exactly one step matches, or the test is wrong about the trace. */
  one(query: StepQuery): StepView {
    const found = this.find(query);
    if (found.length !== 1) {
      throw new Error(`§${this.section}: expected one step matching ${describeQuery(query)}, found ${found.length}`);
    }
    return found[0]!;
  }

  first(query: StepQuery): StepView {
    const found = this.find(query);
    if (found.length === 0) throw new Error(`§${this.section}: no step matching ${describeQuery(query)}`);
    return found[0]!;
  }

  last(query: StepQuery): StepView {
    const found = this.find(query);
    if (found.length === 0) throw new Error(`§${this.section}: no step matching ${describeQuery(query)}`);
    return found[found.length - 1]!;
  }

  coverage(): Coverage {
    const missing: string[] = [];
    let values = 0;
    for (const step of this.steps) {
      step.data.values.forEach((v, i) => {
        values++;
        if (!this.ledger.has(step.index, i)) missing.push(`${step.describe()} / ${v.label} (line ${v.line})`);
      });
    }
    return {
      section: this.section,
      values,
      consumed: values - missing.length,
      comparisons: this.ledger.comparisons,
      missing,
    };
  }
}

export class StepView {
  constructor(
    readonly trace: Trace,
    readonly data: VectorStep,
  ) {}

  get index(): number {
    return this.data.index;
  }
  get actor(): Actor | null {
    return this.data.actor;
  }
  get action(): string {
    return this.data.action;
  }
  get sameAs(): string | null {
    return this.data.sameAs;
  }
  get labels(): string[] {
    return this.data.values.map((v) => v.label);
  }

  /** The other side, for steps with an actor. */
  get peer(): Actor {
    if (this.actor === null) throw new Error(`${this.describe()} has no actor`);
    return this.actor === 'client' ? 'server' : 'client';
  }

  /** The quoted HKDF label in the heading, e.g. "tls13 c hs traffic" → "c hs traffic". */
  get hkdfLabel(): string | undefined {
    return /"tls13 ([^"]+)"/.exec(this.action)?.[1];
  }

  has(label: string): boolean {
    return this.data.values.some((v) => v.label === label);
  }

  matches(q: StepQuery): boolean {
    if (q.actor !== undefined && this.actor !== q.actor) return false;
    if (q.action !== undefined) {
      if (typeof q.action === 'string' ? this.action !== q.action : !q.action.test(this.action)) return false;
    }
    if (q.hasValues !== undefined && (this.data.values.length > 0) !== q.hasValues) return false;
    if (q.label !== undefined && !this.has(q.label)) return false;
    if (q.after !== undefined && this.index <= q.after) return false;
    if (q.before !== undefined && this.index >= q.before) return false;
    return true;
  }

  private locate(label: string): { value: VectorValue; at: number } {
    const at = this.data.values.findIndex((v) => v.label === label);
    if (at < 0) throw new Error(`${this.describe()} has no value "${label}" (has: ${this.labels.join(', ')})`);
    if (this.data.values.findIndex((v, i) => i > at && v.label === label) >= 0) {
      throw new Error(`${this.describe()} lists "${label}" twice`);
    }
    return { value: this.data.values[at]!, at };
  }

  /** The value's bytes, recorded as consumed. */
  bytes(label: string): Uint8Array {
    const { value, at } = this.locate(label);
    if (value.hex === null) throw new Error(`${this.describe()} / ${label} is not hex: ${value.text ?? ''}`);
    this.trace.ledger.mark(this.index, at);
    return fromHex(value.hex);
  }

  /** The literal text of a non-hex value (e.g. "0 (all zero octets)"), recorded as consumed. */
  text(label: string): string {
    const { value, at } = this.locate(label);
    if (value.text === undefined) throw new Error(`${this.describe()} / ${label} has no text`);
    this.trace.ledger.mark(this.index, at);
    return value.text;
  }

  /** The value's bytes for navigation only: NOT recorded as consumed. */
  peek(label: string): Uint8Array {
    const { value } = this.locate(label);
    if (value.hex === null) throw new Error(`${this.describe()} / ${label} is not hex: ${value.text ?? ''}`);
    return fromHex(value.hex);
  }

  /** The octet count printed in the RFC, or null. */
  octets(label: string): number | null {
    return this.locate(label).value.octets;
  }

  /** Where this step is, for test names and failure messages. */
  describe(): string {
    const who = this.actor === null ? '' : `{${this.actor}} `;
    return `§${this.trace.section} #${this.index} ${who}${this.action} (line ${this.data.line})`;
  }
}

/** A fresh trace (own ledger) for a section. */
export function openTrace(section: SectionNumber): Trace {
  return new Trace(loadSection(section));
}

function describeQuery(q: StepQuery): string {
  return JSON.stringify(q, (_k, v: unknown) => (v instanceof RegExp ? String(v) : v));
}
