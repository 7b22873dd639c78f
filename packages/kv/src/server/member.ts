// One KV member: the Raft core driven by real time, LevelDB and the peer transport, applying committed
// entries to the replicated state machine. This file owns the loop of the Ready contract (persist, send,
// apply, advance); the client service calls the methods at the bottom.

import { randomBytes, randomInt } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { type Command, KvError, type Header, type Member as MemberInfo } from '@halyard/kv-client/protocol';
import { MemoryStorage, RaftNode, type RaftStatus } from '../raft/index.ts';
import { type ConfChange, type Entry, type Message, NONE, type Ready, type SoftState } from '../raft/types.ts';
import { DiskStorage } from '../storage/index.ts';
import { PeerTransport, type TransportLogger, consoleLogger } from '../transport/index.ts';
import { SeededRng } from '../util/rng.ts';
import { type ClusterIds, type MemberConfig, clusterIds, validateConfig } from './config.ts';
import type { Outcome } from './dedupe.ts';
import { Lessor } from './lessor.ts';
import { createMemberMetrics, type MemberMetrics } from './metrics.ts';
import { decodePayload, encodeMemberContext, encodePayload } from './payload.ts';
import { ReadBarrier } from './read-barrier.ts';
import { KvStateMachine } from './state-machine.ts';
import { AppliedWaiters, ProposalWaiters } from './waiters.ts';
import { loadTls } from './tls.ts';
import { MemberWatches } from './watch-hub.ts';

export const VERSION = '0.1.0';

/** Lease checkpoints: how often the leader records remaining TTLs through Raft (see lessor.ts). */
export const LEASE_CHECKPOINT_INTERVAL_MS = 5_000;

export function toWsUrl(httpUrl: string): string {
  const u = new URL(httpUrl);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.toString().replace(/\/$/, '');
}

export class KvMember {
  readonly config: MemberConfig;
  readonly ids: ClusterIds;
  readonly registry: Registry;
  readonly metrics: MemberMetrics;
  readonly logger: TransportLogger;
  sm: KvStateMachine;
  readonly watchHub: MemberWatches;
  readonly lessor = new Lessor();

  private readonly node: RaftNode;
  private readonly mem: MemoryStorage;
  private readonly disk: DiskStorage;
  private readonly transport: PeerTransport;
  private readonly proposals = new ProposalWaiters();
  private readonly appliedWaiters = new AppliedWaiters();
  private readonly confWaiters = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private readonly readBarrier: ReadBarrier;
  private soft: SoftState = { leaderId: NONE, role: 'follower' };
  private draining = false;
  private stopped = false;
  private fatal: unknown = undefined;
  private readonly stopListeners: (() => void)[] = [];
  private tickTimer: NodeJS.Timeout | undefined;
  private ticks = 0;
  private lastSnapshotIndex: number;
  private published = false;
  private nextPublishTick = 0;
  private lastCheckpointMs = 0;
  private lastAutoCompactionMs = 0;
  private requestSeq = 0;
  private readonly requestPrefix = randomBytes(6).toString('hex');

  private constructor(
    config: MemberConfig,
    ids: ClusterIds,
    disk: DiskStorage,
    mem: MemoryStorage,
    sm: KvStateMachine,
    applied: number,
    logger: TransportLogger,
  ) {
    this.config = config;
    this.ids = ids;
    this.disk = disk;
    this.mem = mem;
    this.sm = sm;
    this.logger = logger;
    this.lastSnapshotIndex = applied;
    this.registry = new Registry();
    this.metrics = createMemberMetrics(this.registry, this);
    this.node = new RaftNode({
      id: ids.memberId,
      storage: mem,
      // Randomness for election timeouts; the core stays deterministic given this seed.
      rng: new SeededRng(randomInt(2 ** 31)),
      electionTicks: config.electionTicks,
      heartbeatTicks: config.heartbeatTicks,
      applied,
    });
    this.watchHub = new MemberWatches(sm.mvcc, (revision) => this.header(revision));
    this.readBarrier = new ReadBarrier(
      {
        requestReadIndex: (id) => {
          this.node.readIndex(id);
          this.drain();
        },
        waitApplied: (index, timeoutMs) => this.appliedWaiters.wait(index, this.node.status().applied, timeoutMs),
      },
      ids.memberId,
      config.tickMs * config.electionTicks,
    );
    const peerUrl = new URL(config.peerUrl);
    const peerTls = loadTls(config.peerTls, 'peer');
    this.transport = new PeerTransport({
      id: ids.memberId,
      clusterId: ids.clusterId.toString(16),
      listen: { host: peerUrl.hostname, port: Number(peerUrl.port) },
      handler: (m) => this.onMessage(m),
      registry: this.registry,
      logger,
      limits: { frameSizeBytesMax: Math.max(config.requestSizeBytesMax * 2, 4 * 1024 * 1024) },
      ...(peerTls !== undefined ? { tls: peerTls } : {}),
      onUnreachable: (id) => this.node.reportUnreachable(id),
      isRemoved: (id) => this.sm.removed.has(id),
      onRemoved: (by) => this.onRemovedByPeer(by),
      onSnapshotSent: (id, _index, ok) => {
        this.node.reportSnapshot(id, ok);
        this.drain();
      },
    });
  }

