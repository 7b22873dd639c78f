// The deterministic simulator: N members, their disks, a faulty network and K clients, all driven by
// one event queue on a virtual clock and one seeded RNG. Same options ⇒ the same run, event for event,
// which is what makes every failure replayable from its seed.

import { checkHistory } from '../check/index.ts';
import type { Result } from '../check/history.ts';
import { applyConfChange, type MemoryStorage, RaftError, type ConfChange, type ConfState, type Message, type NodeId } from '@halyard/kv/raft';
import { SeededRng } from '@halyard/kv/util';
import { EventQueue } from './clock.ts';
import { ClientPool, type ClientConfig, type ClientEnv, type ClientWake } from './client.ts';
import { FaultInjector, clockRateFactor, type FaultEnv, type FaultKind } from './faults.ts';
import { findStaleReads } from './history-checks.ts';
import { InvariantChecker, type MemberView } from './invariants.ts';
import { Network, type NetworkConfig } from './network.ts';
import { NodeHost, type HostConfig, type HostEnv } from './node-host.ts';
import type { InitialDisk } from './disk.ts';
import { replayCommand, resolve, type Resolved, type SimOptions, type SimResult, type SimStats } from './options.ts';
import { encodeCommand, type Command } from './state-machine.ts';
import { Trace, describeMessage } from './trace.ts';

// The public surface stays here, where the CLI and tests import it from.
export { replayArgs, replayCommand } from './options.ts';
export type { SimOptions, SimResult, SimStats } from './options.ts';

/** The direct pairwise log comparison is O(log length × members²); the incremental checks run every step. */
const PAIRWISE_CHECK_EVERY_STEPS = 1024;

/** A woken member drains its input sources within this long, in random order. */
const PAUSE_WAKE_SPREAD_MS = 10;

type SimEvent =
  | { readonly kind: 'tick'; readonly id: NodeId }
  | { readonly kind: 'deliver'; readonly message: Message }
  | { readonly kind: 'persisted'; readonly id: NodeId; readonly incarnation: number }
  | { readonly kind: 'client'; readonly wake: ClientWake }
  | { readonly kind: 'fault' }
  | { readonly kind: 'restart'; readonly id: NodeId }
  | { readonly kind: 'report'; readonly from: NodeId; readonly to: NodeId; readonly snapshot: boolean }
  | { readonly kind: 'shutdown'; readonly id: NodeId }
  | { readonly kind: 'stopFaults' }
  | { readonly kind: 'unpause'; readonly id: NodeId }
  | { readonly kind: 'probe' };
export function runSimulation(options: SimOptions): SimResult {
  return new Simulation(options).run();
}
class Simulation {
  private readonly r: Resolved;
  private readonly options: SimOptions;
  private readonly queue = new EventQueue<SimEvent>();
  private readonly trace: Trace;
  private readonly checker: InvariantChecker;
  private readonly network: Network;
  private readonly hosts = new Map<NodeId, NodeHost>();
  private readonly removed = new Set<NodeId>();
  private readonly clients: ClientPool;
  private readonly faults: FaultInjector;
  private readonly rngFaults: SeededRng;
  private readonly rngHosts: SeededRng;
  private readonly touched = new Set<NodeId>();
  /** The nemesis's memory of each leader's term and commit, to see new leaders and commits. */
  private readonly leaderSeen = new Map<NodeId, { term: number; commit: number }>();
  private nemesisIsolations = 0;
  private stepCount = 0;
  /** Frozen members and when they wake; their input waits (in "socket buffers") until then. */
  private readonly pausedUntil = new Map<NodeId, number>();
  /**
   * Per paused member, per input source (a peer's connection, a client, the disk): when that source's
   * buffered input is drained after waking. One draw per source keeps each connection FIFO, while the
   * sources are drained in random order, as an event loop does after SIGCONT.
   */
  private readonly wakeJitterMs = new Map<NodeId, Map<string, number>>();
  private readonly rngPause: SeededRng;
  private readonly rngSkew: SeededRng;
  /** Each member's tick interval; differs from tickMs only with the skew fault. */
  private readonly tickIntervalMs = new Map<NodeId, number>();
  private readonly stats = {
    messagesSent: 0,
    messagesDropped: 0,
    messagesDuplicated: 0,
    messagesCut: 0,
    restarts: 0,
    snapshotsInstalled: 0,
  };
  /** The configuration as applied by the cluster (ghost): each committed change, once, in log order. */
  private ghostConf: ConfState;
  private readonly bootstrapConf: ConfState;
  private ghostConfIndex = 0;
  private nextNewId: NodeId;
  private faultsStopped = false;
  private probeSeq = 0;
  private probeMetAtMs: number | undefined;
  private livenessReported = false;
  private readonly endMs: number;
  private readonly faultsStopMs: number;

