// When the member commits its state machine: at most STATE_MACHINE_COMMIT_DELAY_MS after an advance that
// left something uncommitted, never with a Ready in flight (its applied entries may not be in the local
// log yet), once per burst of advances, and never after stop.
import { describe, expect, it } from 'vitest';
import { CommitSchedule, STATE_MACHINE_COMMIT_DELAY_MS } from './commit-schedule.ts';

/** A clock whose timers fire only when the test moves time; and the member's state as the schedule sees it. */
function harness() {
  let now = 0;
  const timers: { at: number; fn: () => void; live: boolean }[] = [];
  const state = { inFlight: false, uncommitted: true, commits: [] as number[] };
  const schedule = new CommitSchedule({
    clock: {
      after: (delayMs, fn) => {
        const t = { at: now + delayMs, fn, live: true };
        timers.push(t);
        return () => void (t.live = false);
      },
    },
    readyInFlight: () => state.inFlight,
    uncommitted: () => state.uncommitted,
    commit: () => {
      // The one rule that keeps a restart possible: never commit with a Ready in flight.
      expect(state.inFlight).toBe(false);
      state.commits.push(now);
      state.uncommitted = false;
    },
  });
  const advanceTime = (ms: number): void => {
    now += ms;
    for (const t of timers.filter((x) => x.live && x.at <= now)) {
      t.live = false;
      t.fn();
    }
  };
  const pending = (): number => timers.filter((t) => t.live).length;
  return { schedule, state, advanceTime, pending };
}

describe('CommitSchedule', () => {
  it('commits once, the delay after the first of a burst of advances', () => {
    const h = harness();
    h.schedule.advanced();
    h.advanceTime(3);
    h.schedule.advanced();
    h.schedule.advanced();
    expect(h.pending()).toBe(1);
    h.advanceTime(STATE_MACHINE_COMMIT_DELAY_MS - 4);
    expect(h.state.commits).toEqual([]);
    h.advanceTime(1);
    expect(h.state.commits).toEqual([STATE_MACHINE_COMMIT_DELAY_MS]);
    // Nothing uncommitted: an advance schedules nothing.
    h.schedule.advanced();
    expect(h.pending()).toBe(0);
  });

  it('a commit that comes due with a Ready in flight waits for that Ready to advance', () => {
    const h = harness();
    h.schedule.advanced();
    h.state.inFlight = true;
    h.advanceTime(STATE_MACHINE_COMMIT_DELAY_MS);
    expect(h.state.commits).toEqual([]);
    h.advanceTime(100);
    expect(h.state.commits).toEqual([]);
    h.state.inFlight = false;
    h.schedule.advanced();
    expect(h.state.commits).toEqual([STATE_MACHINE_COMMIT_DELAY_MS + 100]);
  });

  it('a commit the member made itself cancels the scheduled one; stop cancels everything for good', () => {
    const h = harness();
    h.schedule.advanced();
    h.schedule.committed();
    h.advanceTime(STATE_MACHINE_COMMIT_DELAY_MS * 2);
    expect(h.state.commits).toEqual([]);
    h.state.uncommitted = true;
    h.schedule.advanced();
    h.schedule.stop();
    h.advanceTime(STATE_MACHINE_COMMIT_DELAY_MS * 2);
    h.schedule.advanced();
    h.advanceTime(STATE_MACHINE_COMMIT_DELAY_MS * 2);
    expect(h.state.commits).toEqual([]);
    expect(h.pending()).toBe(0);
  });
});
