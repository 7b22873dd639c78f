// One simulated member process: the production KvMember — its Ready loop, the real KvStateMachine over the
// real MVCC store, dedupe table, lessor and compaction — wired through its seams to the simulator's disk,
// network and virtual clock. Power loss drops the whole process (every volatile structure, every write not
// yet durable); a restart boots a new KvMember from the durable image exactly as the server boots from
// LevelDB (server/boot.ts).

import type { Entry, Message, NodeId, RaftStatus, Snapshot } from '@halyard/kv/raft';
import {
  ClientRequests,
  type ClusterIds,
  KvMember,
  type MemberConfig,
  type MemberRandom,
  type PeerNetwork,
  type RaftTuning,
  bootMember,
} from '@halyard/kv/server';
import type { TransportLogger } from '@halyard/kv/transport';
import type { SeededRng } from '@halyard/kv/util';
import type { ClientRequest, Methods } from '@halyard/kv-client/protocol';
import { SimApplyBackend } from './apply-backend.ts';
import { SimDisk, type DiskConfig } from './disk.ts';
import type { InvariantChecker, MemberView } from './invariants.ts';
import { VirtualMemberClock } from './member-clock.ts';

export interface SimMemberConfig {
  readonly id: NodeId;
  readonly config: MemberConfig;
  readonly ids: ClusterIds;
  readonly raft: RaftTuning;
  readonly disk: DiskConfig;
}

/** The world as a simulated member sees it; the simulator implements it. */
export interface SimMemberEnv {
  nowMs(): number;
  trace(line: string): void;
  readonly checker: InvariantChecker;
  /** Call `fireTimer(incarnation, timerId)` at `atMs`. */
  scheduleTimer(atMs: number, id: NodeId, incarnation: number, timerId: number): void;
  /** Call `diskCompleted(incarnation, token)` at `atMs`. */
  scheduleDisk(atMs: number, id: NodeId, incarnation: number, token: number): void;
  /** Hand a message to the network. */
  send(m: Message): void;
  /** A committed entry is about to be applied / a snapshot installed (invariant checks, ghost state). */
  applying(id: NodeId, e: Entry): void;
  installing(id: NodeId, snap: Snapshot): void;
  /** The member stopped by itself: removed from the cluster, or a fatal error. */
  stopped(id: NodeId, fatal: unknown): void;
}

/** Watch frames have nowhere to go: the simulated clients do not watch. */
const NO_WATCHES = { send: () => undefined, bufferedBytes: () => 0 };

export class SimMember {
  readonly id: NodeId;
  readonly disk: SimDisk;
  /** Where this member's applied batches settle (the applylag fault makes that take time). */
  readonly applyBackend: SimApplyBackend;
  private readonly cfg: SimMemberConfig;
  private readonly env: SimMemberEnv;
  private readonly rng: SeededRng;
  private member: KvMember | undefined;
  private requests: ClientRequests | undefined;
  private clock: VirtualMemberClock | undefined;
  private memory: MemberView['storage'] | undefined;
  /** Where this incarnation's network sends (the transport's senders): peer id → URL. */
  private peers = new Map<NodeId, string>();
  private clockFactor = 1;
  /** Bumped on every crash, so events of a previous life (timers, fsyncs) are ignored. */
  incarnation = 0;
  /** Stopped by itself (removal or a fatal error): never restarted. */
  gone = false;
  /** Inputs (messages, ticks) that arrived while a durable write was in flight (statistics). */
  inputsDuringPersist = 0;
  /** Applies of a request already applied (answered from the dedupe table), over all incarnations. */
  private duplicatesBefore = 0;

  constructor(cfg: SimMemberConfig, env: SimMemberEnv, rng: SeededRng) {
    this.id = cfg.id;
    this.cfg = cfg;
    this.env = env;
    this.rng = rng;
    this.disk = new SimDisk(cfg.disk, rng.fork());
    this.applyBackend = new SimApplyBackend(rng.fork());
    this.start();
  }

  get alive(): boolean {
    return this.member !== undefined && !this.member.isStopped();
  }

  get duplicateCommandsIgnored(): number {
    return this.duplicatesBefore + (this.member?.sm.duplicatesIgnored ?? 0);
  }

  status(): RaftStatus | undefined {
    return this.alive ? this.member!.status() : undefined;
  }

  /** The running member (for the simulator's faults and probes); undefined when down. */
  running(): KvMember | undefined {
    return this.alive ? this.member : undefined;
  }

  view(): MemberView | undefined {
    if (!this.alive || this.memory === undefined) return undefined;
    const st = this.member!.status();
    return {
      id: this.id,
      term: st.term,
      role: st.role,
      commit: st.commit,
      applied: st.applied,
      lastIndex: st.lastIndex,
      voters: st.confState.voters,
      learners: st.confState.learners,
      settled: !this.member!.isPersisting() && !this.member!.isApplying(),
      applying: this.member!.isApplying(),
      storage: this.memory,
    };
  }

  // ------------------------------------------------------------ inputs

