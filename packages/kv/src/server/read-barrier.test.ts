// The ReadIndex barrier's rules (thesis §6.4, batched like etcd's linearizableReadLoop), with fake timers
// and a fake Raft source: one round in flight at a time; a read that arrives while a round is in flight
// waits for the next round (joining would serve it at an index fixed before it arrived: a stale read);
// a round not answered in time is asked again under a fresh id; late answers to old ids are ignored.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KvError } from '@halyard/kv-client/protocol';
import { ReadBarrier, type ReadIndexSource } from './read-barrier.ts';
import { realClock } from './real-clock.ts';

const RETRY_MS = 100;

/** Records read-index requests; `applied` is the index the local state machine has applied. */
class FakeRaft implements ReadIndexSource {
  readonly requests: string[] = [];
  readonly waits: number[] = [];
  applied = 0;
  failNext = 0;
  private readonly appliedWaiters: { index: number; resolve: () => void }[] = [];

  requestReadIndex(requestId: string): void {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('no leader');
    }
    this.requests.push(requestId);
  }

  waitApplied(index: number): Promise<void> {
    this.waits.push(index);
    if (index <= this.applied) return Promise.resolve();
    return new Promise((resolve) => this.appliedWaiters.push({ index, resolve }));
  }

  apply(index: number): void {
    this.applied = index;
    for (const w of this.appliedWaiters.splice(0)) {
      if (w.index <= index) w.resolve();
      else this.appliedWaiters.push(w);
    }
  }

  last(): string {
    const r = this.requests.at(-1);
    if (r === undefined) throw new Error('no read-index request was made');
    return r;
  }
}

/** Tracks a barrier promise's state without awaiting it. */
function track(p: Promise<void>): { state: () => 'pending' | 'resolved' | 'rejected'; error: () => unknown } {
  let state: 'pending' | 'resolved' | 'rejected' = 'pending';
  let error: unknown;
  p.then(
    () => (state = 'resolved'),
    (e: unknown) => {
      state = 'rejected';
      error = e;
    },
  );
  return { state: () => state, error: () => error };
}

