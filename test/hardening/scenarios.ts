/**
 * Deterministic handshakes to attack: full, HelloRetryRequest (by group and
 * by cookie), client authentication, resumption and 0-RTT. Every source of
 * variation is pinned (seeded randomness that can be rewound, a fixed clock,
 * fixed ticket keys), so the same scenario always puts the same bytes on the
 * wire. That lets a recorded stream be replayed against a fresh connection
 * of the same scenario and reach the same state — the property tests mutate
 * such replays, and the fuzz targets start from them.
 *
 * Fixtures are found from the working directory (the repository root for
 * vitest, `npm run fuzz` and the bundled fuzz targets alike), not from
 * import.meta, so this module also works bundled as CommonJS.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { CertificateInput, ClientConfig, ServerConfig } from '../../src/config.js';
import { ClientConnection, ServerConnection, type ConnectionEvent } from '../../src/connection.js';
import type { ClientSession } from '../../src/handshake/sessions.js';
import type { ReplayCache } from '../../src/handshake/antiReplay.js';
import { NamedGroup } from '../../src/registry.js';

// ------------------------------------------------------------------ fixtures

function repositoryRoot(): string {
  for (let dir = resolve(process.env.TLS13_ROOT ?? process.cwd()); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'test/fixtures/pki/root-ec.pem'))) return dir;
    if (dirname(dir) === dir) throw new Error('cannot find the repository root (test/fixtures/pki) from the working directory');
  }
}

export const REPO_ROOT = repositoryRoot();
const pki = (name: string): string => readFileSync(join(REPO_ROOT, 'test/fixtures/pki', name), 'utf8');

export const ROOT_PEM = pki('root-ec.pem');
export const INTERMEDIATE_PEM = pki('int-ec.pem');
export const SERVER_CERT: CertificateInput = { cert: pki('leaf-p256.pem') + INTERMEDIATE_PEM, key: pki('leaf-p256.key') };
export const CLIENT_CERT: CertificateInput = { cert: pki('leaf-client.pem') + INTERMEDIATE_PEM, key: pki('leaf-client.key') };
export const fixture = pki;

/** Every fixture certificate is valid then. */
export const FIXED_TIME = Date.parse('2026-06-01T00:00:00Z');
export const SERVER_NAME = 'localhost';
/** Ticket key shared by every scenario server, so tickets outlive a connection object. */
export const TICKET_KEY = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 + i);
const GROUPS = [NamedGroup.x25519, NamedGroup.secp256r1];

// ---------------------------------------------------------------- randomness

/**
 * A rewindable xorshift32 stream. Connections keep the `random` function of
 * their config (settings are cached per config object), so determinism per
 * connection comes from rewinding the stream, not from a new function.
 */
export class Rewindable {
  private x = 0;
  constructor(private readonly seed: number) {
    this.rewind();
  }
  rewind(): void {
    this.x = this.seed >>> 0 || 0x9e3779b9;
  }
  readonly random = (length: number): Uint8Array => {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      this.x ^= this.x << 13;
      this.x >>>= 0;
      this.x ^= this.x >>> 17;
      this.x ^= this.x << 5;
      this.x >>>= 0;
      out[i] = this.x & 0xff;
    }
    return out;
  };
}

/** A clock that tests move by hand (defaults to FIXED_TIME). */
export class ManualClock {
  t = FIXED_TIME;
  readonly now = (): Date => new Date(this.t);
}

/** Accepts every 0-RTT attempt: used where replays are the point (fuzzing, replay tests measure the real store separately). */
export const ACCEPT_ALL_REPLAYS: ReplayCache = { firstUse: () => true };

// ----------------------------------------------------------------- scenarios

export type ScenarioName = 'full' | 'hrr' | 'cookie' | 'clientAuth' | 'resume' | 'earlyData';
export const SCENARIOS: readonly ScenarioName[] = ['full', 'hrr', 'cookie', 'clientAuth', 'resume', 'earlyData'];

/** The configs of one scenario. Each call makes new config objects (fresh settings, fresh replay cache). */
export interface ScenarioConfigs {
  readonly name: ScenarioName;
  readonly client: ClientConfig;
  readonly server: ServerConfig;
  readonly clientRandom: Rewindable;
  readonly serverRandom: Rewindable;
  readonly clock: ManualClock;
  /** Data the client writes before the handshake (0-RTT in earlyData). */
  readonly early: Uint8Array | undefined;
  /** Whether the client offers a session (resume, earlyData). */
  readonly resumes: boolean;
}

export interface ScenarioOptions {
  /** Anti-replay store for the server (default: the server's own bounded store). */
  readonly antiReplay?: ReplayCache;
  readonly clock?: ManualClock;
  /** Extra server settings (limits under test, ...). */
  readonly server?: Partial<ServerConfig>;
  readonly client?: Partial<ClientConfig>;
}

export const EARLY_DATA = new TextEncoder().encode('GET /early HTTP/1.1\r\n\r\n');
export const MAX_EARLY_DATA = 1024;

