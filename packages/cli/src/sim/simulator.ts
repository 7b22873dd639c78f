// The deterministic simulator: N production members (KvMember, its Ready loop, the real state machine)
// on simulated disks, a faulty network and K clients, all driven by one event queue on a virtual clock and
// one seeded RNG. Same options ⇒ the same run, event for event, which is what makes every failure
// replayable from its seed.
//
// The members' client-facing calls return promises; the run awaits a fixed number of microtask turns after
// each event, so their continuations run where a real process would run them (before its next I/O event).
// Nothing here reads a real clock or does real I/O, so the interleaving is a function of the seed alone.

import { checkHistory } from '../check/index.ts';
import { checkLeases } from '../fuzz/lease-check.ts';
import { applyConfChange, type ConfChange, type ConfState, type Entry, type Message, type NodeId, type Snapshot } from '@halyard/kv/raft';
import { type ClusterIds, type KvStateMachine, MEMBER_DEFAULTS, type MemberConfig, decodePayload, encodeMemberContext } from '@halyard/kv/server';
import { SeededRng } from '@halyard/kv/util';
import { EventQueue } from './clock.ts';
import { ClientPool, type ClientConfig, type ClientEnv, type ClientWake } from './client.ts';
import { CLOCK_RATE_MIN, FaultInjector, clockRateFactor, type FaultEnv, type FaultKind } from './faults.ts';
import { findStaleReads } from './history-checks.ts';
import { InvariantChecker, type MemberView } from './invariants.ts';
import { Nemeses } from './nemesis.ts';
import { Network, type NetworkConfig } from './network.ts';
import { replayCommand, resolve, type Resolved, type ScenarioControl, type SimOptions, type SimResult, type SimStats } from './options.ts';
import { SimMember, type SimMemberEnv } from './sim-member.ts';
import { Trace, describeMessage } from './trace.ts';

// The public surface stays here, where the CLI and tests import it from.
export { replayArgs, replayCommand } from './options.ts';
export type { Scenario, ScenarioControl, SimOptions, SimResult, SimStats } from './options.ts';

/** The direct pairwise log comparison is O(log length × members²); the incremental checks run every step. */
const PAIRWISE_CHECK_EVERY_STEPS = 1024;

/** A woken member drains its input sources within this long, in random order. */
const PAUSE_WAKE_SPREAD_MS = 10;

/**
 * Microtask turns run after each event: enough for a request's answer to travel from the state machine
 * through the member's and the request handler's awaits to the simulated client. A longer chain simply
 * finishes during the next event's turns (still deterministic).
 */
const MICROTASK_TURNS_PER_EVENT = 12;

/** One-way delay of the "you were removed" refusal and of transport reports. */
const REPORT_DELAY_MS = 1;

const CLUSTER_ID = 0x5151;

type SimEvent =
  | { readonly kind: 'tick'; readonly id: NodeId }
  | { readonly kind: 'deliver'; readonly message: Message }
  | { readonly kind: 'timer'; readonly id: NodeId; readonly incarnation: number; readonly timerId: number }
  | { readonly kind: 'disk'; readonly id: NodeId; readonly incarnation: number; readonly token: number }
  | { readonly kind: 'client'; readonly wake: ClientWake }
  | { readonly kind: 'fault' }
  | { readonly kind: 'restart'; readonly id: NodeId }
  | { readonly kind: 'report'; readonly from: NodeId; readonly to: NodeId; readonly what: 'unreachable' | 'snapshotFailed' | 'snapshotSent' | 'removed' }
  | { readonly kind: 'stopFaults' }
  | { readonly kind: 'unpause'; readonly id: NodeId }
  | { readonly kind: 'membershipBurst' }
  | { readonly kind: 'probe' };

export function runSimulation(options: SimOptions): Promise<SimResult> {
  return new Simulation(options).run();
}

const peerUrl = (id: NodeId): string => `http://n${id}.sim:2380`;
const clientUrl = (id: NodeId): string => `http://n${id}.sim:2379`;