  constructor(options: SimOptions) {
    this.options = options;
    this.r = resolve(options);
    this.checker = new InvariantChecker(options.disabledChecks ?? []);
    const root = new SeededRng(this.r.seed);
    // One independent stream per concern, forked in a fixed order, so adding draws in one concern does
    // not shift another's (e.g. client choices do not change the network's).
    const rngNet = root.fork();
    this.rngFaults = root.fork();
    const rngClients = root.fork();
    this.rngHosts = root.fork();
    const rngPhase = root.fork();
    this.rngPause = root.fork();
    this.rngSkew = root.fork();
    this.trace = new Trace(options.keepTrace === true);
    this.endMs = this.r.ticks * this.r.tickMs;
    this.faultsStopMs = this.r.faultsStopAtTick * this.r.tickMs;
    this.network = new Network(this.networkConfig(false), rngNet);
    this.bootstrapConf = { voters: Array.from({ length: this.r.nodes }, (_, i) => i + 1), learners: [] };
    this.ghostConf = this.bootstrapConf;
    this.nextNewId = this.r.nodes + 1;
    const initialDisk: InitialDisk =
      this.r.bootstrap === 'log' ? { kind: 'log', voters: this.bootstrapConf.voters } : { kind: 'snapshot', conf: this.bootstrapConf };
    for (const id of this.ghostConf.voters) this.addHost(id, initialDisk, rngPhase);
    this.clients = new ClientPool(this.clientConfig(), this.clientEnv(), rngClients);
    this.faults = new FaultInjector(
      this.r.faults,
      this.r.tuning,
      this.faultEnv(),
      this.rngFaults,
    );
    if (this.faults.active) this.queue.schedule(this.faults.nextWakeMs(), { kind: 'fault' });
    this.queue.schedule(this.faultsStopMs, { kind: 'stopFaults' });
  }

  private has(f: FaultKind): boolean {
    return this.r.faults.has(f);
  }

  private networkConfig(calm: boolean): NetworkConfig {
    // Reordering comes from a wide random delay; without it every message takes the same time, so each
    // link is FIFO (events at equal times keep their scheduling order).
    const t = this.r.tuning;
    const reorder = this.has('reorder');
    return {
      delayMsMin: reorder ? t.delayMsMin : t.delayMsFixed,
      delayMsMax: reorder ? t.delayMsMax : t.delayMsFixed,
      dropProbability: !calm && this.has('drop') ? t.dropProbability : 0,
      duplicateProbability: !calm && this.has('dup') ? t.duplicateProbability : 0,
    };
  }

  private clientConfig(): ClientConfig {
    const electionMs = this.r.electionTicks * this.r.tickMs;
    const t = this.r.tuning;
    return {
      clients: this.r.clients,
      keys: t.clientKeys,
      thinkMsMin: t.clientThinkMsMin,
      thinkMsMax: t.clientThinkMsMax,
      // Long enough to ride out an election, so most outcomes are known; short enough that clients
      // stuck on a frozen member move on while it is still frozen.
      timeoutMs: 5 * electionMs,
      retryDelayMs: 2 * this.r.tickMs,
      attemptsMax: 8,
      readProbability: t.readProbability,
      casProbability: t.casProbability,
      forwardProbability: t.forwardProbability,
    };
  }

