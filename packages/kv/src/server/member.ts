// One KV member: the Raft core driven through the member's seams (seams.ts) by the one Ready loop
// (ready-loop.ts), applying committed entries to the replicated state machine (the MVCC store, the dedupe
// table, the member list), with the leader's duties (lease expiry, checkpoints, auto compaction). It does
// no I/O of its own: production wires it to LevelDB, ws and real timers (start.ts), the simulator to its
// simulated disk, network and clock. The client service calls the methods at the bottom.

import { Registry } from 'prom-client';
import { type Command, KvError, type Header, type Member as MemberInfo } from '@halyard/kv-client/protocol';
import { RaftNode, type RaftBugs, type RaftConfig, type RaftStatus } from '../raft/index.ts';
import type { MemoryStorage } from '../raft/storage.ts';
import { type ConfChange, type Entry, type Message, type NodeId, NONE, type ReadState, type Snapshot, type SoftState } from '../raft/types.ts';
import { type SnapshotSource, imageSource } from '../storage/snapshot-chunks.ts';
import type { TransportLogger } from '../transport/index.ts';
import type { BootState } from './boot.ts';
import { CommitSchedule } from './commit-schedule.ts';
import type { ClusterIds, MemberConfig } from './config.ts';
import type { Outcome } from './dedupe.ts';
import { Lessor } from './lessor.ts';
import { createMemberMetrics, type MemberMetrics } from './metrics.ts';
import { decodePayload, encodePayload } from './payload.ts';
import { ReadBarrier, type ReadBarrierBugs } from './read-barrier.ts';
import { ReadyLoop } from './ready-loop.ts';
import {
  type ApplyBackend,
  type Cancel,
  IMMEDIATE_APPLY,
  type LogStore,
  type MemberClock,
  type MemberObserver,
  type MemberRandom,
  type PeerInbound,
  type PeerNetwork,
  type ReceivedSnapshots,
  type TransportFaults,
} from './seams.ts';
import { KvStateMachine } from './state-machine.ts';
import { AppliedWaiters, ProposalWaiters } from './waiters.ts';
import { MemberWatches } from './watch-hub.ts';
import type { WriteTrace } from './write-trace.ts';

export const VERSION = '0.1.0';

/**
 * A member that applied its own removal keeps answering votes and appends for this many election timeouts
 * before it stops (see stopAfterRemoval; etcd waits one second, while its removed leader keeps heartbeating).
 */
export const REMOVED_MEMBER_STOP_DELAY_ELECTIONS = 5;

/** Lease checkpoints: how often the leader records remaining TTLs through Raft (see lessor.ts). */
export const LEASE_CHECKPOINT_INTERVAL_MS = 5_000;

/** Raft settings the member does not take from flags (defaults in production; the simulator varies them). */
export type RaftTuning = Pick<RaftConfig, 'preVote' | 'checkQuorum' | 'maxSizePerMsgBytes' | 'maxInflightMsgs' | 'maxCommittedSizePerReadyBytes'> & {
  /** Planted bugs, for tests that prove the simulator's checks can fail. Never set outside tests. */
  readonly bugs?: RaftBugs & ReadBarrierBugs;
};

/** Everything a member is built from: its configuration, its boot state and its seams. */
export interface MemberDeps {
  readonly config: MemberConfig;
  readonly ids: ClusterIds;
  readonly logger: TransportLogger;
  readonly boot: BootState;
  readonly store: LogStore;
  /** Outbound peer traffic; whoever delivers inbound traffic calls this member's PeerInbound methods. */
  readonly network: PeerNetwork;
  /** The registry for the member's metrics (the transport may share it); a new one when absent. */
  readonly registry?: Registry;
  readonly clock: MemberClock;
  readonly random: MemberRandom;
  readonly raft?: RaftTuning;
  readonly observer?: MemberObserver;
  /** Where applied batches settle; at once (the in-memory store) when absent. */
  readonly applyBackend?: ApplyBackend;
  /** Test-only fault hooks of the real transport. */
  readonly transportFaults?: TransportFaults;
  /** Per-stage timestamps of writes (write-trace.ts), when the process asks for them. */
  readonly trace?: WriteTrace;
  /** Snapshots streamed from the leader's database (a state machine on disk); see installSnapshot. */
  readonly received?: ReceivedSnapshots;
}

