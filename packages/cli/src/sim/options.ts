// A simulation's options, their defaults, and the arguments that replay a run. A run is reproduced by
// exactly these (seed, nodes, ticks, clients, faults, bugs, profile, …): everything else is derived.

import type { History } from '../check/history.ts';
import type { Message, NodeId, RaftBugs } from '@halyard/kv/raft';
import type { ReadBarrierBugs } from '@halyard/kv/server';

/** Every planted bug a run can switch on: the Raft core's and the member's read barrier's. */
export type PlantedBugs = RaftBugs & ReadBarrierBugs;
import type { KvMember } from '@halyard/kv/server';
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
  readonly bugs?: PlantedBugs;
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
  /** Also run the linearizability checker (check/) over the client history at the end. */
  readonly checkLinearizability?: boolean;
  /**
   * Test-only hooks for a scripted scenario: lose chosen messages, act after each step. Such a run is as
   * deterministic as any other, but no replay command can name the hooks: only its test replays it.
   */
  readonly scenario?: Scenario;
}

/** What a scenario sees of the cluster. */
export interface ScenarioControl {
  readonly nowMs: number;
  /** The live member that believes it leads with the highest term. */
  leader(): NodeId | undefined;
  /** A running member. */
  member(id: NodeId): KvMember | undefined;
  /** The configuration as the cluster applied it. */
  voters(): readonly NodeId[];
}

export interface Scenario {
  /** Return true to lose this message instead of sending it. */
  dropMessage?(m: Message, ctl: ScenarioControl): boolean;
  /** Called after every step. */
  afterStep?(ctl: ScenarioControl): void;
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
  /** Snapshot messages that reached a member while its Ready loop had a write (and a handout) in flight. */
  readonly snapshotsDuringPersist: number;
  /** Messages and ticks that reached a member while its Ready loop had a write in flight. */
  readonly inputsDuringPersist: number;
  readonly slowAppliers: number;
  readonly slowDisks: number;
  /** Client requestIds committed at two indices (a retry and its first attempt both committed). */
  readonly requestIdsCommittedTwice: number;
  /** Lease grants and keep-alives acknowledged to clients (the lease check's renewals). */
  readonly leaseRenewals: number;
  /** applylag faults, and applied batches that settled late (the core advanced only after them). */
  readonly applyLags: number;
  readonly applyBatchesLate: number;
  /** Durable writes, and those MustSync let skip the fsync. */
  readonly diskWrites: number;
  readonly diskWritesUnsynced: number;
  /** Applies answered from the dedupe table (a retried request already applied). */
  readonly duplicateCommandsIgnored: number;
  /** Members that removed themselves (or were removed) and stopped. */
  readonly membersStopped: number;
  /** Removals of the leader proposed by the leader itself. */
  readonly leaderRemovals: number;
  readonly opsOk: number;
  readonly opsUnknown: number;
  readonly opsGivenUp: number;
  /** Reads of a key just written, answered by a member other than the one that acknowledged the write. */
  readonly readsAfterWrite: number;
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
  readonly bugs: PlantedBugs;
  readonly electionTicks: number;
  readonly tickMs: number;
  readonly faultsStopAtTick: number;
  readonly livenessBoundTicks: number;
  readonly profile: ProfileName;
  readonly tuning: Tuning;
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
  };
}

/** The core's (and the read barrier's) planted bugs the simulator can switch on (`--bugs`); one list for the CLI, replay and tests. */
export const PLANTED_BUGS = [
  'commitPreviousTermEntries',
  'readIndexWithoutHeartbeat',
  'voteWithoutLogCheck',
  'campaignWithUnappliedConfChanges',
  'restoreSnapshotDuringHandout',
  'joinInFlightReadRound',
] as const satisfies readonly (keyof PlantedBugs)[];
export type PlantedBug = (typeof PLANTED_BUGS)[number];

/** Parse "a,b" into planted bugs; an unknown name is an error, not ignored. */
export function parseBugs(spec: string): PlantedBugs {
  const bugs: { -readonly [K in keyof PlantedBugs]: boolean } = {};
  for (const raw of spec.split(',')) {
    const name = raw.trim();
    if (name === '') continue;
    if (!(PLANTED_BUGS as readonly string[]).includes(name)) throw new RangeError(`unknown bug "${name}"; known: ${PLANTED_BUGS.join(',')}`);
    bugs[name as PlantedBug] = true;
  }
  return bugs;
}

/** The arguments that reproduce a run, shared by both replay commands. */
export function replayArgs(o: SimOptions): string {
  const r = resolve(o);
  const bugs = PLANTED_BUGS.filter((b) => r.bugs[b] === true);
  return (
    `--seed ${r.seed} --nodes ${r.nodes} --ticks ${r.ticks} --clients ${r.clients} --faults ${formatFaults(r.faults)}` +
    (bugs.length > 0 ? ` --bugs ${bugs.join(',')}` : '') +
    (r.profile !== 'default' ? ` --profile ${r.profile}` : '') +
    (r.electionTicks !== 10 ? ` --election-ticks ${r.electionTicks}` : '') +
    (o.faultsStopAtTick !== undefined ? ` --faults-stop-at-tick ${o.faultsStopAtTick}` : '') +
    (o.checkLinearizability === true ? ' --linearizability' : '') +
    (o.disabledChecks !== undefined && o.disabledChecks.length > 0 ? ` --disable-checks ${o.disabledChecks.join(',')}` : '') +
    (o.preVote === false ? ' --no-prevote' : '') +
    (o.checkQuorum === false ? ' --no-check-quorum' : '')
  );
}

export function replayCommand(o: SimOptions): string {
  const direct = `npx tsx packages/cli/src/sim/replay.ts ${replayArgs(o)}`;
  // The CLI (cli/fuzz-sim.ts) takes neither --disable-checks nor the core switches; offer it only when it can replay.
  const cliCan = (o.disabledChecks === undefined || o.disabledChecks.length === 0) && o.preVote !== false && o.checkQuorum !== false;
  return cliCan ? `pnpm fuzz ${replayArgs(o)}   (or: ${direct})` : direct;
}
