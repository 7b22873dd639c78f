// The production clock: Node's timers and the monotonic performance clock.

import type { Cancel, MemberClock } from './seams.ts';

export const realClock: MemberClock = {
  nowMs: () => performance.now(),
  after(delayMs: number, fn: () => void): Cancel {
    if (delayMs <= 0) {
      const t = setImmediate(fn);
      return () => clearImmediate(t);
    }
    const t = setTimeout(fn, delayMs);
    return () => clearTimeout(t);
  },
  every(intervalMs: number, fn: () => void): Cancel {
    const t = setInterval(fn, intervalMs);
    return () => clearInterval(t);
  },
};
