/**
 * Size limits and fixed header values of the TLS 1.3 record layer
 * (RFC 8446 §5, RFC 8449). Named once here so every check cites one source.
 */

/** §5.1: TLSPlaintext.length MUST NOT exceed 2^14 bytes. */
export const MAX_PLAINTEXT_LENGTH = 2 ** 14;

/** §5.4: the encoded TLSInnerPlaintext (content + type + padding) MUST NOT exceed 2^14 + 1. */
export const MAX_INNER_PLAINTEXT_LENGTH = 2 ** 14 + 1;

/** §5.2: TLSCiphertext.length MUST NOT exceed 2^14 + 256 (inner 2^14 + 1, AEAD expansion ≤ 255). */
export const MAX_CIPHERTEXT_LENGTH = 2 ** 14 + 256;

/** type (1) + legacy_record_version (2) + length (2), §5.1. */
export const RECORD_HEADER_LENGTH = 5;

/** §5.1, §5.2: every TLS 1.3 record carries 0x0303 … */
export const LEGACY_RECORD_VERSION = 0x0303;

/** … except that the initial ClientHello's record MAY (SHOULD, per §5.1) carry 0x0301. */
export const INITIAL_CLIENT_HELLO_RECORD_VERSION = 0x0301;

/** RFC 8449 §4: a record_size_limit below 64 is illegal_parameter. */
export const MIN_RECORD_SIZE_LIMIT = 64;

/** msg_type (1) + uint24 length (3), §4. */
export const HANDSHAKE_HEADER_LENGTH = 4;

/** §5.3: sequence numbers are 64-bit and MUST NOT wrap. */
export const MAX_SEQUENCE_NUMBER = 2n ** 64n - 1n;
