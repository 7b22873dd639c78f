// The data that crosses the Raft core's one seam with the world: log entries, persistent state,
// snapshots, messages and the Ready value. Everything here is plain, readonly data so the core and
// the I/O code never share a mutable object.

/** A member's id. Positive integer; 0 means "none" (no leader known, no vote cast). */
export type NodeId = number;
export const NONE: NodeId = 0;

export type ConfChangeType = 'addVoter' | 'addLearner' | 'promoteLearner' | 'removeNode';

/**
 * One-server-at-a-time membership change (Raft thesis §4.1). `context` is opaque to the core; the
 * server uses it to carry the member's name and URLs.
 */
export interface ConfChange {
  readonly type: ConfChangeType;
  readonly nodeId: NodeId;
  readonly context?: Uint8Array;
}

/** Who votes and who only receives the log. A node is in at most one of the two lists. */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

export type Entry =
  | { readonly type: 'normal'; readonly term: number; readonly index: number; readonly data: Uint8Array }
  | { readonly type: 'confChange'; readonly term: number; readonly index: number; readonly change: ConfChange };

/** State that must be on stable storage before any message that depends on it is sent (Raft §5, figure 2). */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
}

export interface SnapshotMetadata {
  readonly index: number;
  readonly term: number;
  readonly confState: ConfState;
}

export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  /** The application's state machine image at metadata.index; opaque to the core. */
  readonly data: Uint8Array;
}

interface MessageBase {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
}

export type Message =
  /** PreVote (thesis §9.6): would you vote for me at `term` (my term + 1)? Does not change anyone's term. */
  | (MessageBase & { readonly type: 'preVote'; readonly lastLogIndex: number; readonly lastLogTerm: number })
  | (MessageBase & { readonly type: 'preVoteResponse'; readonly reject: boolean })
  | (MessageBase & {
      readonly type: 'vote';
      readonly lastLogIndex: number;
      readonly lastLogTerm: number;
      /** Set when the campaign follows a TimeoutNow; lets voters ignore their leader lease (thesis §3.10). */
      readonly transfer: boolean;
    })
  | (MessageBase & { readonly type: 'voteResponse'; readonly reject: boolean })
  | (MessageBase & {
      readonly type: 'append';
      readonly prevLogIndex: number;
      readonly prevLogTerm: number;
      readonly entries: readonly Entry[];
      readonly commit: number;
    })
  | (MessageBase & {
      readonly type: 'appendResponse';
      readonly reject: boolean;
      /** On success: the highest index now known to match. On reject: the prevLogIndex that was rejected. */
      readonly index: number;
      /** On reject: the follower's hint for fast backtracking (§5.3 optimisation): an index to retry at. */
      readonly rejectHint: number;
      /** On reject: the term of the follower's entry at rejectHint (0 if none). */
      readonly logTerm: number;
    })
  | (MessageBase & { readonly type: 'heartbeat'; readonly commit: number; readonly context: number })
  | (MessageBase & { readonly type: 'heartbeatResponse'; readonly context: number })
  | (MessageBase & { readonly type: 'snapshot'; readonly snapshot: Snapshot })
  | (MessageBase & { readonly type: 'timeoutNow' })
  /** A follower forwards a proposal to its leader (etcd's MsgProp); dropped if it cannot be appended. */
  | (MessageBase & { readonly type: 'propose'; readonly data: Uint8Array })
  /** A follower forwards a ReadIndex request to its leader. */
  | (MessageBase & { readonly type: 'readIndex'; readonly requestId: string })
  | (MessageBase & { readonly type: 'readIndexResponse'; readonly requestId: string; readonly index: number; readonly reject: boolean });

export type MessageType = Message['type'];

export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';

/** Volatile state worth reporting; never persisted. */
export interface SoftState {
  readonly leaderId: NodeId;
  readonly role: Role;
}

/**
 * A linearizable read is safe once the local state machine has applied `index` (ReadIndex, thesis §6.4).
 * `requestId` is the caller's id given to readIndex().
 */
export interface ReadState {
  readonly requestId: string;
  readonly index: number;
}

/**
 * Everything the core asks of the world since the last advance(): THE Ready contract, stated here once
 * (docs and the member's loop, server/ready-loop.ts, point here). Take one Ready at a time; then:
 * 1. persist `snapshot` (if any), `entries` and `hardState` durably, in one write (one fsync for the batch;
 *    a write that only moves the commit index need not be fsynced — etcd's MustSync);
 * 2. send `messages` only once step 1 is durable: a vote or an append acknowledgement promises durability.
 *    The one exception, as etcd's raft doc states it: a leader may write to its disk in parallel with
 *    replicating to its followers (Raft thesis §10.2.1), so it may send its appends (and heartbeats) while
 *    its own write is in flight — the core counts the leader's own copy toward commit only once advance()
 *    says it is durable, and an append carries only entries of a term the leader already holds on disk;
 * 3. apply `committedEntries` in order; this may run in parallel with step 1, since committed entries are
 *    durable on a quorum already — except with a `snapshot`, which is installed, and the entries after it
 *    applied, only once step 1 is done;
 * 4. answer `readStates` once the applied index reaches theirs;
 * 5. call advance() once step 1 is durable (and step 3 done); only then take the next Ready.
 */
export interface Ready {
  readonly softState?: SoftState;
  readonly hardState?: HardState;
  readonly entries: readonly Entry[];
  readonly snapshot?: Snapshot;
  readonly committedEntries: readonly Entry[];
  readonly messages: readonly Message[];
  readonly readStates: readonly ReadState[];
}

export type RaftErrorCode =
  | 'NotLeader'
  /** No leader, a leadership transfer in progress (as etcd raft's ErrProposalDropped), or the uncommitted tail is full. */
  | 'ProposalDropped'
  | 'TooLarge'
  | 'ConfChangeInProgress'
  | 'InvalidConfChange'
  /** transferLeadership() to a learner or a non-member (etcd server: ErrBadLeaderTransferee). */
  | 'TransferTargetNotVoter'
  /** The leader already holds its limit of ReadIndex requests (maxPendingReads / maxReadsBeforeCommit). */
  | 'ReadQueueFull'
  | 'Compacted'
  | 'Unavailable'
  | 'SnapshotOutOfDate';

/** A typed error with a stable code that the wire protocol, CLI and HTTP layer map to their own forms. */
export class RaftError extends Error {
  readonly code: RaftErrorCode;
  /** The leader this node believes in, when the error is NotLeader (NONE if unknown). */
  readonly leaderId: NodeId;
  constructor(code: RaftErrorCode, message: string, leaderId: NodeId = NONE) {
    super(message);
    this.name = 'RaftError';
    this.code = code;
    this.leaderId = leaderId;
  }
}

/** Crash on a broken invariant: a silent corruption becomes a failure a simulator seed replays. */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`raft invariant violated: ${message}`);
}

/** Size of an entry for flow control and uncommitted-tail limits. */
export function entrySizeBytes(e: Entry): number {
  return 24 + (e.type === 'normal' ? e.data.byteLength : 16 + (e.change.context?.byteLength ?? 0));
}
