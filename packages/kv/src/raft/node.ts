// The Raft core: a pure, deterministic state machine in the shape of etcd's raft library. Inputs are
// step(message), tick(), propose(), readIndex(), transferLeadership() and configuration changes; every
// effect on the world comes out of ready() and is acknowledged with advance(). No timers, no I/O, no
// clock, no ambient randomness: time is ticks, randomness is the injected Rng.

import type { Rng } from '../util/rng.ts';
import { RaftLog } from './log.ts';
import { applyConfChange, validateConfChange } from './membership.ts';
import { Progress } from './progress.ts';
import { committedIndex, hasQuorum, voteResult } from './quorum.ts';
import { ReadOnlyQueue } from './read-only.ts';
import type { RaftStorage } from './storage.ts';
import {
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  NONE,
  RaftError,
  type ReadState,
  type Ready,
  type Role,
  type SoftState,
  entrySizeBytes,
  invariant,
} from './types.ts';

/** Planted bugs, for tests that prove the simulator's checks can fail. Never set outside tests. */
export interface RaftBugs {
  /** Figure 8: commit by counting replicas of entries from earlier terms. */
  readonly commitPreviousTermEntries?: boolean;
  /** Answer ReadIndex with the local commit index without confirming leadership. */
  readonly readIndexWithoutHeartbeat?: boolean;
  /** Grant votes without the §5.4.1 up-to-date check. */
  readonly voteWithoutLogCheck?: boolean;
  /** Campaign (and obey TimeoutNow) while a committed configuration change is not yet applied (issue 7, bug 1). */
  readonly campaignWithUnappliedConfChanges?: boolean;
  /** Re-apply handed-out configuration changes over a snapshot restored before advance() (issue 7, bug 2). */
  readonly restoreSnapshotDuringHandout?: boolean;
}

export interface RaftConfig {
  readonly id: NodeId;
  readonly storage: RaftStorage;
  readonly rng: Rng;
  /** Base election timeout; each term draws a timeout in [electionTicks, 2·electionTicks). */
  readonly electionTicks?: number;
  readonly heartbeatTicks?: number;
  readonly preVote?: boolean;
  readonly checkQuorum?: boolean;
  /** Upper bound on the entries of one append message (at least one entry is always sent). */
  readonly maxSizePerMsgBytes?: number;
  readonly maxInflightMsgs?: number;
  readonly maxInflightBytes?: number;
  /** Bound on the proposed-but-uncommitted tail of a leader's log; further proposals are dropped. */
  readonly maxUncommittedBytes?: number;
  /** Bound on the committed entries of one Ready. */
  readonly maxCommittedSizePerReadyBytes?: number;
  /**
   * Bound on the ReadIndex requests a leader holds while a heartbeat round confirms its leadership
   * (thesis §6.4 step 3). Past it a local read fails with ReadQueueFull and a forwarded one is rejected.
   * A member's read barrier batches its reads into one request at a time, so this counts members' rounds.
   */
  readonly maxPendingReads?: number;
  /** Bound on the ReadIndex requests a new leader holds until it commits an entry of its term (§6.4 step 1). */
  readonly maxReadsBeforeCommit?: number;
  /** On restart: the last index the application has applied. */
  readonly applied?: number;
  readonly bugs?: RaftBugs;
}

export interface RaftStatus {
  readonly id: NodeId;
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
  readonly applied: number;
  readonly lastIndex: number;
  readonly firstIndex: number;
  readonly leaderId: NodeId;
  readonly role: Role;
  readonly confState: ConfState;
  /** Leader only: each follower's match index and replication state. */
  readonly progress: ReadonlyMap<NodeId, { readonly match: number; readonly next: number; readonly state: string }>;
}

export const DEFAULTS = {
  electionTicks: 10,
  heartbeatTicks: 1,
  maxSizePerMsgBytes: 1024 * 1024,
  maxInflightMsgs: 256,
  maxInflightBytes: 32 * 1024 * 1024,
  maxUncommittedBytes: 64 * 1024 * 1024,
  maxCommittedSizePerReadyBytes: 16 * 1024 * 1024,
  maxPendingReads: 4096,
  maxReadsBeforeCommit: 4096,
} as const;

/** What the last ready() handed out, so advance() knows what became durable and applied. */
interface Handout {
  readonly lastEntry: { index: number; term: number } | undefined;
  readonly snapshotIndex: number | undefined;
  readonly committed: readonly Entry[];
  readonly hardState: HardState | undefined;
}

export class RaftNode {
  readonly id: NodeId;
  private readonly rng: Rng;
  private readonly log: RaftLog;
  private readonly electionTicks: number;
  private readonly heartbeatTicks: number;
  private readonly preVote: boolean;
  private readonly checkQuorum: boolean;
  private readonly maxSizePerMsgBytes: number;
  private readonly maxInflightMsgs: number;
  private readonly maxInflightBytes: number;
  private readonly maxUncommittedBytes: number;
  private readonly maxCommittedSizePerReadyBytes: number;
  private readonly bugs: RaftBugs;

  private term = 0;
  private vote: NodeId = NONE;
  private role: Role = 'follower';
  private leaderId: NodeId = NONE;
  private confState: ConfState;
  private progress = new Map<NodeId, Progress>();
  private votes = new Map<NodeId, boolean>();

  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;

