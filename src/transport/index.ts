/**
 * Transport adapters (layer 8). Only the platform-neutral in-memory driver is
 * exported here, so this entry point runs anywhere; the Node.js adapter
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
