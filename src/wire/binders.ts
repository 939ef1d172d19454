/**
 * PSK binders (RFC 8446 §4.2.11.2).
 *
 * Each binder is an HMAC over the transcript up to and including the
 * ClientHello "up to and including the PreSharedKeyExtension.identities
 * field", with every length set as if the binders were present. Because
 * pre_shared_key is the last extension and binders the last field of it,
 * that is simply the encoded ClientHello minus its tail: the binders list
 * and the list's 2-byte length.
 *
 * A client therefore encodes its ClientHello once with placeholder binders
 * of the right sizes (`placeholderBinders`), hashes
 * `truncateClientHelloForBinders(encoded)`, computes the binders and
 * patches them in (`replaceClientHelloBinders`) without re-encoding.
 */
import { ByteReader, ByteWriter, DecodeError } from '../util/bytes.js';
import { ExtensionType, HandshakeType } from '../registry.js';
import { readNested, readVector } from './codec.js';
import {
  CIPHER_SUITES,
  CLIENT_HELLO_EXTENSIONS,
  COMPRESSION_METHODS,
  LEGACY_SESSION_ID,
  RANDOM_LENGTH,
} from './clientHello.js';
import { PSK_IDENTITIES, readBinders, writeBinders } from './extensions/preSharedKey.js';

interface BindersLocation {
  /** Offset of the binders list's length prefix in the encoded message. */
  readonly offset: number;
  readonly binders: readonly Uint8Array[];
}

/**
 * Finds the binders list in a whole encoded ClientHello (header included)
 * by walking its structure; every length on the way is checked.
 */
function locateBinders(encoded: Uint8Array): BindersLocation {
  const r = new ByteReader(encoded);
  const type = r.u8('handshake msg_type');
  if (type !== HandshakeType.client_hello) throw new DecodeError(`not a client_hello (msg_type ${type})`);
  const length = r.u24('handshake length');
  if (length !== r.remaining) {
    throw new DecodeError(`handshake length ${length} does not match the ${r.remaining} bytes of body`);
  }
  r.bytes(2 + RANDOM_LENGTH, 'client_hello legacy_version and random');
  readVector(r, LEGACY_SESSION_ID);
  readVector(r, CIPHER_SUITES);
  readVector(r, COMPRESSION_METHODS);
  const block = readNested(r, CLIENT_HELLO_EXTENSIONS);
  r.end('client_hello');
  let code = -1;
  let data: Uint8Array = new Uint8Array(0);
  while (!block.atEnd) {
    code = block.u16('extension_type');
    data = block.vec16('extension_data');
  }
  if (code !== ExtensionType.pre_shared_key) {
    throw new DecodeError('client_hello: the last extension is not pre_shared_key');
  }
  const psk = new ByteReader(data);
  readNested(psk, PSK_IDENTITIES);
  const tail = psk.remaining; // the binders list with its length prefix
  const binders = readBinders(psk);
  psk.end('extension pre_shared_key');
  // The extension data ends where the message ends (checked above).
  return { offset: encoded.length - tail, binders };
}

/** The ClientHello prefix the binders are computed over: Truncate(ClientHello) of §4.2.11.2. */
export function truncateClientHelloForBinders(encodedClientHello: Uint8Array): Uint8Array {
  return encodedClientHello.slice(0, locateBinders(encodedClientHello).offset);
}

/** Zero-filled binders of the given sizes (each the hash length of its PSK). */
export function placeholderBinders(lengths: readonly number[]): Uint8Array[] {
  return lengths.map((n) => new Uint8Array(n));
}

/**
 * A copy of the encoded ClientHello with its binders replaced. The new
 * binders must have the same count and sizes as the old ones, so that no
 * length field changes (that is what makes the truncated prefix valid).
 */
export function replaceClientHelloBinders(
  encodedClientHello: Uint8Array,
  binders: readonly Uint8Array[],
): Uint8Array {
  const { offset, binders: old } = locateBinders(encodedClientHello);
  if (old.length !== binders.length || old.some((b, i) => b.length !== binders[i]!.length)) {
    throw new RangeError(
      `binders (${binders.map((b) => b.length).join(',')}) do not match the placeholders (${old
        .map((b) => b.length)
        .join(',')})`,
    );
  }
  const w = new ByteWriter(encodedClientHello.length - offset);
  writeBinders(w, binders);
  const out = encodedClientHello.slice();
  out.set(w.finish(), offset);
  return out;
}
