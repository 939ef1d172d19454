/**
 * Transport adapters (layer 8). Only the platform-neutral ones are exported
 * here (the in-memory driver and the Web Streams adapter), so this entry
 * point runs anywhere; the Node.js adapter
 * (`connect`, `createServer`, `TLSSocket`) lives in `./node.js` and is
 * imported from there, keeping `node:` modules out of browser bundles.
 */
export {
  pump,
  connectPair,
  handshakePair,
  chopRandomly,
  receivedData,
  type AnyConnection,
  type Chopper,
  type PumpOptions,
  type PairOptions,
  type PairEvents,
  type HandshakePair,
} from './memory.js';
export {
  connectStreams,
  acceptStreams,
  secureStreams,
  streamPair,
  webSocketStreams,
  StreamError,
  DEFAULT_STREAM_HANDSHAKE_TIMEOUT,
  type ByteStreams,
  type SecureStreams,
  type StreamOptions,
  type ClientStreamOptions,
  type StreamPairOptions,
  type WebSocketLike,
  type WebSocketStreamsOptions,
} from './webstreams.js';
