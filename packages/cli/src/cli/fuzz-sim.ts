// `halyard fuzz sim`: the deterministic simulator over many seeds, with random client workloads and
// faults; every run checks the safety invariants after every step and the client history for
// linearizability. Each failure is printed with its seed and the command that replays it.
import { SingleBar } from 'cli-progress';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { RaftBugs } from '@halyard/kv/raft';
import { DEFAULT_FAULTS, FAULT_KINDS, formatFaults, parseFaults } from '../sim/faults.ts';
import { formatOutcome } from '../sim/replay.ts';
import { type SimOptions, type SimResult, replayArgs, runSimulation } from '../sim/simulator.ts';

const BUG_NAMES = ['commitPreviousTermEntries', 'readIndexWithoutHeartbeat', 'voteWithoutLogCheck'] as const;

function nonNegativeInt(flag: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`${flag} must be a non-negative integer`);
    return n;
  };
}

function faultsArg(v: string): string {
  try {
    return formatFaults(parseFaults(v));
  } catch (e) {
    throw new InvalidArgumentError(`${e instanceof Error ? e.message : String(e)} (known: ${FAULT_KINDS.join(',')}, all, none)`);
  }
}

function bugsArg(v: string): RaftBugs {
  const bugs: { -readonly [K in keyof RaftBugs]: boolean } = {};
  for (const name of v.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    if (!(BUG_NAMES as readonly string[]).includes(name)) throw new InvalidArgumentError(`unknown bug ${name}; known: ${BUG_NAMES.join(',')}`);
    bugs[name as (typeof BUG_NAMES)[number]] = true;
  }
  return bugs;
}

export function fuzzReplayCommand(o: SimOptions): string {
  return `npx -y pnpm@10.20.0 fuzz ${replayArgs(o)}`;
}

interface FuzzSimFlags {
  seeds: number;
  seedStart: number;
  seed?: number;
  nodes: string;
  ticks: number;
  clients: number;
  faults: string;
  bugs?: RaftBugs;
  profile: 'default' | 'aggressive';
  linearizability: boolean;
  electionTicks: number;
  faultsStopAtTick?: number;
  failFast: boolean;
}

export function registerFuzzSim(fuzz: Command): void {
  fuzz
    .command('sim')
    .description('run the deterministic simulator over many seeds with faults; exit 1 on any violation')
    .option('--seeds <n>', 'how many seeds to run', nonNegativeInt('--seeds'), 200)
    .option('--seed-start <n>', 'first seed', nonNegativeInt('--seed-start'), 0)
    .option('--seed <n>', 'replay exactly this seed and print its full outcome', nonNegativeInt('--seed'))
    .addOption(new Option('--nodes <n>', 'voters').choices(['3', '5']).default('3'))
    .option('--ticks <n>', 'length of each run in ticks', nonNegativeInt('--ticks'), 1500)
    .option('--clients <n>', 'concurrent clients', nonNegativeInt('--clients'), 3)
    .option('--faults <list>', `faults to inject (${FAULT_KINDS.join(',')}, all, none)`, faultsArg, DEFAULT_FAULTS)
    .option('--bugs <list>', `planted bugs to switch on (${BUG_NAMES.join(',')})`, bugsArg)
    .addOption(new Option('--profile <name>', 'fault intensity').choices(['default', 'aggressive']).default('default'))
    .option('--linearizability', 'check each client history for linearizability (the default)', true)
    .option('--no-linearizability', 'skip the linearizability check')
    .option('--election-ticks <n>', 'election timeout in ticks', nonNegativeInt('--election-ticks'), 10)
    .option('--faults-stop-at-tick <n>', 'when faults stop (default leaves room for the liveness bound)', nonNegativeInt('--faults-stop-at-tick'))
    .option('--fail-fast', 'stop at the first failing seed', false)
    .action((o: FuzzSimFlags) => {
      const base: Omit<SimOptions, 'seed'> = {
        nodes: Number(o.nodes),
        ticks: o.ticks,
        clients: o.clients,
        faults: o.faults,
        profile: o.profile,
        electionTicks: o.electionTicks,
        checkLinearizability: o.linearizability,
        ...(o.bugs !== undefined ? { bugs: o.bugs } : {}),
        ...(o.faultsStopAtTick !== undefined ? { faultsStopAtTick: o.faultsStopAtTick } : {}),
      };
      if (o.seed !== undefined) {
        const r = runSimulation({ ...base, seed: o.seed });
        process.stdout.write(`${formatOutcome(r).replace(/^replay: .*$/m, `replay: ${fuzzReplayCommand({ ...base, seed: o.seed })}`)}\n`);
        process.exitCode = r.ok ? 0 : 1;
        return;
      }
      runMany(base, o.seedStart, o.seeds, o.failFast);
    });
}

function runMany(base: Omit<SimOptions, 'seed'>, seedStart: number, seeds: number, failFast: boolean): void {
  const bar = new SingleBar({
    format: 'seeds {bar} {value}/{total} | failures {failures} | {opsPerSec} client ops/s | {eventsPerSec} events/s | ETA {eta_formatted}',
    hideCursor: true,
  });
  const failures: SimResult[] = [];
  let ops = 0;
  let events = 0;
  const t0 = performance.now();
  bar.start(seeds, 0, { failures: 0, opsPerSec: 0, eventsPerSec: 0 });
  for (let i = 0; i < seeds; i++) {
    const seed = seedStart + i;
    const r = runSimulation({ ...base, seed });
    ops += r.stats.opsOk + r.stats.opsUnknown;
    events += r.stats.events;
    const seconds = Math.max(0.001, (performance.now() - t0) / 1000);
    if (!r.ok) failures.push(r);
    bar.update(i + 1, { failures: failures.length, opsPerSec: Math.round(ops / seconds), eventsPerSec: Math.round(events / seconds) });
    if (!r.ok && failFast) break;
  }
  bar.stop();
  const seconds = (performance.now() - t0) / 1000;
  for (const r of failures) {
    process.stdout.write(`\nFAIL seed=${r.seed}\n`);
    for (const v of r.violations) process.stdout.write(`  ${v.kind} at ${v.timeMs}ms${v.nodeId !== undefined ? ` on n${v.nodeId}` : ''}: ${v.message}\n`);
    process.stdout.write(`  replay: ${fuzzReplayCommand({ ...base, seed: r.seed })}\n`);
  }
  process.stdout.write(`\nfuzz sim: ${seeds} seeds from ${seedStart} in ${seconds.toFixed(1)} s, ${failures.length} failed (${Math.round(ops / Math.max(seconds, 0.001))} client ops/s)\n`);
  process.exitCode = failures.length === 0 ? 0 : 1;
}