  /** Index of the last configuration change proposed; another may not be proposed until it is applied. */
  private pendingConfIndex = 0;
  private uncommittedSizeBytes = 0;
  private leadTransferee: NodeId = NONE;
  private readonly readOnly: ReadOnlyQueue;
  /** ReadIndex requests that arrived before this leader committed an entry of its term (§6.4 step 1). */
  private pendingReadsBeforeCommit: { requestId: string; from: NodeId }[] = [];
  private readonly maxReadsBeforeCommit: number;

  private msgs: Message[] = [];
  private readStates: ReadState[] = [];
  private prevSoft: SoftState;
  private prevHard: HardState;
  private handout: Handout | undefined;

  constructor(cfg: RaftConfig) {
    invariant(Number.isSafeInteger(cfg.id) && cfg.id > 0, `node id must be a positive integer, got ${cfg.id}`);
    this.id = cfg.id;
    this.rng = cfg.rng;
    this.electionTicks = cfg.electionTicks ?? DEFAULTS.electionTicks;
    this.heartbeatTicks = cfg.heartbeatTicks ?? DEFAULTS.heartbeatTicks;
    invariant(this.heartbeatTicks > 0 && this.electionTicks > this.heartbeatTicks, 'electionTicks must exceed heartbeatTicks > 0');
    this.preVote = cfg.preVote ?? true;
    this.checkQuorum = cfg.checkQuorum ?? true;
    this.maxSizePerMsgBytes = cfg.maxSizePerMsgBytes ?? DEFAULTS.maxSizePerMsgBytes;
    this.maxInflightMsgs = cfg.maxInflightMsgs ?? DEFAULTS.maxInflightMsgs;
    this.maxInflightBytes = cfg.maxInflightBytes ?? DEFAULTS.maxInflightBytes;
    this.maxUncommittedBytes = cfg.maxUncommittedBytes ?? DEFAULTS.maxUncommittedBytes;
    this.maxCommittedSizePerReadyBytes = cfg.maxCommittedSizePerReadyBytes ?? DEFAULTS.maxCommittedSizePerReadyBytes;
    this.bugs = cfg.bugs ?? {};
    this.readOnly = new ReadOnlyQueue(cfg.maxPendingReads ?? DEFAULTS.maxPendingReads);
    this.maxReadsBeforeCommit = cfg.maxReadsBeforeCommit ?? DEFAULTS.maxReadsBeforeCommit;
    invariant(Number.isSafeInteger(this.maxReadsBeforeCommit) && this.maxReadsBeforeCommit > 0, 'maxReadsBeforeCommit must be a positive integer');

    const { hardState, confState } = cfg.storage.initialState();
    this.log = new RaftLog(cfg.storage, cfg.applied ?? 0);
    this.term = hardState.term;
    this.vote = hardState.vote;

    // Membership is effective on apply: the snapshot's configuration plus every change up to applied.
    let cs = confState;
    const firstIndex = this.log.firstIndex();
    if (this.log.applied >= firstIndex) {
      for (const e of this.log.slice(firstIndex, this.log.applied + 1, Number.MAX_SAFE_INTEGER)) {
        if (e.type === 'confChange') cs = applyConfChange(cs, e.change);
      }
    }
    this.confState = cs;
    this.resetProgress();
    this.becomeFollower(this.term, NONE);
    this.prevSoft = { leaderId: this.leaderId, role: this.role };
    this.prevHard = this.hardState();
  }

  // ---------------------------------------------------------------- inputs

  tick(): void {
    if (this.role === 'leader') this.tickLeader();
    else this.tickElection();
  }

  step(m: Message): void {
    if (m.to !== this.id) return;
    if (m.term > this.term) {
      if ((m.type === 'vote' || m.type === 'preVote') && this.inLease() && !(m.type === 'vote' && m.transfer)) {
        // Leader stickiness (thesis §4.2.3): while we hear from a leader, a disruptive candidate (for
        // example a partitioned node rejoining) must not force an election.
        return;
      }
      if (m.type === 'preVote') {
        // A PreVote never changes our term.
      } else if (m.type === 'preVoteResponse' && !m.reject) {
        // A granted PreVote carries the future term we asked for.
      } else if (m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot') {
        this.becomeFollower(m.term, m.from);
      } else if (m.type === 'vote') {
        // §5.2: the election timer restarts only on granting a vote or hearing from a leader. Stepping down
        // for a higher-term request keeps it running, or candidates with stale logs (which cannot win)
        // could hold back forever the member that can, by resetting its timer before it fires.
        const elapsed = this.electionElapsed;
        const timeout = this.randomizedElectionTimeout;
        this.becomeFollower(m.term, NONE);
        this.electionElapsed = elapsed;
        this.randomizedElectionTimeout = timeout;
      } else {
        this.becomeFollower(m.term, NONE);
      }
    } else if (m.term < this.term) {
      if ((this.checkQuorum || this.preVote) && (m.type === 'append' || m.type === 'heartbeat')) {
        // A stale leader (cut off while we moved on) learns the new term and steps down; without this a
        // PreVote/CheckQuorum cluster could leave it isolated forever.
        this.ackAppend(m.from, 0);
      } else if (m.type === 'preVote') {
        this.send({ type: 'preVoteResponse', from: this.id, to: m.from, term: this.term, reject: true });
      }
      return;
    }

    switch (m.type) {
      case 'preVote':
      case 'vote':
        this.handleVoteRequest(m);
        return;
      default:
        break;
    }
    switch (this.role) {
      case 'leader':
        this.stepLeader(m);
        return;
      case 'candidate':
      case 'preCandidate':
        this.stepCandidate(m);
        return;
      case 'follower':
        this.stepFollower(m);
        return;
    }
  }

