// A member's seams to the world, one small interface each, in the manner of hashicorp/raft (FSM, LogStore,
// StableStore, Transport): the log and stable store, the peer network, the clock and timers, randomness.
// The member (member.ts) and its Ready loop (ready-loop.ts) see only these. Production wires them to
// LevelDB, ws and real timers (start.ts); the simulator (packages/cli/src/sim) wires the same member to a
// simulated disk, network and virtual clock. The replicated state machine seam is the loop's
// `ReadyApplier` (ready-loop.ts), implemented by the member over KvStateMachine.
//
// Completions are callbacks, not promises, on purpose: the simulator completes a write inside its own
// "fsync done" event, so that event is one step of the member with no microtask in between — exactly as a
// real fsync completion is one turn of the event loop.

import type { Entry, HardState, Message, NodeId, Snapshot } from '../raft/types.ts';
import type { Rng } from '../util/rng.ts';
import type { KvStateMachine } from './state-machine.ts';

/** One Ready's durable state (Ready step 1): written atomically, or not at all. */
export interface DurableWrite {
  readonly hardState?: HardState;
  readonly entries: readonly Entry[];
  /** A snapshot received from the leader: replaces the whole log. */
  readonly snapshot?: Snapshot;
}

/** Called once a write is durable, or with the error that makes the member fail-stop. */
export type Completion = (err?: unknown) => void;

/**
 * The log and stable store (hashicorp's LogStore + StableStore + SnapshotStore): where hard state, entries
 * and snapshots become durable. Writes complete in the order they were issued.
 */
export interface LogStore {
  /**
   * Persist one Ready. `done` runs once it is durable: with etcd's MustSync, a write that only moves the
   * commit index need not be fsynced (a later fsync covers it; a crash may lose it, and the commit index is
   * learned again from the leader).
   */
  saveReady(write: DurableWrite, done: Completion): void;
  /** A snapshot this member took of its own state machine (index ≤ applied); the log is untouched. */
  saveSnapshot(snapshot: Snapshot, done: Completion): void;
  /** Drop stored entries ≤ index (a snapshot covers them). */
  compact(index: number, done: Completion): void;
  /** Bytes the store takes on disk (etcd's dbSize), for status. */
  sizeBytes(): number;
  /** Flush and release; writes already issued land first. */
  close(): Promise<void>;
}

/**
 * Where applied state settles (hashicorp's FSM, etcd's backend): the member applies a batch of committed
 * entries to its state machine, and the backend holds it once `done` runs. That may be at once (the
 * in-memory MVCC store) or later: a large batch, a slow disk, a disk-backed store's batch write. Until then
 * the member keeps ticking and stepping messages (etcd's server applies in its own goroutine while raft
 * runs), but the core is not advanced: its applied index — and so its configuration and its refusal to
 * campaign over committed, unapplied configuration changes — waits for the state machine.
 */
export interface ApplyBackend {
  /** Entries through `lastIndex` were applied; `done` once they have settled, or with a fatal error. */
  settle(lastIndex: number, done: Completion): void;
}

/** The in-memory state machine's backend: an applied batch has settled at once. */
export const IMMEDIATE_APPLY: ApplyBackend = { settle: (_lastIndex, done) => done() };

/** Outbound peer traffic (hashicorp's Transport). Losing, delaying or reordering messages is allowed. */
export interface PeerNetwork {
  /** Never throws, never blocks. */
  sendAll(messages: readonly Message[]): void;
  /** Where to reach a peer (its ws URL). */
  setPeer(id: NodeId, url: string): void;
  removePeer(id: NodeId): void;
  peers(): NodeId[];
  close(): Promise<void>;
}

/** What the network hands to the member; the member implements it. */
export interface PeerInbound {
  /**
   * A message from a peer. With `drain` false the member only steps it; frameReceived() follows once the
   * rest of its frame is stepped.
   */
  receive(message: Message, drain?: boolean): void;
  /** The messages of one frame have all been received. */
  frameReceived(): void;
  /** A peer could not be reached: pipelined appends to it are probably lost. */
  unreachable(peerId: NodeId): void;
  /** A snapshot send to a peer finished (ok) or failed. */
  snapshotSent(peerId: NodeId, ok: boolean): void;
  /** A peer refused us because the cluster removed us (etcd's ErrMemberRemoved). */
  removedBy(peerId: NodeId): void;
  /** Whether a peer was removed from the cluster: its traffic is refused with "removed". */
  isRemoved(peerId: NodeId): boolean;
}

/** Test-only fault hooks of a real transport (`--unsafe-fault-injection`). */
export interface TransportFaults {
  setFault(peerId: NodeId, fault: { dropOutgoing?: boolean; dropIncoming?: boolean; delayMs?: number }): void;
  clearFaults(): void;
}

/** Cancels a timer; calling it after the timer fired does nothing. */
export type Cancel = () => void;

/** Time and timers: real ones in production, the simulator's virtual clock in the simulator. */
export interface MemberClock {
  /** Monotonic milliseconds (lease deadlines, checkpoint and compaction intervals, request deadlines). */
  nowMs(): number;
  /** Run `fn` once after `delayMs` (0: after the current turn, like setImmediate). */
  after(delayMs: number, fn: () => void): Cancel;
  /** Run `fn` every `intervalMs`: the member's Raft tick. */
  every(intervalMs: number, fn: () => void): Cancel;
}

/** Randomness: crypto-seeded in production, derived from the run's seed in the simulator. */
export interface MemberRandom {
  /** The Raft core's generator (randomized election timeouts). */
  raftRng(): Rng;
  /**
   * A prefix unique to this incarnation of the member: its own proposals (lease revokes, checkpoints,
   * compactions) carry request ids that must never repeat across restarts, or the replicated dedupe table
   * would answer a new proposal with an old outcome.
   */
  requestIdPrefix(): string;
}

/**
 * Snapshots received as a stream of the leader's MVCC database (server/snapshot-receiver.ts), written,
 * verified and opened before their message is stepped into Raft. Only a member whose state machine lives
 * on disk has them; its snapshot messages then carry no data.
 */
export interface ReceivedSnapshots {
  /** The state machine received for the snapshot at `index`, now the caller's; undefined if none was. */
  take(index: number): KvStateMachine | undefined;
  /** The state taken for `index` replaced `previous`: make that durable, then release `previous`. */
  installed(index: number, previous: KvStateMachine): Promise<void>;
  /** Release a received state that was never taken. */
  close(): Promise<void>;
}

/** Observation points for the simulator's invariant checks; production passes none. */
export interface MemberObserver {
  /** A committed entry is about to be applied to the state machine. */
  applying?(entry: Entry): void;
  /** A snapshot from the leader is about to replace the state machine. */
  installing?(snapshot: Snapshot): void;
}