  static async start(config: MemberConfig, logger: TransportLogger = consoleLogger): Promise<KvMember> {
    validateConfig(config);
    const ids = clusterIds(config);
    await mkdir(config.dataDir, { recursive: true });
    const { storage: disk, state } = await DiskStorage.open(join(config.dataDir, 'raft'));
    const mem = new MemoryStorage();
    let hardState = state.hardState;
    let entries = state.entries;
    const fresh = state.snapshot.metadata.index === 0 && entries.length === 0 && hardState.term === 0;
    if (fresh && config.initialClusterState === 'new') {
      // Bootstrap as etcd does: the initial membership is the log's first entries, committed at term 1,
      // identical on every initial member, so a member that later receives the log from index 1 learns
      // the configuration from it.
      const members = [...ids.initialMembers.entries()].sort((a, b) => a[0] - b[0]);
      entries = members.map(
        ([id, m], i): Entry => ({ type: 'confChange', term: 1, index: i + 1, change: { type: 'addVoter', nodeId: id, context: encodeMemberContext({ name: m.name, peerUrls: [m.peerUrl] }) } }),
      );
      hardState = { term: 1, vote: 0, commit: entries.length };
      await disk.saveReady({ hardState, entries });
    }
    let sm = new KvStateMachine();
    if (state.snapshot.metadata.index > 0) {
      mem.applySnapshot(state.snapshot);
      sm = KvStateMachine.restore(state.snapshot.data);
    }
    mem.append(entries);
    mem.setHardState(hardState);
    const member = new KvMember(config, ids, disk, mem, sm, state.snapshot.metadata.index, logger);
    try {
      await member.startNetwork();
    } catch (e) {
      // The peer port could not be opened (in use): close what is open — the transport's dialers to the
      // other members would otherwise retry forever and keep the process alive — then report it.
      await member.stop();
      throw e;
    }
    return member;
  }

  private async startNetwork(): Promise<void> {
    // Peers we know of now: the initial cluster (a joining member needs it to answer the leader);
    // membership changes applied later update the list.
    for (const [id, m] of this.ids.initialMembers) if (id !== this.ids.memberId) this.transport.setPeer(id, toWsUrl(m.peerUrl));
    await this.transport.start();
    this.tickTimer = setInterval(() => this.onTick(), this.config.tickMs);
    this.drain();
  }

  // ------------------------------------------------------------------ the Raft loop

  private onMessage(m: Message): void {
    if (this.stopped) return;
    this.node.step(m);
    this.drain();
  }

  private onTick(): void {
    if (this.stopped) return;
    this.ticks++;
    this.node.tick();
    this.leaderDuties();
    if (this.ticks % Math.max(1, Math.round(1000 / this.config.tickMs)) === 0) this.watchHub.tick(this.ticks % Math.max(1, Math.round(10_000 / this.config.tickMs)) === 0);
    this.drain();
  }

  /** Run Ready → persist → send → apply → advance until nothing is pending. One loop at a time. */
  private drain(): void {
    if (this.draining || this.stopped) return;
    this.draining = true;
    void this.drainLoop()
      .catch((e: unknown) => this.crash(e))
      .finally(() => {
        this.draining = false;
      });
  }

