// A simulation's options, their defaults, and the arguments that replay a run. A run is reproduced by
// exactly these (seed, nodes, ticks, clients, faults, bugs, profile, …): everything else is derived.

import type { History } from '../check/history.ts';
import type { RaftBugs } from '@halyard/kv/raft';
import { DEFAULT_FAULTS, formatFaults, parseFaults, type FaultSet } from './faults.ts';
import type { Violation, ViolationKind } from './invariants.ts';
import { PROFILES, type ProfileName, type Tuning } from './profiles.ts';

export interface SimOptions {
  readonly seed: number;
  /** Voters at bootstrap (3 or 5 usually). */
  readonly nodes?: number;
  /** Length of the run in ticks of one member's clock (virtual time = ticks × tickMs). */
  readonly ticks?: number;
  /** A fault spec ("partition,drop,dup,reorder,crash", "all", "none") or a set. */
  readonly faults?: string | FaultSet;
  readonly clients?: number;
  readonly bugs?: RaftBugs;
  /** Keep every trace line (for diffing runs); the hash is always computed. */
  readonly keepTrace?: boolean;
  /** Stop at the first violation (default) or keep going to collect more. */
  readonly stopOnViolation?: boolean;
  readonly electionTicks?: number;
  readonly tickMs?: number;
  /** When discrete faults stop and the network stops losing messages; default leaves room for the liveness bound. */
  readonly faultsStopAtTick?: number;
  /** After faults stop, a leader must be elected and a proposal committed within this many ticks. */
  readonly livenessBoundTicks?: number;
  /** Named knob set (profiles.ts); default "default". */
  readonly profile?: ProfileName;
  /** Checks not to report (e.g. CommitRule, to see whether the figure 8 bug's consequences are found too). */
  readonly disabledChecks?: readonly ViolationKind[];
  /** The core's PreVote and CheckQuorum (default on, as the server runs it); off exercises the plain §5 paths. */
  readonly preVote?: boolean;
  readonly checkQuorum?: boolean;
  /** How the initial members' disks carry the first configuration (disk.ts InitialDisk); default 'log', as the server. */
  readonly bootstrap?: 'log' | 'snapshot';
  /** Also run the linearizability checker (check/) over the client history at the end. */
  readonly checkLinearizability?: boolean;
}

export interface SimStats {
  readonly events: number;
  readonly virtualMs: number;
  readonly messagesSent: number;
  readonly messagesDropped: number;
  readonly messagesDuplicated: number;
  readonly messagesCut: number;
  readonly crashes: number;
  readonly restarts: number;
  readonly pauses: number;
  readonly skews: number;
  readonly partitions: number;
  readonly heals: number;
  readonly transfers: number;
  readonly membershipChanges: number;
  readonly leaderTerms: number;
  readonly committedIndexMax: number;
  readonly snapshotsInstalled: number;
  /** Applies of a command already applied (a duplicated forwarded proposal), ignored by the dedupe. */
  readonly duplicateCommandsIgnored: number;
  readonly opsOk: number;
  readonly opsUnknown: number;
  readonly opsGivenUp: number;
  /** Ticks from the end of faults to the first committed probe; undefined if never reached. */
  readonly livenessTicks: number | undefined;
}

export interface SimResult {
  readonly seed: number;
  readonly ok: boolean;
  readonly traceHash: string;
  readonly trace: readonly string[] | undefined;
  /** The last events before the end (or the violation), for a failure report. */
  readonly lastEvents: readonly string[];
  readonly history: History;
  readonly violations: readonly Violation[];
  readonly stats: SimStats;
  readonly replayCommand: string;
}
export interface Resolved {
  readonly seed: number;
  readonly nodes: number;
  readonly ticks: number;
  readonly faults: FaultSet;
  readonly clients: number;
  readonly bugs: RaftBugs;
  readonly electionTicks: number;
  readonly tickMs: number;
  readonly faultsStopAtTick: number;
  readonly livenessBoundTicks: number;
  readonly profile: ProfileName;
  readonly tuning: Tuning;
  readonly bootstrap: 'log' | 'snapshot';
}

export function resolve(o: SimOptions): Resolved {
  if (!Number.isSafeInteger(o.seed) || o.seed < 0) throw new RangeError(`seed must be a non-negative integer, got ${o.seed}`);
  const electionTicks = o.electionTicks ?? 10;
  const ticks = o.ticks ?? 1500;
  const livenessBoundTicks = o.livenessBoundTicks ?? 20 * electionTicks;
  return {
    seed: o.seed,
    nodes: o.nodes ?? 3,
    ticks,
    faults: typeof o.faults === 'string' ? parseFaults(o.faults) : (o.faults ?? parseFaults(DEFAULT_FAULTS)),
    clients: o.clients ?? 3,
    bugs: o.bugs ?? {},
    electionTicks,
    tickMs: o.tickMs ?? 10,
    // Leave the liveness bound plus a margin for clients to finish after faults stop.
    faultsStopAtTick: o.faultsStopAtTick ?? Math.max(0, ticks - livenessBoundTicks - 5 * electionTicks),
    livenessBoundTicks,
    profile: o.profile ?? 'default',
    tuning: PROFILES[o.profile ?? 'default'],
    bootstrap: o.bootstrap ?? 'log',
  };
}

const BUG_FLAGS = ['commitPreviousTermEntries', 'readIndexWithoutHeartbeat', 'voteWithoutLogCheck'] as const;

/** The arguments that reproduce a run, shared by both replay commands. */
export function replayArgs(o: SimOptions): string {
  const r = resolve(o);
  const bugs = BUG_FLAGS.filter((b) => r.bugs[b] === true);
  return (
    `--seed ${r.seed} --nodes ${r.nodes} --ticks ${r.ticks} --clients ${r.clients} --faults ${formatFaults(r.faults)}` +
    (bugs.length > 0 ? ` --bugs ${bugs.join(',')}` : '') +
    (r.profile !== 'default' ? ` --profile ${r.profile}` : '') +
    (r.electionTicks !== 10 ? ` --election-ticks ${r.electionTicks}` : '') +
    (o.faultsStopAtTick !== undefined ? ` --faults-stop-at-tick ${o.faultsStopAtTick}` : '') +
    (o.checkLinearizability === true ? ' --linearizability' : '') +
    (o.disabledChecks !== undefined && o.disabledChecks.length > 0 ? ` --disable-checks ${o.disabledChecks.join(',')}` : '') +
    (o.preVote === false ? ' --no-prevote' : '') +
    (o.checkQuorum === false ? ' --no-check-quorum' : '') +
    (r.bootstrap !== 'log' ? ` --bootstrap ${r.bootstrap}` : '')
  );
}

export function replayCommand(o: SimOptions): string {
  const direct = `npx tsx packages/cli/src/sim/replay.ts ${replayArgs(o)}`;
  // The CLI (cli/fuzz-sim.ts) takes neither --disable-checks nor the core switches; offer it only when it can replay.
  const cliCan =
    (o.disabledChecks === undefined || o.disabledChecks.length === 0) && o.preVote !== false && o.checkQuorum !== false && (o.bootstrap ?? 'log') === 'log';
  return cliCan ? `pnpm fuzz ${replayArgs(o)}   (or: ${direct})` : direct;
}
