// `halyard fuzz cluster`: fuzz a real cluster of member processes on loopback (see fuzz/cluster-fuzz.ts).
import { type Command, InvalidArgumentError } from 'commander';
import { SingleBar } from 'cli-progress';
import { NEMESIS_KINDS, type NemesisKind, parseNemesis } from '../fuzz/nemesis.ts';
import { PLANTED_BUGS, type PlantedBug, runClusterFuzz } from '../fuzz/cluster-fuzz.ts';

/** "60s", "2m", "1500ms" or plain milliseconds. */
export function parseDurationMs(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v.trim());
  if (m === null) throw new InvalidArgumentError(`not a duration: ${v} (e.g. 60s, 2m, 1500ms)`);
  const n = Number(m[1]);
  const ms = m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n;
  if (!(ms >= 1000 && ms <= 24 * 3600_000)) throw new InvalidArgumentError('duration must be between 1s and 24h');
  return Math.round(ms);
}

function intArg(flag: string, min: number, max: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${flag} must be an integer in ${min}..${max}`);
    return n;
  };
}

export function registerFuzzCluster(fuzz: Command): void {
  fuzz
    .command('cluster')
    .description('fuzz a real cluster: concurrent clients + faults, then check acknowledged writes, linearizability and watches')
    .option('--duration <d>', 'how long the clients and the nemesis run', parseDurationMs, 60_000)
    .option('--nemesis <list>', `faults (${NEMESIS_KINDS.join(',')})`, (v: string) => {
      try {
        return parseNemesis(v);
      } catch (e) {
        throw new InvalidArgumentError(e instanceof Error ? e.message : String(e));
      }
    }, [...NEMESIS_KINDS] as NemesisKind[])
    .option('--size <n>', 'members', intArg('--size', 3, 5), 3)
    .option('--clients <n>', 'concurrent clients', intArg('--clients', 1, 64), 4)
    .option('--keys <n>', 'distinct keys', intArg('--keys', 1, 1000), 5)
    .option('--seed <n>', 'seed for the workload and the nemesis choices', intArg('--seed', 0, 2 ** 31 - 1), 1)
    .option('--out <dir>', 'output folder (history, report, member data)', `fuzz-out/cluster-${new Date().toISOString().replace(/[:.]/g, '-')}`)
    .option('--client-port-base <port>', 'first client port (members use base, base+2, …)', intArg('--client-port-base', 1024, 60_000), 31_379)
    .option('--tick-ms <ms>', 'Raft tick of the members', intArg('--tick-ms', 5, 1000), 50)
    .option('--fault-interval-ms <ms>', 'time between faults', intArg('--fault-interval-ms', 100, 600_000), 3_000)
    .option('--fault-hold-ms <ms>', 'how long a fault lasts', intArg('--fault-hold-ms', 100, 600_000), 2_000)
    .option('--planted-bug <list>', `switch on planted server bugs to see the checks catch them (${PLANTED_BUGS.join(',')})`, (v: string) =>
      v.split(',').map((b) => {
        if (!(PLANTED_BUGS as readonly string[]).includes(b)) throw new InvalidArgumentError(`unknown planted bug ${b}; known: ${PLANTED_BUGS.join(',')}`);
        return b as PlantedBug;
      }),
    )
    .option('--ops-per-client <n>', 'bound on operations per client', intArg('--ops-per-client', 1, 10_000_000), 100_000)
    .option('--lease-clients <n>', 'clients that keep leases alive through the faults (checked for early expiry)', intArg('--lease-clients', 0, 16), 1)
    .option('--lease-ttl <seconds>', 'TTL of their leases', intArg('--lease-ttl', 2, 600), 8)
    .action(async (o: { duration: number; nemesis: NemesisKind[]; size: number; clients: number; keys: number; seed: number; out: string; clientPortBase: number; tickMs: number; faultIntervalMs: number; faultHoldMs: number; opsPerClient: number; leaseClients: number; leaseTtl: number; plantedBug?: PlantedBug[] }) => {
      const bar = new SingleBar({ format: 'fuzz cluster {bar} {percentage}% | {ops} ops | {faults} fault events | {elapsed}s' });
      bar.start(o.duration, 0, { ops: 0, faults: 0, elapsed: 0 });
      const summary = await runClusterFuzz({
        durationMs: o.duration,
        nemesis: o.nemesis,
        size: o.size,
        clients: o.clients,
        keys: o.keys,
        seed: o.seed,
        outDir: o.out,
        clientPortBase: o.clientPortBase,
        tickMs: o.tickMs,
        faultIntervalMs: o.faultIntervalMs,
        faultHoldMs: o.faultHoldMs,
        opsPerClientMax: o.opsPerClient,
        leaseClients: o.leaseClients,
        leaseTtlSeconds: o.leaseTtl,
        ...(o.plantedBug !== undefined ? { plantedBugs: o.plantedBug } : {}),
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
    });
}