  private hostConfig(id: NodeId, initialDisk: InitialDisk): HostConfig {
    return {
      id,
      initialDisk,
      core: {
        electionTicks: this.r.electionTicks,
        heartbeatTicks: 1,
        preVote: this.options.preVote ?? true,
        checkQuorum: this.options.checkQuorum ?? true,
        // Small messages and windows, so flow control and batching paths run in short simulations.
        maxSizePerMsgBytes: this.r.tuning.maxSizePerMsgBytes,
        maxInflightMsgs: this.r.tuning.maxInflightMsgs,
        bugs: this.r.bugs,
      },
      disk: { fsyncDelayMsMin: this.r.tuning.fsyncDelayMsMin, fsyncDelayMsMax: this.r.tuning.fsyncDelayMsMax },
      snapshotEveryEntries: this.r.tuning.snapshotEveryEntries,
      compactRetainEntries: this.r.tuning.compactRetainEntries,
    };
  }

  private addHost(id: NodeId, initialDisk: InitialDisk, rngPhase: SeededRng): NodeHost {
    const host = new NodeHost(this.hostConfig(id, initialDisk), this.hostEnv(), this.rngHosts.fork());
    this.hosts.set(id, host);
    // Members' clocks tick at the same rate but out of phase, as real processes do.
    this.queue.after(1 + rngPhase.int(this.r.tickMs), { kind: 'tick', id });
    if (this.has('skew')) this.setClockRate(id, clockRateFactor(this.rngSkew));
    return host;
  }

  private setClockRate(id: NodeId, factor: number): void {
    this.tickIntervalMs.set(id, Math.max(1, Math.round(this.r.tickMs * factor)));
  }

  private memberIds(): NodeId[] {
    return [...this.hosts.keys()].filter((id) => !this.removed.has(id));
  }

  private record(line: string): void {
    this.trace.record(`${this.queue.nowMs} ${line}`);
  }

  // ------------------------------------------------------------------ environments

  private hostEnv(): HostEnv {
    return {
      nowMs: () => this.queue.nowMs,
      schedulePersisted: (atMs, id, incarnation) => this.queue.schedule(atMs, { kind: 'persisted', id, incarnation }),
      send: (m) => this.send(m),
      trace: (line) => this.record(line),
      checker: this.checker,
      onApplied: (id, index, command, result) => this.onApplied(id, index, command, result),
      onReadReady: (id, requestId, sm) => this.clients.onReadReady(id, requestId, sm),
      onConfChangeApplied: (id, index, cc) => this.onConfChangeApplied(id, index, cc),
      onSnapshotInstalled: () => {
        this.stats.snapshotsInstalled++;
      },
    };
  }

  private clientEnv(): ClientEnv {
    return {
      nowMs: () => this.queue.nowMs,
      scheduleClient: (atMs: number, wake: ClientWake) => this.queue.schedule(atMs, { kind: 'client', wake }),
      host: (id: NodeId) => {
        const h = this.hosts.get(id);
        if (h === undefined || this.removed.has(id)) return undefined;
        this.touched.add(id);
        return h;
      },
      memberIds: () => this.memberIds(),
      pausedUntilMs: (id: NodeId) => this.pausedUntil.get(id),
      wakeAtMs: (id: NodeId, clientId: number) => this.wakeAtMs(id, `client${clientId}`),
      checker: this.checker,
      trace: (line: string) => this.record(line),
    };
  }

  private faultEnv(): FaultEnv {
    return {
      nowMs: () => this.queue.nowMs,
      memberIds: () => this.memberIds(),
      isAlive: (id) => this.hosts.get(id)?.alive === true,
      cutLink: (from, to) => this.network.cutLink(from, to),
      healAll: () => this.network.healAll(),
      crash: (id) => this.crash(id),
      setClockRate: (id, factor) => this.setClockRate(id, factor),
      pause: (id, untilMs) => {
        this.pausedUntil.set(id, untilMs);
        this.wakeJitterMs.set(id, new Map());
        this.queue.schedule(untilMs, { kind: 'unpause', id });
      },
      scheduleRestart: (atMs, id) => this.queue.schedule(atMs, { kind: 'restart', id }),
      leader: () => this.leader(),
      transferLeadership: (from, to) => {
        this.touched.add(from);
        try {
          this.hosts.get(from)!.transferLeadership(to);
        } catch (e) {
          if (!(e instanceof RaftError)) throw e;
        }
      },
      changeMembership: () => this.changeMembership(),
      trace: (line) => this.record(line),
    };
  }

