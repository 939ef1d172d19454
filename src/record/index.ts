/** The record layer (RFC 8446 §5): framing, protection, reassembly, alerts, and the RecordLayer that ties them. */
export * from './constants.js';
export {
  contentTypeName,
  DEFAULT_MAX_BUFFERED_BYTES,
  encodePlaintextRecord,
  encodeRecordHeader,
  isKnownContentType,
  maxFragmentLength,
  RecordDeframer,
  type RawRecord,
  type RecordDeframerOptions,
} from './framing.js';
export {
  defaultKeyUsageLimit,
  effectiveRecordSizeLimit,
  noPadding,
  padToBlockSize,
  perRecordNonce,
  randomPadding,
  RecordOpener,
  RecordSealer,
  type PaddingPolicy,
  type RecordOpenerOptions,
  type RecordSealerOptions,
  type TrafficKeys,
} from './protection.js';
export {
  DEFAULT_MAX_CERTIFICATE_MESSAGE_LENGTH,
  DEFAULT_MAX_HANDSHAKE_MESSAGE_LENGTH,
  defaultHandshakeSizeLimit,
  HandshakeReassembler,
  type HandshakeReassemblerOptions,
  type HandshakeSizeLimit,
} from './reassembly.js';
export { encodeAlertBody, parseAlertBody, type AlertBody } from './alert.js';
export {
  DEFAULT_MAX_COMPAT_CHANGE_CIPHER_SPECS,
  DEFAULT_MAX_CONSECUTIVE_EMPTY_RECORDS,
  RecordLayer,
  type RecordItem,
  type RecordLayerOptions,
} from './layer.js';
