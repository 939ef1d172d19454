/**
 * tls13: a TLS 1.3 (RFC 8446) client and server, sans-I/O, in TypeScript.
 *
 * The sans-I/O connections are the core; `tls13/node` (src/transport/node.ts)
 * adapts them to Node sockets. Everything here runs in any JavaScript runtime.
 */
export { ClientConnection, ServerConnection, type ConnectionEvent } from './connection.js';
export type {
  ClientConfig,
  ServerConfig,
  CommonConfig,
  ConnectionState,
  ClientHelloInfo,
  CertificateRequestInfo,
  CertifiedKey,
  CertificateInput,
  CertificateSource,
  ClientAuthMode,
} from './config.js';
export type { ClientOptions, ClientState } from './handshake/client.js';
export type { ServerState } from './handshake/server.js';
export { CLIENT_TRANSITIONS } from './handshake/client.js';
export { SERVER_TRANSITIONS } from './handshake/server.js';
export { toMermaid, type Transition, type TransitionTable } from './handshake/machine.js';
export type { TraceEntry, TrafficLevel } from './handshake/events.js';
export {
  type ClientSession,
  type SessionCache,
  LruSessionCache,
  exportSession,
  importSession,
} from './handshake/sessions.js';
export { type SessionState, encodeSessionState, decodeSessionState } from './handshake/tickets.js';
export { type ReplayCache, MemoryReplayCache } from './handshake/antiReplay.js';
export { loadCertifiedKey, loadCertificates } from './handshake/settings.js';
export { TLSError, type ErrorSide } from './errors.js';
export { type CryptoProvider, type PrivateKey, type PublicKey, type RandomSource } from './crypto/provider.js';
export { nobleCrypto, createNobleCrypto } from './crypto/noble.js';
export { CIPHER_SUITES, type CipherSuiteInfo } from './crypto/suites.js';
export { CipherSuite, NamedGroup, SignatureScheme, AlertDescription } from './registry.js';
export { parseCertificate, parseCertificates, parsePrivateKey, type Certificate } from './x509/index.js';
export * from './inspect/index.js';
export * from './transport/index.js';
export { createWebCryptoProvider, type WebCryptoProviderOptions } from './crypto/webcrypto.js';