  // ------------------------------------------------------------------ the loop

  run(): SimResult {
    const stopOnViolation = this.options.stopOnViolation ?? true;
    for (;;) {
      const next = this.queue.pop();
      if (next === undefined || next.timeMs > this.endMs) break;
      this.checker.setTime(next.timeMs);
      try {
        this.handle(next.event);
        this.afterStep();
      } catch (e) {
        // A core invariant (or any exception) mid-Ready leaves the member inconsistent: stop here.
        const msg = e instanceof Error ? `${e.message}\n${(e.stack ?? '').split('\n').slice(1, 6).join('\n')}` : String(e);
        this.checker.report('CoreError', undefined, `exception while handling ${JSON.stringify(next.event.kind)}: ${msg}`);
        break;
      }
      if (stopOnViolation && !this.checker.ok) break;
    }
    if (this.checker.ok && this.faultsStopped && this.probeMetAtMs === undefined && !this.livenessReported) {
      this.checker.report('Liveness', undefined, `no proposal committed by the end of the run, ${this.endMs - this.faultsStopMs}ms after faults stopped`);
    }
    if (this.checker.ok) this.checkLogsPairwise();
    // The same property over the finished history, independent of the incremental bookkeeping.
    for (const s of this.checker.ok ? findStaleReads(this.clients.getHistory()) : []) {
      this.checker.report('StaleRead', undefined, `history: read op ${s.readOpId} of ${s.key} saw modRevision ${s.observedModRevision} at revision ${s.observedRevision}, missing write op ${s.missedWriteOpId} (revision ${s.missedRevision})`);
    }
    if (this.options.checkLinearizability === true && this.checker.ok) this.checkLinearizability();
    return this.result();
  }

  /** Input for a frozen member is held until it wakes, then arrives in a random order. */
  private deferIfPaused(id: NodeId, source: string, ev: SimEvent): boolean {
    if (!this.pausedUntil.has(id)) return false;
    this.queue.schedule(this.wakeAtMs(id, source), ev);
    return true;
  }

  private wakeAtMs(id: NodeId, source: string): number {
    const until = this.pausedUntil.get(id)!;
    const jitters = this.wakeJitterMs.get(id)!;
    let j = jitters.get(source);
    if (j === undefined) {
      j = this.rngPause.int(PAUSE_WAKE_SPREAD_MS);
      jitters.set(source, j);
    }
    return until + j;
  }

