/**
 * Handshake messages as a whole (RFC 8446 §4):
 *
 *   struct {
 *       HandshakeType msg_type;
 *       uint24 length;
 *       select (Handshake.msg_type) { ... };
 *   } Handshake;
 */
import { ByteReader, ByteWriter, DecodeError } from '../util/bytes.js';
import { HandshakeType } from '../registry.js';
import { checkUint } from './codec.js';
import { type Certificate, decodeCertificateBody, encodeCertificateBody } from './certificate.js';
import {
  type CertificateRequest,
  decodeCertificateRequestBody,
  encodeCertificateRequestBody,
} from './certificateRequest.js';
import {
  type CertificateVerify,
  decodeCertificateVerifyBody,
  encodeCertificateVerifyBody,
} from './certificateVerify.js';
import { type ClientHello, decodeClientHelloBody, encodeClientHelloBody } from './clientHello.js';
import {
  type EncryptedExtensions,
  decodeEncryptedExtensionsBody,
  encodeEncryptedExtensionsBody,
} from './encryptedExtensions.js';
import { type EndOfEarlyData, decodeEndOfEarlyDataBody } from './endOfEarlyData.js';
import { type Finished, decodeFinishedBody, encodeFinishedBody } from './finished.js';
import { type KeyUpdate, decodeKeyUpdateBody, encodeKeyUpdateBody } from './keyUpdate.js';
import { type MessageHash, decodeMessageHashBody, encodeMessageHashBody } from './messageHash.js';
import {
  type NewSessionTicket,
  decodeNewSessionTicketBody,
  encodeNewSessionTicketBody,
} from './newSessionTicket.js';
import { type ServerHello, decodeServerHelloBody, encodeServerHelloBody } from './serverHello.js';

export type HandshakeMessage =
  | ClientHello
  | ServerHello
  | EncryptedExtensions
  | Certificate
  | CertificateRequest
  | CertificateVerify
  | Finished
  | NewSessionTicket
  | EndOfEarlyData
  | KeyUpdate
  | MessageHash;

/** The `type` tag of a handshake message: its HandshakeType registry name. */
export type HandshakeMessageType = HandshakeMessage['type'];

export interface DecodeHandshakeOptions {
  /**
   * The negotiated hash's output length, which fixes the size of Finished
   * and message_hash bodies. Without it, 32 and 48 are accepted.
   */
  readonly hashLength?: number;
}

/** Size of the msg_type + uint24 length header. */
export const HANDSHAKE_HEADER_LENGTH = 4;

/** The 4-byte header: msg_type, then the body length as a uint24. */
export function handshakeHeader(type: number, length: number): Uint8Array {
  checkUint(type, 8, 'handshake msg_type');
  checkUint(length, 24, 'handshake length');
  return new ByteWriter(4).u8(type).u24(length).finish();
}

function encodeBody(w: ByteWriter, msg: HandshakeMessage): void {
  switch (msg.type) {
    case 'client_hello':
      return encodeClientHelloBody(w, msg);
    case 'server_hello':
      return encodeServerHelloBody(w, msg);
    case 'encrypted_extensions':
      return encodeEncryptedExtensionsBody(w, msg);
    case 'certificate':
      return encodeCertificateBody(w, msg);
    case 'certificate_request':
      return encodeCertificateRequestBody(w, msg);
    case 'certificate_verify':
      return encodeCertificateVerifyBody(w, msg);
    case 'finished':
      return encodeFinishedBody(w, msg);
    case 'new_session_ticket':
      return encodeNewSessionTicketBody(w, msg);
    case 'end_of_early_data':
      return;
    case 'key_update':
      return encodeKeyUpdateBody(w, msg);
    case 'message_hash':
      return encodeMessageHashBody(w, msg);
  }
  const never: never = msg;
  return never;
}

/** A whole handshake message: header and body, as it enters the transcript. */
export function encodeHandshake(msg: HandshakeMessage): Uint8Array {
  const w = new ByteWriter(512);
  w.u8(HandshakeType[msg.type]);
  w.nested(3, (body) => encodeBody(body, msg));
  return w.finish();
}

/** Just the body (no header) of a handshake message. */
export function encodeHandshakeBody(msg: HandshakeMessage): Uint8Array {
  const w = new ByteWriter(512);
  encodeBody(w, msg);
  return w.finish();
}

function decodeBody(type: number, r: ByteReader, options: DecodeHandshakeOptions): HandshakeMessage {
  switch (type) {
    case HandshakeType.client_hello:
      return decodeClientHelloBody(r);
    case HandshakeType.server_hello:
      return decodeServerHelloBody(r);
    case HandshakeType.encrypted_extensions:
      return decodeEncryptedExtensionsBody(r);
    case HandshakeType.certificate:
      return decodeCertificateBody(r);
    case HandshakeType.certificate_request:
      return decodeCertificateRequestBody(r);
    case HandshakeType.certificate_verify:
      return decodeCertificateVerifyBody(r);
    case HandshakeType.finished:
      return decodeFinishedBody(r, options.hashLength);
    case HandshakeType.new_session_ticket:
      return decodeNewSessionTicketBody(r);
    case HandshakeType.end_of_early_data:
      return decodeEndOfEarlyDataBody(r);
    case HandshakeType.key_update:
      return decodeKeyUpdateBody(r);
    case HandshakeType.message_hash:
      return decodeMessageHashBody(r, options.hashLength);
    default:
      // Includes TLS 1.2 messages (hello_request, server_key_exchange, ...).
      // The state machine may prefer unexpected_message: it can look at
      // the first byte before decoding.
      throw new DecodeError(`unknown handshake message type ${type}`);
  }
}

/**
 * Decodes a handshake message body of the given msg_type. The input is
 * copied once, so the result does not change if the caller reuses its buffer.
 */
export function decodeHandshakeBody(
  type: number,
  body: Uint8Array,
  options: DecodeHandshakeOptions = {},
): HandshakeMessage {
  return decodeBody(type, new ByteReader(body.slice()), options);
}

/**
 * Decodes exactly one whole handshake message (header included), as
 * produced by the record layer's reassembler. Throws DecodeError with the
 * alert to send (decode_error or illegal_parameter).
 */
export function decodeHandshake(bytes: Uint8Array, options: DecodeHandshakeOptions = {}): HandshakeMessage {
  const r = new ByteReader(bytes.slice());
  const type = r.u8('handshake msg_type');
  const length = r.u24('handshake length');
  if (length !== r.remaining) {
    throw new DecodeError(`handshake length ${length} does not match the ${r.remaining} bytes of body`);
  }
  return decodeBody(type, r, options);
}