const settle = async (): Promise<void> => {
  await vi.advanceTimersByTimeAsync(0);
};

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('ReadIndex barrier (thesis §6.4)', () => {
  it('a read that arrives while a round is in flight does not join it: it waits for the next round', async () => {
    const raft = new FakeRaft();
    const barrier = new ReadBarrier(raft, 1, RETRY_MS, realClock);
    const a = track(barrier.barrier(5_000));
    expect(raft.requests).toHaveLength(1);
    const firstRound = raft.last();

    // B arrives after round 1 was asked: a write may have completed between round 1's index and now.
    const b = track(barrier.barrier(5_000));
    expect(raft.requests).toHaveLength(1);

    raft.apply(5);
    barrier.answered(firstRound, 5);
    await settle();
    expect(a.state()).toBe('resolved');
    // B was not answered with round 1's index: a new round was asked for it.
    expect(b.state()).toBe('pending');
    expect(raft.waits).toEqual([5]);
    expect(raft.requests).toHaveLength(2);
    expect(raft.last()).not.toBe(firstRound);

    barrier.answered(raft.last(), 7);
    await settle();
    expect(raft.waits).toEqual([5, 7]);
    expect(b.state()).toBe('pending');
    raft.apply(7);
    await settle();
    expect(b.state()).toBe('resolved');
  });

  it('reads that arrive together share one round (one read-index request for the batch)', async () => {
    const raft = new FakeRaft();
    const barrier = new ReadBarrier(raft, 1, RETRY_MS, realClock);
    const first = track(barrier.barrier(5_000));
    const second = track(barrier.barrier(5_000));
    const third = track(barrier.barrier(5_000));
    raft.apply(3);
    barrier.answered(raft.last(), 3);
    const round2 = raft.last();
    // second and third arrived while round 1 was in flight: they share round 2.
    expect(raft.requests).toHaveLength(2);
    barrier.answered(round2, 3);
    await settle();
    expect([first.state(), second.state(), third.state()]).toEqual(['resolved', 'resolved', 'resolved']);
    expect(raft.requests).toHaveLength(2);
  });

  it('a read is served only once the local state machine applied the read index', async () => {
    const raft = new FakeRaft();
    const barrier = new ReadBarrier(raft, 1, RETRY_MS, realClock);
    const a = track(barrier.barrier(5_000));
    barrier.answered(raft.last(), 9);
    raft.apply(8);
    await settle();
    expect(a.state()).toBe('pending');
    raft.apply(9);
    await settle();
    expect(a.state()).toBe('resolved');
  });

  it('an answer to an id that is not the round in flight is ignored', async () => {
    const raft = new FakeRaft();
    const barrier = new ReadBarrier(raft, 1, RETRY_MS, realClock);
    const a = track(barrier.barrier(5_000));
    barrier.answered('1-r999', 1);
    barrier.answered('2-r1', 1);
    await settle();
    expect(a.state()).toBe('pending');
    expect(raft.waits).toEqual([]);
  });

  it('request ids name the member and never repeat', () => {
    const raft = new FakeRaft();
    const barrier = new ReadBarrier(raft, 42, RETRY_MS, realClock);
    void barrier.barrier(5_000).catch(() => {});
    barrier.answered(raft.last(), 0);
    void barrier.barrier(5_000).catch(() => {});
    expect(raft.requests).toEqual(['42-r1', '42-r2']);
    barrier.close(new Error('stop'));
  });

  it('ids stay unique across retries and new rounds (a late answer can never match a later round)', async () => {
    const raft = new FakeRaft();
    const barrier = new ReadBarrier(raft, 3, RETRY_MS, realClock);
    const a = track(barrier.barrier(5_000));
    await vi.advanceTimersByTimeAsync(RETRY_MS);
    barrier.answered(raft.last(), 0);
    await settle();
    expect(a.state()).toBe('resolved');
    void barrier.barrier(5_000).catch(() => {});
    expect(raft.requests).toEqual(['3-r1', '3-r2', '3-r3']);
    barrier.close(new Error('stop'));
  });

  it('an unanswered round is asked again under a fresh id after retryMs, and a late answer to the old id is ignored', async () => {
    const raft = new FakeRaft();
    const barrier = new ReadBarrier(raft, 1, RETRY_MS, realClock);
    const a = track(barrier.barrier(5_000));
    const old = raft.last();
    await vi.advanceTimersByTimeAsync(RETRY_MS - 1);
    expect(raft.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(raft.requests).toHaveLength(2);
    const fresh = raft.last();
    expect(fresh).not.toBe(old);

    barrier.answered(old, 4);
    await settle();
    expect(a.state()).toBe('pending');
    barrier.answered(fresh, 4);
    raft.apply(4);
    await settle();
    expect(a.state()).toBe('resolved');
    // Answered: no further retries.
    await vi.advanceTimersByTimeAsync(RETRY_MS * 5);
    expect(raft.requests).toHaveLength(2);
  });

  it('with no leader known (the request throws) the readers keep waiting and the round is asked again', async () => {
    const raft = new FakeRaft();
    raft.failNext = 1;
    const barrier = new ReadBarrier(raft, 1, RETRY_MS, realClock);
    const a = track(barrier.barrier(5_000));
    expect(raft.requests).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(RETRY_MS);
    expect(raft.requests).toHaveLength(1);
    barrier.answered(raft.last(), 1);
    raft.apply(1);
    await settle();
    expect(a.state()).toBe('resolved');
  });

  it('a read with no answer within its timeout fails with Timeout', async () => {
    const raft = new FakeRaft();
    const barrier = new ReadBarrier(raft, 1, RETRY_MS, realClock);
    const a = track(barrier.barrier(1_000));
    await vi.advanceTimersByTimeAsync(999);
    expect(a.state()).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(a.state()).toBe('rejected');
    expect(a.error()).toBeInstanceOf(KvError);
    expect((a.error() as KvError).code).toBe('Timeout');
    expect((a.error() as KvError).message).toBe('no read index in time (is there a leader?)');
    barrier.close(new Error('stop'));
  });

  it('waiting for the apply gets what is left of the read\'s deadline', async () => {
    const raft = new FakeRaft();
    const spy = vi.spyOn(raft, 'waitApplied');
    const barrier = new ReadBarrier(raft, 1, RETRY_MS, realClock);
    void barrier.barrier(1_000).catch(() => {});
    await vi.advanceTimersByTimeAsync(400);
    barrier.answered(raft.last(), 0);
    await settle();
    expect(spy).toHaveBeenCalledWith(0, 600);
  });

  it('close rejects the round in flight and the reads waiting for the next one, and stops retrying', async () => {
    const raft = new FakeRaft();
    const barrier = new ReadBarrier(raft, 1, RETRY_MS, realClock);
    const a = track(barrier.barrier(5_000));
    const b = track(barrier.barrier(5_000));
    const err = new Error('member stopping');
    barrier.close(err);
    await settle();
    expect([a.state(), b.state()]).toEqual(['rejected', 'rejected']);
    expect([a.error(), b.error()]).toEqual([err, err]);
    await vi.advanceTimersByTimeAsync(RETRY_MS * 3);
    expect(raft.requests).toHaveLength(1);
    // A new read after close starts afresh.
    const c = track(barrier.barrier(5_000));
    expect(raft.requests).toHaveLength(2);
    barrier.answered(raft.last(), 0);
    await settle();
    expect(c.state()).toBe('resolved');
  });
});