  private handle(ev: SimEvent): void {
    switch (ev.kind) {
      case 'tick': {
        if (this.removed.has(ev.id)) return;
        this.queue.after(this.tickIntervalMs.get(ev.id) ?? this.r.tickMs, ev);
        const h = this.hosts.get(ev.id)!;
        // A frozen process's clock stands still: its ticks are lost, not delayed.
        if (!h.alive || this.pausedUntil.has(ev.id)) return;
        this.record(`n${ev.id} tick`);
        h.tick();
        this.touched.add(ev.id);
        return;
      }
      case 'deliver': {
        const m = ev.message;
        if (this.deferIfPaused(m.to, `peer${m.from}`, ev)) return;
        const h = this.hosts.get(m.to);
        if (this.network.isCut(m.from, m.to) || h === undefined || !h.alive || this.removed.has(m.to)) {
          this.record(`lost ${describeMessage(m)}`);
          return;
        }
        this.record(`deliver ${describeMessage(m)}`);
        h.step(m);
        this.touched.add(m.to);
        return;
      }
      case 'persisted': {
        if (this.deferIfPaused(ev.id, 'disk', ev)) return;
        const h = this.hosts.get(ev.id)!;
        this.record(`n${ev.id} fsync done inc=${ev.incarnation}`);
        h.onPersisted(ev.incarnation);
        this.touched.add(ev.id);
        return;
      }
      case 'client':
        this.clients.wake(ev.wake);
        return;
      case 'fault':
        if (this.faults.fire()) this.queue.schedule(this.faults.nextWakeMs(), { kind: 'fault' });
        return;
      case 'restart':
        this.restart(ev.id);
        return;
      case 'report': {
        if (this.deferIfPaused(ev.from, 'transport', ev)) return;
        const h = this.hosts.get(ev.from);
        if (h === undefined || !h.alive) return;
        this.record(`report n${ev.from} ${ev.snapshot ? 'snapshot-failed' : 'unreachable'} n${ev.to}`);
        if (ev.snapshot) h.reportSnapshot(ev.to, false);
        else h.reportUnreachable(ev.to);
        this.touched.add(ev.from);
        return;
      }
      case 'shutdown': {
        const h = this.hosts.get(ev.id);
        if (h === undefined) return;
        this.record(`n${ev.id} shut down after removal`);
        if (h.alive) h.crash();
        this.removed.add(ev.id);
        return;
      }
      case 'stopFaults':
        this.stopFaults();
        return;
      case 'unpause':
        if ((this.pausedUntil.get(ev.id) ?? Number.POSITIVE_INFINITY) <= this.queue.nowMs) {
          this.pausedUntil.delete(ev.id);
          this.wakeJitterMs.delete(ev.id);
          this.record(`n${ev.id} resumes`);
        }
        return;
      case 'probe':
        this.probe();
        return;
      default: {
        const never: never = ev;
        throw new Error(`unknown event ${JSON.stringify(never)}`);
      }
    }
  }

  /** Pump and check every member the step touched; the checks of a step see its complete effect. */
  private afterStep(): void {
    for (const id of [...this.touched].sort((a, b) => a - b)) {
      const h = this.hosts.get(id)!;
      h.pump();
      const v = h.view();
      if (v !== undefined) {
        this.checker.afterStep(v);
        this.nemesis(v);
      }
    }
    this.touched.clear();
    if (++this.stepCount % PAIRWISE_CHECK_EVERY_STEPS === 0) this.checkLogsPairwise();
    const durable = new Map<NodeId, MemoryStorage>();
    for (const [id, h] of this.hosts) durable.set(id, h.durable);
    this.checker.checkDurability(durable, this.ghostConf);
  }

  private checkLogsPairwise(): void {
    const views: MemberView[] = [];
    for (const h of this.hosts.values()) {
      const v = h.view();
      if (v !== undefined) views.push(v);
    }
    this.checker.checkLogsPairwise(views);
  }

  /**
   * A reactive partition nemesis (Jepsen's "partition the leader"): right after a member becomes
   * leader, or right after a leader advances its commit index, sometimes cut it off from everyone
   * (healing older cuts). Random timing rarely lands in those short windows, and they are where the
   * figure 8 cases live: a new leader's entries reach no one, an old-term entry is counted committed
   * and its leader vanishes before its own-term entry replicates.
   */
  private nemesis(v: MemberView): void {
    if (this.faultsStopped || !this.has('partition') || v.role !== 'leader') return;
    const t = this.r.tuning;
    const prev = this.leaderSeen.get(v.id);
    const isNew = prev === undefined || prev.term !== v.term;
    const committed = !isNew && v.commit > prev.commit;
    this.leaderSeen.set(v.id, { term: v.term, commit: v.commit });
    const p = isNew ? t.isolateNewLeaderProbability : committed ? t.isolateCommittingLeaderProbability : 0;
    if (p === 0 || this.rngFaults.float() >= p) return;
    this.network.healAll();
    for (const o of this.memberIds()) {
      this.network.cutLink(v.id, o);
      this.network.cutLink(o, v.id);
    }
    this.nemesisIsolations++;
    this.record(`nemesis isolates ${isNew ? 'new' : 'committing'} leader n${v.id} (term ${v.term}, commit ${v.commit})`);
  }

