/**
 * Plain text and ANSI colour for the inspector. Whether to colour is the
 * caller's decision (`{ color: true }` when writing to a terminal): this
 * module runs in browsers too, so it never looks at a TTY itself.
 */
import type { FieldNode } from './describe.js';

/** The styles the inspector uses; with colour off each is the identity. */
export interface Palette {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  blue(text: string): string;
  magenta(text: string): string;
  cyan(text: string): string;
}

const ESC = '\u001b[';

function sgr(open: number, close: number): (text: string) => string {
  return (text) => (text === '' ? text : `${ESC}${open}m${text}${ESC}${close}m`);
}

const COLOURED: Palette = {
  bold: sgr(1, 22),
  dim: sgr(2, 22),
  red: sgr(31, 39),
  green: sgr(32, 39),
  yellow: sgr(33, 39),
  blue: sgr(34, 39),
  magenta: sgr(35, 39),
  cyan: sgr(36, 39),
};

const identity = (text: string): string => text;

const PLAIN: Palette = {
  bold: identity,
  dim: identity,
  red: identity,
  green: identity,
  yellow: identity,
  blue: identity,
  magenta: identity,
  cyan: identity,
};

export function palette(color: boolean): Palette {
  return color ? COLOURED : PLAIN;
}

/** Matches any ANSI SGR escape sequence (to measure or strip coloured text). */
export const ANSI_PATTERN = /\u001b\[[0-9;]*m/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI_PATTERN, '');
}

/** One node on one line: `label: value  [RFC …]  — note`. */
function nodeLine(node: FieldNode, p: Palette): string {
  let head: string;
  switch (node.kind) {
    case 'message':
      head = p.bold(node.label);
      break;
    case 'extension':
      head = p.cyan(node.label);
      break;
    case 'certificate':
      head = p.blue(node.label);
      break;
    case 'item':
      head = `- ${node.label}`;
      break;
    case 'field':
      head = node.label;
      break;
  }
  const parts = [node.value === undefined ? head : `${head}: ${node.value}`];
  if (node.rfc) parts.push(p.dim(`[${node.rfc}]`));
  if (node.note) parts.push(p.dim(`— ${node.note}`));
  return parts.join('  ');
}

/** A field tree as indented lines, two spaces per level. */
export function renderFields(node: FieldNode, options: { color?: boolean; indent?: string } = {}): string[] {
  const p = palette(options.color ?? false);
  const lines: string[] = [];
  const walk = (n: FieldNode, indent: string): void => {
    lines.push(indent + nodeLine(n, p));
    for (const child of n.children ?? []) walk(child, `${indent}  `);
  };
  walk(node, options.indent ?? '');
  return lines;
}

/** The same, as one string. */
export function formatFields(node: FieldNode, options: { color?: boolean; indent?: string } = {}): string {
  return renderFields(node, options).join('\n');
}