type SnapshotMessage = Extract<Message, { type: 'snapshot' }>;

export function toWsUrl(httpUrl: string): string {
  const u = new URL(httpUrl);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.toString().replace(/\/$/, '');
}

export class KvMember implements PeerInbound {
  readonly config: MemberConfig;
  readonly ids: ClusterIds;
  readonly registry: Registry;
  readonly metrics: MemberMetrics;
  readonly logger: TransportLogger;
  sm: KvStateMachine;
  readonly watchHub: MemberWatches;
  readonly lessor: Lessor;
  /** Set when writes are traced (HALYARD_WRITE_TRACE); the client service serves the stamps. */
  readonly trace: WriteTrace | undefined;

  private readonly node: RaftNode;
  private readonly memory: MemoryStorage;
  private readonly store: LogStore;
  private readonly peers: PeerNetwork;
  private readonly clock: MemberClock;
  private readonly observer: MemberObserver;
  private readonly faults: TransportFaults | undefined;
  private readonly loop: ReadyLoop;
  private readonly proposals: ProposalWaiters;
  private readonly appliedWaiters: AppliedWaiters;
  private readonly confWaiters = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private readonly readBarrier: ReadBarrier;
  private soft: SoftState = { leaderId: NONE, role: 'follower' };
  private stopped = false;
  private fatal: unknown = undefined;
  private readonly stopListeners: (() => void)[] = [];
  private stopTicking: Cancel | undefined;
  private stopAfterRemovalScheduled = false;
  private ticks = 0;
  private lastSnapshotIndex: number;
  /** The index the state machine is at: the last entry applied or snapshot installed. */
  private smApplied: number;
  /** The index of the state machine's last commit to its disk (state-machine-disk.ts), if it has one. */
  private smCommitted: number;
  private published = false;
  private nextPublishTick = 0;
  private lastCheckpointMs: number;
  private lastAutoCompactionMs: number;
  private requestSeq = 0;
  private readonly requestPrefix: string;
  private readonly received: ReceivedSnapshots | undefined;
  /** The durable switch to the last snapshot installed from a stream; later snapshots of our own wait for it. */
  private installDurable: Promise<void> = Promise.resolve();
  /** When the state machine on disk commits what it applied (commit-schedule.ts). */
  private readonly commitSchedule: CommitSchedule;
  /** A drain is queued for the end of the current burst of promise reactions (drainSoon). */
  private drainScheduled = false;
  /** Snapshot streams waiting for the state machine and the core to stand at the same index (openSnapshotSource). */
  private viewWaiters: { readonly chunkSizeBytes: number; readonly resolve: (s: Promise<SnapshotSource>) => void }[] = [];