export function scenarioConfigs(name: ScenarioName, options: ScenarioOptions = {}): ScenarioConfigs {
  const clock = options.clock ?? new ManualClock();
  // The same seeds in every scenario: a client stream recorded against one
  // server config replays against any config that negotiates the same way.
  const clientRandom = new Rewindable(0x1234);
  const serverRandom = new Rewindable(0xbeef);
  const server: ServerConfig = {
    certificates: [SERVER_CERT],
    groups: name === 'hrr' ? [NamedGroup.x25519] : GROUPS,
    now: clock.now,
    random: serverRandom.random,
    ticketKeys: [TICKET_KEY],
    maxEarlyData: MAX_EARLY_DATA,
    ...(name === 'cookie' ? { requireCookie: true } : {}),
    ...(name === 'clientAuth' ? { clientAuth: 'require-and-verify' as const, ca: ROOT_PEM } : {}),
    ...(options.antiReplay ? { antiReplay: options.antiReplay } : {}),
    ...options.server,
  };
  const client: ClientConfig = {
    ca: ROOT_PEM,
    groups: GROUPS,
    keyShareGroups: name === 'hrr' ? [NamedGroup.secp256r1] : [NamedGroup.x25519],
    now: clock.now,
    random: clientRandom.random,
    sessionCache: false,
    ...(name === 'clientAuth' ? { certificates: [CLIENT_CERT] } : {}),
    ...(name === 'earlyData' ? { enableEarlyData: true } : {}),
    ...options.client,
  };
  return {
    name,
    client,
    server,
    clientRandom,
    serverRandom,
    clock,
    early: name === 'earlyData' ? EARLY_DATA : undefined,
    resumes: name === 'resume' || name === 'earlyData',
  };
}

// ------------------------------------------------------------------ driving

/** What crossed the wire, transfer by transfer, and what each side raised. */
export interface Transcript {
  readonly scenario: ScenarioName;
  readonly toServer: Uint8Array[];
  readonly toClient: Uint8Array[];
  readonly clientEvents: ConnectionEvent[];
  readonly serverEvents: ConnectionEvent[];
  readonly client: ClientConnection;
  readonly server: ServerConnection;
}

export const CLIENT_MESSAGE = new TextEncoder().encode('ping from the client');
export const SERVER_MESSAGE = new TextEncoder().encode('pong from the server');

/**
 * Shuttles bytes until both sides are quiet (synchronous: the noble
 * provider and these configs never return Promises). Throws if a receive()
 * throws, which would be a bug.
 */
export function shuttle(
  client: ClientConnection,
  server: ServerConnection,
  log?: { toServer: Uint8Array[]; toClient: Uint8Array[]; clientEvents: ConnectionEvent[]; serverEvents: ConnectionEvent[] },
  maxRounds = 32,
): void {
  for (let round = 0; round < maxRounds; round++) {
    const up = client.takeOutgoing();
    if (up.length > 0) {
      log?.toServer.push(up);
      server.receive(up);
    }
    const down = server.takeOutgoing();
    if (down.length > 0) {
      log?.toClient.push(down);
      client.receive(down);
    }
    log?.clientEvents.push(...client.events());
    log?.serverEvents.push(...server.events());
    if (up.length === 0 && down.length === 0) return;
  }
  throw new Error(`still talking after ${maxRounds} rounds`);
}

/** A session for the resumption scenarios, from a full handshake of the same deterministic configs. */
export function sessionFor(configs: ScenarioConfigs): ClientSession {
  configs.clientRandom.rewind();
  configs.serverRandom.rewind();
  const client = new ClientConnection(configs.client, { serverName: SERVER_NAME });
  const server = new ServerConnection(configs.server);
  const log = { toServer: [], toClient: [], clientEvents: [] as ConnectionEvent[], serverEvents: [] as ConnectionEvent[] };
  shuttle(client, server, log);
  const ticket = log.clientEvents.find((e): e is Extract<ConnectionEvent, { type: 'ticket' }> => e.type === 'ticket');
  if (!ticket) throw new Error(`scenario ${configs.name}: the full handshake brought no ticket`);
  return ticket.session;
}

/** The client connection of a scenario, rewound, with its session if it resumes. */
export function scenarioClient(configs: ScenarioConfigs, session?: ClientSession): ClientConnection {
  configs.clientRandom.rewind();
  return new ClientConnection(configs.client, {
    serverName: SERVER_NAME,
    ...(configs.resumes && session ? { session } : {}),
  });
}

export function scenarioServer(configs: ScenarioConfigs): ServerConnection {
  configs.serverRandom.rewind();
  return new ServerConnection(configs.server);
}

/**
 * Runs a scenario end to end: handshake (with 0-RTT where it applies), one
 * message each way, and the client's close_notify. Returns every transfer.
 */
export function record(name: ScenarioName, options: ScenarioOptions = {}): Transcript & { configs: ScenarioConfigs; session: ClientSession | undefined } {
  const configs = scenarioConfigs(name, options);
  const session = configs.resumes ? sessionFor(configs) : undefined;
  const client = scenarioClient(configs, session);
  const server = scenarioServer(configs);
  const log = { toServer: [] as Uint8Array[], toClient: [] as Uint8Array[], clientEvents: [] as ConnectionEvent[], serverEvents: [] as ConnectionEvent[] };
  if (configs.early) client.write(configs.early);
  shuttle(client, server, log);
  client.write(CLIENT_MESSAGE);
  server.write(SERVER_MESSAGE);
  shuttle(client, server, log);
  client.close();
  shuttle(client, server, log);
  return { scenario: name, ...log, client, server, configs, session };
}
