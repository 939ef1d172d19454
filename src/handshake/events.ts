/**
 * What a connection tells its user (events) and its observer (trace).
 */
import type { ConnectionState } from '../config.js';
import type { TLSError } from '../errors.js';
import type { HandshakeMessage } from '../wire/index.js';
import type { ClientSession } from './sessions.js';

export type ConnectionEvent =
  /** The handshake completed; the connection state is final. */
  | { readonly type: 'handshake'; readonly state: ConnectionState }
  /** Application data. `early` is true for 0-RTT data, which an attacker can replay. */
  | { readonly type: 'data'; readonly bytes: Uint8Array; readonly early: boolean }
  /** A NewSessionTicket arrived and was stored for resumption (client); `exportSession` saves it. */
  | { readonly type: 'ticket'; readonly session: ClientSession }
  /**
   * The server's answer to our 0-RTT data (client). On rejection `rejected`
   * holds exactly the bytes that were not delivered, and `resent` says
   * whether they were queued again as 1-RTT data (`retryRejectedEarlyData`).
   */
  | { readonly type: 'early_data'; readonly accepted: boolean; readonly rejected: Uint8Array; readonly resent: boolean }
  /** Our keys for `direction` were updated (RFC 8446 §4.6.3). */
  | { readonly type: 'key_update'; readonly direction: 'read' | 'write' }
  /** The peer closed its side (close_notify); we may still write. */
  | { readonly type: 'end' }
  /** A non-fatal alert arrived (user_canceled). */
  | { readonly type: 'alert'; readonly alert: string }
  /** The connection failed; nothing more can be sent or received. */
  | { readonly type: 'error'; readonly error: TLSError }
  /** Both directions are closed. */
  | { readonly type: 'close' };

export type TrafficLevel = 'early' | 'handshake' | 'application';

export type TraceEntry =
  | {
      readonly kind: 'message';
      readonly direction: 'sent' | 'received';
      readonly message: HandshakeMessage;
      readonly bytes: Uint8Array;
    }
  | { readonly kind: 'transition'; readonly from: string; readonly to: string; readonly on: string; readonly rfc: string }
  | {
      readonly kind: 'keys';
      readonly direction: 'read' | 'write';
      readonly level: TrafficLevel;
      /** Only when the config asks for secrets in the trace (`traceSecrets`). */
      readonly secret?: Uint8Array;
    }
  | { readonly kind: 'change_cipher_spec'; readonly direction: 'sent' | 'received' }
  | { readonly kind: 'alert'; readonly direction: 'sent' | 'received'; readonly alert: string; readonly level: 'warning' | 'fatal' }
  | { readonly kind: 'note'; readonly text: string };
