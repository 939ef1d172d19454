/**
 * The content covered by CertificateVerify (RFC 8446 §4.4.3): 64 spaces, a
 * context string that says which side signed, a zero byte, and the
 * transcript hash. The prefix stops a TLS 1.2 ServerKeyExchange signature
 * from being replayed as a TLS 1.3 one; the context string stops a server
 * signature from passing as a client's.
 */
import { utf8 } from '../util/bytes.js';

const SERVER_CONTEXT = utf8('TLS 1.3, server CertificateVerify');
const CLIENT_CONTEXT = utf8('TLS 1.3, client CertificateVerify');

export function certificateVerifyContent(signer: 'client' | 'server', transcriptHash: Uint8Array): Uint8Array {
  const context = signer === 'server' ? SERVER_CONTEXT : CLIENT_CONTEXT;
  const out = new Uint8Array(64 + context.length + 1 + transcriptHash.length);
  out.fill(0x20, 0, 64);
  out.set(context, 64);
  out[64 + context.length] = 0;
  out.set(transcriptHash, 64 + context.length + 1);
  return out;
}
