/**
 * status_request (RFC 6066 §8, RFC 8446 §4.4.2.1): OCSP stapling.
 *
 *   enum { ocsp(1), (255) } CertificateStatusType;
 *   ClientHello:      struct { CertificateStatusType status_type; OCSPStatusRequest request; }
 *                     struct { ResponderID responder_id_list<0..2^16-1>; Extensions request_extensions; } OCSPStatusRequest;
 *                     opaque ResponderID<1..2^16-1>;  opaque Extensions<0..2^16-1>;
 *   CertificateRequest: empty.
 *   CertificateEntry: struct { CertificateStatusType status_type; OCSPResponse response; }
 *                     opaque OCSPResponse<1..2^24-1>;
 *
 * A status_type other than ocsp has no body we know how to parse, so the
 * whole extension is then kept raw (as an UnknownExtension).
 */
import type { ByteReader, ByteWriter } from '../../util/bytes.js';
import { readOpaqueList, readVector, vectorSpec, writeOpaqueList, writeVector } from '../codec.js';
import { ExtensionType } from '../../registry.js';
import type {
  StatusRequestCertificateEntry,
  StatusRequestClientHello,
  StatusRequestEmpty,
  UnknownExtension,
} from './types.js';

const STATUS_TYPE_OCSP = 1;
const RESPONDER_ID_LIST = vectorSpec('status_request responder_id_list', 2, 0, 0xffff);
const RESPONDER_ID = vectorSpec('status_request responder_id', 2, 1, 0xffff);
const REQUEST_EXTENSIONS = vectorSpec('status_request request_extensions', 2, 0, 0xffff);
const OCSP_RESPONSE = vectorSpec('status_request ocsp_response', 3, 1, 0xffffff);

function raw(data: Uint8Array): UnknownExtension {
  return { type: 'unknown', code: ExtensionType.status_request, data };
}

export function decodeStatusRequestClientHello(
  r: ByteReader,
  data: Uint8Array,
): StatusRequestClientHello | UnknownExtension {
  const statusType = r.u8('status_request status_type');
  if (statusType !== STATUS_TYPE_OCSP) {
    r.rest();
    return raw(data);
  }
  const responderIds = readOpaqueList(r, RESPONDER_ID_LIST, RESPONDER_ID);
  const requestExtensions = readVector(r, REQUEST_EXTENSIONS);
  return { type: 'status_request', responderIds, requestExtensions };
}

export function decodeStatusRequestCertificateEntry(
  r: ByteReader,
  data: Uint8Array,
): StatusRequestCertificateEntry | UnknownExtension {
  const statusType = r.u8('status_request status_type');
  if (statusType !== STATUS_TYPE_OCSP) {
    r.rest();
    return raw(data);
  }
  return { type: 'status_request', ocspResponse: readVector(r, OCSP_RESPONSE) };
}

export function decodeStatusRequestEmpty(): StatusRequestEmpty {
  return { type: 'status_request' };
}

export function encodeStatusRequest(
  w: ByteWriter,
  ext: StatusRequestClientHello | StatusRequestEmpty | StatusRequestCertificateEntry,
): void {
  if ('responderIds' in ext) {
    w.u8(STATUS_TYPE_OCSP);
    writeOpaqueList(w, RESPONDER_ID_LIST, RESPONDER_ID, ext.responderIds);
    writeVector(w, REQUEST_EXTENSIONS, ext.requestExtensions);
  } else if ('ocspResponse' in ext) {
    w.u8(STATUS_TYPE_OCSP);
    writeVector(w, OCSP_RESPONSE, ext.ocspResponse);
  }
  // The CertificateRequest form is empty.
}