  propose(data: Uint8Array): { index: number; term: number } {
    return this.appendProposal({ type: 'normal', term: this.term, index: 0, data });
  }

  /**
   * Propose from any member: the leader appends, a follower forwards to its leader. Fire-and-forget:
   * the caller learns the outcome only by seeing the entry applied (or not).
   */
  forwardProposal(data: Uint8Array): void {
    if (this.role === 'leader') {
      this.propose(data);
      return;
    }
    if (this.leaderId === NONE) throw new RaftError('ProposalDropped', 'no leader to forward the proposal to', NONE);
    this.send({ type: 'propose', from: this.id, to: this.leaderId, term: this.term, data });
  }

  proposeConfChange(cc: ConfChange): { index: number; term: number } {
    this.requireLeader();
    if (this.pendingConfIndex > this.log.applied) {
      throw new RaftError('ConfChangeInProgress', `configuration change at ${this.pendingConfIndex} is not yet applied (applied ${this.log.applied})`);
    }
    validateConfChange(this.confState, cc);
    const r = this.appendProposal({ type: 'confChange', term: this.term, index: 0, change: cc });
    this.pendingConfIndex = r.index;
    return r;
  }

  /**
   * Ask for a linearizable read index (thesis §6.4); the answer arrives in Ready.readStates. Throws
   * NotLeader when no leader is known, ReadQueueFull when this leader holds its limit of reads.
   */
  readIndex(requestId: string): void {
    if (this.role === 'leader') {
      if (!this.handleReadIndex(requestId, this.id)) {
        throw new RaftError('ReadQueueFull', `the leader holds its limit of pending reads (${this.readOnly.size()} awaiting a heartbeat round, ${this.pendingReadsBeforeCommit.length} awaiting its first commit)`);
      }
      return;
    }
    if (this.leaderId === NONE) throw new RaftError('NotLeader', 'no leader to confirm a read index', NONE);
    this.send({ type: 'readIndex', from: this.id, to: this.leaderId, term: this.term, requestId });
  }

  transferLeadership(to: NodeId): void {
    this.requireLeader();
    if (to === this.id) return;
    if (!this.confState.voters.includes(to)) {
      const what = this.confState.learners.includes(to) ? 'a learner' : 'not a member';
      throw new RaftError('TransferTargetNotVoter', `cannot transfer leadership to node ${to}: it is ${what}, only a voter can lead`);
    }
    if (this.leadTransferee === to) return;
    this.leadTransferee = to;
    // The transfer must finish within an election timeout, or it is abandoned (thesis §3.10).
    this.electionElapsed = 0;
    const pr = this.progress.get(to)!;
    if (pr.match === this.log.lastIndex()) this.sendTimeoutNow(to);
    else this.sendAppend(to, true);
  }

  campaign(): void {
    if (!this.promotable()) return;
    this.hup(false);
  }

  reportUnreachable(id: NodeId): void {
    const pr = this.progress.get(id);
    if (this.role !== 'leader' || pr === undefined) return;
    // Pipelined appends in flight are probably lost: fall back to probing.
    if (pr.state === 'replicate') pr.becomeProbe();
  }

  reportSnapshot(id: NodeId, ok: boolean): void {
    const pr = this.progress.get(id);
    if (this.role !== 'leader' || pr === undefined || pr.state !== 'snapshot') return;
    if (!ok) pr.pendingSnapshot = 0;
    pr.becomeProbe();
    // Wait for the follower's response (or the next heartbeat) before probing again.
    pr.paused = true;
  }

  // ---------------------------------------------------------------- output

  hasReady(): boolean {
    if (this.handout !== undefined) return false;
    if (this.msgs.length > 0 || this.readStates.length > 0) return true;
    if (this.log.unstable.entries.length > 0 || this.log.unstable.snapshot !== undefined) return true;
    if (this.log.committed > this.log.applied && this.log.unstable.snapshot === undefined) return true;
    if (!sameHard(this.hardState(), this.prevHard)) return true;
    const soft = this.softState();
    return soft.leaderId !== this.prevSoft.leaderId || soft.role !== this.prevSoft.role;
  }

  ready(): Ready {
    invariant(this.handout === undefined, 'ready() called again before advance()');
    const entries = [...this.log.unstable.entries];
    const snapshot = this.log.unstable.snapshot;
    const committedEntries = this.log.nextCommittedEntries(this.log.applied, this.maxCommittedSizePerReadyBytes);
    const hs = this.hardState();
    const soft = this.softState();
    const last = entries[entries.length - 1];
    const rd: Ready = {
      ...(soft.leaderId !== this.prevSoft.leaderId || soft.role !== this.prevSoft.role ? { softState: soft } : {}),
      ...(sameHard(hs, this.prevHard) ? {} : { hardState: hs }),
      entries,
      ...(snapshot !== undefined ? { snapshot } : {}),
      committedEntries,
      messages: this.msgs,
      readStates: this.readStates,
    };
    this.prevSoft = soft;
    this.msgs = [];
    this.readStates = [];
    this.handout = {
      lastEntry: last !== undefined ? { index: last.index, term: last.term } : undefined,
      snapshotIndex: snapshot?.metadata.index,
      committed: committedEntries,
      hardState: rd.hardState,
    };
    return rd;
  }

