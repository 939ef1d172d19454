/**
 * Makes Jazzer.js's prebuilt libFuzzer addon load on older Linux systems.
 *
 * @jazzer.js/fuzzer 4.0 ships `fuzzer-linux-x64.node` built against glibc
 * 2.38 and libstdc++ 13. On glibc 2.36 / libstdc++ 12 (Debian 12, this
 * project's CI) dlopen refuses it for three symbols only:
 *
 * - `__isoc23_strtol` and `__isoc23_strtoul` (GLIBC_2.38): the C23 variants
 *   of strtol/strtoul, which differ only in also accepting a "0b" prefix;
 * - `std::ios_base_library_init()` (GLIBCXX_3.4.32): a link-time reference
 *   with no relocation, never called.
 *
 * So a patched copy is written next to the bundled fuzz targets: the two
 * functions are renamed in place to their classic names and bound to
 * GLIBC_2.2.5, and both version requirements are marked weak
 * (VER_FLG_WEAK), which the dynamic loader tolerates when a version is
 * missing. Nothing else in the binary changes. The patch is applied only
 * when the original fails to load, so newer systems use the addon untouched.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const SHT_DYNSYM = 11;
const SHT_GNU_VERSYM = 0x6fffffff;
const SHT_GNU_VERNEED = 0x6ffffffe;
const VER_FLG_WEAK = 0x2;

/** Symbols renamed to the classic function (same semantics for our use). */
const RENAMES: Readonly<Record<string, string>> = {
  __isoc23_strtol: 'strtol',
  __isoc23_strtoul: 'strtoul',
  __isoc23_strtoll: 'strtoll',
  __isoc23_strtoull: 'strtoull',
};
/** Version requirements made weak. */
const WEAK_VERSIONS = new Set(['GLIBC_2.38', 'GLIBC_2.39', 'GLIBCXX_3.4.32', 'GLIBCXX_3.4.33']);

interface Section {
  readonly type: number;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly entsize: number;
}

function cString(buf: Buffer, at: number): string {
  let end = at;
  while (buf[end] !== 0) end++;
  return buf.toString('latin1', at, end);
}

/** Returns the patched binary, or undefined if nothing needed patching. */
export function patchAddon(original: Buffer): Buffer | undefined {
  const buf = Buffer.from(original);
  if (buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2 || buf[5] !== 1) throw new Error('not a 64-bit little-endian ELF file');
  const shoff = Number(buf.readBigUInt64LE(0x28));
  const shentsize = buf.readUInt16LE(0x3a);
  const shnum = buf.readUInt16LE(0x3c);
  const sections: Section[] = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * shentsize;
    sections.push({
      type: buf.readUInt32LE(at + 4),
      offset: Number(buf.readBigUInt64LE(at + 0x18)),
      size: Number(buf.readBigUInt64LE(at + 0x20)),
      link: buf.readUInt32LE(at + 0x28),
      entsize: Number(buf.readBigUInt64LE(at + 0x38)),
    });
  }
  const dynsym = sections.find((s) => s.type === SHT_DYNSYM);
  const versym = sections.find((s) => s.type === SHT_GNU_VERSYM);
  const verneed = sections.find((s) => s.type === SHT_GNU_VERNEED);
  if (!dynsym || !versym || !verneed) return undefined;
  const dynstr = sections[dynsym.link]!;
  let changed = false;

  // Version requirements: find GLIBC_2.2.5 of libc (for the renamed
  // functions) and mark the too-new versions weak.
  let classicIndex: number | undefined;
  for (let at = verneed.offset; ; ) {
    const file = cString(buf, dynstr.offset + buf.readUInt32LE(at + 4));
    const count = buf.readUInt16LE(at + 2);
    let aux = at + buf.readUInt32LE(at + 8);
    for (let i = 0; i < count; i++) {
      const name = cString(buf, dynstr.offset + buf.readUInt32LE(aux + 8));
      const index = buf.readUInt16LE(aux + 6);
      if (file === 'libc.so.6' && name === 'GLIBC_2.2.5') classicIndex = index;
      if (WEAK_VERSIONS.has(name)) {
        const flags = buf.readUInt16LE(aux + 4);
        if (!(flags & VER_FLG_WEAK)) {
          buf.writeUInt16LE(flags | VER_FLG_WEAK, aux + 4);
          changed = true;
        }
      }
      const next = buf.readUInt32LE(aux + 12);
      if (next === 0) break;
      aux += next;
    }
    const next = buf.readUInt32LE(at + 12);
    if (next === 0) break;
    at += next;
  }

  // Symbols: rename the C23 functions in place (the new name is shorter,
  // and any string sharing the old name's tail is left intact).
  const count = dynsym.size / dynsym.entsize;
  for (let i = 0; i < count; i++) {
    const sym = dynsym.offset + i * dynsym.entsize;
    const nameAt = dynstr.offset + buf.readUInt32LE(sym);
    const name = cString(buf, nameAt);
    const target = RENAMES[name];
    if (!target || classicIndex === undefined) continue;
    buf.write(target + '\0', nameAt, 'latin1');
    buf.writeUInt16LE(classicIndex, versym.offset + i * 2);
    changed = true;
  }
  return changed ? buf : undefined;
}

/** Writes a patched copy of `source` to `destination`; false if it needed none. */
export function writePatchedAddon(source: string, destination: string): boolean {
  const patched = patchAddon(readFileSync(source));
  if (!patched) return false;
  writeFileSync(destination, patched);
  return true;
}