  private send(m: Message): void {
    const { outcome, deliveries } = this.network.send(m, this.queue.nowMs);
    this.stats.messagesSent++;
    if (outcome === 'dropped') this.stats.messagesDropped++;
    if (outcome === 'duplicated') this.stats.messagesDuplicated++;
    if (outcome === 'cut') {
      this.stats.messagesCut++;
      // A transport notices a broken connection; the core then probes instead of pipelining.
      this.queue.after(1, { kind: 'report', from: m.from, to: m.to, snapshot: false });
    }
    if ((outcome === 'cut' || outcome === 'dropped') && m.type === 'snapshot') {
      this.queue.after(1, { kind: 'report', from: m.from, to: m.to, snapshot: true });
    }
    for (const d of deliveries) this.queue.schedule(d.atMs, { kind: 'deliver', message: d.message });
  }

  private crash(id: NodeId): void {
    const h = this.hosts.get(id);
    if (h === undefined || !h.alive) return;
    h.crash();
    this.pausedUntil.delete(id);
    this.wakeJitterMs.delete(id);
    this.record(`n${id} crash`);
  }

  private restart(id: NodeId): void {
    const h = this.hosts.get(id);
    if (h === undefined || h.alive || this.removed.has(id)) return;
    h.restart();
    this.stats.restarts++;
    const st = h.status()!;
    this.record(`n${id} restart term=${st.term} commit=${st.commit} first=${st.firstIndex} last=${st.lastIndex}`);
    this.touched.add(id);
  }

  private leader(): NodeId | undefined {
    let best: { id: NodeId; term: number } | undefined;
    for (const id of this.memberIds()) {
      const st = this.hosts.get(id)!.status();
      if (st?.role === 'leader' && (best === undefined || st.term > best.term)) best = { id, term: st.term };
    }
    return best?.id;
  }

  // ------------------------------------------------------------------ applies and membership

  private onApplied(id: NodeId, index: number, command: Command | undefined, result: Result | undefined): void {
    if (command?.type === 'noop') {
      if (command.reqId.startsWith('probe') && this.probeMetAtMs === undefined) {
        this.probeMetAtMs = this.queue.nowMs;
        this.record(`liveness probe committed at ${index} (n${id})`);
      }
      return;
    }
    this.clients.onApplied(id, index, command, result);
  }

  private onConfChangeApplied(id: NodeId, index: number, cc: ConfChange): void {
    if (index <= this.ghostConfIndex) return;
    this.ghostConfIndex = index;
    this.ghostConf = applyConfChange(this.ghostConf, cc);
    this.record(`conf ${cc.type} n${cc.nodeId} applied at ${index} (first by n${id}) → voters=${this.ghostConf.voters.join(',')} learners=${this.ghostConf.learners.join(',')}`);
    // A removed member is shut down, as an operator would; a little later, so it may hear of its removal.
    if (cc.type === 'removeNode') this.queue.after(30 * this.r.tickMs, { kind: 'shutdown', id: cc.nodeId });
  }

  /** One step of the cycle add learner → promote it → remove a voter, keeping the cluster near its size. */
  private changeMembership(): string | undefined {
    const leaderId = this.leader();
    if (leaderId === undefined) return undefined;
    const leader = this.hosts.get(leaderId)!;
    const conf = leader.status()!.confState;
    let cc: ConfChange;
    if (conf.learners.length > 0) cc = { type: 'promoteLearner', nodeId: conf.learners[0]! };
    else if (conf.voters.length > this.r.nodes) cc = { type: 'removeNode', nodeId: conf.voters[this.rngFaults.int(conf.voters.length)]! };
    else cc = { type: 'addLearner', nodeId: this.nextNewId };
    this.touched.add(leaderId);
    try {
      leader.proposeConfChange(cc);
    } catch (e) {
      if (e instanceof RaftError) return undefined;
      throw e;
    }
    if (cc.type === 'addLearner') {
      this.nextNewId++;
      // With the log bootstrap a joiner starts empty, as the server's does: the log from index 1 carries
      // the whole configuration. With the snapshot bootstrap the configuration lives only in the snapshot
      // at index 0, so a joiner that started empty and was sent the log from index 1 would replay only
      // the later changes (add n4, promote n4), believe it is the only voter and elect itself (found with
      // seed 1056831993); it must start with the bootstrap configuration (etcd's --initial-cluster).
      this.addHost(cc.nodeId, this.r.bootstrap === 'log' ? { kind: 'empty' } : { kind: 'snapshot', conf: this.bootstrapConf }, this.rngFaults.fork());
    }
    return `${cc.type} n${cc.nodeId} via n${leaderId}`;
  }

