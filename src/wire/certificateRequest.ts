/**
 * CertificateRequest (RFC 8446 §4.3.2).
 *
 *   struct {
 *       opaque certificate_request_context<0..2^8-1>;
 *       Extension extensions<2..2^16-1>;
 *   } CertificateRequest;
 */
import type { ByteReader, ByteWriter } from '../util/bytes.js';
import { readVector, vectorSpec, writeVector } from './codec.js';
import { CERTIFICATE_REQUEST_CONTEXT } from './certificate.js';
import { readExtensions, writeExtensions } from './extensions/block.js';
import type { CertificateRequestExtension } from './extensions/types.js';

const EXTENSIONS = vectorSpec('certificate_request extensions', 2, 2, 0xffff);

export interface CertificateRequest {
  readonly type: 'certificate_request';
  /** Empty in the main handshake; unique per post-handshake request (§4.3.2). */
  readonly certificateRequestContext: Uint8Array;
  readonly extensions: readonly CertificateRequestExtension[];
}

export function decodeCertificateRequestBody(r: ByteReader): CertificateRequest {
  const certificateRequestContext = readVector(r, CERTIFICATE_REQUEST_CONTEXT);
  const extensions = readExtensions(r, EXTENSIONS, 'certificate_request');
  r.end('certificate_request');
  return { type: 'certificate_request', certificateRequestContext, extensions };
}

export function encodeCertificateRequestBody(w: ByteWriter, m: CertificateRequest): void {
  writeVector(w, CERTIFICATE_REQUEST_CONTEXT, m.certificateRequestContext);
  writeExtensions(w, EXTENSIONS, m.extensions);
}
