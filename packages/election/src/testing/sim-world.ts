// A deterministic world for the elector's property tests: one real time line, an event queue, and
// processes whose monotonic clocks run at their own RATE (the skew client-go's design must tolerate), which
// can be paused (a GC or VM stall, SIGSTOP) and crashed. Everything the elector, the KV lock and the
// leader's work do happens in events of this queue, so a run is a pure function of its inputs.
//
// A process's events wait while it is paused and run, in their original order, when it resumes — the
// monotonic clock kept going meanwhile, so timers come out late, as after a real stall. A crashed
// process's events never run; requests it already sent still travel (the network is not the process).
import type { CancelTimer, ElectionClock } from '../clock.ts';
import { flushPromises } from '../fake-clock.ts';

interface SimEvent {
  atMs: number;
  seq: number;
  readonly proc: SimProcess | undefined;
  readonly fn: () => void;
  cancelled: boolean;
}

/** Bound on events in one run: a livelock (timers re-armed at zero delay) fails instead of hanging. */
export const SIM_EVENTS_MAX = 2_000_000;
/** Timers fire this much after their due time on the process's clock, so the clock reads ≥ due in the callback. */
const TIMER_SLACK_MS = 1e-6;

export class SimWorld {
  private time = 0;
  private seq = 0;
  private readonly heap: SimEvent[] = [];
  eventsRun = 0;

  /** Real time (the world's), in ms. */
  get nowMs(): number {
    return this.time;
  }

  /** Runs `fn` at real time `atMs` (not before now), in `proc`'s context when given. Returns a cancel. */
  schedule(atMs: number, fn: () => void, proc?: SimProcess): CancelTimer {
    const ev: SimEvent = { atMs: Math.max(atMs, this.time), seq: this.seq++, proc, fn, cancelled: false };
    this.push(ev);
    return () => {
      ev.cancelled = true;
    };
  }

  /**
   * Runs events up to real time `endMs`; after each (and the promise callbacks it set off) calls
   * `afterEach`, and stops right there if it returns true. Returns whether it stopped that way.
   */
  async runUntil(endMs: number, afterEach: () => boolean | void = () => {}): Promise<boolean> {
    await flushPromises();
    for (;;) {
      const ev = this.heap[0];
      if (ev === undefined || ev.atMs > endMs) break;
      this.pop();
      const proc = ev.proc;
      if (ev.cancelled) {
        proc?.caughtUp(ev);
        continue;
      }
      this.time = ev.atMs;
      if (proc !== undefined) {
        if (proc.crashed) continue;
        if (proc.paused) {
          proc.hold(ev);
          continue;
        }
        proc.caughtUp(ev);
      }
      if (++this.eventsRun > SIM_EVENTS_MAX) throw new Error(`more than ${SIM_EVENTS_MAX} simulation events`);
      ev.fn();
      await flushPromises();
      if (afterEach() === true) return true;
    }
    this.time = Math.max(this.time, endMs);
    return false;
  }

  /** Runs until `condition()` holds after an event; throws if it does not by real time `endMs`. Returns the time. */
  async runUntilTrue(condition: () => boolean, endMs: number, what = 'the condition'): Promise<number> {
    if (condition()) return this.time;
    if (!(await this.runUntil(endMs, condition))) throw new Error(`${what} did not happen by ${endMs} ms (simulated)`);
    return this.time;
  }

  /** Runs events until `promise` settles (it needs the world to make progress), then returns its outcome. */
  async settle<T>(promise: Promise<T>, withinMs = 60_000): Promise<T> {
    let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
    promise.then(
      (value) => (outcome = { ok: true, value }),
      (error: unknown) => (outcome = { ok: false, error }),
    );
    await flushPromises();
    await this.runUntilTrue(() => outcome !== undefined, this.time + withinMs, 'the call to settle');
    if (outcome!.ok) return outcome!.value;
    throw outcome!.error;
  }

  /** Re-queues held events at the current time in their original order (after anything already due now). */
  requeue(events: readonly SimEvent[]): void {
    for (const ev of events) {
      if (ev.cancelled) continue;
      // The same object, so a cancel function handed out earlier still reaches it.
      ev.atMs = this.time;
      ev.seq = this.seq++;
      this.push(ev);
    }
  }

  private push(ev: SimEvent): void {
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (last === undefined || h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

function before(a: SimEvent, b: SimEvent): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
}

/** One process: a clock running at `rate` × real time from `offsetMs`, that can pause, resume and crash. */
export class SimProcess implements ElectionClock {
  paused = false;
  crashed = false;
  private held: SimEvent[] = [];
  /**
   * After a resume: the events that came due while it was paused, not yet run. They all run at the
   * instant of the resume, in their order (as a process resumed by SIGCONT works through its backlog
   * before anything new happens to it); until then its code has not caught up with its own clock.
   */
  private readonly catchingUp = new Set<SimEvent>();
  private readonly bornAtMs: number;

  constructor(
    readonly world: SimWorld,
    readonly name: string,
    /** Local milliseconds per real millisecond. */
    readonly rate: number,
    private readonly offsetMs = 0,
  ) {
    if (!(rate > 0)) throw new Error(`clock rate must be positive, got ${rate}`);
    this.bornAtMs = world.nowMs;
  }

  nowMs(): number {
    return this.offsetMs + this.rate * (this.world.nowMs - this.bornAtMs);
  }

  wallTimeMicros(): number {
    return 1_700_000_000_000_000 + Math.round(this.nowMs() * 1000);
  }

  setTimer(fn: () => void, delayMs: number): CancelTimer {
    return this.world.schedule(this.world.nowMs + Math.max(0, delayMs) / this.rate + TIMER_SLACK_MS, fn, this);
  }

  /** Runs `fn` in this process's context at real time `atMs` (a network delivery to it). */
  deliverAt(atMs: number, fn: () => void): void {
    this.world.schedule(atMs, fn, this);
  }

  /** @internal SimWorld parks events of a paused process here. */
  hold(ev: SimEvent): void {
    this.held.push(ev);
  }

  /** @internal SimWorld reports each event of this process that ran or was dropped as cancelled. */
  caughtUp(ev: SimEvent): void {
    this.catchingUp.delete(ev);
  }

  pause(): void {
    if (!this.crashed) this.paused = true;
  }

  resume(): void {
    if (!this.paused || this.crashed) return;
    this.paused = false;
    const held = this.held;
    this.held = [];
    for (const ev of held) this.catchingUp.add(ev);
    this.world.requeue(held);
  }

  crash(): void {
    this.crashed = true;
    this.paused = false;
    this.held = [];
    this.catchingUp.clear();
  }

  /**
   * Runs and has caught up with its backlog, so whatever it believes it can act on. (A resumed process
   * that has not caught up yet is at the very instant of its resume: its backlog runs then, and it
   * includes the deadline timer of a term that lapsed during the pause.)
   */
  get live(): boolean {
    return !this.crashed && !this.paused && this.catchingUp.size === 0;
  }
}
