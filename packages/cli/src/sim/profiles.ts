// Named sets of the simulator's knobs. A run is reproduced by (seed, nodes, ticks, clients, faults,
// bugs, profile), so every knob a test turns must live in a named profile the replay command can name.

export interface Tuning {
  /** One-way message delay when reordering is on (uniform in [min, max]); a fixed middle value when off. */
  readonly delayMsMin: number;
  readonly delayMsMax: number;
  readonly delayMsFixed: number;
  readonly dropProbability: number;
  readonly duplicateProbability: number;
  readonly fsyncDelayMsMin: number;
  readonly fsyncDelayMsMax: number;
  /** Sometimes a disk is slow: this share of fsyncs takes up to fsyncSlowMsMax. */
  readonly fsyncSlowProbability: number;
  readonly fsyncSlowMsMax: number;
  /**
   * Each member's bound on the committed entries of one Ready (the core's maxCommittedSizePerReadyBytes),
   * drawn per member from this list: 1 hands out one entry per Ready, so a batch of committed entries is
   * handed out over many Readies, with messages, ticks and snapshots arriving between them.
   */
  readonly committedBatchBytesChoices: readonly number[];
  /** With the slowdisk fault: for up to slowDiskDurationMsMax, a member's fsyncs take up to slowDiskFsyncMsMax. */
  readonly slowDiskFsyncMsMax: number;
  readonly slowDiskDurationMsMax: number;
  /** With the slowapply fault: an applier takes up to this long per applied entry, blocking its event loop. */
  readonly slowApplyMsPerEntryMax: number;
  readonly slowApplyDurationMsMax: number;
  /**
   * With the applylag fault: for up to applyLagDurationMsMax, a member's applied batches settle up to
   * applyLagMsMax later (the state machine's backend is slow); unlike slowapply, the member keeps running.
   */
  readonly applyLagMsMax: number;
  readonly applyLagDurationMsMax: number;
  /** How many times more often than one other fault an applylag is injected. */
  readonly applyLagWeight: number;
  readonly faultIntervalMsMin: number;
  readonly faultIntervalMsMax: number;
  readonly downtimeMsMin: number;
  readonly downtimeMsMax: number;
  readonly pauseMsMin: number;
  readonly pauseMsMax: number;
  /** Small messages and windows make flow control, batching and partial replication happen often. */
  readonly maxSizePerMsgBytes: number;
  readonly maxInflightMsgs: number;
  readonly snapshotEveryEntries: number;
  readonly compactRetainEntries: number;
  /** Leader's auto compaction (0 = off): keep this many revisions, every interval. */
  readonly autoCompactionRetentionRevisions: number;
  readonly autoCompactionIntervalMs: number;
  /**
   * Membership walks between minVoters and nodes + maxExtraVoters voters; the leader itself is removed with
   * this probability. membershipWeight: how many times more often than one other fault a membership step is
   * tried (with the membership fault on).
   */
  readonly minVoters: number;
  readonly maxExtraVoters: number;
  readonly removeLeaderProbability: number;
  readonly membershipWeight: number;
  /** A member is added directly as a voter (`member add` without --learner) rather than as a learner first. */
  readonly addVoterProbability: number;
  /** After a membership change applies, the next one follows at once (an operator's script) with this probability. */
  readonly membershipBurstProbability: number;
  /** A removal takes the most recently added voter (a join rolled back) with this probability. */
  readonly removeNewestProbability: number;
  readonly clientKeys: number;
  readonly clientThinkMsMin: number;
  readonly clientThinkMsMax: number;
  /** One-way delay between a client and a member. */
  readonly clientDelayMsMin: number;
  readonly clientDelayMsMax: number;
  readonly readProbability: number;
  /** Share of reads sent to a random member (a client behind a load balancer) instead of its last leader. */
  readonly spreadReadsProbability: number;
  /** Each client sends its reads (first attempt) to one member, chosen by its id. */
  readonly pinReadsToMember: boolean;
  /**
   * After an acknowledged write, with this probability the same client at once reads the key it wrote
   * through a member other than the one that acknowledged it (a follower, racing the write's commit there).
   */
  readonly readAfterWriteProbability: number;
  /** Read-only clients per member, pinned to it, so that a read-index round is nearly always in flight. */
  readonly backgroundReadersPerMember: number;
  readonly casProbability: number;
  readonly deleteProbability: number;
  /** Two-key transactions (all puts if both compares hold). */
  readonly txnProbability: number;
  /** Lease grant / put with a lease / read of the lease's key, on keys outside the checked ones. */
  readonly leaseProbability: number;
  /**
   * Lease TTLs clients ask for (uniform; keep-alives come every third to four fifths of the TTL), and
   * keep-alives before a client lets its lease expire.
   */
  readonly leaseTtlSecondsMin: number;
  readonly leaseTtlSecondsMax: number;
  readonly leaseKeepAlivesMax: number;
  /**
   * Reactive nemesis for the lessor: right after a leader acknowledges a lease grant or keep-alive, hand its
   * leadership to another voter or cut it off (with the transfer / partition fault) with this probability —
   * the new leader must keep every lease at least its TTL after the acknowledged renewal.
   */
  readonly leaderChangeAfterLeaseRenewalProbability: number;
  /**
   * Reactive nemesis (with the partition fault) for configuration changes: when a member holds a committed
   * configuration change it has not applied, split the members that have not applied it from those that
   * have — the window where a member counts votes with a stale configuration.
   */
  readonly splitOnUnappliedConfProbability: number;
  /**
   * Reactive nemesis (with the applylag fault): when a member holds a committed configuration change it
   * has not applied, make its state machine lag right then, with this probability.
   */
  readonly lagOnUnappliedConfProbability: number;
  /** Reactive nemesis (with the partition fault): isolate a leader right after its election / a commit. */
  readonly isolateNewLeaderProbability: number;
  readonly isolateCommittingLeaderProbability: number;
  /** …and right after it appended entries it has not committed (a client's retry then races the first attempt). */
  readonly isolateAppendingLeaderProbability: number;
}

