/**
 * One-line facts about handshake messages, for the demo's flight-by-flight
 * view: what each message contributes to this handshake (the suites offered,
 * the key share chosen, that 0-RTT was accepted...). The full field-by-field
 * decoding is src/inspect's job (`tls13 demo --fields`, `--trace`).
 */
import { SignatureScheme } from '../src/index.js';
import type { HandshakeMessage } from '../src/wire/index.js';
import { parseCertificate } from '../src/x509/index.js';
import { cipherName, groupName } from './names.js';

function schemeName(code: number): string {
  for (const [name, value] of Object.entries(SignatureScheme)) if (value === code) return name;
  return `0x${code.toString(16).padStart(4, '0')}`;
}

const text = new TextDecoder();

function hexPrefix(bytes: Uint8Array, n = 8): string {
  let s = '';
  for (const b of bytes.subarray(0, n)) s += b.toString(16).padStart(2, '0');
  return bytes.length > n ? `${s}…` : s;
}

/** The few facts about a message that explain what it does in this handshake. */
export function summarizeMessage(message: HandshakeMessage): string[] {
  switch (message.type) {
    case 'client_hello': {
      const out = [`cipher suites: ${message.cipherSuites.map(cipherName).join(', ')}`];
      for (const ext of message.extensions) {
        if (ext.type === 'server_name') out.push(`server_name (SNI): ${ext.hostName}`);
        else if (ext.type === 'key_share' && 'clientShares' in ext) {
          out.push(`key_share: ${ext.clientShares.map((s) => `${groupName(s.group)} (${s.keyExchange.length} bytes)`).join(', ')}`);
        } else if (ext.type === 'application_layer_protocol_negotiation') {
          out.push(`ALPN: ${ext.protocols.map((p) => text.decode(p)).join(', ')}`);
        } else if (ext.type === 'pre_shared_key' && 'identities' in ext) {
          out.push(
            `pre_shared_key: ${ext.identities.length} ticket(s), obfuscated age ${ext.identities.map((i) => i.obfuscatedTicketAge >>> 0).join(', ')}, binder ${ext.binders.map((b) => hexPrefix(b)).join(', ')}`,
          );
        } else if (ext.type === 'early_data') out.push('early_data: 0-RTT application data follows this message');
        else if (ext.type === 'cookie') out.push('cookie: echoed from the HelloRetryRequest');
      }
      return out;
    }
    case 'server_hello': {
      const out = [`cipher suite: ${cipherName(message.cipherSuite)}`];
      for (const ext of message.extensions) {
        if (ext.type === 'key_share') {
          if ('serverShare' in ext) out.push(`key_share: ${groupName(ext.serverShare.group)} (${ext.serverShare.keyExchange.length} bytes)`);
          else if ('selectedGroup' in ext) out.push(`key_share: please retry with ${groupName(ext.selectedGroup)}`);
        } else if (ext.type === 'pre_shared_key' && 'selectedIdentity' in ext) {
          out.push(`pre_shared_key: accepted ticket #${ext.selectedIdentity} (resumption)`);
        }
      }
      return out;
    }
    case 'encrypted_extensions': {
      const out: string[] = [];
      for (const ext of message.extensions) {
        if (ext.type === 'application_layer_protocol_negotiation') out.push(`ALPN selected: ${ext.protocols.map((p) => text.decode(p)).join(', ')}`);
        else if (ext.type === 'early_data') out.push('early_data: the server ACCEPTS the 0-RTT data');
        else if (ext.type === 'server_name') out.push('server_name: acknowledged');
        else if (ext.type === 'supported_groups') out.push(`supported_groups: ${ext.groups.map(groupName).join(', ')}`);
      }
      return out.length ? out : ['(no extensions)'];
    }
    case 'certificate': {
      if (message.certificateList.length === 0) return ['(empty: no certificate)'];
      const out = [`${message.certificateList.length} certificate(s)`];
      try {
        const leaf = parseCertificate(message.certificateList[0]!.certData);
        const san = leaf.subjectAltName;
        const names = san ? [...san.dnsNames, ...san.names.flatMap((n) => (n.type === 'ip' ? [n.text] : []))] : [];
        out.push(`leaf: ${leaf.subject.text || '(empty subject)'}${names.length ? `, SAN ${names.join(', ')}` : ''}`);
        out.push(`issued by: ${leaf.issuer.text}, key ${leaf.subjectPublicKeyInfo.description}`);
      } catch {
        out.push('leaf: (could not be parsed)');
      }
      return out;
    }
    case 'certificate_request':
      return ['the server asks for a client certificate'];
    case 'certificate_verify':
      return [`signature: ${schemeName(message.algorithm)} over the transcript hash (${message.signature.length} bytes)`];
    case 'finished':
      return [`verify_data: ${hexPrefix(message.verifyData)} (HMAC over the transcript)`];
    case 'new_session_ticket': {
      const out = [`lifetime ${message.ticketLifetime} s, ticket ${message.ticket.length} bytes`];
      for (const ext of message.extensions) {
        if (ext.type === 'early_data' && 'maxEarlyDataSize' in ext) out.push(`allows up to ${ext.maxEarlyDataSize} bytes of 0-RTT data`);
      }
      return out;
    }
    case 'end_of_early_data':
      return ['no more 0-RTT data: switch to handshake keys'];
    case 'key_update':
      return [message.requestUpdate ? 'new sending keys; please update yours too' : 'new sending keys'];
    case 'message_hash':
      return [];
  }
}
