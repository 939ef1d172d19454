/**
 * CertificateVerify (RFC 8446 §4.4.3).
 *
 *   struct {
 *       SignatureScheme algorithm;
 *       opaque signature<0..2^16-1>;
 *   } CertificateVerify;
 */
import type { ByteReader, ByteWriter } from '../util/bytes.js';
import { checkUint, readVector, vectorSpec, writeVector } from './codec.js';

const SIGNATURE = vectorSpec('certificate_verify signature', 2, 0, 0xffff);

export interface CertificateVerify {
  readonly type: 'certificate_verify';
  /** A SignatureScheme code point. */
  readonly algorithm: number;
  readonly signature: Uint8Array;
}

export function decodeCertificateVerifyBody(r: ByteReader): CertificateVerify {
  const algorithm = r.u16('certificate_verify algorithm');
  const signature = readVector(r, SIGNATURE);
  r.end('certificate_verify');
  return { type: 'certificate_verify', algorithm, signature };
}

export function encodeCertificateVerifyBody(w: ByteWriter, m: CertificateVerify): void {
  checkUint(m.algorithm, 16, 'certificate_verify algorithm');
  w.u16(m.algorithm);
  writeVector(w, SIGNATURE, m.signature);
}
