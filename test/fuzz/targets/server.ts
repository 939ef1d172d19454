/**
 * Fuzz target: the server state machine. A fresh ServerConnection of a
 * deterministic scenario (first byte: full/resumption/0-RTT, client auth, cookie, HRR by group) is fed
 * the input as the client's byte stream (second byte: receive() piece
 * size). Seeds are the genuine client streams of our own handshakes and of
 * RFC 8448, so the fuzzer starts deep in the handshake. Every invariant of
 * test/hardening/invariants.ts is checked; a violation is a finding.
 */
import { ACCEPT_ALL_REPLAYS, scenarioConfigs, scenarioServer, type ScenarioConfigs } from '../../hardening/scenarios.js';
import { attack } from '../../hardening/invariants.js';
import { piecesOf } from '../support/check.js';

// Config objects are made once: settings (parsed certificates) are cached per config.
export const SERVER_SCENARIOS = ['earlyData', 'clientAuth', 'cookie', 'hrr'] as const;
const SERVERS: readonly ScenarioConfigs[] = SERVER_SCENARIOS.map((name) => scenarioConfigs(name, { antiReplay: ACCEPT_ALL_REPLAYS }));

export function fuzz(input: Uint8Array): void {
  if (input.length < 2) return;
  const configs = SERVERS[input[0]! % SERVERS.length]!;
  attack(scenarioServer(configs), piecesOf(input.subarray(2), input[1]!), { earlyAllowed: true });
}