const DEFAULT: Tuning = {
  delayMsMin: 1,
  delayMsMax: 30,
  delayMsFixed: 5,
  dropProbability: 0.05,
  duplicateProbability: 0.05,
  fsyncDelayMsMin: 1,
  fsyncDelayMsMax: 8,
  fsyncSlowProbability: 0.02,
  fsyncSlowMsMax: 60,
  committedBatchBytesChoices: [16 * 1024 * 1024, 512, 1],
  slowDiskFsyncMsMax: 100,
  slowDiskDurationMsMax: 1500,
  slowApplyMsPerEntryMax: 5,
  slowApplyDurationMsMax: 1000,
  applyLagMsMax: 200,
  applyLagDurationMsMax: 2000,
  applyLagWeight: 1,
  faultIntervalMsMin: 100,
  faultIntervalMsMax: 800,
  downtimeMsMin: 50,
  downtimeMsMax: 1500,
  pauseMsMin: 100,
  pauseMsMax: 1000,
  maxSizePerMsgBytes: 512,
  maxInflightMsgs: 8,
  snapshotEveryEntries: 12,
  compactRetainEntries: 3,
  autoCompactionRetentionRevisions: 20,
  autoCompactionIntervalMs: 500,
  minVoters: 2,
  maxExtraVoters: 1,
  removeLeaderProbability: 0.3,
  membershipWeight: 1,
  addVoterProbability: 0.2,
  membershipBurstProbability: 0.1,
  removeNewestProbability: 0.1,
  clientKeys: 3,
  clientThinkMsMin: 5,
  clientThinkMsMax: 60,
  clientDelayMsMin: 1,
  clientDelayMsMax: 4,
  readProbability: 0.3,
  spreadReadsProbability: 0.3,
  pinReadsToMember: false,
  readAfterWriteProbability: 0,
  backgroundReadersPerMember: 0,
  casProbability: 0.15,
  deleteProbability: 0.05,
  txnProbability: 0.1,
  leaseProbability: 0.05,
  leaseTtlSecondsMin: 2,
  leaseTtlSecondsMax: 6,
  leaseKeepAlivesMax: 4,
  leaderChangeAfterLeaseRenewalProbability: 0.02,
  isolateNewLeaderProbability: 0.1,
  isolateCommittingLeaderProbability: 0.01,
  isolateAppendingLeaderProbability: 0,
  splitOnUnappliedConfProbability: 0.02,
  lagOnUnappliedConfProbability: 0.02,
};

/**
 * Faster faults, one entry per append message, hard compaction and one key: more leader changes with
 * partially replicated logs (the figure 8 shape), more snapshots, more reads racing writes on one key.
 */
