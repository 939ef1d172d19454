/**
 * Turns the text of RFC 8448 ("Example Handshake Traces for TLS 1.3") into
 * JSON test vectors, one file per trace section plus an index.
 *
 *   npx tsx scripts/rfc8448-to-json.ts ../shared/refs/rfc8448.txt vectors/rfc8448
 *
 * Why parse the RFC instead of hand-copying values: the traces hold a few
 * hundred hex blobs, some over a thousand octets long and split across page
 * breaks. A parser that checks every value against the octet count the RFC
 * prints beside it catches transcription slips that a human would not, and
 * lets a reviewer regenerate the files and diff them.
 *
 * The RFC text is regular: inside a trace section every step starts with
 * "{client}" or "{server}" at an indent of 3, a heading may wrap while a
 * "(same as ...)" parenthesis is open, and each labelled value sits at an
 * indent of 6 as `label (N octets):  hex hex ...` with continuation lines
 * indented further. Section 2 lists the server's RSA key the same way but at
 * an indent of 3 and without octet counts. Anything that does not fit that
 * grammar is an error with its line number, never silently skipped: a value
 * we failed to read would be a check we never run.
 *
 * The output is deterministic (no timestamps, stable key order, values in RFC
 * order) so that re-running the script on the same text yields identical files.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

// ---------------------------------------------------------------------------
// The JSON shape (documented for humans in vectors/rfc8448/README.md).

export type Actor = 'client' | 'server';

export interface VectorValue {
  /** The label as printed, e.g. "PRK", "key expanded", "ClientHello", "modulus (public)". */
  readonly label: string;
  /** The octet count the RFC prints beside the label, or null where it prints none (section 2, "salt:  0"). */
  readonly octets: number | null;
  /** The value as lowercase hex without separators ("" for "(empty)"), or null for a non-hex literal. */
  readonly hex: string | null;
  /** The literal text when the RFC gives words instead of hex ("0 (all zero octets)"); absent otherwise. */
  readonly text?: string;
  /** 1-based line of the label in the RFC text, to find the value by eye. */
  readonly line: number;
}

export interface VectorStep {
  /** Position within the section, from 0. */
  readonly index: number;
  /** Who performs the step; null for section 2, whose key listing has no actor tag. */
  readonly actor: Actor | null;
  /**
   * The heading with the actor tag, the "(same as ...)" note and the trailing
   * colon removed, wrapped lines joined: e.g. `derive secret "tls13 c hs traffic"`.
   */
  readonly action: string;
  /** The text of a "(same as ...)" note (e.g. "server", "client early secret"), or null. */
  readonly sameAs: string | null;
  readonly line: number;
  /** Labelled values in RFC order; empty for steps the RFC only names ("... (same as server)"). */
  readonly values: readonly VectorValue[];
}

export interface SectionVectors {
  readonly source: 'RFC 8448';
  readonly section: number;
  readonly title: string;
  /** Paragraphs of explanation before the first step, whitespace-normalised. */
  readonly prose: readonly string[];
  readonly stepCount: number;
  readonly valueCount: number;
  readonly steps: readonly VectorStep[];
}

export interface IndexEntry {
  readonly section: number;
  readonly title: string;
  readonly file: string;
  readonly stepCount: number;
  readonly valueCount: number;
}

export interface VectorIndex {
  readonly source: 'RFC 8448';
  readonly generator: string;
  /** File name and SHA-256 of the RFC text the vectors were made from. */
  readonly input: { readonly file: string; readonly sha256: string };
  readonly valueCount: number;
  readonly sections: readonly IndexEntry[];
}

/**
 * The sections we extract, with the titles we expect: if the RFC text ever
 * differs (a different revision, a truncated file), we stop rather than guess.
 */
export const SECTIONS = [
  { section: 2, title: 'Private Keys', slug: 'keys' },
  { section: 3, title: 'Simple 1-RTT Handshake', slug: 'simple-1rtt' },
  { section: 4, title: 'Resumed 0-RTT Handshake', slug: 'resumed-0rtt' },
  { section: 5, title: 'HelloRetryRequest', slug: 'hrr' },
  { section: 6, title: 'Client Authentication', slug: 'client-auth' },
  { section: 7, title: 'Compatibility Mode', slug: 'compat' },
] as const;

