// One simulated member process: the Raft core plus the loop around it that a real server runs —
// persist a Ready (with an fsync delay), then send its messages, apply its committed entries, answer
// reads, advance(). Also the member's crash (lose everything volatile and every unsynced write) and
// restart (a new core from the durable image only).

import { RaftNode, type RaftBugs, type RaftStatus, type MemoryStorage, type ConfChange, type Message, type NodeId, type Ready } from '@halyard/kv/raft';
import type { Result } from '../check/history.ts';
import type { SeededRng } from '@halyard/kv/util';
import { Disk, applyWrite, type DiskConfig, type DiskWrite, type InitialDisk } from './disk.ts';
import type { InvariantChecker, MemberView } from './invariants.ts';
import { KvStateMachine, type Command } from './state-machine.ts';

export interface CoreConfig {
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly maxSizePerMsgBytes: number;
  readonly maxInflightMsgs: number;
  readonly bugs: RaftBugs;
}

export interface HostConfig {
  readonly id: NodeId;
  /** What the disk of a fresh member holds: the bootstrap (in the log or a snapshot), or nothing for a joiner. */
  readonly initialDisk: InitialDisk;
  readonly core: CoreConfig;
  readonly disk: DiskConfig;
  /** Take an application snapshot once this many entries were applied since the last one. */
  readonly snapshotEveryEntries: number;
  /** Entries kept behind a snapshot, so a follower a little behind catches up without one. */
  readonly compactRetainEntries: number;
}

/** The world as a member sees it; the simulator implements it. */
export interface HostEnv {
  nowMs(): number;
  /** Call host.onPersisted(incarnation) at `atMs`. */
  schedulePersisted(atMs: number, id: NodeId, incarnation: number): void;
  send(m: Message): void;
  trace(line: string): void;
  readonly checker: InvariantChecker;
  onApplied(id: NodeId, index: number, command: Command | undefined, result: Result | undefined): void;
  onReadReady(id: NodeId, requestId: string, sm: KvStateMachine): void;
  onConfChangeApplied(id: NodeId, index: number, cc: ConfChange): void;
  onSnapshotInstalled(id: NodeId, index: number): void;
}

export class NodeHost {
  readonly id: NodeId;
  private readonly cfg: HostConfig;
  private readonly env: HostEnv;
  private readonly rng: SeededRng;
  private readonly disk: Disk;

  private core: RaftNode | undefined;
  private storage: MemoryStorage | undefined;
  private sm: KvStateMachine | undefined;
  /** Bumped on every crash, so an fsync completion of a previous life is ignored. */
  private incarnation = 0;
  private inFlight: Ready | undefined;
  /** ReadIndex answers waiting for the state machine to catch up with their index. */
  private pendingReads: { requestId: string; index: number }[] = [];
  private lastSnapshotIndex = 0;
  /** Duplicated commands ignored at apply over all incarnations (statistics). */
  private duplicatesIgnored = 0;

  constructor(cfg: HostConfig, env: HostEnv, rng: SeededRng) {
    this.id = cfg.id;
    this.cfg = cfg;
    this.env = env;
    this.rng = rng;
    this.disk = new Disk(cfg.initialDisk, cfg.disk, rng.fork());
    this.start();
  }

  get alive(): boolean {
    return this.core !== undefined;
  }

  get durable(): MemoryStorage {
    return this.disk.durable;
  }

  get duplicateCommandsIgnored(): number {
    return this.duplicatesIgnored;
  }

  get stateMachine(): KvStateMachine | undefined {
    return this.sm;
  }

  status(): RaftStatus | undefined {
    return this.core?.status();
  }

  view(): MemberView | undefined {
    if (this.core === undefined || this.storage === undefined) return undefined;
    const st = this.core.status();
    return {
      id: this.id,
      term: st.term,
      role: st.role,
      commit: st.commit,
      applied: st.applied,
      lastIndex: st.lastIndex,
      voters: st.confState.voters,
      storage: this.storage,
    };
  }

  // ------------------------------------------------------------ inputs (the caller pumps afterwards)

  tick(): void {
    this.core?.tick();
  }

  step(m: Message): void {
    this.core?.step(m);
  }

  /** Throws the core's RaftError (NotLeader, ProposalDropped, …) to the caller; throws if down. */
  propose(data: Uint8Array): { index: number; term: number } {
    return this.requireCore().propose(data);
  }

  /** Fire-and-forget from any member (a follower forwards to its leader); throws ProposalDropped with no leader. */
  forwardProposal(data: Uint8Array): void {
    this.requireCore().forwardProposal(data);
  }

  proposeConfChange(cc: ConfChange): { index: number; term: number } {
    return this.requireCore().proposeConfChange(cc);
  }

  readIndex(requestId: string): void {
    this.requireCore().readIndex(requestId);
  }

  transferLeadership(to: NodeId): void {
    this.requireCore().transferLeadership(to);
  }

  reportSnapshot(to: NodeId, ok: boolean): void {
    this.core?.reportSnapshot(to, ok);
  }

  reportUnreachable(to: NodeId): void {
    this.core?.reportUnreachable(to);
  }

  private requireCore(): RaftNode {
    if (this.core === undefined) throw new Error(`member ${this.id} is down`);
    return this.core;
  }

  // ------------------------------------------------------------ the Ready loop

