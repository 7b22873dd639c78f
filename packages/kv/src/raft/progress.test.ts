// A follower's progress as the leader sees it (etcd raft's tracker/progress_test.go): the three states
// and their transitions, acknowledgements moving match/next, rejections backing next off (stale ones
// ignored), and when the leader must pause sending.
import { describe, expect, it } from 'vitest';
import { Progress } from './progress.ts';

const fresh = (next = 5): Progress => new Progress(next, false, 2, 0);

describe('Progress', () => {
  it('starts probing at next with nothing matched, active or paused', () => {
    const p = new Progress(7, true, 2, 0);
    expect({ match: p.match, next: p.next, state: p.state, paused: p.paused, isLearner: p.isLearner, recentActive: p.recentActive }).toEqual({
      match: 0,
      next: 7,
      state: 'probe',
      paused: false,
      isLearner: true,
      recentActive: false,
    });
    expect(p.isPaused()).toBe(false);
  });

  it('maybeUpdate moves match forward only, next to at least n+1, and unpauses a probe', () => {
    const p = fresh();
    p.sentEntries(5, 1, 10);
    expect(p.isPaused()).toBe(true);
    expect(p.maybeUpdate(6)).toBe(true);
    expect([p.match, p.next, p.paused]).toEqual([6, 7, false]);
    expect(p.maybeUpdate(4)).toBe(false);
    expect([p.match, p.next]).toEqual([6, 7]);
    expect(p.maybeUpdate(6)).toBe(false);
  });

  it('in probe state one unanswered append pauses sending; an empty one too', () => {
    const p = fresh();
    p.sentEntries(4, 0, 0);
    expect(p.isPaused()).toBe(true);
  });

  it('becomeReplicate resets next to match+1 and pipelines: next follows each send, bounded by inflights', () => {
    const p = fresh();
    p.maybeUpdate(4);
    p.paused = true;
    p.becomeReplicate();
    expect([p.state, p.next, p.paused]).toEqual(['replicate', 5, false]);
    p.sentEntries(6, 2, 10);
    expect(p.next).toBe(7);
    expect(p.isPaused()).toBe(false);
    p.sentEntries(6, 0, 0);
    expect(p.inflights.count()).toBe(1);
    p.sentEntries(8, 2, 10);
    expect(p.isPaused()).toBe(true);
  });

  it('in replicate state a rejection above match backs next to match+1; one at or below match is stale', () => {
    const p = fresh();
    p.maybeUpdate(4);
    p.becomeReplicate();
    p.sentEntries(9, 5, 10);
    expect(p.maybeDecrTo(4, 0)).toBe(false);
    expect(p.next).toBe(10);
    expect(p.maybeDecrTo(7, 0)).toBe(true);
    expect(p.next).toBe(5);
  });

  it('in probe state only a rejection of the last probe counts; next goes to the hint, never below match+1', () => {
    const p = fresh(10);
    p.maybeUpdate(3);
    expect(p.next).toBe(10);
    p.paused = true;
    expect(p.maybeDecrTo(8, 2)).toBe(false);
    expect(p.maybeDecrTo(9, 6)).toBe(true);
    expect([p.next, p.paused]).toEqual([7, false]);
    expect(p.maybeDecrTo(6, 0)).toBe(true);
    expect(p.next).toBe(4);
    // A hint beyond the rejected index: next goes to the rejected index.
    const q = fresh(10);
    expect(q.maybeDecrTo(9, 20)).toBe(true);
    expect(q.next).toBe(9);
  });

  it('snapshot state pauses until the snapshot is done; then probing resumes after the snapshot', () => {
    const p = fresh();
    p.maybeUpdate(2);
    p.becomeSnapshot(20);
    expect([p.state, p.pendingSnapshot, p.isPaused()]).toEqual(['snapshot', 20, true]);
    p.becomeProbe();
    expect([p.state, p.next, p.pendingSnapshot]).toEqual(['probe', 21, 0]);
    // A follower that got further than the snapshot (match past it) probes after its match.
    const q = fresh();
    q.becomeSnapshot(3);
    q.maybeUpdate(8);
    q.becomeProbe();
    expect(q.next).toBe(9);
  });

  it('becomeProbe from replicate restarts at match+1 and clears the window', () => {
    const p = fresh();
    p.maybeUpdate(4);
    p.becomeReplicate();
    p.sentEntries(6, 2, 10);
    p.sentEntries(8, 2, 10);
    p.snapshotTimeouts = 1;
    p.becomeProbe();
    expect([p.state, p.next, p.inflights.count(), p.snapshotTimeouts, p.isPaused()]).toEqual(['probe', 5, 0, 0, false]);
  });
});