  advance(): void {
    const h = this.handout;
    invariant(h !== undefined, 'advance() without a ready()');
    this.handout = undefined;
    if (h.hardState !== undefined) this.prevHard = h.hardState;
    if (h.snapshotIndex !== undefined) {
      this.log.unstable.stableSnapTo(h.snapshotIndex);
      if (h.snapshotIndex > this.log.applied) this.log.applied = h.snapshotIndex;
    }
    if (h.lastEntry !== undefined) {
      this.log.unstable.stableTo(h.lastEntry.index, h.lastEntry.term);
    }
    // A snapshot still pending here was restored after ready() (a handed-out one was just made stable).
    // Its configuration already includes every change at or below its index, so the changes in this
    // batch must not be applied over it again. etcd's applications skip committed entries at or below an
    // installed snapshot's index for the same reason (raftexample's entriesToApply, etcd issue #1617);
    // we keep accepting the snapshot rather than refusing it while entries are handed out, as etcd raft
    // does, so a slow applier does not hold up a follower that needs the snapshot.
    const restoredIndex = this.log.unstable.snapshot?.metadata.index;
    let appliedSizeBytes = 0;
    for (const e of h.committed) {
      invariant(e.index === this.log.applied + 1 || e.index <= this.log.applied, `applied out of order: ${e.index} after ${this.log.applied}`);
      if (e.index <= this.log.applied) continue;
      this.log.applied = e.index;
      appliedSizeBytes += entrySizeBytes(e);
      if (e.type !== 'confChange') continue;
      if (restoredIndex !== undefined && this.bugs.restoreSnapshotDuringHandout !== true) {
        // A snapshot is restored only past the commit index, and this batch was committed before it.
        invariant(e.index <= restoredIndex, `handed-out entry ${e.index} beyond the restored snapshot at ${restoredIndex}`);
        continue;
      }
      this.applyConfChangeEntry(e.change);
    }
    invariant(this.log.applied <= this.log.committed, `applied ${this.log.applied} > committed ${this.log.committed}`);
    if (this.role === 'leader') {
      this.uncommittedSizeBytes = Math.max(0, this.uncommittedSizeBytes - appliedSizeBytes);
      // Our own copy counts toward a majority only once it is on disk.
      const self = this.progress.get(this.id);
      if (self !== undefined && self.maybeUpdate(this.durableIndex())) {
        if (this.maybeCommit()) this.bcastAppend();
      }
    }
  }

  status(): RaftStatus {
    const progress = new Map<NodeId, { match: number; next: number; state: string }>();
    if (this.role === 'leader') {
      for (const [id, pr] of this.progress) progress.set(id, { match: pr.match, next: pr.next, state: pr.state });
    }
    return {
      id: this.id,
      term: this.term,
      vote: this.vote,
      commit: this.log.committed,
      applied: this.log.applied,
      lastIndex: this.log.lastIndex(),
      firstIndex: this.log.firstIndex(),
      leaderId: this.leaderId,
      role: this.role,
      confState: this.confState,
      progress,
    };
  }

  // ---------------------------------------------------------------- roles

  private becomeFollower(term: number, leader: NodeId): void {
    invariant(term >= this.term, `term must not decrease: ${this.term} → ${term}`);
    this.abortReads();
    if (term > this.term) this.vote = NONE;
    this.term = term;
    this.role = 'follower';
    this.leaderId = leader;
    this.resetTimers();
  }

  private becomePreCandidate(): void {
    invariant(this.role !== 'leader', 'a leader cannot become a pre-candidate');
    // PreVote (thesis §9.6) leaves term and vote alone: a node that cannot win disturbs nobody.
    this.role = 'preCandidate';
    this.leaderId = NONE;
    this.votes = new Map();
  }

  private becomeCandidate(): void {
    invariant(this.role !== 'leader', 'a leader cannot become a candidate');
    this.abortReads();
    this.term += 1;
    this.vote = this.id;
    this.role = 'candidate';
    this.leaderId = NONE;
    this.votes = new Map();
    this.resetTimers();
  }

  private becomeLeader(): void {
    invariant(this.role === 'candidate', `only a candidate becomes leader (was ${this.role})`);
    this.role = 'leader';
    this.leaderId = this.id;
    this.resetTimers();
    this.resetProgress();
    this.leadTransferee = NONE;
    this.uncommittedSizeBytes = 0;
    for (const pr of this.progress.values()) pr.recentActive = true;
    const self = this.progress.get(this.id);
    if (self !== undefined) {
      self.becomeReplicate();
      self.match = this.durableIndex();
      self.next = this.log.lastIndex() + 1;
    }
    // An empty entry of the new term commits everything before it (§5.4.2) and unblocks ReadIndex.
    const empty: Entry = { type: 'normal', term: this.term, index: this.log.lastIndex() + 1, data: new Uint8Array(0) };
    this.log.append([empty]);
    // No configuration change until that entry is applied: a leader must commit an entry of its own term
    // before changing membership, which closes the one-at-a-time change bug (Ongaro, raft-dev 2015) where
    // a new leader's change overlaps an uncommitted change from an earlier term.
    this.pendingConfIndex = empty.index;
    this.bcastAppend();
  }

  private hup(transfer: boolean): void {
    if (this.role === 'leader') return;
    if (this.hasUnappliedConfChanges() && this.bugs.campaignWithUnappliedConfChanges !== true) {
      // Votes and commit are counted against the applied configuration (changes take effect on apply).
      // A committed but unapplied change means that configuration is stale: a majority of it may not
      // overlap the majority that committed entries under the newer one, so a win could overwrite a
      // committed entry. etcd raft's hup() refuses to campaign (and so to obey TimeoutNow) for this reason.
      return;
    }
    if (this.preVote && !transfer) {
      this.becomePreCandidate();
      this.requestVotes('preVote', this.term + 1, false);
    } else {
      this.becomeCandidate();
      this.requestVotes('vote', this.term, transfer);
    }
  }

