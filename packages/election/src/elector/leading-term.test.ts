import { describe, expect, it } from 'vitest';
import { FakeClock } from '../fake-clock.ts';
import { LeadingTerm, type TermEnd } from './leading-term.ts';

describe('LeadingTerm', () => {
  it('aborts its signal at the deadline by its timer', async () => {
    const clock = new FakeClock(1_000);
    const ends: TermEnd[] = [];
    const term = new LeadingTerm('a', 7, 11_000, clock, (why) => ends.push(why));
    await clock.advance(9_999);
    expect(term.signal.aborted).toBe(false);
    await clock.advance(1);
    expect(term.signal.aborted).toBe(true);
    expect(ends).toEqual(['renew deadline passed']);
    expect(term.signal.reason).toMatchObject({ code: 'NotLeader' });
  });

  it('holds() reads the clock itself: past the deadline it aborts at once, even before the late timer runs', () => {
    let now = 0;
    const timers: (() => void)[] = [];
    // A clock whose timers never fire on their own: a stalled event loop.
    const term = new LeadingTerm('a', 1, 10_000, { nowMs: () => now, setTimer: (fn) => (timers.push(fn), () => {}), wallTimeMicros: () => 0 }, () => {});
    now = 9_999;
    expect(term.holds()).toBe(true);
    now = 10_000;
    expect(term.signal.aborted).toBe(false); // nobody looked yet
    expect(term.holds()).toBe(false);
    expect(term.signal.aborted).toBe(true);
    expect(() => term.assertHolds()).toThrow(/no longer leads/);
  });

  it('extend() moves the deadline forward only', async () => {
    const clock = new FakeClock();
    const term = new LeadingTerm('a', 1, 10_000, clock, () => {});
    await clock.advance(2_000);
    term.extend(12_000);
    term.extend(11_000);
    expect(term.validUntilMs).toBe(12_000);
    await clock.advance(9_999);
    expect(term.holds()).toBe(true);
    await clock.advance(1);
    expect(term.signal.aborted).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a timer that fires early by the monotonic clock is armed again', () => {
    let now = 0;
    const timers: { fn: () => void; delay: number }[] = [];
    const term = new LeadingTerm('a', 1, 10_000, { nowMs: () => now, setTimer: (fn, delay) => (timers.push({ fn, delay }), () => {}), wallTimeMicros: () => 0 }, () => {});
    now = 9_999.6;
    timers.shift()!.fn();
    expect(term.signal.aborted).toBe(false);
    expect(timers[0]!.delay).toBeCloseTo(0.4);
    now = 10_000;
    timers.shift()!.fn();
    expect(term.signal.aborted).toBe(true);
  });
});
