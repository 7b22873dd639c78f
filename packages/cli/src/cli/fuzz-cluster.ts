// `halyard fuzz cluster`: fuzz a real cluster of member processes on loopback (see fuzz/cluster-fuzz.ts).
// The flags are defined in fuzz-commands.ts; this file loads when the command runs.
import { SingleBar } from 'cli-progress';
import { NEMESIS_KINDS, parseNemesis } from '../fuzz/nemesis.ts';
import { PLANTED_BUGS, type PlantedBug, runClusterFuzz } from '../fuzz/cluster-fuzz.ts';
import { UsageError } from './kv-flags.ts';

export interface FuzzClusterFlags {
  duration: number;
  /** Comma-separated nemesis kinds; checked here, where the fuzz code is loaded. */
  nemesis?: string;
  size: number;
  clients: number;
  keys: number;
  seed: number;
  out?: string;
  clientPortBase: number;
  tickMs: number;
  snapshotCount?: number;
  catchUpEntries?: number;
  faultIntervalMs: number;
  faultHoldMs: number;
  opsPerClient: number;
  leaseClients: number;
  leaseTtl: number;
  plantedBug?: string;
}

function plantedBugs(v: string): PlantedBug[] {
  return v.split(',').map((b) => {
    if (!(PLANTED_BUGS as readonly string[]).includes(b)) throw new UsageError(`--planted-bug: unknown planted bug ${b}; known: ${PLANTED_BUGS.join(',')}`);
    return b as PlantedBug;
  });
}

export async function fuzzCluster(o: FuzzClusterFlags): Promise<void> {
  let nemesis;
  try {
    nemesis = o.nemesis === undefined ? [...NEMESIS_KINDS] : parseNemesis(o.nemesis);
  } catch (e) {
    throw new UsageError(`--nemesis: ${e instanceof Error ? e.message : String(e)}`);
  }
  const bugs = o.plantedBug !== undefined ? plantedBugs(o.plantedBug) : undefined;
  const bar = new SingleBar({ format: 'fuzz cluster {bar} {percentage}% | {ops} ops | {faults} fault events | {elapsed}s' });
  bar.start(o.duration, 0, { ops: 0, faults: 0, elapsed: 0 });
  const summary = await runClusterFuzz({
    durationMs: o.duration,
    nemesis,
    size: o.size,
    clients: o.clients,
    keys: o.keys,
    seed: o.seed,
    outDir: o.out ?? `fuzz-out/cluster-${new Date().toISOString().replace(/[:.]/g, '-')}`,
    clientPortBase: o.clientPortBase,
    tickMs: o.tickMs,
    ...(o.snapshotCount !== undefined ? { snapshotCount: o.snapshotCount } : {}),
    ...(o.catchUpEntries !== undefined ? { catchUpEntries: o.catchUpEntries } : {}),
    faultIntervalMs: o.faultIntervalMs,
    faultHoldMs: o.faultHoldMs,
    opsPerClientMax: o.opsPerClient,
    leaseClients: o.leaseClients,
    leaseTtlSeconds: o.leaseTtl,
    ...(bugs !== undefined ? { plantedBugs: bugs } : {}),
    onProgress: (p) => bar.update(Math.min(o.duration, Math.round(p.elapsedMs)), { ops: p.ops, faults: p.faults, elapsed: Math.round(p.elapsedMs / 1000) }),
  }).finally(() => bar.stop());
  const lines = [
    `operations: ${summary.operations} (${summary.acknowledgedWrites} acknowledged writes, ${summary.unknownWrites} with unknown outcome)`,
    `faults: ${summary.nemesisLog.length} events`,
    `acknowledged writes lost: ${summary.lostWrites.length}${summary.lostWrites.length > 0 ? `\n  ${summary.lostWrites.slice(0, 20).join('\n  ')}` : ''}`,
    `linearizability: ${summary.linearizabilitySummary}`,
    `watch: ${summary.watch.eventsSeen} events, ${summary.watch.ok ? 'ordered, gap-free, matching the writes' : `PROBLEMS:\n  ${summary.watch.problems.join('\n  ')}`}`,
    `leases: ${summary.leases.leases} leases, ${summary.leases.renewals} renewals, ${summary.leases.ok ? 'none expired early' : `EARLY EXPIRY:\n  ${summary.leases.problems.join('\n  ')}`}`,
    `verdict: ${summary.ok ? 'OK' : 'FAILED'}`,
    `history, report.html and summary.json in ${summary.outDir}`,
  ];
  process.stdout.write(`\n${lines.join('\n')}\n`);
  process.exitCode = summary.ok ? 0 : 1;
}