  /** Whether (applied, committed] holds a configuration change; scanned in pages, as etcd raft does. */
  private hasUnappliedConfChanges(): boolean {
    // Below firstIndex a pending snapshot stands in for the entries, and its configuration is already ours.
    let lo = Math.max(this.log.applied + 1, this.log.firstIndex());
    const hi = this.log.committed + 1;
    while (lo < hi) {
      const page = this.log.slice(lo, hi, this.maxCommittedSizePerReadyBytes);
      if (page.some((e) => e.type === 'confChange')) return true;
      lo += page.length;
    }
    return false;
  }

  private requestVotes(kind: 'preVote' | 'vote', term: number, transfer: boolean): void {
    // Our own vote first: a single-voter cluster wins at once.
    this.votes.set(this.id, true);
    if (this.evaluateVotes(kind)) return;
    const lastLogIndex = this.log.lastIndex();
    const lastLogTerm = this.log.lastTerm();
    for (const id of this.confState.voters) {
      if (id === this.id) continue;
      if (kind === 'preVote') this.send({ type: 'preVote', from: this.id, to: id, term, lastLogIndex, lastLogTerm });
      else this.send({ type: 'vote', from: this.id, to: id, term, lastLogIndex, lastLogTerm, transfer });
    }
  }

  /** Returns true when the election is decided. */
  private evaluateVotes(kind: 'preVote' | 'vote'): boolean {
    const outcome = voteResult(this.confState.voters, this.votes);
    if (outcome === 'won') {
      if (kind === 'preVote') {
        this.becomeCandidate();
        this.requestVotes('vote', this.term, false);
      } else {
        this.becomeLeader();
      }
      return true;
    }
    if (outcome === 'lost') {
      this.becomeFollower(this.term, NONE);
      return true;
    }
    return false;
  }