const AGGRESSIVE: Tuning = {
  ...DEFAULT,
  faultIntervalMsMin: 30,
  faultIntervalMsMax: 300,
  downtimeMsMin: 20,
  downtimeMsMax: 600,
  maxSizePerMsgBytes: 1,
  maxInflightMsgs: 1,
  // Compact hard, so followers that fall behind by a few entries need InstallSnapshot.
  snapshotEveryEntries: 5,
  compactRetainEntries: 0,
  pauseMsMin: 300,
  pauseMsMax: 1500,
  clientKeys: 1,
  clientThinkMsMin: 1,
  clientThinkMsMax: 20,
  readProbability: 0.5,
  isolateNewLeaderProbability: 0.4,
  isolateCommittingLeaderProbability: 0.05,
  isolateAppendingLeaderProbability: 0,
};

/**
 * Where configuration changes meet slow appliers: one committed entry per Ready everywhere, membership
 * changes often (between two and nodes + 2 voters, the leader removing itself), snapshots every few
 * entries with nothing kept behind them, slow disks. A member then often holds committed configuration
 * changes it has not applied, and snapshots arrive while a batch of committed entries is handed out.
 */
const MEMBERSHIP: Tuning = {
  ...DEFAULT,
  faultIntervalMsMin: 60,
  faultIntervalMsMax: 300,
  minVoters: 3,
  fsyncDelayMsMin: 2,
  fsyncDelayMsMax: 15,
  fsyncSlowProbability: 0.1,
  fsyncSlowMsMax: 80,
  committedBatchBytesChoices: [1],
  snapshotEveryEntries: 1,
  compactRetainEntries: 0,
  maxExtraVoters: 2,
  removeLeaderProbability: 0.5,
  membershipWeight: 12,
  addVoterProbability: 0.8,
  membershipBurstProbability: 0.9,
  removeNewestProbability: 0.8,
  isolateNewLeaderProbability: 0.2,
  isolateCommittingLeaderProbability: 0.05,
  isolateAppendingLeaderProbability: 0,
  splitOnUnappliedConfProbability: 0.5,
  lagOnUnappliedConfProbability: 0.8,
  slowDiskFsyncMsMax: 400,
  slowDiskDurationMsMax: 4000,
  slowApplyMsPerEntryMax: 20,
  slowApplyDurationMsMax: 3000,
  applyLagMsMax: 1000,
  applyLagDurationMsMax: 4000,
  applyLagWeight: 1,
};

/**
 * The lessor under leader changes: lease-heavy clients, leaders stable long enough (seconds) for the
 * leader's periodic checkpoints of remaining TTLs to be applied, and a leader change right after a lease
 * grant or keep-alive — where a new leader restarting a lease from a stale checkpoint expires it early.
 * Runs want several checkpoint intervals (5 s): 3000 ticks and more.
 */
const LEASE: Tuning = {
  ...DEFAULT,
  faultIntervalMsMin: 1500,
  faultIntervalMsMax: 4000,
  leaseProbability: 0.3,
  leaseTtlSecondsMin: 4,
  leaseTtlSecondsMax: 9,
  leaseKeepAlivesMax: 6,
  leaderChangeAfterLeaseRenewalProbability: 0.15,
  isolateNewLeaderProbability: 0,
  isolateCommittingLeaderProbability: 0,
  isolateAppendingLeaderProbability: 0,
};

/**
 * Client retries racing their first attempt (the dedupe class): the default knobs, plus a leader cut off
 * right after it appended entries it has not committed, so a client's retry lands on the next leader while
 * the first attempt may still commit — and a requestId commits at two indices.
 */
const RETRY: Tuning = { ...DEFAULT, isolateAppendingLeaderProbability: 0.01 };

/**
 * Follower reads racing writes (the ReadIndex barrier class): each client's reads pinned to one member, a
 * read of the key just written through another member right after half of the acknowledged writes, and two
 * read-only clients per member keeping a read-index round in flight there almost always — so a new read
 * often arrives while a round is in flight, and a barrier that let it join that round would serve it an
 * index fixed before the write it must see. Few keys, so reads and writes meet on them.
 */
const FOLLOWER_READS: Tuning = {
  ...DEFAULT,
  clientKeys: 2,
  pinReadsToMember: true,
  readAfterWriteProbability: 0.5,
  backgroundReadersPerMember: 2,
  clientThinkMsMin: 1,
  clientThinkMsMax: 20,
};

export const PROFILES = { default: DEFAULT, aggressive: AGGRESSIVE, membership: MEMBERSHIP, lease: LEASE, retry: RETRY, followerreads: FOLLOWER_READS } as const;
export type ProfileName = keyof typeof PROFILES;

export function parseProfile(name: string): ProfileName {
  if (!(name in PROFILES)) throw new RangeError(`unknown profile "${name}"; known: ${Object.keys(PROFILES).join(',')}`);
  return name as ProfileName;
}
