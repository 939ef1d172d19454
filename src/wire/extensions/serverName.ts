/**
 * server_name (RFC 6066 §3).
 *
 *   struct { NameType name_type; select (name_type) { case host_name: HostName; } name; } ServerName;
 *   enum { host_name(0), (255) } NameType;
 *   opaque HostName<1..2^16-1>;
 *   struct { ServerName server_name_list<1..2^16-1> } ServerNameList;
 */
import { type ByteReader, type ByteWriter, DecodeError, fromUtf8 } from '../../util/bytes.js';
import { readNested, readVector, vectorSpec, writeNested, writeVector } from '../codec.js';
import type { ServerNameAcknowledgement, ServerNameClientHello } from './types.js';

const SERVER_NAME_LIST = vectorSpec('server_name_list', 2, 1, 0xffff);
const HOST_NAME = vectorSpec('server_name host_name', 2, 1, 0xffff);
const NAME_TYPE_HOST_NAME = 0;

/**
 * RFC 6066 §3: "the hostname is represented as a byte string using ASCII
 * encoding without a trailing dot". We accept printable ASCII only: a NUL
 * or control byte in a name is how "good.example\0.evil.example" attacks
 * on certificate matching start.
 */
function hostNameProblem(codes: ArrayLike<number>): string | undefined {
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!;
    if (c < 0x21 || c > 0x7e) return `byte 0x${c.toString(16)} at ${i} is not printable ASCII`;
  }
  if (codes[codes.length - 1] === 0x2e) return 'trailing dot';
  return undefined;
}

export function decodeServerNameClientHello(r: ByteReader): ServerNameClientHello {
  const list = readNested(r, SERVER_NAME_LIST);
  let hostName: string | undefined;
  while (!list.atEnd) {
    const nameType = list.u8('server_name name_type');
    // Only host_name is defined; another type's body has no known length, so
    // the rest of the list cannot be parsed.
    if (nameType !== NAME_TYPE_HOST_NAME) {
      throw new DecodeError(`server_name: unsupported name_type ${nameType}`);
    }
    const name = readVector(list, HOST_NAME);
    // RFC 6066 §3: no more than one name of the same name_type.
    if (hostName !== undefined) {
      throw new DecodeError('server_name: more than one host_name', 'illegal_parameter');
    }
    const problem = hostNameProblem(name);
    if (problem) throw new DecodeError(`server_name host_name: ${problem}`);
    hostName = fromUtf8(name); // checked ASCII above, so this cannot fail
  }
  // The list has at least one byte, and every iteration sets hostName.
  return { type: 'server_name', hostName: hostName! };
}

export function encodeServerName(w: ByteWriter, ext: ServerNameClientHello | ServerNameAcknowledgement): void {
  if (!('hostName' in ext)) return; // the acknowledgement is empty
  const codes = Array.from(ext.hostName, (ch) => ch.charCodeAt(0));
  const problem = hostNameProblem(codes);
  if (problem) throw new RangeError(`cannot encode server_name ${JSON.stringify(ext.hostName)}: ${problem}`);
  writeNested(w, SERVER_NAME_LIST, (list) => {
    list.u8(NAME_TYPE_HOST_NAME);
    writeVector(list, HOST_NAME, Uint8Array.from(codes));
  });
}
