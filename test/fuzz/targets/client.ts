/**
 * Fuzz target: the client state machine. A ClientConnection of a
 * deterministic scenario (first byte: full / HRR / client auth / 0-RTT
 * resumption), right after its ClientHello (and 0-RTT data), is fed the
 * input as the server's byte stream (second byte: receive() piece size).
 * Seeds are the genuine server streams for exactly these ClientHellos, so
 * the fuzzer starts from complete handshakes.
 */
import type { ClientSession } from '../../../src/handshake/sessions.js';
import { attack } from '../../hardening/invariants.js';
import { ACCEPT_ALL_REPLAYS, scenarioClient, scenarioConfigs, sessionFor, type ScenarioConfigs } from '../../hardening/scenarios.js';
import { piecesOf } from '../support/check.js';

export const CLIENT_SCENARIOS = ['full', 'hrr', 'clientAuth', 'earlyData'] as const;

const CLIENTS: readonly { configs: ScenarioConfigs; session: ClientSession | undefined }[] = CLIENT_SCENARIOS.map((name) => {
  const configs = scenarioConfigs(name, { antiReplay: ACCEPT_ALL_REPLAYS });
  return { configs, session: configs.resumes ? sessionFor(configs) : undefined };
});

export function fuzz(input: Uint8Array): void {
  if (input.length < 2) return;
  const { configs, session } = CLIENTS[input[0]! % CLIENTS.length]!;
  const client = scenarioClient(configs, session);
  if (configs.early) client.write(configs.early);
  attack(client, piecesOf(input.subarray(2), input[1]!));
}
