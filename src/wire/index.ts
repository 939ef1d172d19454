/**
 * The wire format of TLS 1.3 handshake messages, extensions and alerts
 * (RFC 8446 §4, §6, Appendix B). Plain values in, bytes out, and back:
 * no crypto, no state.
 */
export * from './extensions/types.js';
export {
  readExtensions,
  writeExtensions,
  decodeExtensionBlock,
  MAX_EXTENSIONS,
  findExtension,
  findExtensionByCode,
  extensionCode,
  type DecodeExtensionsOptions,
} from './extensions/block.js';
export { MIN_RECORD_SIZE_LIMIT } from './extensions/misc.js';

export { type ClientHello, RANDOM_LENGTH, decodeClientHelloBody, encodeClientHelloBody } from './clientHello.js';
export {
  type ServerHello,
  type RegularServerHello,
  type HelloRetryRequest,
  HELLO_RETRY_REQUEST_RANDOM,
  DOWNGRADE_TLS12,
  DOWNGRADE_TLS11,
  helloRetryRequest,
  isHelloRetryRequestRandom,
  decodeServerHelloBody,
  encodeServerHelloBody,
} from './serverHello.js';
export {
  type EncryptedExtensions,
  decodeEncryptedExtensionsBody,
  encodeEncryptedExtensionsBody,
} from './encryptedExtensions.js';
export {
  type Certificate,
  type CertificateEntry,
  decodeCertificateBody,
  encodeCertificateBody,
} from './certificate.js';
export {
  type CertificateRequest,
  decodeCertificateRequestBody,
  encodeCertificateRequestBody,
} from './certificateRequest.js';
export {
  type CertificateVerify,
  decodeCertificateVerifyBody,
  encodeCertificateVerifyBody,
} from './certificateVerify.js';
export { type Finished, HASH_LENGTHS, decodeFinishedBody, encodeFinishedBody } from './finished.js';
export {
  type NewSessionTicket,
  decodeNewSessionTicketBody,
  encodeNewSessionTicketBody,
} from './newSessionTicket.js';
export { type EndOfEarlyData, decodeEndOfEarlyDataBody } from './endOfEarlyData.js';
export { type KeyUpdate, decodeKeyUpdateBody, encodeKeyUpdateBody } from './keyUpdate.js';
export { type MessageHash, decodeMessageHashBody, encodeMessageHashBody } from './messageHash.js';
export {
  type HandshakeMessage,
  type HandshakeMessageType,
  type DecodeHandshakeOptions,
  HANDSHAKE_HEADER_LENGTH,
  handshakeHeader,
  encodeHandshake,
  encodeHandshakeBody,
  decodeHandshake,
  decodeHandshakeBody,
} from './handshake.js';
export { truncateClientHelloForBinders, replaceClientHelloBinders, placeholderBinders } from './binders.js';
export { type Alert, encodeAlert, decodeAlert } from './alert.js';
export { type VectorSpec, vectorSpec } from './codec.js';