class Simulation {
  private readonly r: Resolved;
  private readonly options: SimOptions;
  private readonly queue = new EventQueue<SimEvent>();
  private readonly trace: Trace;
  private readonly checker: InvariantChecker;
  private readonly network: Network;
  private readonly members = new Map<NodeId, SimMember>();
  /** Removed from the configuration (as applied by the cluster): clients stop using them, no restarts. */
  private readonly removed = new Set<NodeId>();
  private readonly clients: ClientPool;
  private readonly faults: FaultInjector;
  private readonly rngFaults: SeededRng;
  private readonly rngMembers: SeededRng;
  private readonly rngNet: SeededRng;
  private readonly touched = new Set<NodeId>();
  private readonly nemeses: Nemeses;
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
  /** Slow appliers: milliseconds each applied entry blocks the member's event loop, until a deadline. */
  private readonly slowApply = new Map<NodeId, { msPerEntry: number; untilMs: number }>();
  /** The first committed index of each client requestId, and those committed more than once (retries). */
  private readonly requestIdFirstIndex = new Map<string, number>();
  private readonly requestIdsCommittedTwice = new Set<string>();
  /** Per member, the re-committed request it is applying now, checked once that apply is done. */
  private readonly duplicateChecks = new Map<NodeId, { requestId: string; first: number; index: number; sm: KvStateMachine; ignoredBefore: number }>();
  /** Apply cost accumulated by the current event, per member. */
  private readonly applyCostMs = new Map<NodeId, number>();
  private readonly stats = {
    messagesSent: 0,
    messagesDropped: 0,
    messagesDuplicated: 0,
    messagesCut: 0,
    restarts: 0,
    snapshotsInstalled: 0,
    snapshotsDuringPersist: 0,
    membersStopped: 0,
    leaderRemovals: 0,
  };
  /** The configuration as applied by the cluster (ghost): each committed change, once, in log order. */
  private ghostConf: ConfState;
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
    this.rngNet = root.fork();
    this.rngFaults = root.fork();
    const rngClients = root.fork();
    this.rngMembers = root.fork();
    const rngPhase = root.fork();
    this.rngPause = root.fork();
    this.rngSkew = root.fork();
    this.trace = new Trace(options.keepTrace === true);
    this.endMs = this.r.ticks * this.r.tickMs;
    this.faultsStopMs = this.r.faultsStopAtTick * this.r.tickMs;
    this.network = new Network(this.networkConfig(false), this.rngNet);
    const voters = Array.from({ length: this.r.nodes }, (_, i) => i + 1);
    this.ghostConf = { voters, learners: [] };
    this.nextNewId = this.r.nodes + 1;
    const initial = new Map(voters.map((id) => [id, { name: `n${id}`, peerUrl: peerUrl(id) }]));
    for (const id of voters) this.addMember(id, initial, 'new', rngPhase);
    this.clients = new ClientPool(this.clientConfig(), this.clientEnv(), rngClients);
    this.faults = new FaultInjector(this.r.faults, this.r.tuning, this.faultEnv(), this.rngFaults);
    this.nemeses = new Nemeses(
      {
        partitionsOn: () => !this.faultsStopped && this.has('partition'),
        transfersOn: () => this.has('transfer'),
        applyLagOn: () => !this.faultsStopped && this.has('applylag'),
        applyLag: (id, msMax, untilMs) => this.members.get(id)?.applyBackend.lagUntil(msMax, untilMs),
        nowMs: () => this.queue.nowMs,
        memberIds: () => this.memberIds(),
        status: (id) => this.members.get(id)?.status(),
        leader: () => this.leader(),
        voters: () => this.ghostConf.voters,
        healAll: () => this.network.healAll(),
        cutLink: (from, to) => this.network.cutLink(from, to),
        transferLeadership: (from, to) => {
          try {
            this.members.get(from)!.running()?.transferLeadership(to);
            return undefined;
          } catch (e) {
            return e instanceof Error ? e.message : String(e);
          }
        },
        trace: (line) => this.record(line),
      },
      this.r.tuning,
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
      networkDelayMsMin: t.clientDelayMsMin,
      networkDelayMsMax: t.clientDelayMsMax,
      readProbability: t.readProbability,
      spreadReadsProbability: t.spreadReadsProbability,
      pinReadsToMember: t.pinReadsToMember,
      readAfterWriteProbability: t.readAfterWriteProbability,
      backgroundReadersPerMember: t.backgroundReadersPerMember,
      casProbability: t.casProbability,
      deleteProbability: t.deleteProbability,
      txnProbability: t.txnProbability,
      leaseProbability: t.leaseProbability,
      leaseTtlSecondsMin: t.leaseTtlSecondsMin,
      leaseTtlSecondsMax: t.leaseTtlSecondsMax,
      leaseKeepAlivesMax: t.leaseKeepAlivesMax,
    };
  }

  /** The member's flags as an operator would give them, scaled to the simulation's tick. */
  private memberConfig(id: NodeId, initialCluster: ReadonlyMap<NodeId, { name: string; peerUrl: string }>, state: 'new' | 'existing'): MemberConfig {
    const t = this.r.tuning;
    return {
      ...MEMBER_DEFAULTS,
      name: `n${id}`,
      dataDir: `/sim/n${id}`,
      peerUrl: peerUrl(id),
      clientUrl: clientUrl(id),
      initialCluster: new Map([...initialCluster.values()].map((m) => [m.name, m.peerUrl])),
      initialClusterState: state,
      tickMs: this.r.tickMs,
      electionTicks: this.r.electionTicks,
      heartbeatTicks: 1,
      snapshotCount: t.snapshotEveryEntries,
      catchUpEntries: t.compactRetainEntries,
      // A member's own deadline on a write or read: a few election timeouts, below the client's.
      requestTimeoutMs: 4 * this.r.electionTicks * this.r.tickMs,
      autoCompactionRetentionRevisions: t.autoCompactionRetentionRevisions,
      autoCompactionIntervalMs: t.autoCompactionIntervalMs,
    };
  }

  private addMember(id: NodeId, initialCluster: ReadonlyMap<NodeId, { name: string; peerUrl: string }>, state: 'new' | 'existing', rngPhase: SeededRng): SimMember {
    const t = this.r.tuning;
    const rng = this.rngMembers.fork();
    const ids: ClusterIds = { memberId: id, clusterId: CLUSTER_ID, initialMembers: initialCluster };
    const choices = t.committedBatchBytesChoices;
    const m = new SimMember(
      {
        id,
        config: this.memberConfig(id, initialCluster, state),
        ids,
        raft: {
          preVote: this.options.preVote ?? true,
          checkQuorum: this.options.checkQuorum ?? true,
          // Small messages and windows, so flow control and batching paths run in short simulations.
          maxSizePerMsgBytes: t.maxSizePerMsgBytes,
          maxInflightMsgs: t.maxInflightMsgs,
          maxCommittedSizePerReadyBytes: choices[rng.int(choices.length)]!,
          bugs: this.r.bugs,
        },
        disk: { fsyncDelayMsMin: t.fsyncDelayMsMin, fsyncDelayMsMax: t.fsyncDelayMsMax, fsyncSlowProbability: t.fsyncSlowProbability, fsyncSlowMsMax: t.fsyncSlowMsMax },
      },
      this.memberEnv(),
      rng,
    );
    this.members.set(id, m);
    // Members' clocks tick at the same rate but out of phase, as real processes do.
    this.queue.after(1 + rngPhase.int(this.r.tickMs), { kind: 'tick', id });
    if (this.has('skew')) this.setClockRate(id, clockRateFactor(this.rngSkew));
    return m;
  }

  private setClockRate(id: NodeId, factor: number): void {
    this.tickIntervalMs.set(id, Math.max(1, Math.round(this.r.tickMs * factor)));
    this.members.get(id)?.setClockFactor(factor);
  }

  private memberIds(): NodeId[] {
    return [...this.members.keys()].filter((id) => !this.removed.has(id));
  }

  private record(line: string): void {
    this.trace.record(`${this.queue.nowMs} ${line}`);
  }

  // ------------------------------------------------------------------ environments

  private memberEnv(): SimMemberEnv {
    return {
      nowMs: () => this.queue.nowMs,
      trace: (line) => this.record(line),
      checker: this.checker,
      scheduleTimer: (atMs, id, incarnation, timerId) => this.queue.schedule(atMs, { kind: 'timer', id, incarnation, timerId }),
      scheduleDisk: (atMs, id, incarnation, token) => this.queue.schedule(atMs, { kind: 'disk', id, incarnation, token }),
      send: (m) => this.send(m),
      applying: (id, e) => this.onApplying(id, e),
      installing: (id, snap) => this.onInstalling(id, snap),
      stopped: (id, fatal) => this.onMemberStopped(id, fatal),
    };
  }

  private clientEnv(): ClientEnv {
    return {
      nowMs: () => this.queue.nowMs,
      schedule: (atMs, wake) => this.queue.schedule(atMs, { kind: 'client', wake }),
      member: (id) => {
        const m = this.members.get(id);
        if (m === undefined || !m.alive) return undefined;
        this.touched.add(id);
        return m;
      },
      memberIds: () => this.memberIds(),
      wakeAtMs: (id, clientId) => (this.pausedUntil.has(id) ? this.wakeAtMs(id, `client${clientId}`) : undefined),
      endpointId: (url) => {
        const match = /^http:\/\/n(\d+)\.sim:2379$/.exec(url);
        return match === null ? undefined : Number(match[1]);
      },
      internalError: (id, message) => this.checker.report('CoreError', id, `member answered a client with Internal: ${message}`),
      leaseRenewed: (id) => this.nemeses.afterLeaseRenewal(id),
      checker: this.checker,
      trace: (line) => this.record(line),
    };
  }

  private faultEnv(): FaultEnv {
    return {
      nowMs: () => this.queue.nowMs,
      memberIds: () => this.memberIds(),
      isAlive: (id) => this.members.get(id)?.alive === true,
      cutLink: (from, to) => this.network.cutLink(from, to),
      healAll: () => this.network.healAll(),
      crash: (id) => this.crash(id),
      setClockRate: (id, factor) => this.setClockRate(id, factor),
      pause: (id, untilMs) => this.pause(id, untilMs),
      scheduleRestart: (atMs, id) => this.queue.schedule(atMs, { kind: 'restart', id }),
      leader: () => this.leader(),
      transferLeadership: (from, to) => {
        this.touched.add(from);
        try {
          this.members.get(from)!.running()?.transferLeadership(to);
        } catch (e) {
          this.record(`transfer n${from} → n${to} refused: ${e instanceof Error ? e.message : String(e)}`);
        }
      },
      changeMembership: () => this.changeMembership(),
      slowApplier: (id, msPerEntry, untilMs) => this.slowApply.set(id, { msPerEntry, untilMs }),
      slowDisk: (id, fsyncMsMax, untilMs) => this.members.get(id)?.disk.slowDown(fsyncMsMax, untilMs),
      applyLag: (id, msMax, untilMs) => this.members.get(id)?.applyBackend.lagUntil(msMax, untilMs),
      trace: (line) => this.record(line),
    };
  }

  // ------------------------------------------------------------------ the loop

  async run(): Promise<SimResult> {
    const stopOnViolation = this.options.stopOnViolation ?? true;
    for (;;) {
      const next = this.queue.pop();
      if (next === undefined || next.timeMs > this.endMs) break;
      this.checker.setTime(next.timeMs);
      try {
        this.handle(next.event);
        for (let i = 0; i < MICROTASK_TURNS_PER_EVENT; i++) await undefined;
        this.afterStep();
      } catch (e) {
        // A core invariant (or any exception) mid-step leaves the member inconsistent: stop here.
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
    this.clients.closeHistory();
    // The same property over the finished history, independent of the incremental bookkeeping.
    for (const s of this.checker.ok ? findStaleReads(this.clients.getHistory()) : []) {
      this.checker.report('StaleRead', undefined, `history: read op ${s.readOpId} of ${s.key} saw modRevision ${s.observedModRevision} at revision ${s.observedRevision}, missing write op ${s.missedWriteOpId} (revision ${s.missedRevision})`);
    }
    if (this.checker.ok) this.checkLeases();
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

  private pause(id: NodeId, untilMs: number): void {
    const current = this.pausedUntil.get(id);
    if (current !== undefined && current >= untilMs) return;
    this.pausedUntil.set(id, untilMs);
    if (current === undefined) this.wakeJitterMs.set(id, new Map());
    this.queue.schedule(untilMs, { kind: 'unpause', id });
  }

  private handle(ev: SimEvent): void {
    switch (ev.kind) {
      case 'tick': {
        const m = this.members.get(ev.id)!;
        if (m.gone) return;
        this.queue.after(this.tickIntervalMs.get(ev.id) ?? this.r.tickMs, ev);
        // A frozen process's clock stands still: its ticks are lost, not delayed.
        if (!m.alive || this.pausedUntil.has(ev.id)) return;
        this.record(`n${ev.id} tick`);
        m.tick();
        this.touched.add(ev.id);
        return;
      }
      case 'deliver': {
        const msg = ev.message;
        if (this.deferIfPaused(msg.to, `peer${msg.from}`, ev)) return;
        const m = this.members.get(msg.to);
        if (this.network.isCut(msg.from, msg.to) || m === undefined || !m.alive) {
          this.record(`lost ${describeMessage(msg)}`);
          if (msg.type === 'snapshot') this.report(msg.from, msg.to, 'snapshotFailed');
          return;
        }
        if (m.refuses(msg.from)) {
          // As the transport does: traffic from a removed member is refused, and it is told so.
          this.record(`refused ${describeMessage(msg)} (removed)`);
          this.report(msg.from, msg.to, 'removed');
          return;
        }
        this.record(`deliver ${describeMessage(msg)}`);
        if (msg.type === 'snapshot') {
          if (m.running()?.isPersisting() === true) this.stats.snapshotsDuringPersist++;
          this.report(msg.from, msg.to, 'snapshotSent');
        }
        m.receive(msg);
        this.touched.add(msg.to);
        return;
      }
      case 'timer': {
        if (this.deferIfPaused(ev.id, 'timers', ev)) return;
        this.members.get(ev.id)!.fireTimer(ev.incarnation, ev.timerId);
        this.touched.add(ev.id);
        return;
      }
      case 'disk': {
        if (this.deferIfPaused(ev.id, 'disk', ev)) return;
        this.record(`n${ev.id} disk write ${ev.token} done`);
        this.members.get(ev.id)!.diskCompleted(ev.incarnation, ev.token);
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
        const m = this.members.get(ev.from);
        if (m === undefined || !m.alive) return;
        this.record(`report n${ev.from} ${ev.what} n${ev.to}`);
        if (ev.what === 'unreachable') m.unreachable(ev.to);
        else if (ev.what === 'snapshotFailed') m.snapshotSent(ev.to, false);
        else if (ev.what === 'snapshotSent') m.snapshotSent(ev.to, true);
        else m.removedBy(ev.to);
        this.touched.add(ev.from);
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
      case 'membershipBurst': {
        if (this.faultsStopped) return;
        const next = this.changeMembership();
        if (next !== undefined) this.record(`fault membership (burst) ${next}`);
        return;
      }
      default: {
        const never: never = ev;
        throw new Error(`unknown event ${JSON.stringify(never)}`);
      }
    }
  }

  private report(from: NodeId, to: NodeId, what: 'unreachable' | 'snapshotFailed' | 'snapshotSent' | 'removed'): void {
    this.queue.after(REPORT_DELAY_MS, { kind: 'report', from, to, what });
  }

  /** Check every member the step touched; the checks of a step see its complete effect. */
  private afterStep(): void {
    for (const id of [...this.duplicateChecks.keys()]) this.settleDuplicateCheck(id);
    for (const [id, costMs] of this.applyCostMs) {
      // A slow applier blocked its event loop: everything else it would have done waits (ticks are lost).
      if (costMs > 0 && this.members.get(id)?.alive === true) this.pause(id, this.queue.nowMs + Math.ceil(costMs));
    }
    this.applyCostMs.clear();
    for (const id of [...this.touched].sort((a, b) => a - b)) {
      const v = this.members.get(id)!.view();
      if (v !== undefined) {
        this.checker.afterStep(v);
        this.nemeses.afterStep(v);
      }
    }
    this.touched.clear();
    this.options.scenario?.afterStep?.(this.scenarioControl());
    if (++this.stepCount % PAIRWISE_CHECK_EVERY_STEPS === 0) this.checkLogsPairwise();
    const durable = new Map<NodeId, MemberView['storage']>();
    for (const [id, m] of this.members) durable.set(id, m.disk.durable);
    this.checker.checkDurability(durable, this.ghostConf);
  }

  private checkLogsPairwise(): void {
    const views: MemberView[] = [];
    for (const m of this.members.values()) {
      const v = m.view();
      if (v !== undefined) views.push(v);
    }
    this.checker.checkLogsPairwise(views);
  }

  private scenarioControl(): ScenarioControl {
    return {
      nowMs: this.queue.nowMs,
      leader: () => this.leader(),
      member: (id) => this.members.get(id)?.running(),
      voters: () => this.ghostConf.voters,
    };
  }

  private send(m: Message): void {
    if (this.options.scenario?.dropMessage?.(m, this.scenarioControl()) === true) {
      this.record(`scenario drops ${describeMessage(m)}`);
      return;
    }
    const { outcome, deliveries } = this.network.send(m, this.queue.nowMs);
    this.stats.messagesSent++;
    if (outcome === 'dropped') this.stats.messagesDropped++;
    if (outcome === 'duplicated') this.stats.messagesDuplicated++;
    if (outcome === 'cut') {
      this.stats.messagesCut++;
      // A transport notices a broken connection; the core then probes instead of pipelining.
      this.report(m.from, m.to, 'unreachable');
    }
    if ((outcome === 'cut' || outcome === 'dropped') && m.type === 'snapshot') this.report(m.from, m.to, 'snapshotFailed');
    for (const d of deliveries) this.queue.schedule(d.atMs, { kind: 'deliver', message: d.message });
  }

  private crash(id: NodeId): void {
    const m = this.members.get(id);
    if (m === undefined || !m.alive) return;
    m.crash();
    this.clients.memberCrashed(id);
    this.pausedUntil.delete(id);
    this.wakeJitterMs.delete(id);
    this.record(`n${id} crash`);
  }

  private restart(id: NodeId): void {
    const m = this.members.get(id);
    if (m === undefined || m.alive || m.gone || this.removed.has(id)) return;
    m.restart();
    this.stats.restarts++;
    const st = m.status()!;
    this.record(`n${id} restart term=${st.term} commit=${st.commit} first=${st.firstIndex} last=${st.lastIndex}`);
    this.touched.add(id);
  }

  private leader(): NodeId | undefined {
    let best: { id: NodeId; term: number } | undefined;
    for (const id of this.memberIds()) {
      const st = this.members.get(id)!.status();
      if (st?.role === 'leader' && (best === undefined || st.term > best.term)) best = { id, term: st.term };
    }
    return best?.id;
  }

  // ------------------------------------------------------------------ applies and membership

  private onApplying(id: NodeId, e: Entry): void {
    this.checker.onApply(id, e);
    this.checkAppliedOnce(id, e);
    const slow = this.slowApply.get(id);
    if (slow !== undefined && slow.untilMs > this.queue.nowMs) this.applyCostMs.set(id, (this.applyCostMs.get(id) ?? 0) + slow.msPerEntry);
    if (e.type === 'confChange') this.onConfChangeApplied(id, e.index, e.change);
  }

  /**
   * Exactly-once writes (the dedupe class of issue 13): a client retry may commit the same requestId a
   * second time (the first attempt's leader cut off, the retry landing on the next leader, both entries
   * committed). Every member must answer the later entry from its dedupe table, changing nothing: when a
   * member applies a command whose requestId the committed log holds at an earlier index, its state
   * machine's count of answered duplicates must grow by that apply (checked right after it: at the
   * member's next apply or at the end of the step). Otherwise the write was applied twice.
   */
  private checkAppliedOnce(id: NodeId, e: Entry): void {
    this.settleDuplicateCheck(id);
    if (e.type !== 'normal' || e.data.byteLength === 0) return;
    const p = decodePayload(e.data);
    if (p.kind !== 'command') return;
    const first = this.requestIdFirstIndex.get(p.requestId);
    if (first === undefined) {
      this.requestIdFirstIndex.set(p.requestId, e.index);
      return;
    }
    if (first >= e.index) return;
    this.requestIdsCommittedTwice.add(p.requestId);
    const sm = this.members.get(id)?.running()?.sm;
    if (sm !== undefined) this.duplicateChecks.set(id, { requestId: p.requestId, first, index: e.index, sm, ignoredBefore: sm.duplicatesIgnored });
  }

  private settleDuplicateCheck(id: NodeId): void {
    const c = this.duplicateChecks.get(id);
    if (c === undefined) return;
    this.duplicateChecks.delete(id);
    // A snapshot installed meanwhile replaced the state machine: nothing to compare.
    if (this.members.get(id)?.running()?.sm !== c.sm) return;
    if (c.sm.duplicatesIgnored <= c.ignoredBefore) {
      this.checker.report('DuplicateApply', id, `requestId ${c.requestId} is committed at ${c.first} and at ${c.index}; n${id} applied it again instead of answering from its dedupe table`);
    }
  }

  private onInstalling(id: NodeId, snap: Snapshot): void {
    this.stats.snapshotsInstalled++;
    this.record(`n${id} installs snapshot @${snap.metadata.index}`);
  }

  private onMemberStopped(id: NodeId, fatal: unknown): void {
    this.stats.membersStopped++;
    this.record(`n${id} stopped${fatal !== undefined ? ' (fatal)' : ''}`);
    this.clients.memberCrashed(id);
    if (fatal !== undefined) {
      const msg = fatal instanceof Error ? `${fatal.message}\n${(fatal.stack ?? '').split('\n').slice(1, 6).join('\n')}` : String(fatal);
      this.checker.report('CoreError', id, `member stopped on a fatal error: ${msg}`);
    } else if (!this.removed.has(id) && !this.ghostConf.voters.includes(id) && !this.ghostConf.learners.includes(id)) {
      this.removed.add(id);
    }
  }

  private onConfChangeApplied(id: NodeId, index: number, cc: ConfChange): void {
    if (index <= this.ghostConfIndex) return;
    this.ghostConfIndex = index;
    this.ghostConf = applyConfChange(this.ghostConf, cc);
    this.record(`conf ${cc.type} n${cc.nodeId} applied at ${index} (first by n${id}) → voters=${this.ghostConf.voters.join(',')} learners=${this.ghostConf.learners.join(',')}`);
    if (cc.type === 'removeNode') this.removed.add(cc.nodeId);
  }

  /**
   * One step of the membership walk, through the leader's real changeMembership (as `member add`,
   * `member promote`, `member remove` do): promote a learner once caught up; else, between minVoters and
   * nodes + maxExtraVoters voters, add a member (a voter directly with addVoterProbability, else a learner)
   * or remove a voter (at the bounds, the one that stays inside) — the newest one with removeNewestProbability
   * (a join rolled back), the leader itself with removeLeaderProbability. Two voters is the case where a removed
   * leader must not stop before the survivor learns the commit.
   */
  private changeMembership(): string | undefined {
    const leaderId = this.leader();
    if (leaderId === undefined) return undefined;
    const leader = this.members.get(leaderId)!.running()!;
    const conf = leader.status().confState;
    const t = this.r.tuning;
    let cc: ConfChange;
    const learner = conf.learners.find((id) => leader.learnerCaughtUp(id));
    if (learner !== undefined) {
      cc = { type: 'promoteLearner', nodeId: learner };
    } else if (conf.voters.length > t.minVoters && (conf.voters.length >= this.r.nodes + t.maxExtraVoters || this.rngFaults.int(2) === 0)) {
      const others = conf.voters.filter((v) => v !== leaderId);
      const newest = Math.max(...conf.voters);
      const victim =
        this.rngFaults.float() < t.removeNewestProbability && newest > this.r.nodes
          ? newest
          : this.rngFaults.float() < t.removeLeaderProbability || others.length === 0
            ? leaderId
            : others[this.rngFaults.int(others.length)]!;
      cc = { type: 'removeNode', nodeId: victim };
    } else {
      const id = this.nextNewId;
      const type = this.rngFaults.float() < t.addVoterProbability ? 'addVoter' : 'addLearner';
      cc = { type, nodeId: id, context: encodeMemberContext({ name: `n${id}`, peerUrls: [peerUrl(id)] }) };
    }
    this.touched.add(leaderId);
    const what = `${cc.type} n${cc.nodeId} via n${leaderId}`;
    const lastBefore = leader.status().lastIndex;
    leader.changeMembership(cc).then(
      () => {
        this.record(`membership ${what} applied`);
        // An operator's script changing several members in a row: the next change right after this one.
        if (!this.faultsStopped && this.rngFaults.float() < t.membershipBurstProbability) this.queue.after(1, { kind: 'membershipBurst' });
      },
      (e: unknown) => this.record(`membership ${what} failed: ${e instanceof Error ? e.message : String(e)}`),
    );
    // The proposal is appended (or refused, e.g. a change still unapplied) before changeMembership returns.
    if (leader.status().lastIndex === lastBefore) return undefined;
    if (cc.type === 'removeNode' && cc.nodeId === leaderId) this.stats.leaderRemovals++;
    if (cc.type === 'addLearner' || cc.type === 'addVoter') {
      this.nextNewId++;
      // The operator starts the new member with the current members as its initial cluster, joining
      // (`existing`): it starts empty and learns everything, configuration included, from the leader.
      const initial = new Map<NodeId, { name: string; peerUrl: string }>();
      for (const m of leader.members()) initial.set(m.id, { name: m.name, peerUrl: m.peerUrls[0] ?? peerUrl(m.id) });
      initial.set(cc.nodeId, { name: `n${cc.nodeId}`, peerUrl: peerUrl(cc.nodeId) });
      this.addMember(cc.nodeId, initial, 'existing', this.rngFaults.fork());
    }
    return what;
  }

  // ------------------------------------------------------------------ liveness

  /**
   * Faults stop: partitions heal, crashed members restart, the network stops losing messages (it still
   * delays and reorders), appliers and disks are fast again. From here a leader must be elected and a write
   * committed within the bound.
   */
  private stopFaults(): void {
    this.faultsStopped = true;
    this.faults.stop();
    this.network.healAll();
    this.network.reconfigure(this.networkConfig(true));
    this.slowApply.clear();
    // Disks are fast again too: an fsync slower than the election timeout keeps any election from finishing
    // (a vote is sent only once durable), which is a configuration limit, not what liveness checks.
    for (const m of this.members.values()) {
      m.disk.slowDown(0, 0);
      m.applyBackend.lagUntil(0, 0);
    }
    // Frozen members wake now; input held for them still arrives at their old wake-up time, like a delay.
    this.pausedUntil.clear();
    this.wakeJitterMs.clear();
    this.record('faults stop');
    for (const id of this.memberIds()) if (this.members.get(id)!.alive === false) this.restart(id);
    this.queue.after(this.r.tickMs, { kind: 'probe' });
  }

  private probe(): void {
    if (this.probeMetAtMs !== undefined) return;
    const deadlineMs = this.faultsStopMs + this.r.livenessBoundTicks * this.r.tickMs;
    if (this.queue.nowMs > deadlineMs) {
      if (!this.livenessReported) {
        this.livenessReported = true;
        this.checker.report('Liveness', this.leader(), `no write committed within ${this.r.livenessBoundTicks} ticks after faults stopped (leader: ${this.leader() ?? 'none'}, voters ${this.ghostConf.voters.join(',')})`);
      }
      return;
    }
    const leaderId = this.leader();
    if (leaderId !== undefined && this.probeSeq % 5 === 0) {
      // Re-proposed every few rounds, since a probe proposed to a leader about to lose its term is lost.
      // A write outside the checked keys, through the member's real write path.
      const requestId = `probe${this.probeSeq}`;
      const member = this.members.get(leaderId)!.running()!;
      this.touched.add(leaderId);
      this.record(`probe ${requestId} → n${leaderId}`);
      member.write({ type: 'put', key: new TextEncoder().encode('probe'), value: new TextEncoder().encode(requestId) }, requestId).then(
        () => {
          if (this.probeMetAtMs !== undefined) return;
          this.probeMetAtMs = this.queue.nowMs;
          this.record(`liveness probe ${requestId} committed (n${leaderId})`);
        },
        () => undefined,
      );
    }
    this.probeSeq++;
    this.queue.after(this.r.tickMs, { kind: 'probe' });
  }

  /**
   * The whole client history against the KV model. The checker's time budget is wall-clock (it lives
   * outside the simulation); an undecided check is not a failure.
   */
  /**
   * etcd's lease guarantee over what the clients saw: a lease lives at least its TTL after the last
   * acknowledged renewal. With clock skew a member's clock may run up to 1 / CLOCK_RATE_MIN times fast
   * and expire a lease that much sooner (a lease is only as good as the leader's clock), so then each TTL
   * counts for that much less.
   */
  private checkLeases(): void {
    const scale = this.has('skew') ? CLOCK_RATE_MIN : 1;
    const records = this.clients.getLeaseRecords().map((r) => (r.kind === 'renewed' ? { ...r, ttlSeconds: r.ttlSeconds * scale } : r));
    const c = checkLeases(records);
    if (!c.ok) this.checker.report('LeaseExpiredEarly', undefined, c.problems.join('\n'));
  }

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
    const members = [...this.members.values()];
    const stats: SimStats = {
      events: this.trace.eventCount,
      virtualMs: this.queue.nowMs,
      ...this.stats,
      crashes: f.crashes,
      pauses: f.pauses,
      skews: f.skews,
      partitions: f.partitions + this.nemeses.isolations,
      heals: f.heals,
      transfers: f.transfers,
      membershipChanges: f.membershipChanges,
      slowAppliers: f.slowAppliers,
      slowDisks: f.slowDisks,
      leaseRenewals: this.clients.getLeaseRecords().filter((r) => r.kind === 'renewed').length,
      requestIdsCommittedTwice: this.requestIdsCommittedTwice.size,
      applyLags: f.applyLags,
      applyBatchesLate: members.reduce((n, m) => n + m.applyBackend.lateBatches, 0),
      leaderTerms: cs.leadersSeen,
      inputsDuringPersist: members.reduce((n, m) => n + m.inputsDuringPersist, 0),
      diskWrites: members.reduce((n, m) => n + m.disk.writes, 0),
      diskWritesUnsynced: members.reduce((n, m) => n + m.disk.unsyncedWrites, 0),
      duplicateCommandsIgnored: members.reduce((n, m) => n + m.duplicateCommandsIgnored, 0),
      committedIndexMax: cs.committedIndexMax,
      opsOk: c.ok,
      opsUnknown: c.unknown,
      opsGivenUp: c.givenUp,
      readsAfterWrite: c.readsAfterWrite,
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
