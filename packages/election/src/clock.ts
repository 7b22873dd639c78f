// The elector's only view of time. Every decision is taken on a MONOTONIC clock local to this process
// (client-go's rule: remote timestamps in the record are never compared with the local clock, only their
// change is noted), so wall-clock steps (NTP, an operator's `date -s`) cannot make a candidate take over
// early. The wall clock is used only to write acquireTime/renewTime for humans and tools to read.
//
// Injected so that a fake clock drives the algorithm deterministically in tests (fake-clock.ts)
// and the simulator gives each elector its own clock rate.

/** Cancels a timer set with `setTimer`; calling it after the timer fired does nothing. */
export type CancelTimer = () => void;

export interface ElectionClock {
  /** Milliseconds on a monotonic clock with an arbitrary origin; never decreases. */
  nowMs(): number;
  /** Runs `fn` once, `delayMs` of this clock from now. */
  setTimer(fn: () => void, delayMs: number): CancelTimer;
  /** Wall-clock time in microseconds since the Unix epoch, for the record's RFC 3339 timestamps only. */
  wallTimeMicros(): number;
}

/**
 * The process's clocks: `performance.now()` (monotonic, per the HR-Time spec), Node's timers, and the wall
 * clock with the sub-millisecond part `performance` offers. Timers are unref'd: an elector alone does not
 * keep a process alive (its run() promise does, through whoever awaits it).
 */
export const realClock: ElectionClock = {
  nowMs: () => performance.now(),
  setTimer(fn, delayMs) {
    const t = setTimeout(fn, Math.max(0, delayMs));
    t.unref();
    return () => clearTimeout(t);
  },
  wallTimeMicros: () => Math.round((performance.timeOrigin + performance.now()) * 1000),
};

/**
 * Resolves after `delayMs` on `clock`, or early when `signal` aborts or `wake` is called; never rejects.
 * Returns why it ended.
 */
export function sleep(clock: ElectionClock, delayMs: number, signal?: AbortSignal, wake?: (wakeUp: () => void) => () => void): Promise<'elapsed' | 'aborted' | 'woken'> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve('aborted');
      return;
    }
    let done = false;
    let unsubscribe: (() => void) | undefined;
    let cancelTimer: CancelTimer | undefined;
    const finish = (why: 'elapsed' | 'aborted' | 'woken'): void => {
      if (done) return;
      done = true;
      cancelTimer?.();
      signal?.removeEventListener('abort', onAbort);
      unsubscribe?.();
      resolve(why);
    };
    const onAbort = (): void => finish('aborted');
    signal?.addEventListener('abort', onAbort, { once: true });
    unsubscribe = wake?.(() => finish('woken'));
    if (done) unsubscribe?.();
    else cancelTimer = clock.setTimer(() => finish('elapsed'), delayMs);
  });
}
