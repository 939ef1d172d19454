/**
 * The handshake state machines as data (RFC 8446 Appendix A): for each state,
 * which messages may arrive, which step handles them and where it may lead.
 * The table decides, in one place, that anything else is unexpected_message;
 * tests walk it, and the inspector draws it.
 */
import { TLSError } from '../errors.js';
import type { HandshakeMessageType } from '../wire/index.js';

export interface Transition<S extends string> {
  /** The message that triggers it. */
  readonly on: HandshakeMessageType;
  /** The step that handles it, named for the RFC step it performs. */
  readonly step: string;
  /** The states it may lead to (a step picks one, e.g. with or without a CertificateRequest). */
  readonly to: readonly S[];
  /** States the step passes through on the way, which no message can reach (drawn, not dispatched). */
  readonly via?: readonly S[];
  /**
   * For a step that passes through states: the arrows it can take, each
   * `[from, to, what happens]`, so that a diagram shows the RFC's figure
   * rather than one arrow per final state.
   */
  readonly edges?: readonly (readonly [S, S, string])[];
  /** Where the RFC says it. */
  readonly rfc: string;
}

export type TransitionTable<S extends string> = { readonly [K in S]: readonly Transition<S>[] };

/** The transition for `type` in `state`, or an unexpected_message error. */
export function transitionFor<S extends string>(
  table: TransitionTable<S>,
  state: S,
  type: HandshakeMessageType,
): Transition<S> {
  const t = table[state].find((x) => x.on === type);
  if (!t) {
    throw new TLSError('unexpected_message', `received ${type} in state ${state}, where it is not allowed (RFC 8446 Appendix A)`);
  }
  return t;
}

/** A Mermaid state diagram of a transition table. */
export function toMermaid<S extends string>(table: TransitionTable<S>, initial: S, notes: Partial<Record<S, string>> = {}): string {
  const lines = ['stateDiagram-v2', `  [*] --> ${initial}`];
  for (const state of Object.keys(table) as S[]) {
    const note = notes[state];
    if (note) lines.push(`  ${state}: ${state} (${note})`);
    for (const t of table[state]) {
      if (t.edges) for (const [from, to, what] of t.edges) lines.push(`  ${from} --> ${to}: ${what}`);
      else for (const to of t.to) lines.push(`  ${state} --> ${to}: ${t.on}`);
    }
  }
  return lines.join('\n');
}