export function sectionFileName(section: number): string {
  const meta = SECTIONS.find((s) => s.section === section);
  if (!meta) throw new Error(`RFC 8448 section ${section} is not a trace section`);
  return `section${meta.section}-${meta.slug}.json`;
}

export class Rfc8448ParseError extends Error {
  override readonly name = 'Rfc8448ParseError';
  constructor(line: number, message: string) {
    super(`rfc8448.txt line ${line}: ${message}`);
  }
}

// ---------------------------------------------------------------------------
// Step 1: strip pagination, keeping original line numbers.

interface SourceLine {
  readonly n: number;
  readonly text: string;
}

// Page furniture of RFC plain text: footer, form feed, running header. They
// can fall in the middle of a hex dump, so they must go before we parse.
const PAGE_FOOTER = /^Thomson\s+Informational\s+\[Page \d+\]$/;
const PAGE_HEADER = /^RFC 8448\s+TLS 1\.3 Traces\s+January 2019$/;

function contentLines(text: string): SourceLine[] {
  const out: SourceLine[] = [];
  text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .forEach((raw, i) => {
      const line = raw.replace(/\f/g, '').replace(/\s+$/, '');
      if (PAGE_FOOTER.test(line) || PAGE_HEADER.test(line)) return;
      out.push({ n: i + 1, text: line });
    });
  return out;
}

// ---------------------------------------------------------------------------
// Step 2: cut the document into numbered top-level sections.

const SECTION_HEADING = /^(\d+)\.\s{2}(\S.*)$/;

function splitSections(lines: readonly SourceLine[]): Map<number, { title: string; line: number; body: SourceLine[] }> {
  const sections = new Map<number, { title: string; line: number; body: SourceLine[] }>();
  let current: SourceLine[] | undefined;
  for (const line of lines) {
    const m = SECTION_HEADING.exec(line.text);
    if (m) {
      const number = Number(m[1]);
      if (sections.has(number)) throw new Rfc8448ParseError(line.n, `section ${number} appears twice`);
      current = [];
      sections.set(number, { title: m[2]!.trim(), line: line.n, body: current });
      continue;
    }
    current?.push(line);
  }
  return sections;
}

// ---------------------------------------------------------------------------
// Step 3: parse one section into steps and values.

const STEP_HEADING = /^ {3}\{(client|server)\}\s{2}(\S.*)$/;
// `label (N octets):  rest` — the label is lazy so that "(N octets)" is
// captured separately, while a parenthesis that is not an octet count
// ("modulus (public)") stays part of the label.
const VALUE_LINE = /^( {3}| {6})([A-Za-z][A-Za-z0-9 ()-]*?)(?: \((\d+) octets\))?:\s{2}(\S.*)$/;
const HEX_TOKENS = /^(?:[0-9a-fA-F]{2})(?: [0-9a-fA-F]{2})*$/;
const CONTINUATION = /^( +)(\S.*)$/;

// The only non-hex values the RFC prints.
const EMPTY_LITERAL = '(empty)';
const ZERO_SALT_LITERAL = '0 (all zero octets)';

interface StepDraft {
  actor: Actor | null;
  heading: string;
  line: number;
  values: ValueDraft[];
  /** The heading is still open: it wrapped inside an unclosed "(same as". */
  headingOpen: boolean;
}

interface ValueDraft {
  label: string;
  octets: number | null;
  hexTokens: string[];
  text?: string;
  line: number;
  /** Indent of the label; continuation lines are indented deeper. */
  indent: number;
}

function parenBalance(s: string): number {
  let depth = 0;
  for (const ch of s) {
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
  }
  return depth;
}

function isValueLine(text: string): RegExpExecArray | null {
  const m = VALUE_LINE.exec(text);
  if (!m) return null;
  const rest = m[4]!;
  // "Note:  The HelloRetryRequest ..." has the same outline as a value line;
  // only hex or the two known literals make it one.
  return HEX_TOKENS.test(rest) || rest === EMPTY_LITERAL || rest === ZERO_SALT_LITERAL ? m : null;
}

