// Defines `halyard fuzz sim | cluster`. The simulator and the cluster fuzzer load only when their command
// runs (fuzz-sim.ts, fuzz-cluster.ts), so these definitions parse nothing that needs them.
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { RaftBugs } from '@halyard/kv/raft';
import { DEFAULT_FAULTS, FAULT_KINDS, formatFaults, parseFaults } from '../sim/faults.ts';
import { PLANTED_BUGS, parseBugs } from '../sim/options.ts';
import { PROFILES } from '../sim/profiles.ts';
import { intArg } from './kv-flags.ts';
import type { FuzzClusterFlags } from './fuzz-cluster.ts';
import type { FuzzSimFlags } from './fuzz-sim.ts';

/** The kinds fuzz/nemesis.ts and fuzz/cluster-fuzz.ts know, for help only (they check the values); fuzz-commands.test.ts keeps them equal. */
export const NEMESIS_HELP = 'kill,pause,partition,restart';
export const PLANTED_BUGS_HELP = 'stale-reads';

function faultsArg(v: string): string {
  try {
    return formatFaults(parseFaults(v));
  } catch (e) {
    throw new InvalidArgumentError(`${e instanceof Error ? e.message : String(e)} (known: ${FAULT_KINDS.join(',')}, all, none)`);
  }
}

function bugsArg(v: string): RaftBugs {
  try {
    return parseBugs(v);
  } catch (e) {
    throw new InvalidArgumentError(e instanceof Error ? e.message : String(e));
  }
}

/** "60s", "2m", "1500ms" or plain milliseconds, between 1 s and 24 h. */
export function parseDurationMs(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v.trim());
  if (m === null) throw new InvalidArgumentError(`not a duration: ${v} (e.g. 60s, 2m, 1500ms)`);
  const n = Number(m[1]);
  const ms = m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n;
  if (!(ms >= 1000 && ms <= 24 * 3600_000)) throw new InvalidArgumentError('duration must be between 1s and 24h');
  return Math.round(ms);
}

export function defineFuzzCommands(program: Command): void {
  const fuzz = program.command('fuzz').description('fuzz the consistency of Halyard: simulated clusters or real ones');

  fuzz
    .command('sim')
    .description('run the deterministic simulator over many seeds with faults; exit 1 on any violation')
    .option('--seeds <n>', 'how many seeds to run', intArg('--seeds', 0), 200)
    .option('--seed-start <n>', 'first seed', intArg('--seed-start', 0), 0)
    .option('--seed <n>', 'replay exactly this seed and print its full outcome', intArg('--seed', 0))
    .addOption(new Option('--nodes <n>', 'voters').choices(['3', '5']).default('3'))
    .option('--ticks <n>', 'length of each run in ticks', intArg('--ticks', 0), 1500)
    .option('--clients <n>', 'concurrent clients', intArg('--clients', 0), 3)
    .option('--faults <list>', `faults to inject (${FAULT_KINDS.join(',')}, all, none)`, faultsArg, DEFAULT_FAULTS)
    .option('--bugs <list>', `planted bugs to switch on (${PLANTED_BUGS.join(',')})`, bugsArg)
    .addOption(new Option('--profile <name>', 'knob set (sim/profiles.ts)').choices(Object.keys(PROFILES)).default('default'))
    .option('--linearizability', 'check each client history for linearizability (the default)', true)
    .option('--no-linearizability', 'skip the linearizability check')
    .option('--election-ticks <n>', 'election timeout in ticks', intArg('--election-ticks', 0), 10)
    .option('--faults-stop-at-tick <n>', 'when faults stop (default leaves room for the liveness bound)', intArg('--faults-stop-at-tick', 0))
    .option('--fail-fast', 'stop at the first failing seed', false)
    .action(async (o: FuzzSimFlags) => (await import('./fuzz-sim.ts')).fuzzSim(o));

  fuzz
    .command('cluster')
    .description('fuzz a real cluster: concurrent clients + faults, then check acknowledged writes, linearizability and watches')
    .option('--duration <d>', 'how long the clients and the nemesis run', parseDurationMs, 60_000)
    .option('--nemesis <list>', `faults (${NEMESIS_HELP}; default: all)`)
    .option('--size <n>', 'members', intArg('--size', 3, 5), 3)
    .option('--clients <n>', 'concurrent clients', intArg('--clients', 1, 64), 4)
    .option('--keys <n>', 'distinct keys', intArg('--keys', 1, 1000), 5)
    .option('--seed <n>', 'seed for the workload and the nemesis choices', intArg('--seed', 0, 2 ** 31 - 1), 1)
    .option('--out <dir>', 'output folder (history, report, member data); default fuzz-out/cluster-<time>')
    .option('--client-port-base <port>', 'first client port (members use base, base+2, …)', intArg('--client-port-base', 1024, 60_000), 31_379)
    .option('--tick-ms <ms>', 'Raft tick of the members', intArg('--tick-ms', 5, 1000), 50)
    .option('--snapshot-count <n>', "the members' --snapshot-count (small: snapshots and log compaction happen during the run)", intArg('--snapshot-count', 1))
    .option('--catch-up-entries <n>', "the members' --catch-up-entries (small: a member back from a fault catches up by snapshot)", intArg('--catch-up-entries', 0))
    .option('--fault-interval-ms <ms>', 'time between faults', intArg('--fault-interval-ms', 100, 600_000), 3_000)
    .option('--fault-hold-ms <ms>', 'how long a fault lasts', intArg('--fault-hold-ms', 100, 600_000), 2_000)
    .option('--planted-bug <list>', `switch on planted server bugs to see the checks catch them (${PLANTED_BUGS_HELP})`)
    .option('--ops-per-client <n>', 'bound on operations per client', intArg('--ops-per-client', 1, 10_000_000), 100_000)
    .option('--lease-clients <n>', 'clients that keep leases alive through the faults (checked for early expiry)', intArg('--lease-clients', 0, 16), 1)
    .option('--lease-ttl <seconds>', 'TTL of their leases', intArg('--lease-ttl', 2, 600), 8)
    .action(async (o: FuzzClusterFlags) => (await import('./fuzz-cluster.ts')).fuzzCluster(o));
}