  constructor(deps: MemberDeps) {
    this.config = deps.config;
    this.ids = deps.ids;
    this.logger = deps.logger;
    this.sm = deps.boot.stateMachine;
    this.memory = deps.boot.memory;
    this.store = deps.store;
    this.clock = deps.clock;
    this.observer = deps.observer ?? {};
    this.faults = deps.transportFaults;
    this.trace = deps.trace;
    this.received = deps.received;
    this.lastSnapshotIndex = deps.boot.applied;
    this.smApplied = deps.boot.applied;
    this.smCommitted = deps.boot.applied;
    this.lastCheckpointMs = this.clock.nowMs();
    this.lastAutoCompactionMs = this.clock.nowMs();
    this.requestPrefix = deps.random.requestIdPrefix();
    this.lessor = new Lessor(this.clock);
    this.proposals = new ProposalWaiters(this.clock);
    this.appliedWaiters = new AppliedWaiters(this.clock);
    this.registry = deps.registry ?? new Registry();
    this.metrics = createMemberMetrics(this.registry, this);
    const tuning = deps.raft ?? {};
    this.node = new RaftNode({
      id: this.ids.memberId,
      storage: this.memory,
      rng: deps.random.raftRng(),
      electionTicks: this.config.electionTicks,
      heartbeatTicks: this.config.heartbeatTicks,
      applied: deps.boot.applied,
      ...tuning,
    });
    this.watchHub = new MemberWatches(this.sm.mvcc, (revision) => this.header(revision), this.clock);
    this.readBarrier = new ReadBarrier(
      {
        requestReadIndex: (id) => {
          this.node.readIndex(id);
          this.drain();
        },
        waitApplied: (index, timeoutMs) => this.appliedWaiters.wait(index, this.node.status().applied, timeoutMs),
      },
      this.ids.memberId,
      this.config.tickMs * this.config.electionTicks,
      this.clock,
      tuning.bugs,
    );
    this.peers = deps.network;
    const applyBackend = deps.applyBackend ?? IMMEDIATE_APPLY;
    this.loop = new ReadyLoop({
      node: this.node,
      memory: this.memory,
      store: this.store,
      send: (ms) => this.peers.sendAll(ms),
      clock: this.clock,
      fatal: (e) => this.crash(e),
      ...(deps.trace !== undefined ? { trace: deps.trace } : {}),
      applier: {
        applyCommitted: (entries, done) => {
          for (const e of entries) this.applyEntry(e);
          applyBackend.settle(entries[entries.length - 1]!.index, done);
        },
        installSnapshot: (snap) => this.installSnapshot(snap),
        softState: (s) => this.onSoftState(s),
        readStates: (rs) => this.onReadStates(rs),
        advanced: () => this.afterAdvance(),
        persisted: (ms) => this.metrics.fsyncSeconds.observe(ms / 1000),
      },
    });
    this.commitSchedule = new CommitSchedule({
      clock: this.clock,
      readyInFlight: () => this.loop.persisting || this.loop.applying,
      uncommitted: () => this.sm.disk !== undefined && (this.smApplied !== this.smCommitted || this.sm.disk.hasChanges),
      commit: () => this.commitStateMachine(),
    });
    // Peers we know of now: the initial cluster (a joining member needs it to answer the leader);
    // membership changes applied later update the list.
    for (const [id, m] of this.ids.initialMembers) if (id !== this.ids.memberId) this.peers.setPeer(id, toWsUrl(m.peerUrl));
    this.syncPeers();
  }

  /** Start ticking and handing out Readies (the network must be able to deliver by now). */
  start(): void {
    if (this.stopped || this.stopTicking !== undefined) return;
    this.stopTicking = this.clock.every(this.config.tickMs, () => this.onTick());
    this.drain();
  }

  // ------------------------------------------------------------------ inputs (PeerInbound and the tick)

  /**
   * Steps a peer's message into the core; with `drain` false the Ready loop is not run, and the caller
   * calls frameReceived() once the rest of the frame's messages are stepped too: one Ready (one write, one frame
   * of acknowledgements) for the frame rather than one per message. A leader's frame to a follower carries
   * an append per proposal it batched; answered one by one, a follower handed out a Ready and sent a frame
   * for each of them.
   */
  receive(m: Message, drain = true): void {
    if (this.stopped) return;
    this.trace?.received(m);
    this.node.step(m);
    if (drain) this.drain();
  }

  /** The messages of one incoming frame have all been received (receive with drain false): run the loop. */
  frameReceived(): void {
    this.drain();
  }

  unreachable(peerId: NodeId): void {
    if (this.stopped) return;
    this.node.reportUnreachable(peerId);
    this.drain();
  }

  snapshotSent(peerId: NodeId, ok: boolean): void {
    if (this.stopped) return;
    this.node.reportSnapshot(peerId, ok);
    this.drain();
  }

  isRemoved(peerId: NodeId): boolean {
    return this.sm.removed.has(peerId);
  }

  /**
   * A peer refused us because the cluster removed us. The leader stops replicating to a removed member,
   * so it may never apply its own removal; this is how it learns (etcd's ErrMemberRemoved). It stops.
   */
  removedBy(peerId: NodeId): void {
    if (this.stopped) return;
    this.logger.warn('this member was removed from the cluster (a peer refused it); it stops', { by: peerId.toString(16) });
    void this.stop();
  }

