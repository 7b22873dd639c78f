// `halyard fuzz sim`: the deterministic simulator over many seeds, with random client workloads and
// faults; every run checks the safety invariants after every step and the client history for
// linearizability. Each failure is printed with its seed and the command that replays it. (The flags
// are defined in fuzz-commands.ts; this file loads when the command runs.)
import { SingleBar } from 'cli-progress';
import type { PlantedBugs } from '../sim/options.ts';
import type { ProfileName } from '../sim/profiles.ts';
import { formatOutcome } from '../sim/replay.ts';
import { type SimOptions, type SimResult, replayArgs, runSimulation } from '../sim/simulator.ts';

export function fuzzReplayCommand(o: SimOptions): string {
  return `npx -y pnpm@10.20.0 fuzz ${replayArgs(o)}`;
}

export interface FuzzSimFlags {
  seeds: number;
  seedStart: number;
  seed?: number;
  nodes: string;
  ticks: number;
  clients: number;
  faults: string;
  bugs?: PlantedBugs;
  profile: ProfileName;
  linearizability: boolean;
  electionTicks: number;
  faultsStopAtTick?: number;
  failFast: boolean;
}

/** Runs `halyard fuzz sim` (defined in fuzz-commands.ts). */
export async function fuzzSim(o: FuzzSimFlags): Promise<void> {
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
    const r = await runSimulation({ ...base, seed: o.seed });
    process.stdout.write(`${formatOutcome(r).replace(/^replay: .*$/m, `replay: ${fuzzReplayCommand({ ...base, seed: o.seed })}`)}\n`);
    process.exitCode = r.ok ? 0 : 1;
    return;
  }
  await runMany(base, o.seedStart, o.seeds, o.failFast);
}

async function runMany(base: Omit<SimOptions, 'seed'>, seedStart: number, seeds: number, failFast: boolean): Promise<void> {
  const bar = new SingleBar({
    format: 'seeds {bar} {value}/{total} | failures {failures} | {seedsPerMin} seeds/min | {opsPerSec} client ops/s | {eventsPerSec} events/s | ETA {eta_formatted}',
    hideCursor: true,
  });
  const failures: SimResult[] = [];
  let ops = 0;
  let events = 0;
  const t0 = performance.now();
  bar.start(seeds, 0, { failures: 0, seedsPerMin: 0, opsPerSec: 0, eventsPerSec: 0 });
  let ran = 0;
  for (let i = 0; i < seeds; i++) {
    const seed = seedStart + i;
    ran++;
    const r = await runSimulation({ ...base, seed });
    ops += r.stats.opsOk + r.stats.opsUnknown;
    events += r.stats.events;
    const seconds = Math.max(0.001, (performance.now() - t0) / 1000);
    if (!r.ok) failures.push(r);
    bar.update(i + 1, { failures: failures.length, seedsPerMin: Math.round(((i + 1) * 60) / seconds), opsPerSec: Math.round(ops / seconds), eventsPerSec: Math.round(events / seconds) });
    if (!r.ok && failFast) break;
  }
  bar.stop();
  const seconds = (performance.now() - t0) / 1000;
  for (const r of failures) {
    process.stdout.write(`\nFAIL seed=${r.seed}\n`);
    for (const v of r.violations) process.stdout.write(`  ${v.kind} at ${v.timeMs}ms${v.nodeId !== undefined ? ` on n${v.nodeId}` : ''}: ${v.message}\n`);
    process.stdout.write(`  replay: ${fuzzReplayCommand({ ...base, seed: r.seed })}\n`);
  }
  process.stdout.write(
    `\nfuzz sim: ${ran} seeds from ${seedStart} in ${seconds.toFixed(1)} s (${Math.round((ran * 60) / Math.max(seconds, 0.001))} seeds/min), ${failures.length} failed (${Math.round(ops / Math.max(seconds, 0.001))} client ops/s)\n`,
  );
  process.exitCode = failures.length === 0 ? 0 : 1;
}