  /** Take the next Ready if none is being persisted; one at a time, as the core requires. */
  pump(): void {
    const core = this.core;
    const storage = this.storage;
    if (core === undefined || storage === undefined || this.inFlight !== undefined || !core.hasReady()) return;
    const view = this.view()!;
    const rd = core.ready();
    const write: DiskWrite = { snapshot: rd.snapshot, entries: rd.entries, hardState: rd.hardState };
    this.env.checker.onPersist(view, write);
    // The core reads its log through `storage`, so the write goes there at once; it becomes durable
    // only when the fsync completes.
    applyWrite(storage, write);
    this.inFlight = rd;
    const delayMs = this.disk.fsyncDelayMs(write);
    this.env.trace(
      `n${this.id} ready ents=${rd.entries.length}${rd.entries.length > 0 ? `@${rd.entries[0]!.index}` : ''} hs=${rd.hardState ? `${rd.hardState.term}/${rd.hardState.vote}/${rd.hardState.commit}` : '-'}` +
        ` snap=${rd.snapshot?.metadata.index ?? '-'} commit=${rd.committedEntries.length} msgs=${rd.messages.length} reads=${rd.readStates.length}` +
        `${rd.softState ? ` role=${rd.softState.role}/${rd.softState.leaderId}` : ''} fsync=${delayMs}`,
    );
    this.env.schedulePersisted(this.env.nowMs() + delayMs, this.id, this.incarnation);
  }

  /** The fsync of the in-flight Ready finished: the rest of the Ready contract runs now. */
  onPersisted(incarnation: number): void {
    if (incarnation !== this.incarnation) return; // the member crashed meanwhile; the write is lost
    const rd = this.inFlight;
    const core = this.core;
    if (rd === undefined || core === undefined) throw new Error(`member ${this.id}: fsync completion without a Ready`);
    this.disk.commitWrite({ snapshot: rd.snapshot, entries: rd.entries, hardState: rd.hardState });
    for (const m of rd.messages) this.env.send(m);
    if (rd.snapshot !== undefined) {
      this.env.checker.checkSnapshot(this.id, rd.snapshot);
      this.sm = KvStateMachine.restore(rd.snapshot.data, rd.snapshot.metadata.index);
      this.lastSnapshotIndex = rd.snapshot.metadata.index;
      this.env.onSnapshotInstalled(this.id, rd.snapshot.metadata.index);
    }
    const sm = this.sm!;
    const duplicatesBefore = sm.duplicatesIgnored;
    for (const e of rd.committedEntries) {
      if (e.index <= sm.appliedIndex) continue; // covered by a snapshot installed in this Ready
      this.env.checker.onApply(this.id, e);
      const out = sm.apply(e);
      if (e.type === 'confChange') this.env.onConfChangeApplied(this.id, e.index, e.change);
      else this.env.onApplied(this.id, e.index, out?.command, out?.result);
    }
    this.duplicatesIgnored += sm.duplicatesIgnored - duplicatesBefore;
    for (const rs of rd.readStates) this.pendingReads.push({ requestId: rs.requestId, index: rs.index });
    core.advance();
    this.inFlight = undefined;
    this.serveReads(sm);
    this.maybeSnapshot(core, sm);
  }

  private serveReads(sm: KvStateMachine): void {
    if (this.pendingReads.length === 0) return;
    const waiting: { requestId: string; index: number }[] = [];
    for (const r of this.pendingReads) {
      if (r.index <= sm.appliedIndex) this.env.onReadReady(this.id, r.requestId, sm);
      else waiting.push(r);
    }
    this.pendingReads = waiting;
  }

  /**
   * Application snapshots plus compaction, often enough that lagging or restarted members need
   * InstallSnapshot (§7). Taken after advance() so the configuration reflects every applied change.
   */
  private maybeSnapshot(core: RaftNode, sm: KvStateMachine): void {
    const storage = this.storage!;
    const index = sm.appliedIndex;
    if (index - this.lastSnapshotIndex < this.cfg.snapshotEveryEntries || index <= storage.snapshot().metadata.index) return;
    const confState = core.status().confState;
    const data = sm.snapshot();
    const compactIndex = Math.max(storage.firstIndex() - 1, index - this.cfg.compactRetainEntries);
    storage.createSnapshot(index, confState, data);
    storage.compact(compactIndex);
    this.disk.saveSnapshot(index, confState, data, compactIndex);
    this.lastSnapshotIndex = index;
    this.env.trace(`n${this.id} snapshot @${index} compact ${compactIndex}`);
  }

  // ------------------------------------------------------------ crash and restart

  /** Power loss: the process and every write not yet fsynced are gone; the durable image stays. */
  crash(): void {
    this.core = undefined;
    this.storage = undefined;
    this.sm = undefined;
    this.inFlight = undefined;
    this.pendingReads = [];
    this.incarnation++;
  }

  restart(): void {
    if (this.core !== undefined) throw new Error(`member ${this.id} is already running`);
    this.env.checker.onRestart(this.id);
    this.start();
  }

  private start(): void {
    const storage = this.disk.load();
    const snap = storage.snapshot();
    this.storage = storage;
    this.sm = KvStateMachine.restore(snap.data, snap.metadata.index);
    this.lastSnapshotIndex = snap.metadata.index;
    const c = this.cfg.core;
    this.core = new RaftNode({
      id: this.id,
      storage,
      rng: this.rng.fork(),
      electionTicks: c.electionTicks,
      heartbeatTicks: c.heartbeatTicks,
      preVote: c.preVote,
      checkQuorum: c.checkQuorum,
      maxSizePerMsgBytes: c.maxSizePerMsgBytes,
      maxInflightMsgs: c.maxInflightMsgs,
      // The state machine is the snapshot's image; the core hands the committed log out again from there.
      applied: snap.metadata.index,
      bugs: c.bugs,
    });
  }
}