  private onTick(): void {
    if (this.stopped) return;
    this.ticks++;
    this.node.tick();
    this.leaderDuties();
    if (this.ticks % Math.max(1, Math.round(1000 / this.config.tickMs)) === 0) this.watchHub.tick(this.ticks % Math.max(1, Math.round(10_000 / this.config.tickMs)) === 0);
    this.drain();
  }

  /** Hand the core's output to the Ready loop. */
  private drain(): void {
    if (!this.stopped) this.loop.pump();
  }

  /**
   * drain() once the current burst of promise reactions has run: the writes of every client frame that one
   * socket read delivered are proposed before the Ready loop hands out a Ready, so they share one Ready —
   * one disk write and one append frame per follower — instead of the first going alone.
   */
  private drainSoon(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    queueMicrotask(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  // ------------------------------------------------------------------ the state machine side of the loop

  /**
   * A snapshot from the leader, already saved in the Raft database. One without data (a member on disk,
   * from a leader on disk) was streamed as the leader's database and opened before its message was stepped
   * (snapshot-receiver.ts): installing is swapping it in; the switch of directory is made durable before any
   * later snapshot of ours (snapshotOnDisk), and a crash before it is finished at start (mvcc-dirs.ts).
   */
  private installSnapshot(snap: Snapshot): void {
    this.observer.installing?.(snap);
    const index = snap.metadata.index;
    if (snap.data.byteLength === 0 && this.sm.disk !== undefined) {
      const next = this.received?.take(index);
      if (next === undefined) throw new Error(`snapshot ${index} carries no data and no stream of it was received`);
      const previous = this.sm;
      this.sm = next;
      this.smCommitted = index;
      const switched = this.received!.installed(index, previous);
      this.installDurable = switched;
      switched.catch((err: unknown) => this.crash(err));
    } else {
      this.sm = KvStateMachine.restore(snap.data, this.sm.disk);
    }
    this.watchHub.replaceStore(this.sm.mvcc);
    this.lastSnapshotIndex = snap.metadata.index;
    this.smApplied = snap.metadata.index;
    this.syncPeers();
    this.metrics.snapshotsInstalled.inc();
    this.logger.info('installed snapshot', { index: snap.metadata.index });
  }

  private applyEntry(e: Entry): void {
    this.observer.applying?.(e);
    this.smApplied = e.index;
    if (e.type === 'confChange') {
      this.sm.applyConfChange(e.change);
      this.syncPeers();
      const w = this.confWaiters.get(e.index);
      if (w !== undefined) {
        this.confWaiters.delete(e.index);
        w.resolve();
      }
      if (e.change.type === 'removeNode' && e.change.nodeId === this.ids.memberId) this.stopAfterRemoval();
      return;
    }
    if (e.data.byteLength === 0) {
      // A new leader's empty entry. Applying our own means every entry of earlier terms is applied too —
      // among them checkpoints and keep-alives' cleared checkpoints the old leader committed but this
      // member had not yet learned were committed when it won. Only now are the replicated remaining TTLs
      // final, so only now does the lessor take over (etcd promotes the lessor here, in applyEntryNormal).
      const st = this.node.status();
      if (st.role === 'leader' && e.term === st.term && !this.lessor.isPrimary()) {
        this.lessor.promote(this.sm.mvcc.leases());
        this.lastCheckpointMs = this.clock.nowMs();
      }
      return;
    }
    const p = decodePayload(e.data);
    const outcome = this.sm.applyPayload(p);
    this.metrics.appliedEntries.inc();
    if (p.kind !== 'command' || outcome === undefined) return;
    this.afterCommand(p.command, outcome);
    this.proposals.resolve(p.requestId, outcome);
  }

  /**
   * This member applied its own removal. As etcd does (stopWithDelay), it stops only after a delay, so the
   * commit of its removal reaches the others: a removed leader may have been the only one to know it. Our
   * core steps a removed leader down at once (etcd raft's StepDownOnRemoval), so during the delay it sends no
   * heartbeats; in a two-voter cluster whose append carrying the commit index was lost, the survivor still
   * counts this member as a voter and learns the commit only by winning an election — with this member's
   * vote and acknowledgement. The delay covers the survivor's election timeout (at most two election
   * timeouts, randomized) with room for a lost round. A peer that refuses us as removed (removedBy) has
   * applied the removal itself, so that still stops us at once.
   */
  private stopAfterRemoval(): void {
    if (this.stopAfterRemovalScheduled) return;
    this.stopAfterRemovalScheduled = true;
    const delayMs = REMOVED_MEMBER_STOP_DELAY_ELECTIONS * this.config.electionTicks * this.config.tickMs;
    this.logger.warn('this member was removed from the cluster; it stops after a delay', { delayMs });
    this.clock.after(delayMs, () => void this.stop());
  }

  /** The leader's lessor follows what the state machine did with leases. */
  private afterCommand(c: Command, o: Outcome): void {
    if (!o.ok) return;
    if (c.type === 'leaseGrant' && o.response.type === 'leaseGrant') this.lessor.granted(o.response.id, o.response.ttlSeconds);
    else if (c.type === 'leaseRevoke') this.lessor.revoked(c.id);
  }

  private onReadStates(rs: readonly ReadState[]): void {
    for (const r of rs) this.readBarrier.answered(r.requestId, r.index);
  }

  private onSoftState(s: SoftState): void {
    const wasLeader = this.soft.role === 'leader';
    this.soft = s;
    this.metrics.isLeader.set(s.role === 'leader' ? 1 : 0);
    if (s.role === 'leader' && !wasLeader) {
      // The lessor is promoted once this leader applies its own empty entry (applyEntry), not here.
      this.logger.info('became leader', { term: this.node.status().term });
    } else if (s.role !== 'leader' && wasLeader) {
      this.lessor.demote();
      // Writes proposed here may or may not commit under the next leader: their outcome is unknown.
      this.proposals.rejectAll(new KvError('Timeout', 'leadership lost before the write applied; its outcome is unknown (retry with the same requestId)'));
      for (const w of this.confWaiters.values()) w.reject(new KvError('Timeout', 'leadership lost before the membership change applied'));
      this.confWaiters.clear();
    }
    if (s.leaderId !== NONE) this.metrics.leaderChanges.inc();
  }

  private afterAdvance(): void {
    this.appliedWaiters.applied(this.node.status().applied);
    this.commitSchedule.advanced();
    this.openWaitingViews();
    this.maybeSnapshot();
  }

  /**
   * A state machine on disk commits what it applied, with the applied index, in one batch (etcd's consistent
   * index). Only with no Ready in flight (after an advance, or when commit-schedule.ts finds none): every
   * entry applied so far is then in this member's own Raft log, so a crash before the commit lands is
   * repaired by replaying the log from the last committed index. Not fsync'd (a process crash keeps it; the
   * log covers a power loss); the snapshot path fsyncs.
   */
  private commitStateMachine(): void {
    this.commitSchedule.committed();
    const disk = this.sm.disk;
    if (disk === undefined || (this.smApplied === this.smCommitted && !disk.hasChanges)) return;
    this.smCommitted = this.smApplied;
    this.sm.commit(this.smApplied, false).catch((err: unknown) => this.crash(err));
  }

  /**
   * With a state machine on disk, a snapshot is only a point the log can be compacted to: the state at its
   * index is the disk's, fsync'd first, so the snapshot carries no data and costs nothing however large the
   * state. (A follower that needs a snapshot gets the state as of the moment it is sent: withCurrentSnapshot.)
   */
  private snapshotOnDisk(applied: number, confState: RaftStatus['confState']): void {
    this.lastSnapshotIndex = applied;
    Promise.all([this.sm.commit(applied, true), this.installDurable]).then(
      () => {
        if (this.stopped || applied <= this.memory.snapshot().metadata.index) return;
        const snap = this.memory.createSnapshot(applied, confState, new Uint8Array(0));
        this.store.saveSnapshot(snap, (err) => this.failIf(err));
        this.compactLog(applied);
        this.metrics.snapshots.inc();
      },
      (err: unknown) => this.crash(err),
    );
  }

  /**
   * Where the transport reads a snapshot message's data from, when its stream starts. In memory: the
   * message's image. On disk: the database itself, streamed from a LevelDB view (etcd sends its bbolt file)
   * — the state as applied when the stream starts, a later index than the log's snapshot point (whose state
   * is gone): index, term and configuration of the last applied entry, which the leader's progress accepts
   * (an acknowledgement at or past the index it recorded). The view is opened when the state machine and the
   * core's applied index (and so its configuration) agree, right after a commit at that index was issued;
   * nothing is encoded in memory, whatever the size of the state.
   */
  openSnapshotSource(msg: SnapshotMessage, chunkSizeBytes: number): Promise<SnapshotSource> {
    if (this.sm.disk === undefined) return Promise.resolve(imageSource(msg.snapshot, chunkSizeBytes));
    if (this.stopped) return Promise.reject(new KvError('Stopping', 'this member is stopping'));
    return new Promise<SnapshotSource>((resolve) => {
      this.viewWaiters.push({ chunkSizeBytes, resolve });
      if (this.node.status().applied === this.smApplied) this.openWaitingViews();
    });
  }

  private openWaitingViews(): void {
    const disk = this.sm.disk;
    if (this.viewWaiters.length === 0 || disk === undefined) return;
    const st = this.node.status();
    if (st.applied !== this.smApplied) return;
    this.commitStateMachine();
    const metadata = { index: this.smApplied, term: this.memory.term(this.smApplied), confState: st.confState };
    for (const w of this.viewWaiters.splice(0)) w.resolve(disk.openSnapshotSource(metadata, w.chunkSizeBytes));
  }

  /**
   * Snapshot the state machine every `snapshotCount` applied entries and compact the log behind it,
   * keeping `catchUpEntries` for followers a little behind. The log store writes in call order, so the
   * snapshot is durable before any later Ready's write.
   */
  private maybeSnapshot(): void {
    const st = this.node.status();
    if (st.applied - this.lastSnapshotIndex < this.config.snapshotCount) return;
    if (this.sm.disk !== undefined) {
      this.snapshotOnDisk(st.applied, st.confState);
      return;
    }
    const snap = this.memory.createSnapshot(st.applied, st.confState, this.sm.serialize());
    this.lastSnapshotIndex = st.applied;
    this.store.saveSnapshot(snap, (err) => this.failIf(err));
    this.compactLog(st.applied);
    this.metrics.snapshots.inc();
  }

  /** Drop the log up to `snapshotIndex`, keeping `catchUpEntries` for followers a little behind. */
  private compactLog(snapshotIndex: number): void {
    const compactTo = snapshotIndex - this.config.catchUpEntries;
    if (compactTo > this.memory.firstIndex()) {
      this.memory.compact(compactTo);
      this.store.compact(compactTo, (err) => this.failIf(err));
    }
  }

  private failIf(err: unknown): void {
    if (err !== undefined) this.crash(err);
  }

  // ------------------------------------------------------------------ the leader's duties

  private leaderDuties(): void {
    if (!this.published) this.publish();
    if (this.soft.role !== 'leader') return;
    for (const id of this.lessor.expired()) {
      const requestId = `lease-expire-${id}-${this.node.status().term}`;
      if (this.proposals.has(requestId)) continue;
      this.proposeInternal(requestId, { type: 'leaseRevoke', id });
    }
    const now = this.clock.nowMs();
    this.maybeAutoCompact(now);
    if (now - this.lastCheckpointMs >= LEASE_CHECKPOINT_INTERVAL_MS) {
      this.lastCheckpointMs = now;
      const checkpoints = this.lessor.checkpoints();
      if (checkpoints.length > 0) this.proposeInternal(this.nextRequestId('ckpt'), { type: 'leaseCheckpoint', checkpoints });
    }
  }

  /**
   * Periodic compaction (etcd's --auto-compaction-mode=revision): every interval the leader compacts to
   * the current revision minus the retention, through Raft like an explicit compaction.
   */
  private maybeAutoCompact(nowMs: number): void {
    const keep = this.config.autoCompactionRetentionRevisions;
    if (keep === 0 || nowMs - this.lastAutoCompactionMs < this.config.autoCompactionIntervalMs) return;
    this.lastAutoCompactionMs = nowMs;
    const target = this.sm.mvcc.revision - keep;
    if (target <= this.sm.mvcc.compactRevision) return;
    this.proposeInternal(this.nextRequestId('compact'), { type: 'compaction', revision: target });
  }

  /**
   * Announce our client URL to the cluster (etcd's publish) through whichever leader there is, until
   * the member list shows it applied; a lost forward is simply sent again an election timeout later.
   */
  private publish(): void {
    const me = this.sm.members.get(this.ids.memberId);
    if (me !== undefined && me.clientUrls.includes(this.config.clientUrl)) {
      this.published = true;
      return;
    }
    if (this.soft.leaderId === NONE || this.ticks < this.nextPublishTick) return;
    this.nextPublishTick = this.ticks + this.config.electionTicks;
    try {
      this.node.forwardProposal(encodePayload({ kind: 'publish', memberId: this.ids.memberId, name: this.config.name, clientUrls: [this.config.clientUrl] }));
    } catch {
      /* no leader after all: next time */
    }
  }

  private proposeInternal(requestId: string, command: Command): void {
    this.proposals
      .wait(requestId, this.config.requestTimeoutMs)
      .catch(() => undefined);
    try {
      this.node.propose(encodePayload({ kind: 'command', requestId, command }));
    } catch (e) {
      this.proposals.reject(requestId, e instanceof Error ? e : new Error(String(e)));
    }
  }

  /**
   * Point the network at the members' peer URLs, and drop members removed from the cluster. A peer the
   * network knows of otherwise (the initial cluster, or one it learned from the peer's own hello before this
   * member applied its addition) stays: a member lagging behind a membership change must still answer it.
   */
  private syncPeers(): void {
    for (const m of this.sm.members.values()) {
      if (m.id !== this.ids.memberId && m.peerUrls[0] !== undefined) this.peers.setPeer(m.id, toWsUrl(m.peerUrls[0]));
    }
    for (const id of this.peers.peers()) if (this.sm.removed.has(id)) this.peers.removePeer(id);
  }

  private crash(e: unknown): void {
    // A failed fsync or a broken invariant: the member must not go on as if its state were durable.
    this.fatal = e;
    this.logger.warn('fatal error; the member stops', { message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    void this.stop();
  }

  // ------------------------------------------------------------------ service API

  status(): RaftStatus {
    return this.node.status();
  }

  isLeader(): boolean {
    return this.soft.role === 'leader';
  }

  leaderId(): number {
    return this.soft.leaderId;
  }

  /** Whether a durable write of the Ready loop is in flight (for the simulator's statistics). */
  isPersisting(): boolean {
    return this.loop.persisting;
  }

  /** Whether an apply of the Ready loop has not settled yet (for the simulator's checks). */
  isApplying(): boolean {
    return this.loop.applying;
  }

  header(revision = this.sm.mvcc.revision): Header {
    return { clusterId: this.ids.clusterId, memberId: this.ids.memberId, revision, raftTerm: this.node.status().term };
  }

  /** Where clients should send writes: the leader's client URL, if known. */
  leaderEndpoint(): string | undefined {
    const leader = this.sm.members.get(this.soft.leaderId);
    return leader?.clientUrls[0];
  }

  private notLeader(): KvError {
    if (this.soft.leaderId === NONE) return new KvError('Unavailable', 'no leader (election in progress or no quorum)');
    const endpoint = this.leaderEndpoint();
    return new KvError('NotLeader', `this member is not the leader; the leader is ${this.soft.leaderId.toString(16)}`, {
      leaderId: this.soft.leaderId,
      ...(endpoint !== undefined ? { leaderEndpoint: endpoint } : {}),
    });
  }

  requireLeader(): void {
    this.assertRunning();
    if (!this.isLeader()) throw this.notLeader();
  }

  private assertRunning(): void {
    if (this.stopped) throw new KvError('Stopping', 'this member is stopping');
  }

  nextRequestId(tag = 'w'): string {
    return `${this.requestPrefix}-${tag}-${++this.requestSeq}`;
  }

  /** Propose a client write and wait for its outcome (from the state machine or the dedupe table). */
  async write(command: Command, requestId: string | undefined): Promise<Outcome> {
    this.requireLeader();
    const id = requestId ?? this.nextRequestId();
    const seen = this.sm.dedupe.get(id);
    if (seen !== undefined) return seen;
    const inFlight = this.proposals.inFlight(id);
    if (inFlight !== undefined) return inFlight;
    const outcome = this.proposals.wait(id, this.config.requestTimeoutMs);
    try {
      const { index } = this.node.propose(encodePayload({ kind: 'command', requestId: id, command }));
      this.trace?.proposed(index);
    } catch (e) {
      this.proposals.reject(id, e instanceof Error ? e : new Error(String(e)));
    }
    this.drainSoon();
    return outcome;
  }

  /** Wait until a read started now can be served locally (linearizable). */
  async linearizableBarrier(): Promise<void> {
    this.assertRunning();
    if (this.config.unsafeBugStaleReads) return;
    await this.readBarrier.barrier(this.config.requestTimeoutMs);
  }

  async changeMembership(cc: ConfChange): Promise<void> {
    this.requireLeader();
    const { index } = this.node.proposeConfChange(cc);
    const done = new Promise<void>((resolve, reject) => {
      const cancel = this.clock.after(this.config.requestTimeoutMs, () => {
        this.confWaiters.delete(index);
        reject(new KvError('Timeout', 'the membership change did not apply in time'));
      });
      this.confWaiters.set(index, {
        resolve: () => {
          cancel();
          resolve();
        },
        reject: (e) => {
          cancel();
          reject(e);
        },
      });
    });
    this.drain();
    await done;
  }

  /**
   * Start handing leadership to the voter `to` (Raft thesis §3.10); leadership.ts waits for the outcome.
   * NotLeader/Unavailable unless this member leads.
   */
  transferLeadership(to: NodeId): void {
    this.requireLeader();
    this.node.transferLeadership(to);
    this.drain();
  }

  /** Is this learner's log close enough to the leader's to promote (etcd requires ≥ 90% caught up)? */
  learnerCaughtUp(id: number): boolean {
    const st = this.node.status();
    const p = st.progress.get(id);
    return p !== undefined && p.match >= st.commit * 0.9;
  }

  members(): MemberInfo[] {
    return this.sm.memberList();
  }

  /** Bytes of the member's log store on disk (etcd's dbSize). */
  dbSizeBytes(): number {
    return this.store.sizeBytes();
  }

  transportFaults(): TransportFaults {
    if (this.faults === undefined) throw new KvError('Internal', 'this member has no transport fault hooks');
    return this.faults;
  }

  isStopped(): boolean {
    return this.stopped;
  }

  fatalError(): unknown {
    return this.fatal;
  }

  /** Called once the member has stopped, whatever stopped it (a signal, removal, a fatal error). */
  onStopped(listener: () => void): void {
    this.stopListeners.push(listener);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.commitSchedule.stop();
    this.stopTicking?.();
    this.loop.stop();
    const err = new KvError('Stopping', 'this member is stopping');
    this.proposals.rejectAll(err);
    this.appliedWaiters.rejectAll(err);
    this.readBarrier.close(err);
    for (const w of this.viewWaiters.splice(0)) w.resolve(Promise.reject(err));
    this.watchHub.close();
    await this.peers.close().catch(() => undefined);
    // Let an in-flight write land so the store closes cleanly (bounded: a stuck disk must not hang stop).
    await new Promise<void>((resolve) => {
      const cancel = this.clock.after(STOP_WRITE_WAIT_MS, resolve);
      this.loop.whenIdle(() => {
        cancel();
        resolve();
      });
    });
    await this.store.close().catch(() => undefined);
    // Commits already issued land; what was applied after the last one is replayed from the log at restart.
    await this.installDurable.catch(() => undefined);
    await this.sm.disk?.close().catch(() => undefined);
    await this.received?.close().catch(() => undefined);
    for (const l of this.stopListeners) l();
  }
}

/** How long stop() waits for a durable write in flight before closing the store anyway. */
export const STOP_WRITE_WAIT_MS = 2_000;
