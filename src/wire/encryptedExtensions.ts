/**
 * EncryptedExtensions (RFC 8446 §4.3.1).
 *
 *   struct { Extension extensions<0..2^16-1>; } EncryptedExtensions;
 */
import type { ByteReader, ByteWriter } from '../util/bytes.js';
import { vectorSpec } from './codec.js';
import { readExtensions, writeExtensions } from './extensions/block.js';
import type { EncryptedExtensionsExtension } from './extensions/types.js';

const EXTENSIONS = vectorSpec('encrypted_extensions extensions', 2, 0, 0xffff);

export interface EncryptedExtensions {
  readonly type: 'encrypted_extensions';
  readonly extensions: readonly EncryptedExtensionsExtension[];
}

export function decodeEncryptedExtensionsBody(r: ByteReader): EncryptedExtensions {
  const extensions = readExtensions(r, EXTENSIONS, 'encrypted_extensions');
  r.end('encrypted_extensions');
  return { type: 'encrypted_extensions', extensions };
}

export function encodeEncryptedExtensionsBody(w: ByteWriter, m: EncryptedExtensions): void {
  writeExtensions(w, EXTENSIONS, m.extensions);
}