  private async drainLoop(): Promise<void> {
    while (!this.stopped && this.node.hasReady()) {
      const rd = this.node.ready();
      // A leader may replicate in parallel with its own disk write (thesis §10.2.1): an append only
      // carries entries of a term already on disk, and commit never counts the leader's copy before it
      // is durable. Everything else (votes, acknowledgements) waits for the fsync.
      const early = rd.messages.filter((m) => m.type === 'append' || m.type === 'heartbeat');
      const late = rd.messages.filter((m) => m.type !== 'append' && m.type !== 'heartbeat');
      if (early.length > 0) this.transport.sendAll(early);
      // Committed entries are already durable on a majority (the leader counts itself only once its own
      // copy is on disk), so they are applied while this Ready's new entries are being written, as etcd's
      // apply loop runs beside its WAL writes. A snapshot is installed only after it is on disk.
      if (rd.snapshot === undefined) this.applyReady(rd);
      await this.persist(rd);
      if (late.length > 0) this.transport.sendAll(late);
      if (rd.snapshot !== undefined) {
        this.installSnapshot(rd);
        this.applyReady(rd);
      }
      this.node.advance();
      this.appliedWaiters.applied(this.node.status().applied);
      await this.maybeSnapshot();
    }
  }

  private applyReady(rd: Ready): void {
    for (const e of rd.committedEntries) this.applyEntry(e);
    if (rd.softState !== undefined) this.onSoftState(rd.softState);
    for (const rs of rd.readStates) this.readBarrier.answered(rs.requestId, rs.index);
  }

  private async persist(rd: Ready): Promise<void> {
    const t0 = performance.now();
    await this.disk.saveReady({
      ...(rd.hardState !== undefined ? { hardState: rd.hardState } : {}),
      entries: rd.entries,
      ...(rd.snapshot !== undefined ? { snapshot: rd.snapshot } : {}),
    });
    this.metrics.fsyncSeconds.observe((performance.now() - t0) / 1000);
    if (rd.snapshot !== undefined) this.mem.applySnapshot(rd.snapshot);
    this.mem.append(rd.entries);
    if (rd.hardState !== undefined) this.mem.setHardState(rd.hardState);
  }

  private installSnapshot(rd: Ready): void {
    const snap = rd.snapshot!;
    this.sm = KvStateMachine.restore(snap.data);
    this.watchHub.replaceStore(this.sm.mvcc);
    this.lastSnapshotIndex = snap.metadata.index;
    this.syncPeers();
    this.metrics.snapshotsInstalled.inc();
    this.logger.info('installed snapshot', { index: snap.metadata.index });
  }

  private applyEntry(e: Entry): void {
    if (e.type === 'confChange') {
      this.sm.applyConfChange(e.change);
      this.syncPeers();
      const w = this.confWaiters.get(e.index);
      if (w !== undefined) {
        this.confWaiters.delete(e.index);
        w.resolve();
      }
      if (e.change.type === 'removeNode' && e.change.nodeId === this.ids.memberId) {
        // As etcd does: a member removed from the cluster shuts itself down (after this Ready is done).
        this.logger.warn('this member was removed from the cluster; it stops');
        setImmediate(() => void this.stop());
      }
      return;
    }
    if (e.data.byteLength === 0) return; // a new leader's empty entry
    const p = decodePayload(e.data);
    const outcome = this.sm.applyPayload(p);
    this.metrics.appliedEntries.inc();
    if (p.kind !== 'command' || outcome === undefined) return;
    this.afterCommand(p.command, outcome);
    this.proposals.resolve(p.requestId, outcome);
  }

  /** The leader's lessor follows what the state machine did with leases. */
  private afterCommand(c: Command, o: Outcome): void {
    if (!o.ok) return;
    if (c.type === 'leaseGrant' && o.response.type === 'leaseGrant') this.lessor.granted(o.response.id, o.response.ttlSeconds);
    else if (c.type === 'leaseRevoke') this.lessor.revoked(c.id);
  }

