// A manual clock for tests of code that takes an ElectionClock: time moves only when the test says so,
// timers fire in due order, and the promise callbacks each timer sets off run before the next one fires.
// Exported so that services embedding the elector can test their own leader logic deterministically.
import type { CancelTimer, ElectionClock } from './clock.ts';

interface Timer {
  readonly dueMs: number;
  readonly seq: number;
  readonly fn: () => void;
}

/** Bound on timers fired by one advance(): a loop that re-arms a zero-delay timer forever is a bug. */
export const FAKE_CLOCK_TIMERS_PER_ADVANCE_MAX = 1_000_000;

export class FakeClock implements ElectionClock {
  private now: number;
  private readonly origin: number;
  private seq = 0;
  private readonly timers = new Map<number, Timer>();

  /** `startMs`: the monotonic origin; `wallStartMicros`: the wall time at that moment. */
  constructor(startMs = 0, private readonly wallStartMicros = 1_700_000_000_000_000) {
    this.now = startMs;
    this.origin = startMs;
  }

  nowMs(): number {
    return this.now;
  }

  wallTimeMicros(): number {
    return this.wallStartMicros + Math.round((this.now - this.origin) * 1000);
  }

  setTimer(fn: () => void, delayMs: number): CancelTimer {
    const seq = this.seq++;
    this.timers.set(seq, { dueMs: this.now + Math.max(0, delayMs), seq, fn });
    return () => {
      this.timers.delete(seq);
    };
  }

  /** Timers not yet fired. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, firing every timer due on the way (in due order), settling promises after each. */
  async advance(ms: number): Promise<void> {
    const target = this.now + ms;
    await flushPromises();
    for (let fired = 0; ; fired++) {
      if (fired >= FAKE_CLOCK_TIMERS_PER_ADVANCE_MAX) throw new Error(`more than ${FAKE_CLOCK_TIMERS_PER_ADVANCE_MAX} timers fired in one advance`);
      const next = this.nextDue();
      if (next === undefined || next.dueMs > target) break;
      this.timers.delete(next.seq);
      this.now = Math.max(this.now, next.dueMs);
      next.fn();
      await flushPromises();
    }
    this.now = target;
    await flushPromises();
  }

  /** Advances in `stepMs` steps until `condition()` holds; throws after `maxMs` of fake time. Returns the time taken. */
  async advanceUntil(condition: () => boolean, maxMs: number, stepMs = 1): Promise<number> {
    const start = this.now;
    while (!condition()) {
      if (this.now - start >= maxMs) throw new Error(`condition not met within ${maxMs} ms of fake time`);
      await this.advance(stepMs);
    }
    return this.now - start;
  }

  private nextDue(): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.timers.values()) if (best === undefined || t.dueMs < best.dueMs || (t.dueMs === best.dueMs && t.seq < best.seq)) best = t;
    return best;
  }
}

/** Lets every pending promise callback run (setImmediate comes after the microtask queue drains). */
export function flushPromises(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
