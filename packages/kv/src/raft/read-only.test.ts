// The leader's ReadIndex queue (thesis §6.4): each read waits for a heartbeat round that started after
// it arrived; an acknowledgement of round n confirms only reads of rounds ≤ n (an older round proves
// nothing about leadership when a newer read arrived: counting it would allow a stale read); reads are
// released in order once a quorum acknowledged; the queue is bounded.
import { describe, expect, it } from 'vitest';
import { ReadOnlyQueue } from './read-only.ts';

const majorityOf3 = (acks: ReadonlySet<number>): boolean => acks.size >= 2;

describe('ReadOnlyQueue', () => {
  it('each read gets a new round; the heartbeat carries the latest; 0 when nothing waits', () => {
    const q = new ReadOnlyQueue(10);
    expect(q.currentRound()).toBe(0);
    expect(q.add('a', 5, 1, 1)).toBe(1);
    expect(q.add('b', 5, 2, 1)).toBe(2);
    expect(q.currentRound()).toBe(2);
    expect(q.size()).toBe(2);
  });

  it('an acknowledgement of an older round does not confirm a newer read', () => {
    const q = new ReadOnlyQueue(10);
    q.add('a', 5, 1, 1);
    q.add('b', 6, 1, 1);
    const done = q.ack(2, 1, majorityOf3);
    expect(done.map((r) => r.requestId)).toEqual(['a']);
    expect(q.size()).toBe(1);
    expect(q.ack(3, 1, majorityOf3)).toEqual([]);
    expect(q.ack(3, 2, majorityOf3).map((r) => [r.requestId, r.index, r.from])).toEqual([['b', 6, 1]]);
    expect(q.currentRound()).toBe(0);
  });

  it('without a quorum nothing is released; the leader\'s own ack alone is not a majority of three', () => {
    const q = new ReadOnlyQueue(10);
    q.add('a', 5, 1, 1);
    expect(q.ack(1, 1, majorityOf3)).toEqual([]);
    expect(q.size()).toBe(1);
  });

  it('reads are released in order: a confirmed later read takes the earlier ones with it', () => {
    const q = new ReadOnlyQueue(10);
    q.add('a', 5, 1, 1);
    q.add('b', 5, 1, 1);
    // Only the last read reached a quorum (per this predicate); both go, in order.
    const onlyB = (acks: ReadonlySet<number>): boolean => acks.has(3);
    const r1 = q.ack(2, 2, () => false);
    expect(r1).toEqual([]);
    const first = q.ack(3, 2, (acks) => onlyB(acks) && acks.size >= 2);
    expect(first.map((r) => r.requestId)).toEqual(['a', 'b']);
  });

  it('is bounded: full at pendingReadsMax, and adding then is an invariant violation', () => {
    const q = new ReadOnlyQueue(2);
    q.add('a', 1, 1, 1);
    expect(q.isFull()).toBe(false);
    q.add('b', 1, 1, 1);
    expect(q.isFull()).toBe(true);
    expect(() => q.add('c', 1, 1, 1)).toThrow('raft invariant violated: read queue full (2 reads)');
  });

  it('clear hands back every pending read (leadership lost) and empties the queue', () => {
    const q = new ReadOnlyQueue(5);
    q.add('a', 1, 1, 1);
    q.add('b', 1, 2, 1);
    expect(q.clear().map((r) => r.requestId)).toEqual(['a', 'b']);
    expect([q.size(), q.currentRound()]).toEqual([0, 0]);
  });

  it.each([0, -1, 1.5, Number.NaN])('pendingReadsMax %s is refused', (n) => {
    expect(() => new ReadOnlyQueue(n)).toThrow(`raft invariant violated: pendingReadsMax must be a positive integer, got ${n}`);
  });
});
