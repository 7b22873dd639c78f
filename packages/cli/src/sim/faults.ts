// The fault schedule: which faults a run injects, and the random schedule of them. Network-level
// faults (drop, dup, reorder) are probabilities in the network's configuration; the discrete ones
// (partitions, crashes, leadership transfers, membership changes) fire at random times until the
// simulator stops faults to check liveness.

import type { NodeId } from '@halyard/kv/raft';
import type { Rng } from '@halyard/kv/util';
import type { Tuning } from './profiles.ts';

export const FAULT_KINDS = ['partition', 'drop', 'dup', 'reorder', 'crash', 'pause', 'skew', 'transfer', 'membership', 'slowapply', 'slowdisk', 'applylag'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
export type FaultSet = ReadonlySet<FaultKind>;

/** The default for fuzzing: every fault the simulator can inject without changing membership. */
export const DEFAULT_FAULTS = 'partition,drop,dup,reorder,crash,pause,skew,transfer,slowapply,slowdisk,applylag';

/** Parse "partition,drop,…", "all" or "none"/"" into a set; unknown names are an error, not ignored. */
export function parseFaults(spec: string): FaultSet {
  const s = spec.trim();
  if (s === '' || s === 'none') return new Set();
  if (s === 'all') return new Set(FAULT_KINDS);
  const out = new Set<FaultKind>();
  for (const raw of s.split(',')) {
    const name = raw.trim();
    if (!(FAULT_KINDS as readonly string[]).includes(name)) throw new RangeError(`unknown fault "${name}"; known: ${FAULT_KINDS.join(',')}`);
    out.add(name as FaultKind);
  }
  return out;
}

/** Canonical form (fixed order), used in replay commands so equal sets print equally. */
export function formatFaults(set: FaultSet): string {
  const s = FAULT_KINDS.filter((k) => set.has(k)).join(',');
  return s === '' ? 'none' : s;
}

/** The slowest clock rate factor the skew fault sets (a factor below 1 makes a clock run fast). */
export const CLOCK_RATE_MIN = 0.5;

/** A clock rate between half and one and a half times nominal. */
export function clockRateFactor(rng: Rng): number {
  return CLOCK_RATE_MIN + rng.int(101) / 100;
}

/** What the fault injector may do to the cluster; the simulator implements it. */
export interface FaultEnv {
  nowMs(): number;
  /** Current members (voters and learners) that have not been removed. */
  memberIds(): readonly NodeId[];
  isAlive(id: NodeId): boolean;
  cutLink(from: NodeId, to: NodeId): void;
  healAll(): void;
  crash(id: NodeId): void;
  /** Freeze a member's process (GC pause, SIGSTOP) until `untilMs`: no ticks; input waits in buffers. */
  pause(id: NodeId, untilMs: number): void;
  /** Set a member's clock rate: its tick interval becomes tickMs × factor. */
  setClockRate(id: NodeId, factor: number): void;
  scheduleRestart(atMs: number, id: NodeId): void;
  /** The live member that believes it is leader with the highest term, if any. */
  leader(): NodeId | undefined;
  transferLeadership(from: NodeId, to: NodeId): void;
  /** Try the next step of the membership walk (add learner, promote, remove a voter or the leader); returns a description or undefined. */
  changeMembership(): string | undefined;
  /** A member's applier becomes slow (each applied entry blocks its event loop this long) for a while. */
  slowApplier(id: NodeId, msPerEntry: number, untilMs: number): void;
  /** A member's disk becomes slow (each fsync takes up to fsyncMsMax) for a while. */
  slowDisk(id: NodeId, fsyncMsMax: number, untilMs: number): void;
  /** A member's applied batches settle late (each after up to msMax) for a while; it keeps ticking. */
  applyLag(id: NodeId, msMax: number, untilMs: number): void;
  trace(line: string): void;
}

/** The knobs of a profile (profiles.ts, where each is explained) that time the faults. */
export type FaultTiming = Pick<
  Tuning,
  | 'membershipWeight'
  | 'slowDiskFsyncMsMax'
  | 'slowDiskDurationMsMax'
  | 'slowApplyMsPerEntryMax'
  | 'slowApplyDurationMsMax'
  | 'applyLagMsMax'
  | 'applyLagDurationMsMax'
  | 'applyLagWeight'
  | 'faultIntervalMsMin'
  | 'faultIntervalMsMax'
  | 'downtimeMsMin'
  | 'downtimeMsMax'
  | 'pauseMsMin'
  | 'pauseMsMax'
>;

type Action = 'partition' | 'heal' | 'crash' | 'pause' | 'skew' | 'transfer' | 'membership' | 'slowapply' | 'slowdisk' | 'applylag';

export class FaultInjector {
  private readonly faults: FaultSet;
  private readonly timing: FaultTiming;
  private readonly rng: Rng;
  private readonly env: FaultEnv;
  private stopped = false;
  readonly counts = { partitions: 0, heals: 0, crashes: 0, pauses: 0, skews: 0, transfers: 0, membershipChanges: 0, slowAppliers: 0, slowDisks: 0, applyLags: 0 };

  constructor(faults: FaultSet, timing: FaultTiming, env: FaultEnv, rng: Rng) {
    this.faults = faults;
    this.timing = timing;
    this.env = env;
    this.rng = rng;
  }

  /** Whether any discrete fault is enabled (otherwise the injector never needs to wake). */
  get active(): boolean {
    return this.actions().length > 0;
  }

  nextWakeMs(): number {
    return this.env.nowMs() + this.timing.faultIntervalMsMin + this.rng.int(this.timing.faultIntervalMsMax - this.timing.faultIntervalMsMin + 1);
  }

  stop(): void {
    this.stopped = true;
  }

  private actions(): Action[] {
    const a: Action[] = [];
    if (this.faults.has('partition')) a.push('partition', 'partition', 'heal');
    if (this.faults.has('crash')) a.push('crash');
    if (this.faults.has('pause')) a.push('pause');
    if (this.faults.has('skew')) a.push('skew');
    if (this.faults.has('transfer')) a.push('transfer');
    if (this.faults.has('membership')) for (let i = 0; i < this.timing.membershipWeight; i++) a.push('membership');
    if (this.faults.has('slowapply')) a.push('slowapply');
    if (this.faults.has('slowdisk')) a.push('slowdisk');
    if (this.faults.has('applylag')) for (let i = 0; i < this.timing.applyLagWeight; i++) a.push('applylag');
    return a;
  }

  /** One fault. Returns false once stopped, so the caller stops rescheduling. */
  fire(): boolean {
    if (this.stopped) return false;
    const actions = this.actions();
    if (actions.length === 0) return false;
    const action = actions[this.rng.int(actions.length)]!;
    switch (action) {
      case 'partition':
        this.partition();
        break;
      case 'heal':
        this.env.healAll();
        this.counts.heals++;
        this.env.trace('fault heal');
        break;
      case 'crash':
        this.crash();
        break;
      case 'pause':
        this.pause();
        break;
      case 'skew':
        this.skew();
        break;
      case 'transfer':
        this.transfer();
        break;
      case 'membership': {
        const what = this.env.changeMembership();
        if (what !== undefined) {
          this.counts.membershipChanges++;
          this.env.trace(`fault membership ${what}`);
        }
        break;
      }
      case 'slowapply':
        this.slowApply();
        break;
      case 'slowdisk':
        this.slowDisk();
        break;
      case 'applylag':
        this.applyLag();
        break;
      default: {
        const never: never = action;
        throw new Error(`unknown fault action ${String(never)}`);
      }
    }
    return true;
  }

  /**
   * Several partition shapes, since each exposes different bugs: a symmetric isolation, a random
   * majority/minority split, a node that can send but not receive (or the reverse: the asymmetric
   * case CheckQuorum exists for), and random one-way cuts.
   */
  private partition(): void {
    const ids = this.env.memberIds();
    if (ids.length < 2) return;
    const victim = ids[this.rng.int(ids.length)]!;
    const shape = this.rng.int(5);
    const cuts: string[] = [];
    const cut = (a: NodeId, b: NodeId): void => {
      if (a === b) return;
      this.env.cutLink(a, b);
      cuts.push(`${a}>${b}`);
    };
    switch (shape) {
      case 0: // isolate one member both ways
        for (const o of ids) {
          cut(victim, o);
          cut(o, victim);
        }
        break;
      case 1: {
        // split into a minority and a majority
        const shuffled = [...ids];
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = this.rng.int(i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        const minority = shuffled.slice(0, 1 + this.rng.int(Math.max(1, Math.floor((ids.length - 1) / 2))));
        for (const a of minority) for (const b of ids) if (!minority.includes(b)) {
          cut(a, b);
          cut(b, a);
        }
        break;
      }
      case 2: // the victim's outgoing messages are lost; it still hears everyone
        for (const o of ids) cut(victim, o);
        break;
      case 3: // the victim hears no one; its messages still arrive
        for (const o of ids) cut(o, victim);
        break;
      default: // random one-way cuts
        for (const a of ids) for (const b of ids) if (a !== b && this.rng.int(4) === 0) cut(a, b);
        break;
    }
    this.counts.partitions++;
    this.env.trace(`fault partition shape=${shape} cut=${cuts.join(' ')}`);
  }

  private crash(): void {
    const alive = this.env.memberIds().filter((id) => this.env.isAlive(id));
    if (alive.length === 0) return;
    const victim = alive[this.rng.int(alive.length)]!;
    this.env.crash(victim);
    const downMs = this.timing.downtimeMsMin + this.rng.int(this.timing.downtimeMsMax - this.timing.downtimeMsMin + 1);
    this.env.scheduleRestart(this.env.nowMs() + downMs, victim);
    this.counts.crashes++;
    this.env.trace(`fault crash n${victim} for ${downMs}ms`);
  }

  /**
   * A frozen process is the classic stale-leader case: a paused leader wakes up still believing it
   * leads, its election clock having stood still. Leaders are picked half the time for that reason.
   */
  private pause(): void {
    const alive = this.env.memberIds().filter((id) => this.env.isAlive(id));
    if (alive.length === 0) return;
    const leader = this.env.leader();
    const victim = leader !== undefined && this.rng.int(2) === 0 ? leader : alive[this.rng.int(alive.length)]!;
    const pauseMs = this.timing.pauseMsMin + this.rng.int(this.timing.pauseMsMax - this.timing.pauseMsMin + 1);
    this.env.pause(victim, this.env.nowMs() + pauseMs);
    this.counts.pauses++;
    this.env.trace(`fault pause n${victim} for ${pauseMs}ms`);
  }

  /**
   * Clocks drift: a member's ticks come faster or slower than its peers'. Raft's safety must not
   * depend on it; anything lease-like (CheckQuorum, leader stickiness, a lease read) is stressed by it.
   */
  private skew(): void {
    const ids = this.env.memberIds();
    if (ids.length === 0) return;
    const id = ids[this.rng.int(ids.length)]!;
    const factor = clockRateFactor(this.rng);
    this.env.setClockRate(id, factor);
    this.counts.skews++;
    this.env.trace(`fault skew n${id} ×${factor.toFixed(2)}`);
  }

  /**
   * A slow applier (a big transaction, a GC, a slow state machine): applying blocks the member's event loop,
   * so its ticks, messages and disk completions wait — while the leader keeps replicating to it.
   */
  private slowApply(): void {
    const d = this.drawSlowdown(this.timing.slowApplyMsPerEntryMax, this.timing.slowApplyDurationMsMax);
    if (d === undefined) return;
    this.env.slowApplier(d.id, d.ms, this.env.nowMs() + d.forMs);
    this.counts.slowAppliers++;
    this.env.trace(`fault slowapply n${d.id} ${d.ms}ms/entry for ${d.forMs}ms`);
  }

  /** A random member, 1..msMax milliseconds and 1..durationMsMax of them (undefined with no members). */
  private drawSlowdown(msMax: number, durationMsMax: number): { id: NodeId; ms: number; forMs: number } | undefined {
    const ids = this.env.memberIds();
    if (ids.length === 0) return undefined;
    const id = ids[this.rng.int(ids.length)]!;
    const ms = 1 + this.rng.int(msMax);
    return { id, ms, forMs: 1 + this.rng.int(durationMsMax) };
  }

  /**
   * A state machine that applies asynchronously and lags (a large batch, a slow disk under a disk-backed
   * store): for a while each applied batch settles up to applyLagMsMax later, while the member keeps ticking
   * and stepping messages — its core's applied index, and so its configuration, trails its commit index.
   */
  private applyLag(): void {
    const d = this.drawSlowdown(this.timing.applyLagMsMax, this.timing.applyLagDurationMsMax);
    if (d === undefined) return;
    this.env.applyLag(d.id, d.ms, this.env.nowMs() + d.forMs);
    this.counts.applyLags++;
    this.env.trace(`fault applylag n${d.id} ≤${d.ms}ms/batch for ${d.forMs}ms`);
  }


  /** A busy or failing device: one member's fsyncs take tens of milliseconds, so it falls behind the quorum. */
  private slowDisk(): void {
    const ids = this.env.memberIds();
    if (ids.length === 0) return;
    const id = ids[this.rng.int(ids.length)]!;
    const fsyncMsMax = 10 + this.rng.int(Math.max(1, this.timing.slowDiskFsyncMsMax - 10) + 1);
    const forMs = 1 + this.rng.int(this.timing.slowDiskDurationMsMax);
    this.env.slowDisk(id, fsyncMsMax, this.env.nowMs() + forMs);
    this.counts.slowDisks++;
    this.env.trace(`fault slowdisk n${id} fsync ≤${fsyncMsMax}ms for ${forMs}ms`);
  }

  private transfer(): void {
    const leader = this.env.leader();
    if (leader === undefined) return;
    const others = this.env.memberIds().filter((id) => id !== leader);
    if (others.length === 0) return;
    const to = others[this.rng.int(others.length)]!;
    this.env.transferLeadership(leader, to);
    this.counts.transfers++;
    this.env.trace(`fault transfer n${leader} → n${to}`);
  }
}
