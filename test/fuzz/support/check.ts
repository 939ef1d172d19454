/** Small helpers shared by the fuzz targets. */

/** A fuzz finding: thrown so Jazzer.js records the input as a crash. */
export class FuzzFinding extends Error {
  override readonly name = 'FuzzFinding';
}

export function finding(message: string, cause?: unknown): never {
  const detail = cause instanceof Error ? `: ${cause.name}: ${cause.message}` : cause === undefined ? '' : `: ${String(cause)}`;
  throw new FuzzFinding(message + detail, cause === undefined ? undefined : { cause });
}

/** Cuts input into receive() pieces: `step` 0 means all at once, else pieces of 1..255 bytes. */
export function piecesOf(data: Uint8Array, step: number): Uint8Array[] {
  if (step === 0 || data.length === 0) return data.length === 0 ? [] : [data];
  const out: Uint8Array[] = [];
  for (let at = 0; at < data.length; at += step) out.push(data.subarray(at, at + step));
  return out;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