  private onSoftState(s: SoftState): void {
    const wasLeader = this.soft.role === 'leader';
    this.soft = s;
    this.metrics.isLeader.set(s.role === 'leader' ? 1 : 0);
    if (s.role === 'leader' && !wasLeader) {
      this.lessor.promote(this.sm.mvcc.leases());
      this.lastCheckpointMs = performance.now();
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

  private leaderDuties(): void {
    if (!this.published) this.publish();
    if (this.soft.role !== 'leader') return;
    for (const id of this.lessor.expired()) {
      const requestId = `lease-expire-${id}-${this.node.status().term}`;
      if (this.proposals.has(requestId)) continue;
      this.proposeInternal(requestId, { type: 'leaseRevoke', id });
    }
    const now = performance.now();
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

  private async maybeSnapshot(): Promise<void> {
    const st = this.node.status();
    if (st.applied - this.lastSnapshotIndex < this.config.snapshotCount) return;
    const snap = this.mem.createSnapshot(st.applied, st.confState, this.sm.serialize());
    await this.disk.saveSnapshot(snap);
    this.lastSnapshotIndex = st.applied;
    const compactTo = st.applied - this.config.catchUpEntries;
    if (compactTo > this.mem.firstIndex()) {
      this.mem.compact(compactTo);
      await this.disk.compact(compactTo);
    }
    this.metrics.snapshots.inc();
  }

  /** Point the transport at the current members' peer URLs. */
  private syncPeers(): void {
    const want = new Map<number, string>();
    for (const m of this.sm.members.values()) {
      if (m.id !== this.ids.memberId && m.peerUrls[0] !== undefined) want.set(m.id, toWsUrl(m.peerUrls[0]));
    }
    if (want.size === 0) return; // still joining: keep the initial cluster's URLs
    for (const id of this.transport.peers()) if (!want.has(id)) this.transport.removePeer(id);
    for (const [id, url] of want) this.transport.setPeer(id, url);
  }

  /**
   * A peer refused us because the cluster removed us. The leader stops replicating to a removed member,
   * so it may never apply its own removal; this is how it learns (etcd's ErrMemberRemoved). It stops.
   */
  private onRemovedByPeer(by: number): void {
    if (this.stopped) return;
    this.logger.warn('this member was removed from the cluster (a peer refused it); it stops', { by: by.toString(16) });
    void this.stop();
  }

  private crash(e: unknown): void {
    // A failed fsync or a broken invariant: the member must not go on as if its state were durable.
    this.fatal = e;
    this.logger.warn('fatal error; the member stops', { message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    void this.stop();
    process.exitCode = 2;
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
      this.node.propose(encodePayload({ kind: 'command', requestId: id, command }));
    } catch (e) {
      this.proposals.reject(id, e instanceof Error ? e : new Error(String(e)));
    }
    this.drain();
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
      const timer = setTimeout(() => {
        this.confWaiters.delete(index);
        reject(new KvError('Timeout', 'the membership change did not apply in time'));
      }, this.config.requestTimeoutMs);
      this.confWaiters.set(index, {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e) => {
          clearTimeout(timer);
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
  transferLeadership(to: number): void {
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

  /** Bytes of the member's database files on disk (etcd's dbSize is its backend file's size). */
  dbSizeBytes(): number {
    const dir = join(this.config.dataDir, 'raft');
    let total = 0;
    try {
      for (const name of readdirSync(dir)) {
        try {
          total += statSync(join(dir, name)).size;
        } catch {
          // A file LevelDB removed between the listing and the stat.
        }
      }
    } catch {
      return 0;
    }
    return total;
  }

  transportFaults(): PeerTransport {
    return this.transport;
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
    if (this.tickTimer !== undefined) clearInterval(this.tickTimer);
    const err = new KvError('Stopping', 'this member is stopping');
    this.proposals.rejectAll(err);
    this.appliedWaiters.rejectAll(err);
    this.readBarrier.close(err);
    this.watchHub.close();
    await this.transport.close().catch(() => undefined);
    // Wait for an in-flight persist so the database closes cleanly.
    for (let i = 0; i < 200 && this.draining; i++) await new Promise((r) => setTimeout(r, 10));
    await this.disk.close().catch(() => undefined);
    for (const l of this.stopListeners) l();
  }
}
