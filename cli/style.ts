/**
 * Terminal styling for the CLI's own output: ANSI colours on a terminal,
 * plain text otherwise (pipes, files, tests) or when NO_COLOR is set.
 */

/** ANSI styling, or none: plain text when the output is not a terminal (or NO_COLOR is set). */
export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  client(s: string): string;
  server(s: string): string;
  warn(s: string): string;
  ok(s: string): string;
}

export const PLAIN: Style = { bold: id, dim: id, client: id, server: id, warn: id, ok: id };

function id(s: string): string {
  return s;
}

export function ansiStyle(): Style {
  const wrap = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    client: wrap(36, 39),
    server: wrap(35, 39),
    warn: wrap(33, 39),
    ok: wrap(32, 39),
  };
}

/** Colour only for a terminal, and never when NO_COLOR is set (no-color.org). */
export function styleFor(stream: { isTTY?: boolean }): Style {
  return stream.isTTY && !process.env['NO_COLOR'] ? ansiStyle() : PLAIN;
}