function parseSection(section: number, body: readonly SourceLine[]): { prose: string[]; steps: VectorStep[] } {
  const prose: { line: number; text: string }[] = [];
  let paragraph: SourceLine[] = [];
  const drafts: StepDraft[] = [];
  let step: StepDraft | undefined;
  let value: ValueDraft | undefined;

  const flushParagraph = (): void => {
    if (paragraph.length > 0) {
      prose.push({ line: paragraph[0]!.n, text: paragraph.map((l) => l.text.trim()).join(' ') });
    }
    paragraph = [];
  };

  for (const line of body) {
    const { text, n } = line;
    if (text === '') {
      // Blank lines separate paragraphs, but inside a value they are only page
      // breaks: the value stays open until the next label or heading.
      if (!step) flushParagraph();
      continue;
    }

    // A wrapped step heading, e.g. `(same as server handshake` / `secret)`.
    if (step?.headingOpen) {
      step.heading += ' ' + text.trim();
      step.headingOpen = parenBalance(step.heading) > 0;
      continue;
    }

    const heading = STEP_HEADING.exec(text);
    if (heading) {
      flushParagraph();
      step = { actor: heading[1] as Actor, heading: heading[2]!, line: n, values: [], headingOpen: false };
      step.headingOpen = parenBalance(step.heading) > 0;
      drafts.push(step);
      value = undefined;
      continue;
    }

    const valueLine = isValueLine(text);
    if (valueLine) {
      if (!step) {
        // Section 2 introduces its key listing with a sentence ending in ':'
        // rather than an "{actor}" tag; that sentence becomes the step heading.
        flushParagraph();
        const intro = prose.pop();
        if (section !== 2 || !intro?.text.endsWith(':')) {
          throw new Rfc8448ParseError(n, 'labelled value outside any step');
        }
        step = { actor: null, heading: intro.text, line: intro.line, values: [], headingOpen: false };
        drafts.push(step);
      }
      if (!step.heading.endsWith(':')) {
        throw new Rfc8448ParseError(n, `value under a step heading without ':' (${step.heading})`);
      }
      const rest = valueLine[4]!;
      value = {
        label: valueLine[2]!,
        octets: valueLine[3] === undefined ? null : Number(valueLine[3]),
        hexTokens: [],
        line: n,
        indent: valueLine[1]!.length,
      };
      if (rest === EMPTY_LITERAL) {
        // "(empty)" is a zero-length value, not an absent one.
      } else if (rest === ZERO_SALT_LITERAL) {
        value.text = rest;
      } else {
        value.hexTokens.push(...rest.split(' '));
      }
      step.values.push(value);
      continue;
    }

    const cont = CONTINUATION.exec(text);
    if (cont && value && value.text === undefined && cont[1]!.length > value.indent && HEX_TOKENS.test(cont[2]!)) {
      value.hexTokens.push(...cont[2]!.split(' '));
      continue;
    }

    // Explanatory prose is only expected before the first step of a section.
    if (!step && /^ {3}\S/.test(text)) {
      paragraph.push(line);
      continue;
    }
    if (!step && paragraph.length > 0 && /^ {4,}\S/.test(text)) {
      paragraph.push(line); // hanging indent of a "Note:" paragraph
      continue;
    }
    throw new Rfc8448ParseError(n, `unrecognised line in section ${section}: ${JSON.stringify(text)}`);
  }
  flushParagraph();

  for (const d of drafts) {
    if (d.headingOpen) throw new Rfc8448ParseError(d.line, `unterminated step heading: ${d.heading}`);
  }
  return { prose: prose.map((p) => p.text), steps: drafts.map(finishStep) };
}

/** Splits a heading into action and "(same as ...)" note, and validates its values. */
function finishStep(d: StepDraft, index: number): VectorStep {
  let action = d.heading.replace(/\s+/g, ' ');
  const hasColon = action.endsWith(':');
  if (hasColon) action = action.slice(0, -1).trimEnd();
  let sameAs: string | null = null;
  const same = /^(.*?)\s*\(same as ([^()]*)\)$/.exec(action);
  if (same) {
    action = same[1]!;
    sameAs = same[2]!.trim();
  }
  if (!hasColon && d.values.length > 0) {
    throw new Rfc8448ParseError(d.line, `step without ':' has values: ${d.heading}`);
  }
  return {
    index,
    actor: d.actor,
    action,
    sameAs,
    line: d.line,
    values: d.values.map(finishValue),
  };
}