  // ------------------------------------------------------------------ liveness

  /**
   * Faults stop: partitions heal, crashed members restart, the network stops losing messages (it still
   * delays and reorders). From here a leader must be elected and a proposal committed within the bound.
   */
  private stopFaults(): void {
    this.faultsStopped = true;
    this.faults.stop();
    this.network.healAll();
    this.network.reconfigure(this.networkConfig(true));
    // Frozen members wake now; input held for them still arrives at their old wake-up time, like a delay.
    this.pausedUntil.clear();
    this.wakeJitterMs.clear();
    this.record('faults stop');
    for (const id of this.memberIds()) if (!this.hosts.get(id)!.alive) this.restart(id);
    this.queue.after(this.r.tickMs, { kind: 'probe' });
  }

  private probe(): void {
    if (this.probeMetAtMs !== undefined) return;
    const deadlineMs = this.faultsStopMs + this.r.livenessBoundTicks * this.r.tickMs;
    if (this.queue.nowMs > deadlineMs) {
      if (!this.livenessReported) {
        this.livenessReported = true;
        this.checker.report('Liveness', this.leader(), `no proposal committed within ${this.r.livenessBoundTicks} ticks after faults stopped (leader: ${this.leader() ?? 'none'})`);
      }
      return;
    }
    const leaderId = this.leader();
    if (leaderId !== undefined && this.probeSeq % 5 === 0) {
      // Re-proposed every few rounds, since a probe proposed to a leader about to lose its term is lost.
      const cmd: Command = { reqId: `probe${this.probeSeq}`, type: 'noop' };
      try {
        this.hosts.get(leaderId)!.propose(encodeCommand(cmd));
        this.touched.add(leaderId);
        this.record(`probe ${cmd.reqId} → n${leaderId}`);
      } catch (e) {
        if (!(e instanceof RaftError)) throw e;
      }
    }
    this.probeSeq++;
    this.queue.after(this.r.tickMs, { kind: 'probe' });
  }

  /**
   * The whole client history against the KV model. The checker's time budget is wall-clock (it lives
   * outside the simulation); an undecided check is not a failure.
   */
  private checkLinearizability(): void {
    const c = checkHistory(this.clients.getHistory(), { timeBudgetMs: 30_000 });
    if (c.outcome === 'not-linearizable') {
      this.checker.report('Linearizability', undefined, `client history is not linearizable (ops ${c.offendingOpIds.join(',')}):\n${c.summary}`);
    }
  }

  // ------------------------------------------------------------------ result

  private result(): SimResult {
    const f = this.faults.counts;
    const c = this.clients.counts;
    const cs = this.checker.stats();
    const stats: SimStats = {
      events: this.trace.eventCount,
      virtualMs: this.queue.nowMs,
      ...this.stats,
      crashes: f.crashes,
      pauses: f.pauses,
      skews: f.skews,
      partitions: f.partitions + this.nemesisIsolations,
      heals: f.heals,
      transfers: f.transfers,
      membershipChanges: f.membershipChanges,
      leaderTerms: cs.leadersSeen,
      duplicateCommandsIgnored: [...this.hosts.values()].reduce((n, h) => n + h.duplicateCommandsIgnored, 0),
      committedIndexMax: cs.committedIndexMax,
      opsOk: c.ok,
      opsUnknown: c.unknown,
      opsGivenUp: c.givenUp,
      livenessTicks: this.probeMetAtMs === undefined ? undefined : Math.ceil((this.probeMetAtMs - this.faultsStopMs) / this.r.tickMs),
    };
    return {
      seed: this.r.seed,
      ok: this.checker.ok,
      traceHash: this.trace.hex(),
      trace: this.trace.lines,
      lastEvents: [...this.trace.lastLines()],
      history: this.clients.getHistory(),
      violations: this.checker.violations,
      stats,
      replayCommand: replayCommand(this.options),
    };
  }
}
