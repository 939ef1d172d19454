/**
 * Certificate (RFC 8446 §4.4.2), X.509 certificate type only.
 *
 *   struct {
 *       opaque cert_data<1..2^24-1>;
 *       Extension extensions<0..2^16-1>;
 *   } CertificateEntry;
 *
 *   struct {
 *       opaque certificate_request_context<0..2^8-1>;
 *       CertificateEntry certificate_list<0..2^24-1>;
 *   } Certificate;
 *
 * cert_data is the DER certificate, left opaque: parsing it is x509/'s job.
 */
import type { ByteReader, ByteWriter } from '../util/bytes.js';
import { readNested, readVector, vectorSpec, writeNested, writeVector } from './codec.js';
import { readExtensions, writeExtensions } from './extensions/block.js';
import type { CertificateEntryExtension } from './extensions/types.js';

export const CERTIFICATE_REQUEST_CONTEXT = vectorSpec('certificate_request_context', 1, 0, 255);
const CERTIFICATE_LIST = vectorSpec('certificate_list', 3, 0, 0xffffff);
const CERT_DATA = vectorSpec('cert_data', 3, 1, 0xffffff);
const ENTRY_EXTENSIONS = vectorSpec('certificate_entry extensions', 2, 0, 0xffff);

export interface CertificateEntry {
  /** The DER-encoded X.509 certificate. */
  readonly certData: Uint8Array;
  /** Per-certificate extensions (OCSP status, SCTs), in wire order. */
  readonly extensions: readonly CertificateEntryExtension[];
}

export interface Certificate {
  readonly type: 'certificate';
  /** Empty in the main handshake; echoes the CertificateRequest's context (§4.4.2). */
  readonly certificateRequestContext: Uint8Array;
  /** The end-entity certificate first (§4.4.2). */
  readonly certificateList: readonly CertificateEntry[];
}

export function decodeCertificateBody(r: ByteReader): Certificate {
  const certificateRequestContext = readVector(r, CERTIFICATE_REQUEST_CONTEXT);
  const list = readNested(r, CERTIFICATE_LIST);
  const certificateList: CertificateEntry[] = [];
  while (!list.atEnd) {
    const certData = readVector(list, CERT_DATA);
    const extensions = readExtensions(list, ENTRY_EXTENSIONS, 'certificate');
    certificateList.push({ certData, extensions });
  }
  r.end('certificate');
  return { type: 'certificate', certificateRequestContext, certificateList };
}

export function encodeCertificateBody(w: ByteWriter, m: Certificate): void {
  writeVector(w, CERTIFICATE_REQUEST_CONTEXT, m.certificateRequestContext);
  writeNested(w, CERTIFICATE_LIST, (list) => {
    for (const entry of m.certificateList) {
      writeVector(list, CERT_DATA, entry.certData);
      writeExtensions(list, ENTRY_EXTENSIONS, entry.extensions);
    }
  });
}
