/**
 * Recorded transcripts of every scenario, and fresh "victims" to replay
 * them against: a server of the same scenario fed the client's recorded
 * bytes, or a client (after its ClientHello, 0-RTT data written) fed the
 * server's. Because scenarios are deterministic, an unmodified replay
 * reaches exactly the recorded end; a mutated one shows how the victim
 * copes.
 */
import type { ClientConnection, ServerConnection } from '../../src/connection.js';
import type { ClientSession } from '../../src/handshake/sessions.js';
import { type AttackExpectations, type AttackOutcome, attack } from './invariants.js';
import {
  ACCEPT_ALL_REPLAYS,
  CLIENT_MESSAGE,
  EARLY_DATA,
  SCENARIOS,
  SERVER_MESSAGE,
  type ScenarioConfigs,
  type ScenarioName,
  record,
  scenarioClient,
  scenarioConfigs,
  scenarioServer,
  sessionFor,
} from './scenarios.js';
import { concat } from './streams.js';

export type Side = 'server' | 'client';

export interface Recorded {
  readonly name: ScenarioName;
  readonly configs: ScenarioConfigs;
  readonly session: ClientSession | undefined;
  /** What the genuine client sent (the server victim's input), all transfers joined. */
  readonly toServer: Uint8Array;
  /** What the genuine server sent. */
  readonly toClient: Uint8Array;
}

/** Records every scenario once. Replays accept any 0-RTT reuse, so each replay sees the same server decision. */
export function recordAll(): Map<ScenarioName, Recorded> {
  const out = new Map<ScenarioName, Recorded>();
  for (const name of SCENARIOS) {
    const t = record(name, { antiReplay: ACCEPT_ALL_REPLAYS });
    const configs = scenarioConfigs(name, { antiReplay: ACCEPT_ALL_REPLAYS });
    const session = configs.resumes ? sessionFor(configs) : undefined;
    out.set(name, { name, configs, session, toServer: concat(t.toServer), toClient: concat(t.toClient) });
  }
  return out;
}

/** A fresh victim for `side` of a recorded scenario, in the state the recording started from. */
export function victim(rec: Recorded, side: Side): ClientConnection | ServerConnection {
  if (side === 'server') return scenarioServer(rec.configs);
  const client = scenarioClient(rec.configs, rec.session);
  if (rec.configs.early) client.write(rec.configs.early);
  return client;
}

export function inputFor(rec: Recorded, side: Side): Uint8Array {
  return side === 'server' ? rec.toServer : rec.toClient;
}

export function expectationsFor(rec: Recorded, side: Side): AttackExpectations {
  return side === 'server'
    ? { earlyAllowed: rec.name === 'earlyData', data: CLIENT_MESSAGE, early: EARLY_DATA }
    : { data: SERVER_MESSAGE };
}

/** Replays `chunks` (the victim's whole input, possibly altered) and checks the invariants. */
export function replay(rec: Recorded, side: Side, chunks: readonly Uint8Array[]): AttackOutcome {
  return attack(victim(rec, side), chunks, expectationsFor(rec, side));
}
