/**
 * Helpers for the limit and flood tests: connected pairs of a scenario, and
 * a "forger" that seals records of the client's own application traffic
 * keys (taken from the key log), so a test can put on the wire records a
 * genuine client would never write — empty ones, floods of KeyUpdates or
 * alerts — that still authenticate.
 */
import type { ClientConfig, ServerConfig } from '../../src/config.js';
import { ClientConnection, ServerConnection, type ConnectionEvent } from '../../src/connection.js';
import { KeySchedule } from '../../src/crypto/keySchedule.js';
import { nobleCrypto } from '../../src/crypto/noble.js';
import { type CipherSuiteInfo, cipherSuiteInfo } from '../../src/crypto/suites.js';
import { ContentType, HandshakeType } from '../../src/registry.js';
import { RecordSealer } from '../../src/record/index.js';
import { fromHex } from '../../src/util/bytes.js';
import type { ClientSession } from '../../src/handshake/sessions.js';
import { SERVER_NAME, type ScenarioName, scenarioConfigs, sessionFor, shuttle, type ScenarioOptions } from './scenarios.js';

export interface Connected {
  readonly client: ClientConnection;
  readonly server: ServerConnection;
  readonly clientEvents: ConnectionEvent[];
  readonly serverEvents: ConnectionEvent[];
  readonly keyLog: string[];
  /** Moves bytes until both are quiet, collecting events. */
  readonly pump: () => void;
}

/** A pair of a scenario, driven until quiet (handshake done, tickets delivered). */
export function connected(name: ScenarioName, options: ScenarioOptions & { session?: ClientSession; early?: Uint8Array } = {}): Connected {
  const keyLog: string[] = [];
  const configs = scenarioConfigs(name, {
    ...options,
    client: { keyLog: (line) => keyLog.push(line), ...options.client } satisfies Partial<ClientConfig>,
    server: { ...options.server } satisfies Partial<ServerConfig>,
  });
  const session = options.session ?? (configs.resumes ? sessionFor(configs) : undefined);
  configs.clientRandom.rewind();
  configs.serverRandom.rewind();
  const client = new ClientConnection(configs.client, { serverName: SERVER_NAME, ...(session ? { session } : {}) });
  const server = new ServerConnection(configs.server);
  const log = { toServer: [] as Uint8Array[], toClient: [] as Uint8Array[], clientEvents: [] as ConnectionEvent[], serverEvents: [] as ConnectionEvent[] };
  const early = options.early ?? configs.early;
  if (early) client.write(early);
  const pump = (): void => shuttle(client, server, log, 4096);
  pump();
  return { client, server, clientEvents: log.clientEvents, serverEvents: log.serverEvents, keyLog, pump };
}

/**
 * Seals records under a side's application traffic keys (from its key
 * log), continuing its sequence numbers, and follows KeyUpdates (§4.6.3).
 */
export class Forger {
  private sealer: RecordSealer;
  private readonly ks: KeySchedule;
  constructor(
    private secret: Uint8Array,
    private readonly suite: CipherSuiteInfo,
    sequence: bigint,
  ) {
    this.ks = new KeySchedule(nobleCrypto, nobleCrypto.hash(suite.hash));
    this.sealer = this.sealerFor(secret);
    this.sealer.sequence = sequence;
  }

  private sealerFor(secret: Uint8Array): RecordSealer {
    return new RecordSealer(nobleCrypto, this.suite.aead, this.ks.trafficKeys(secret, this.suite.keyLength, this.suite.ivLength));
  }

  seal(type: number, content: Uint8Array, padding?: number): Uint8Array {
    return this.sealer.seal(type, content, padding);
  }

  /** A KeyUpdate record, after which our keys move to the next generation. */
  keyUpdate(requestUpdate: boolean): Uint8Array {
    const record = this.seal(ContentType.handshake, Uint8Array.of(HandshakeType.key_update, 0, 0, 1, requestUpdate ? 1 : 0));
    this.secret = this.ks.nextTrafficSecret(this.secret);
    this.sealer = this.sealerFor(this.secret);
    return record;
  }

  alert(level: number, description: number): Uint8Array {
    return this.seal(ContentType.alert, Uint8Array.of(level, description));
  }
}

/** A forger for the client's side of `conn`, from the key log lines the client wrote. */
export function forgerFor(conn: ClientConnection, keyLog: readonly string[], label = 'CLIENT_TRAFFIC_SECRET_0'): Forger {
  const line = keyLog.find((l) => l.startsWith(label + ' '));
  if (!line) throw new Error(`no ${label} in the key log`);
  const suite = cipherSuiteInfo(conn.state.cipherSuite!.code)!;
  return new Forger(fromHex(line.split(' ')[2]!), suite, conn.record.writeSequence ?? 0n);
}

/** Seals records under the client's application traffic keys, continuing its sequence numbers. */
export function clientForger(pair: Connected): Forger {
  return forgerFor(pair.client, pair.keyLog);
}

/** Events of one type. */
export function ofType<T extends ConnectionEvent['type']>(events: readonly ConnectionEvent[], type: T): Extract<ConnectionEvent, { type: T }>[] {
  return events.filter((e): e is Extract<ConnectionEvent, { type: T }> => e.type === type);
}

export function milliseconds(f: () => void): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}