function finishValue(v: ValueDraft): VectorValue {
  if (v.text !== undefined) {
    return { label: v.label, octets: v.octets, hex: null, text: v.text, line: v.line };
  }
  const hex = v.hexTokens.join('').toLowerCase();
  const length = hex.length / 2;
  // The whole point of keeping the printed counts: a dropped or doubled line
  // in a hex dump shows up here, not as a baffling test failure later.
  if (v.octets !== null && v.octets !== length) {
    throw new Rfc8448ParseError(v.line, `"${v.label}" says ${v.octets} octets but lists ${length}`);
  }
  if (v.octets === null && length === 0) {
    throw new Rfc8448ParseError(v.line, `"${v.label}" has neither an octet count nor any hex`);
  }
  return { label: v.label, octets: v.octets, hex, line: v.line };
}

// ---------------------------------------------------------------------------
// Public entry points.

export function parseRfc8448(text: string): SectionVectors[] {
  const sections = splitSections(contentLines(text));
  return SECTIONS.map((meta) => {
    const found = sections.get(meta.section);
    if (!found) throw new Error(`RFC 8448 text has no section ${meta.section} (${meta.title})`);
    if (found.title !== meta.title) {
      throw new Rfc8448ParseError(found.line, `section ${meta.section} is titled "${found.title}", expected "${meta.title}"`);
    }
    const { prose, steps } = parseSection(meta.section, found.body);
    if (steps.length === 0) throw new Rfc8448ParseError(found.line, `section ${meta.section} has no steps`);
    const valueCount = steps.reduce((sum, s) => sum + s.values.length, 0);
    return {
      source: 'RFC 8448' as const,
      section: meta.section,
      title: meta.title,
      prose,
      stepCount: steps.length,
      valueCount,
      steps,
    };
  });
}

/** File name → file contents, exactly as written to disk. */
export function renderVectorFiles(text: string, inputName = 'rfc8448.txt'): Map<string, string> {
  const sections = parseRfc8448(text);
  const files = new Map<string, string>();
  const entries: IndexEntry[] = [];
  for (const s of sections) {
    const file = sectionFileName(s.section);
    files.set(file, toJson(s));
    entries.push({ section: s.section, title: s.title, file, stepCount: s.stepCount, valueCount: s.valueCount });
  }
  const index: VectorIndex = {
    source: 'RFC 8448',
    generator: 'scripts/rfc8448-to-json.ts',
    input: { file: inputName, sha256: createHash('sha256').update(text).digest('hex') },
    valueCount: entries.reduce((sum, e) => sum + e.valueCount, 0),
    sections: entries,
  };
  files.set('index.json', toJson(index));
  return files;
}

function toJson(data: unknown): string {
  return JSON.stringify(data, null, 2) + '\n';
}

function main(argv: readonly string[]): void {
  const [input, outDir] = argv;
  if (!input || !outDir) {
    console.error('usage: tsx scripts/rfc8448-to-json.ts <rfc8448.txt> <output directory>');
    process.exit(2);
  }
  const text = readFileSync(input, 'utf8');
  const files = renderVectorFiles(text, basename(input));
  mkdirSync(outDir, { recursive: true });
  for (const [name, content] of files) writeFileSync(join(outDir, name), content);

  const index = JSON.parse(files.get('index.json')!) as VectorIndex;
  console.log(`RFC 8448 → ${resolve(outDir)}`);
  for (const e of index.sections) {
    console.log(`  §${e.section} ${e.title.padEnd(24)} ${String(e.stepCount).padStart(3)} steps ${String(e.valueCount).padStart(4)} values  ${e.file}`);
  }
  console.log(`  total ${index.valueCount} values`);
}

// Run only when executed directly, so tests can import the parser.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2));
}
