/**
 * docs/state-machine.md is generated from the transition tables; this test
 * regenerates it in memory and fails when the committed file is stale. It
 * also checks the diagrams themselves: every state of each table is
 * reachable from the start, and every transition of the table is drawn.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLIENT_TRANSITIONS } from '../../src/handshake/client.js';
import type { TransitionTable } from '../../src/handshake/machine.js';
import { SERVER_TRANSITIONS } from '../../src/handshake/server.js';
import {
  CLIENT_INITIATED,
  SERVER_INITIATED,
  passThroughStates,
  stateDiagram,
  stateMachineMarkdown,
  transitionTableMarkdown,
} from '../../src/inspect/index.js';

const DOC = fileURLToPath(new URL('../../docs/state-machine.md', import.meta.url));

interface Edge {
  readonly from: string;
  readonly to: string;
  readonly label: string;
}

/** The `A --> B: label` lines of a Mermaid state diagram. */
function edges(mermaid: string): Edge[] {
  const out: Edge[] = [];
  for (const line of mermaid.split('\n')) {
    const m = /^\s*(\S+) --> (\S+?)(?::\s*(.*))?$/.exec(line);
    if (m) out.push({ from: m[1]!, to: m[2]!, label: m[3] ?? '' });
  }
  return out;
}

/** States reachable from [*] along the diagram's arrows. */
function reachable(mermaid: string): Set<string> {
  const all = edges(mermaid);
  const seen = new Set<string>(['[*]']);
  const queue = ['[*]'];
  while (queue.length > 0) {
    const at = queue.shift()!;
    for (const e of all) {
      if (e.from === at && !seen.has(e.to)) {
        seen.add(e.to);
        queue.push(e.to);
      }
    }
  }
  return seen;
}

/** The Mermaid blocks of a Markdown text. */
function mermaidBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

const MACHINES = [
  { side: 'client', table: CLIENT_TRANSITIONS as TransitionTable<string>, initiated: CLIENT_INITIATED, block: 0 },
  { side: 'server', table: SERVER_TRANSITIONS as TransitionTable<string>, initiated: SERVER_INITIATED, block: 1 },
] as const;

describe('docs/state-machine.md', () => {
  it('matches the transition tables in the code', () => {
    let committed = '';
    try {
      committed = readFileSync(DOC, 'utf8');
    } catch {
      // Missing: reported as stale below.
    }
    expect(committed === stateMachineMarkdown(), 'docs/state-machine.md is stale: run npx tsx scripts/gen-state-diagram.ts').toBe(true);
  });

  it('holds both diagrams, client then server', () => {
    const blocks = mermaidBlocks(readFileSync(DOC, 'utf8'));
    expect(blocks).toHaveLength(2);
    expect(blocks[0]!.trim()).toBe(stateDiagram(CLIENT_TRANSITIONS, 'START', CLIENT_INITIATED));
    expect(blocks[1]!.trim()).toBe(stateDiagram(SERVER_TRANSITIONS, 'START', SERVER_INITIATED));
  });
});

describe.each(MACHINES)('the $side diagram', ({ table, initiated, block }) => {
  const mermaid = mermaidBlocks(stateMachineMarkdown())[block]!;

  it('starts at START and reaches every state of the table', () => {
    expect(mermaid.split('\n')[0]).toBe('stateDiagram-v2');
    expect(edges(mermaid)[0]).toEqual({ from: '[*]', to: 'START', label: '' });
    const seen = reachable(mermaid);
    for (const state of Object.keys(table)) expect(seen.has(state), `${state} is reachable`).toBe(true);
    // ...and draws no state the table does not have.
    for (const e of edges(mermaid)) for (const s of [e.from, e.to]) if (s !== '[*]') expect(Object.keys(table)).toContain(s);
  });

  it('draws every transition of the table, labelled with its message', () => {
    const drawn = edges(mermaid);
    for (const [state, transitions] of Object.entries(table)) {
      for (const t of transitions) {
        // The arrow out of `state` carries the message's name...
        expect(drawn.some((e) => e.from === state && e.label === t.on), `${state} --${t.on}-->`).toBe(true);
        // ...and every state the step may end in is reachable along drawn arrows.
        for (const to of t.to) expect(leadsTo(drawn, state, to), `${state} ⇝ ${to}`).toBe(true);
      }
    }
    for (const i of initiated) expect(drawn).toContainEqual({ from: i.from, to: i.to, label: `send ${i.sends}` });
  });

  it('lists every transition in the table with its step and RFC section', () => {
    const rows = transitionTableMarkdown(table, initiated).split('\n').slice(2);
    for (const [state, transitions] of Object.entries(table)) {
      for (const t of transitions) {
        expect(rows.some((r) => r.startsWith(`| ${state} | ${t.on} | ${t.step} | ${t.to.join(', ')}`) && r.endsWith(`| ${t.rfc} |`))).toBe(true);
      }
    }
    const passing = passThroughStates(table);
    for (const s of passing) expect(rows).toContain(`| ${s} | — | (passed through within a step) | | |`);
    expect(rows).toHaveLength(
      Object.values(table).reduce((n, ts) => n + Math.max(ts.length, 0), 0) + initiated.length + passing.length,
    );
  });
});

it('knows which server states are only passed through', () => {
  expect(passThroughStates(SERVER_TRANSITIONS)).toEqual(['RECVD_CH', 'NEGOTIATED', 'WAIT_FLIGHT2']);
  expect(passThroughStates(CLIENT_TRANSITIONS)).toEqual([]);
});

/** Whether `to` can be reached from `from` along drawn arrows (a step that passes through states). */
function leadsTo(drawn: readonly { from: string; to: string }[], from: string, to: string): boolean {
  const seen = new Set([from]);
  const queue = [from];
  while (queue.length > 0) {
    const at = queue.shift()!;
    for (const e of drawn) {
      if (e.from !== at) continue;
      if (e.to === to) return true;
      if (!seen.has(e.to)) {
        seen.add(e.to);
        queue.push(e.to);
      }
    }
  }
  return false;
}
