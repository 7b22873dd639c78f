// The unstable tail of the log (etcd raft's log_unstable_test.go): entries accepted but not yet durable,
// and a snapshot waiting to be installed; what leaves it once the caller reports it persisted.
import { describe, expect, it } from 'vitest';
import type { Entry, Snapshot } from './types.ts';
import { Unstable } from './unstable.ts';

const ent = (index: number, term: number): Entry => ({ type: 'normal', index, term, data: new Uint8Array() });
const snap = (index: number, term: number): Snapshot => ({ metadata: { index, term, confState: { voters: [1], learners: [] } }, data: new Uint8Array() });
const indexes = (u: Unstable): number[] => u.entries.map((e) => e.index);

describe('Unstable', () => {
  it('lastIndex: the last entry, else the pending snapshot, else unknown', () => {
    const u = new Unstable(5);
    expect(u.lastIndex()).toBeUndefined();
    u.restore(snap(4, 1));
    expect(u.lastIndex()).toBe(4);
    u.truncateAndAppend([ent(5, 2), ent(6, 2)]);
    expect(u.lastIndex()).toBe(6);
  });

  it('term: of an entry held, of the pending snapshot at its index, else unknown', () => {
    const u = new Unstable(5);
    u.restore(snap(4, 1));
    u.truncateAndAppend([ent(5, 2)]);
    expect([u.term(4), u.term(5), u.term(6), u.term(3)]).toEqual([1, 2, undefined, undefined]);
  });

  it('appending right after the tail extends it', () => {
    const u = new Unstable(1);
    u.truncateAndAppend([ent(1, 1)]);
    u.truncateAndAppend([ent(2, 1), ent(3, 1)]);
    expect(indexes(u)).toEqual([1, 2, 3]);
    expect(u.offset).toBe(1);
    u.truncateAndAppend([]);
    expect(indexes(u)).toEqual([1, 2, 3]);
  });

  it('appending inside the tail replaces the suffix from there', () => {
    const u = new Unstable(1);
    u.truncateAndAppend([ent(1, 1), ent(2, 1), ent(3, 1)]);
    u.truncateAndAppend([ent(2, 2)]);
    expect(u.entries.map((e) => [e.index, e.term])).toEqual([
      [1, 1],
      [2, 2],
    ]);
  });

  it('appending at or before the offset replaces everything and moves the offset back', () => {
    const u = new Unstable(5);
    u.truncateAndAppend([ent(5, 1), ent(6, 1)]);
    u.truncateAndAppend([ent(4, 2)]);
    expect([u.offset, ...indexes(u)]).toEqual([4, 4]);
    const v = new Unstable(5);
    v.truncateAndAppend([ent(5, 1)]);
    v.truncateAndAppend([ent(5, 3)]);
    expect([v.offset, v.term(5)]).toEqual([5, 3]);
  });

  it('stableTo drops entries up to a durable index of the same term; a mismatch or an old index is ignored', () => {
    const u = new Unstable(1);
    u.truncateAndAppend([ent(1, 1), ent(2, 1), ent(3, 2)]);
    u.stableTo(2, 2);
    expect(indexes(u)).toEqual([1, 2, 3]);
    u.stableTo(2, 1);
    expect([u.offset, ...indexes(u)]).toEqual([3, 3]);
    u.stableTo(1, 1);
    expect([u.offset, ...indexes(u)]).toEqual([3, 3]);
    u.stableTo(3, 2);
    expect([u.offset, u.entries.length]).toEqual([4, 0]);
  });

  it('stableSnapTo clears the pending snapshot only at its index', () => {
    const u = new Unstable(1);
    u.restore(snap(9, 2));
    u.stableSnapTo(8);
    expect(u.snapshot?.metadata.index).toBe(9);
    u.stableSnapTo(9);
    expect(u.snapshot).toBeUndefined();
  });

  it('stableSnapTo with no pending snapshot does nothing', () => {
    const u = new Unstable(1);
    expect(() => u.stableSnapTo(3)).not.toThrow();
    expect(u.snapshot).toBeUndefined();
  });

  it('entries that are not contiguous are an invariant violation', () => {
    const u = new Unstable(1);
    expect(() => u.truncateAndAppend([ent(1, 1), ent(3, 1)])).toThrow('raft invariant violated: unstable entries are contiguous');
  });

  it('restore drops the entries and starts after the snapshot', () => {
    const u = new Unstable(1);
    u.truncateAndAppend([ent(1, 1)]);
    u.restore(snap(7, 3));
    expect([u.offset, u.entries.length, u.snapshot?.metadata.index]).toEqual([8, 0, 7]);
  });

  it('slice returns [lo, hi) and refuses bounds outside the tail', () => {
    const u = new Unstable(3);
    u.truncateAndAppend([ent(3, 1), ent(4, 1), ent(5, 1)]);
    expect(u.slice(4, 6).map((e) => e.index)).toEqual([4, 5]);
    expect(u.slice(3, 3)).toEqual([]);
    expect(() => u.slice(2, 4)).toThrow('out of bounds');
    expect(() => u.slice(4, 7)).toThrow('out of bounds');
  });
});
