// Replay one simulator run from its seed and print the outcome:
//   npx tsx packages/cli/src/sim/replay.ts --seed 42 [--nodes 3] [--ticks 1500] [--clients 3]
//     [--faults partition,drop,dup,reorder,crash,pause,skew,transfer] [--bugs commitPreviousTermEntries,…]
//     [--profile default|aggressive|membership] [--linearizability] [--trace] [--history]
//     [--disable-checks CommitRule,…] [--no-prevote] [--no-check-quorum]
// Exit status 1 when the run found a violation, so it can gate a script.

import { parseArgs } from 'node:util';
import { DEFAULT_FAULTS, parseFaults } from './faults.ts';
import { parseProfile } from './profiles.ts';
import { parseBugs } from './options.ts';
import { runSimulation, type SimOptions, type SimResult } from './simulator.ts';
import { VIOLATION_KINDS, type ViolationKind } from './invariants.ts';

function parseChecks(spec: string): ViolationKind[] {
  const out: ViolationKind[] = [];
  for (const raw of spec.split(',')) {
    const name = raw.trim();
    if (name === '') continue;
    if (!(VIOLATION_KINDS as readonly string[]).includes(name)) throw new RangeError(`unknown check "${name}"; known: ${VIOLATION_KINDS.join(',')}`);
    out.push(name as ViolationKind);
  }
  return out;
}

function integer(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`--${name} needs a non-negative integer, got "${value}"`);
  return n;
}

export function optionsFromArgs(argv: readonly string[]): { options: SimOptions; printTrace: boolean; printHistory: boolean } {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      seed: { type: 'string' },
      nodes: { type: 'string' },
      ticks: { type: 'string' },
      clients: { type: 'string' },
      faults: { type: 'string' },
      bugs: { type: 'string' },
      profile: { type: 'string' },
      'election-ticks': { type: 'string' },
      'faults-stop-at-tick': { type: 'string' },
      'disable-checks': { type: 'string' },
      linearizability: { type: 'boolean' },
      'no-prevote': { type: 'boolean' },
      'no-check-quorum': { type: 'boolean' },
      trace: { type: 'boolean' },
      history: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.seed === undefined) throw new RangeError('--seed is required');
  const options: SimOptions = {
    seed: integer('seed', values.seed, 0),
    nodes: integer('nodes', values.nodes, 3),
    ticks: integer('ticks', values.ticks, 1500),
    clients: integer('clients', values.clients, 3),
    faults: parseFaults(values.faults ?? DEFAULT_FAULTS),
    bugs: parseBugs(values.bugs ?? ''),
    profile: parseProfile(values.profile ?? 'default'),
    electionTicks: integer('election-ticks', values['election-ticks'], 10),
    ...(values['faults-stop-at-tick'] !== undefined ? { faultsStopAtTick: integer('faults-stop-at-tick', values['faults-stop-at-tick'], 0) } : {}),
    checkLinearizability: values.linearizability === true,
    disabledChecks: parseChecks(values['disable-checks'] ?? ''),
    ...(values['no-prevote'] === true ? { preVote: false } : {}),
    ...(values['no-check-quorum'] === true ? { checkQuorum: false } : {}),
    keepTrace: values.trace === true,
  };
  return { options, printTrace: values.trace === true, printHistory: values.history === true };
}

/** A human-readable outcome: the verdict, violations with the events that led to them, the replay line. */
export function formatOutcome(r: SimResult): string {
  const lines: string[] = [];
  lines.push(`seed=${r.seed} ${r.ok ? 'OK' : 'VIOLATION'} trace=${r.traceHash} events=${r.stats.events}`);
  lines.push(`stats ${JSON.stringify(r.stats)}`);
  for (const v of r.violations) lines.push(`violation ${v.kind} at ${v.timeMs}ms${v.nodeId !== undefined ? ` on n${v.nodeId}` : ''}: ${v.message}`);
  if (!r.ok) {
    lines.push('last events:');
    for (const e of r.lastEvents) lines.push(`  ${e}`);
  }
  lines.push(`replay: ${r.replayCommand}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { options, printTrace, printHistory } = optionsFromArgs(process.argv.slice(2));
  const r = await runSimulation(options);
  if (printTrace && r.trace !== undefined) for (const line of r.trace) console.log(line);
  if (printHistory) for (const op of r.history) console.log(JSON.stringify(op));
  console.log(formatOutcome(r));
  process.exitCode = r.ok ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
