// One simulated member's clock and timers (the member's MemberClock seam) on the simulator's virtual time.
// Timers become events in the simulator's queue; ticks are the simulator's tick events for this member,
// so it can lose them while the process is frozen and drift their rate (clock skew). A skewed member's
// timers and its notion of elapsed time drift with its ticks: a fast clock expires leases early too.
//
// One clock per incarnation: after a crash the old clock's timers are dead (the simulator drops events of
// an old incarnation), as a killed process's timers are.

import type { Cancel, MemberClock } from '@halyard/kv/server';

export interface ClockHost {
  /** The simulator's virtual time. */
  nowMs(): number;
  /** Deliver `fire(timerId)` to this clock at `atMs`. */
  scheduleTimer(atMs: number, timerId: number): void;
}

export class VirtualMemberClock implements MemberClock {
  private readonly host: ClockHost;
  private readonly timers = new Map<number, () => void>();
  private timerIdNext = 1;
  private tickFn: (() => void) | undefined;
  /** Virtual milliseconds per local millisecond (the tick interval's factor; 1 = true time). */
  private factor = 1;
  private baseVirtualMs: number;
  private baseLocalMs: number;

  constructor(host: ClockHost, factor: number) {
    this.host = host;
    this.factor = factor;
    this.baseVirtualMs = host.nowMs();
    this.baseLocalMs = host.nowMs();
  }

  nowMs(): number {
    return this.baseLocalMs + (this.host.nowMs() - this.baseVirtualMs) / this.factor;
  }

  after(delayMs: number, fn: () => void): Cancel {
    const id = this.timerIdNext++;
    this.timers.set(id, fn);
    this.host.scheduleTimer(this.host.nowMs() + Math.max(0, Math.ceil(delayMs * this.factor)), id);
    return () => this.timers.delete(id);
  }

  /** The member's tick: driven by the simulator's tick events (see `tick`), whatever the interval asked. */
  every(_intervalMs: number, fn: () => void): Cancel {
    this.tickFn = fn;
    return () => {
      if (this.tickFn === fn) this.tickFn = undefined;
    };
  }

  /** The clock now runs `factor` times slower than true time (its ticks come that much further apart). */
  setFactor(factor: number): void {
    this.baseLocalMs = this.nowMs();
    this.baseVirtualMs = this.host.nowMs();
    this.factor = factor;
  }

  /** A tick event for this member. */
  tick(): void {
    this.tickFn?.();
  }

  /** A timer event for this member; a cancelled timer does nothing. */
  fire(timerId: number): void {
    const fn = this.timers.get(timerId);
    if (fn === undefined) return;
    this.timers.delete(timerId);
    fn();
  }
}