  // ---------------------------------------------------------------- ticks

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.hup(false);
    }
  }

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTicks) {
      this.electionElapsed = 0;
      if (this.checkQuorum) {
        const active = hasQuorum(this.confState.voters, (id) => id === this.id || this.progress.get(id)?.recentActive === true);
        for (const [id, pr] of this.progress) if (id !== this.id) pr.recentActive = false;
        if (!active) {
          // CheckQuorum: a leader that has not heard from a majority for an election timeout may have
          // been replaced; stepping down bounds how long it can look like the leader.
          this.becomeFollower(this.term, NONE);
          return;
        }
      }
      if (this.leadTransferee !== NONE) this.leadTransferee = NONE;
      for (const pr of this.progress.values()) {
        // A snapshot whose delivery was never reported (lost on the way) must not park the follower forever.
        if (pr.state === 'snapshot' && ++pr.snapshotTimeouts >= 2) pr.becomeProbe();
      }
    }
    if (this.heartbeatElapsed >= this.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat();
    }
  }

  // ---------------------------------------------------------------- votes

  private handleVoteRequest(m: Extract<Message, { type: 'vote' | 'preVote' }>): void {
    const isPre = m.type === 'preVote';
    // We may vote for a candidate we already voted for, or anyone if we have neither voted nor seen a
    // leader this term; a PreVote for a future term is judged on the log alone.
    const canVote = this.vote === m.from || (this.vote === NONE && this.leaderId === NONE) || (isPre && m.term > this.term);
    const upToDate = this.bugs.voteWithoutLogCheck === true || this.log.isUpToDate(m.lastLogIndex, m.lastLogTerm);
    const grant = canVote && upToDate;
    if (isPre) {
      // A granted PreVote answers in the requested term so the pre-candidate counts it.
      this.send({ type: 'preVoteResponse', from: this.id, to: m.from, term: grant ? m.term : this.term, reject: !grant });
      return;
    }
    if (grant) {
      this.electionElapsed = 0;
      this.vote = m.from;
    }
    this.send({ type: 'voteResponse', from: this.id, to: m.from, term: this.term, reject: !grant });
  }

  private stepCandidate(m: Message): void {
    switch (m.type) {
      case 'append':
        this.becomeFollower(m.term, m.from);
        this.handleAppend(m);
        return;
      case 'heartbeat':
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return;
      case 'snapshot':
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return;
      case 'preVoteResponse':
        if (this.role !== 'preCandidate') return;
        this.votes.set(m.from, !m.reject);
        this.evaluateVotes('preVote');
        return;
      case 'voteResponse':
        if (this.role !== 'candidate') return;
        this.votes.set(m.from, !m.reject);
        this.evaluateVotes('vote');
        return;
      case 'timeoutNow':
      case 'readIndex':
      case 'readIndexResponse':
      case 'appendResponse':
      case 'heartbeatResponse':
      case 'preVote':
      case 'vote':
      case 'propose':
        return;
      default: {
        const never: never = m;
        throw new Error(`unhandled message ${JSON.stringify(never)}`);
      }
    }
  }

  // ---------------------------------------------------------------- follower

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'append':
        this.electionElapsed = 0;
        this.leaderId = m.from;
        this.handleAppend(m);
        return;
      case 'heartbeat':
        this.electionElapsed = 0;
        this.leaderId = m.from;
        this.handleHeartbeat(m);
        return;
      case 'snapshot':
        this.electionElapsed = 0;
        this.leaderId = m.from;
        this.handleSnapshot(m);
        return;
      case 'timeoutNow':
        // Leadership transfer: campaign at once, skipping PreVote, and voters will ignore their lease.
        if (this.promotable()) this.hup(true);
        return;
      case 'readIndexResponse':
        if (!m.reject) this.readStates.push({ requestId: m.requestId, index: m.index });
        return;
      case 'readIndex':
        // Forwarded to us by mistake (we are not the leader): tell the asker to retry.
        this.send({ type: 'readIndexResponse', from: this.id, to: m.from, term: this.term, requestId: m.requestId, index: 0, reject: true });
        return;
      case 'appendResponse':
      case 'heartbeatResponse':
      case 'preVoteResponse':
      case 'voteResponse':
      case 'preVote':
      case 'vote':
      case 'propose':
        return;
      default: {
        const never: never = m;
        throw new Error(`unhandled message ${JSON.stringify(never)}`);
      }
    }
  }

  private handleAppend(m: Extract<Message, { type: 'append' }>): void {
    if (m.prevLogIndex < this.log.committed) {
      // Everything up to our commit index is known to match; acknowledge what we have.
      this.ackAppend(m.from, this.log.committed);
      return;
    }
    const lastNew = this.log.maybeAppend(m.prevLogIndex, m.prevLogTerm, m.commit, m.entries);
    if (lastNew !== undefined) {
      this.ackAppend(m.from, lastNew);
      return;
    }
    // Fast backtracking: point the leader at the last index that can possibly match.
    const hint = this.log.findConflictByTerm(Math.min(m.prevLogIndex, this.log.lastIndex()), m.prevLogTerm);
    const hintTerm = this.log.termOrUndefined(hint) ?? 0;
    this.send({ type: 'appendResponse', from: this.id, to: m.from, term: this.term, reject: true, index: m.prevLogIndex, rejectHint: hint, logTerm: hintTerm });
  }

  private handleHeartbeat(m: Extract<Message, { type: 'heartbeat' }>): void {
    // The leader never sends a commit beyond what it knows we have (see bcastHeartbeat).
    this.log.commitTo(Math.min(m.commit, this.log.lastIndex()));
    this.send({ type: 'heartbeatResponse', from: this.id, to: m.from, term: this.term, context: m.context });
  }

  private handleSnapshot(m: Extract<Message, { type: 'snapshot' }>): void {
    const meta = m.snapshot.metadata;
    if (meta.index <= this.log.committed) {
      this.ackAppend(m.from, this.log.committed);
      return;
    }
    if (this.log.matchTerm(meta.index, meta.term)) {
      // We already have the entry the snapshot ends at: just advance commit, and acknowledge only the
      // commit index, as etcd raft does. Entries after it may be left over from an older leader; the
      // snapshot says nothing about them, and acknowledging them would let the leader count them as its own.
      this.log.commitTo(meta.index);
      this.ackAppend(m.from, this.log.committed);
      return;
    }
    // One snapshot at a time: the leader retries after the first is installed.
    if (this.handout?.snapshotIndex !== undefined || this.log.unstable.snapshot !== undefined) return;
    this.log.restore(m.snapshot);
    this.confState = meta.confState;
    this.resetProgress();
    // The log now ends at the snapshot.
    this.ackAppend(m.from, this.log.lastIndex());
  }

  // ---------------------------------------------------------------- leader

  private stepLeader(m: Message): void {
    switch (m.type) {
      case 'appendResponse':
        this.handleAppendResponse(m);
        return;
      case 'heartbeatResponse':
        this.handleHeartbeatResponse(m);
        return;
      case 'readIndex':
        this.handleReadIndex(m.requestId, m.from);
        return;
      case 'propose':
        try {
          this.propose(m.data);
        } catch (e) {
          // A forwarded proposal that cannot be appended is dropped; the follower retries if it cares.
          if (!(e instanceof RaftError)) throw e;
        }
        return;
      case 'append':
      case 'heartbeat':
      case 'snapshot':
        // Same term, another leader: Election Safety says this cannot happen.
        invariant(false, `two leaders in term ${this.term}: ${this.id} and ${m.from}`);
        return;
      case 'timeoutNow':
      case 'readIndexResponse':
      case 'preVoteResponse':
      case 'voteResponse':
      case 'preVote':
      case 'vote':
        return;
      default: {
        const never: never = m;
        throw new Error(`unhandled message ${JSON.stringify(never)}`);
      }
    }
  }

  private handleAppendResponse(m: Extract<Message, { type: 'appendResponse' }>): void {
    const pr = this.progress.get(m.from);
    if (pr === undefined) return;
    pr.recentActive = true;
    if (m.reject) {
      let nextProbe = m.rejectHint;
      if (m.logTerm > 0) nextProbe = this.log.findConflictByTerm(m.rejectHint, m.logTerm);
      if (pr.maybeDecrTo(m.index, nextProbe)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.sendAppend(m.from, true);
      }
      return;
    }
    const oldPaused = pr.isPaused();
    if (pr.maybeUpdate(m.index)) {
      if (pr.state === 'probe') pr.becomeReplicate();
      else if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) pr.becomeProbe();
      else if (pr.state === 'replicate') pr.inflights.freeLE(m.index);
      if (this.maybeCommit()) this.bcastAppend();
      else if (oldPaused) this.sendAppend(m.from, true);
      // Fill the pipeline up to the flow-control window.
      while (this.sendAppend(m.from, false)) {
        /* each call sends one bounded message */
      }
      if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) this.sendTimeoutNow(m.from);
    } else if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) {
      pr.becomeProbe();
      this.sendAppend(m.from, true);
    }
  }

  private handleHeartbeatResponse(m: Extract<Message, { type: 'heartbeatResponse' }>): void {
    const pr = this.progress.get(m.from);
    if (pr === undefined) return;
    pr.recentActive = true;
    pr.paused = false;
    if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeLE(pr.next); // a lost ack must not stall the window
    if (pr.match < this.log.lastIndex()) this.sendAppend(m.from, true);
    if (m.context > 0) {
      const confirmed = this.readOnly.ack(m.from, m.context, (acks) => hasQuorum(this.confState.voters, (id) => acks.has(id)));
      for (const r of confirmed) this.answerRead(r.requestId, r.index, r.from);
    }
  }

  /** Answer, queue or refuse a read. Returns false when it was refused because a queue is full. */
  private handleReadIndex(requestId: string, from: NodeId): boolean {
    if (!this.committedEntryInCurrentTerm()) {
      // Our commit index may lag the true one until an entry of our term commits (§6.4 step 1).
      if (this.pendingReadsBeforeCommit.length >= this.maxReadsBeforeCommit) return this.refuseRead(requestId, from);
      this.pendingReadsBeforeCommit.push({ requestId, from });
      return true;
    }
    const index = this.log.committed;
    if (this.bugs.readIndexWithoutHeartbeat === true || this.confState.voters.length === 1) {
      this.answerRead(requestId, index, from);
      return true;
    }
    if (this.readOnly.isFull()) return this.refuseRead(requestId, from);
    this.readOnly.add(requestId, index, from, this.id);
    this.bcastHeartbeat();
    return true;
  }

  /**
   * A full queue refuses a read rather than grow without bound. A follower that forwarded it is told at
   * once (it may retry); our own caller gets ReadQueueFull from readIndex(), or, for a read moved out of
   * pendingReadsBeforeCommit, nothing: like a read aborted on a leader change, it retries after its timeout.
   */
  private refuseRead(requestId: string, from: NodeId): false {
    if (from !== this.id) {
      this.send({ type: 'readIndexResponse', from: this.id, to: from, term: this.term, requestId, index: 0, reject: true });
    }
    return false;
  }

  private answerRead(requestId: string, index: number, from: NodeId): void {
    if (from === this.id) this.readStates.push({ requestId, index });
    else this.send({ type: 'readIndexResponse', from: this.id, to: from, term: this.term, requestId, index, reject: false });
  }

  private abortReads(): void {
    // Pending reads would be confirmed by a leadership we no longer hold; they are simply dropped and the
    // caller retries after its timeout. Forwarded ones are rejected so the follower can retry at once.
    for (const r of [...this.readOnly.clear(), ...this.pendingReadsBeforeCommit.splice(0)]) {
      if (r.from !== this.id) {
        this.send({ type: 'readIndexResponse', from: this.id, to: r.from, term: this.term, requestId: r.requestId, index: 0, reject: true });
      }
    }
  }

  private committedEntryInCurrentTerm(): boolean {
    return this.log.termOrUndefined(this.log.committed) === this.term;
  }

  /** §5.3/§5.4.2: advance commit to the highest index on a majority, counting only current-term entries. */
  private maybeCommit(): boolean {
    const mci = committedIndex(this.confState.voters, (id) => this.progress.get(id)?.match ?? 0);
    if (!Number.isFinite(mci) || mci <= this.log.committed) return false;
    const t = this.log.termOrUndefined(mci);
    if (t !== this.term && this.bugs.commitPreviousTermEntries !== true) return false;
    this.log.commitTo(mci);
    if (this.committedEntryInCurrentTerm() && this.pendingReadsBeforeCommit.length > 0) {
      for (const r of this.pendingReadsBeforeCommit.splice(0)) this.handleReadIndex(r.requestId, r.from);
    }
    return true;
  }

  private bcastAppend(): void {
    for (const id of this.progress.keys()) if (id !== this.id) this.sendAppend(id, true);
  }

  private bcastHeartbeat(): void {
    const context = this.readOnly.currentRound();
    for (const [id, pr] of this.progress) {
      if (id === this.id) continue;
      // Never tell a follower to commit past what it is known to hold.
      const commit = Math.min(pr.match, this.log.committed);
      this.send({ type: 'heartbeat', from: this.id, to: id, term: this.term, commit, context });
    }
  }

  /** Send one append (or a snapshot) to `to`. Returns whether something was sent. */
  private sendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.progress.get(to);
    if (pr === undefined || pr.isPaused()) return false;
    const prevLogIndex = pr.next - 1;
    const prevLogTerm = this.log.termOrUndefined(prevLogIndex);
    let entries: Entry[] | undefined;
    if (prevLogTerm !== undefined) {
      try {
        entries = this.log.slice(pr.next, this.log.lastIndex() + 1, this.maxSizePerMsgBytes);
      } catch (e) {
        if (!(e instanceof RaftError && e.code === 'Compacted')) throw e;
      }
    }
    if (prevLogTerm === undefined || entries === undefined) {
      // The entries this follower needs are compacted: send the snapshot instead (InstallSnapshot, §7).
      if (!pr.recentActive) return false;
      const snap = this.log.snapshot();
      invariant(snap.metadata.index > 0, 'log compacted without a snapshot');
      pr.becomeSnapshot(snap.metadata.index);
      this.send({ type: 'snapshot', from: this.id, to, term: this.term, snapshot: snap });
      return true;
    }
    if (entries.length === 0 && !sendIfEmpty) return false;
    let sizeBytes = 0;
    for (const e of entries) sizeBytes += entrySizeBytes(e);
    this.send({ type: 'append', from: this.id, to, term: this.term, prevLogIndex, prevLogTerm, entries, commit: this.log.committed });
    const last = entries[entries.length - 1];
    pr.sentEntries(last?.index ?? prevLogIndex, entries.length, sizeBytes);
    return true;
  }

  private sendTimeoutNow(to: NodeId): void {
    this.send({ type: 'timeoutNow', from: this.id, to, term: this.term });
  }

  private appendProposal(e: Entry): { index: number; term: number } {
    this.requireLeader();
    if (this.leadTransferee !== NONE) {
      throw new RaftError('ProposalDropped', `leadership is being transferred to ${this.leadTransferee}`, this.leaderId);
    }
    const sizeBytes = entrySizeBytes(e);
    if (sizeBytes > this.maxUncommittedBytes) {
      throw new RaftError('TooLarge', `entry of ${sizeBytes} bytes exceeds the uncommitted limit of ${this.maxUncommittedBytes}`);
    }
    if (this.uncommittedSizeBytes > 0 && this.uncommittedSizeBytes + sizeBytes > this.maxUncommittedBytes) {
      throw new RaftError('ProposalDropped', `uncommitted tail is full (${this.uncommittedSizeBytes} bytes)`, this.leaderId);
    }
    const index = this.log.lastIndex() + 1;
    const entry: Entry = { ...e, term: this.term, index };
    this.log.append([entry]);
    this.uncommittedSizeBytes += sizeBytes;
    this.bcastAppend();
    // A single voter commits as soon as the entry is durable (advance()).
    return { index, term: this.term };
  }

  private requireLeader(): void {
    if (this.role === 'leader') return;
    if (this.leaderId === NONE) throw new RaftError('ProposalDropped', 'no leader', NONE);
    throw new RaftError('NotLeader', `not the leader; the leader is ${this.leaderId}`, this.leaderId);
  }

  private applyConfChangeEntry(cc: ConfChange): void {
    this.confState = applyConfChange(this.confState, cc);
    const last = this.log.lastIndex();
    const added = new Set<NodeId>();
    for (const id of [...this.confState.voters, ...this.confState.learners]) {
      const pr = this.progress.get(id);
      const isLearner = this.confState.learners.includes(id);
      if (pr === undefined) {
        const np = new Progress(last + 1, isLearner, this.maxInflightMsgs, this.maxInflightBytes);
        np.recentActive = true;
        this.progress.set(id, np);
        added.add(id);
      } else {
        pr.isLearner = isLearner;
      }
    }
    for (const id of [...this.progress.keys()]) {
      if (!this.confState.voters.includes(id) && !this.confState.learners.includes(id)) this.progress.delete(id);
    }
    if (this.role !== 'leader') return;
    if (!this.confState.voters.includes(this.id)) {
      // A leader that removed itself steps down; the others elect a leader from the new configuration.
      this.becomeFollower(this.term, NONE);
      return;
    }
    if (this.leadTransferee !== NONE && !this.confState.voters.includes(this.leadTransferee)) this.leadTransferee = NONE;
    // As etcd raft's switchToConfig: a new majority may commit more, which everyone must hear; otherwise
    // probe new members at once rather than let them wait for a heartbeat, and send the others only
    // entries they lack (no empty appends).
    if (this.maybeCommit()) {
      this.bcastAppend();
      return;
    }
    for (const id of this.progress.keys()) if (id !== this.id) this.sendAppend(id, added.has(id));
  }

  // ---------------------------------------------------------------- helpers

  /**
   * The last index of our current log that is on the caller's disk. Everything before the unstable tail
   * is durable (the caller persisted it before advance()); a pending snapshot means nothing of the new
   * log is durable yet.
   */
  private durableIndex(): number {
    if (this.log.unstable.snapshot !== undefined) return 0;
    return this.log.unstable.offset - 1;
  }

  private promotable(): boolean {
    return this.confState.voters.includes(this.id);
  }

  private inLease(): boolean {
    return this.checkQuorum && this.leaderId !== NONE && this.electionElapsed < this.electionTicks;
  }

  private resetTimers(): void {
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.electionTicks + this.rng.int(this.electionTicks);
    this.votes = new Map();
    this.leadTransferee = NONE;
  }

  private resetProgress(): void {
    const next = this.log.lastIndex() + 1;
    this.progress = new Map();
    for (const id of this.confState.voters) this.progress.set(id, new Progress(next, false, this.maxInflightMsgs, this.maxInflightBytes));
    for (const id of this.confState.learners) this.progress.set(id, new Progress(next, true, this.maxInflightMsgs, this.maxInflightBytes));
  }

  private hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  private softState(): SoftState {
    return { leaderId: this.leaderId, role: this.role };
  }

  /** A successful append response: we hold the leader's log up to `index`. */
  private ackAppend(to: NodeId, index: number): void {
    this.send({ type: 'appendResponse', from: this.id, to, term: this.term, reject: false, index, rejectHint: 0, logTerm: 0 });
  }

  private send(m: Message): void {
    this.msgs.push(m);
  }
}

function sameHard(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}