  receive(m: Message): void {
    if (!this.alive) return;
    // As the transport does from a peer's hello: a dialer this member does not know yet (it has not applied
    // the change that added it) is added, so this member can answer it.
    if (!this.peers.has(m.from)) this.peers.set(m.from, `ws://n${m.from}.sim:2380`);
    if (this.member!.isPersisting()) this.inputsDuringPersist++;
    this.member!.receive(m);
  }

  tick(): void {
    if (!this.alive) return;
    if (this.member!.isPersisting()) this.inputsDuringPersist++;
    this.clock!.tick();
  }

  fireTimer(incarnation: number, timerId: number): void {
    if (incarnation === this.incarnation && this.alive) this.clock!.fire(timerId);
  }

  diskCompleted(incarnation: number, token: number): void {
    if (incarnation === this.incarnation && this.member !== undefined) this.disk.completed(token);
  }

  unreachable(peer: NodeId): void {
    if (this.alive) this.member!.unreachable(peer);
  }

  snapshotSent(peer: NodeId, ok: boolean): void {
    if (this.alive) this.member!.snapshotSent(peer, ok);
  }

  removedBy(peer: NodeId): void {
    if (this.alive) this.member!.removedBy(peer);
  }

  /** Whether this member refuses traffic from `peer` (its state machine applied the peer's removal). */
  refuses(peer: NodeId): boolean {
    return this.alive && this.member!.isRemoved(peer);
  }

  /** A client request, served by the member's real request handler. */
  handle(req: ClientRequest): Promise<Methods[typeof req.method]['result']> {
    if (!this.alive) throw new Error(`member ${this.id} is down`);
    return this.requests!.handle(req, NO_WATCHES);
  }

  setClockFactor(factor: number): void {
    this.clockFactor = factor;
    this.clock?.setFactor(factor);
  }

  // ------------------------------------------------------------ crash and restart

  /** Power loss: the process and every write not yet durable are gone; the durable image stays. */
  crash(): void {
    if (this.member === undefined) return;
    this.duplicatesBefore += this.member.sm.duplicatesIgnored;
    this.member = undefined;
    this.requests = undefined;
    this.clock = undefined;
    this.memory = undefined;
    this.disk.crash();
    this.incarnation++;
  }

  restart(): void {
    if (this.member !== undefined) throw new Error(`member ${this.id} is already running`);
    this.env.checker.onRestart(this.id);
    this.start();
  }

  private start(): void {
    const id = this.id;
    const incarnation = this.incarnation;
    const env = this.env;
    const clock = new VirtualMemberClock({ nowMs: () => env.nowMs(), scheduleTimer: (atMs, timerId) => env.scheduleTimer(atMs, id, incarnation, timerId) }, this.clockFactor);
    let view: () => MemberView | undefined = () => undefined;
    const { state, store } = this.disk.open({
      nowMs: () => env.nowMs(),
      scheduleCompletion: (atMs, token) => env.scheduleDisk(atMs, id, incarnation, token),
      beforeWrite: (w) => {
        const v = view();
        if (v !== undefined) env.checker.onPersist(v, w);
      },
    });
    const boot = bootMember(state, this.cfg.ids, this.cfg.config.initialClusterState);
    if (boot.bootstrap !== undefined) this.disk.writeDurable(boot.bootstrap);
    const peers = new Map<NodeId, string>();
    this.peers = peers;
    const network: PeerNetwork = {
      // As the real transport, a message to a peer it was not told about goes nowhere.
      sendAll: (ms) => {
        for (const m of ms) if (peers.has(m.to)) env.send(m);
      },
      setPeer: (peer, url) => void peers.set(peer, url),
      removePeer: (peer) => void peers.delete(peer),
      peers: () => [...peers.keys()],
      close: () => Promise.resolve(),
    };
    const rng = this.rng.fork();
    const random: MemberRandom = { raftRng: () => rng.fork(), requestIdPrefix: () => `n${id}i${incarnation}` };
    const logger: TransportLogger = {
      info: (msg, fields) => env.trace(`n${id} ${msg}${fields !== undefined ? ` ${JSON.stringify(fields)}` : ''}`),
      warn: (msg, fields) => env.trace(`n${id} WARN ${msg}${fields !== undefined ? ` ${JSON.stringify(fields)}` : ''}`),
    };
    const member = new KvMember({
      config: this.cfg.config,
      ids: this.cfg.ids,
      logger,
      boot,
      store,
      network,
      clock,
      random,
      raft: this.cfg.raft,
      applyBackend: this.applyBackend.seam(clock, () => env.nowMs(), (line) => env.trace(`n${id} ${line}`)),
      observer: { applying: (e) => env.applying(id, e), installing: (s) => env.installing(id, s) },
    });
    member.onStopped(() => {
      if (this.member !== member) return;
      this.gone = true;
      env.stopped(id, member.fatalError());
    });
    this.member = member;
    this.requests = new ClientRequests(member);
    this.clock = clock;
    this.memory = boot.memory;
    view = () => this.view();
    member.start();
  }
}
