// MemoryStorage, the in-memory RaftStorage (etcd raft's storage_test.go): entries after a snapshot,
// Compacted/Unavailable bounds with typed errors, size-limited reads, snapshots that only move forward,
// compaction, and appends that replace a conflicting tail.
import { describe, expect, it } from 'vitest';
import { MemoryStorage } from './storage.ts';
import { type Entry, entrySizeBytes } from './types.ts';

const ent = (index: number, term: number, bytes = 0): Entry => ({ type: 'normal', index, term, data: new Uint8Array(bytes) });
const cs = { voters: [1, 2], learners: [3] };

/** Entries 1..n with the given terms. */
function storage(terms: number[]): MemoryStorage {
  const s = new MemoryStorage(cs);
  s.append(terms.map((t, i) => ent(i + 1, t)));
  return s;
}

const err = (code: string, message: string) => expect.objectContaining({ code, message });

describe('MemoryStorage', () => {
  it('starts empty: first 1, last 0, the given configuration, an empty hard state', () => {
    const s = new MemoryStorage(cs);
    expect([s.firstIndex(), s.lastIndex()]).toEqual([1, 0]);
    expect(s.initialState()).toEqual({ hardState: { term: 0, vote: 0, commit: 0 }, confState: cs });
    expect(new MemoryStorage().initialState().confState).toEqual({ voters: [], learners: [] });
    expect(s.term(0)).toBe(0);
  });

  it('term: of each entry; Compacted below the first, Unavailable past the last', () => {
    const s = storage([1, 2, 2]);
    expect([0, 1, 2, 3].map((i) => s.term(i))).toEqual([0, 1, 2, 2]);
    expect(() => s.term(4)).toThrow(err('Unavailable', 'index 4 is past the last index 3'));
    s.compact(2);
    expect(s.term(2)).toBe(2);
    expect(() => s.term(1)).toThrow(err('Compacted', 'index 1 is compacted (first 3)'));
  });

  it('entries: [lo, hi), at least one, then within maxSizeBytes; refuses compacted and past-the-end ranges', () => {
    const s = new MemoryStorage(cs);
    s.append([ent(1, 1, 10), ent(2, 1, 10), ent(3, 1, 10)]);
    const one = entrySizeBytes(ent(1, 1, 10));
    expect(s.entries(1, 4, Infinity).map((e) => e.index)).toEqual([1, 2, 3]);
    expect(s.entries(1, 4, 0).map((e) => e.index)).toEqual([1]);
    expect(s.entries(1, 4, 2 * one).map((e) => e.index)).toEqual([1, 2]);
    expect(s.entries(2, 3, Infinity).map((e) => e.index)).toEqual([2]);
    expect(() => s.entries(0, 2, Infinity)).toThrow(err('Compacted', 'index 0 is compacted (first 1)'));
    expect(() => s.entries(1, 5, Infinity)).toThrow('raft invariant violated: entries(1, 5) past last index 3');
    s.compact(1);
    expect(() => s.entries(1, 3, Infinity)).toThrow(err('Compacted', 'index 1 is compacted (first 2)'));
    expect(s.entries(2, 4, Infinity).map((e) => e.index)).toEqual([2, 3]);
  });

  it('applySnapshot replaces everything; an older or equal snapshot is refused', () => {
    const s = storage([1, 1, 1]);
    const snap = { metadata: { index: 5, term: 2, confState: cs }, data: new Uint8Array([7]) };
    s.applySnapshot(snap);
    expect([s.firstIndex(), s.lastIndex(), s.term(5)]).toEqual([6, 5, 2]);
    expect(s.snapshot()).toBe(snap);
    expect(s.initialState().confState).toBe(cs);
    const same = { metadata: { index: 5, term: 2, confState: cs }, data: new Uint8Array() };
    expect(() => s.applySnapshot(same)).toThrow(err('SnapshotOutOfDate', 'snapshot at 5 is not newer than 5'));
    expect(() => s.applySnapshot({ ...same, metadata: { ...same.metadata, index: 4 } })).toThrow(err('SnapshotOutOfDate', 'snapshot at 4 is not newer than 5'));
    s.append([ent(6, 2)]);
    expect(s.entries(6, 7, Infinity).map((e) => e.type)).toEqual(['normal']);
  });

  it('createSnapshot records the image at an index with its term; only forward, never past the last index', () => {
    const s = storage([1, 2, 3]);
    const snap = s.createSnapshot(2, cs, new Uint8Array([1]));
    expect(snap.metadata).toEqual({ index: 2, term: 2, confState: cs });
    expect(s.snapshot()).toBe(snap);
    expect(() => s.createSnapshot(2, cs, new Uint8Array())).toThrow(err('SnapshotOutOfDate', 'snapshot index 2 is not newer'));
    expect(() => s.createSnapshot(1, cs, new Uint8Array())).toThrow(err('SnapshotOutOfDate', 'snapshot index 1 is not newer'));
    expect(() => s.createSnapshot(4, cs, new Uint8Array())).toThrow('raft invariant violated: snapshot index 4 past last index 3');
    expect(s.createSnapshot(3, cs, new Uint8Array()).metadata.term).toBe(3);
  });

  it('compact drops entries through an index, keeping its term; below the offset it does nothing', () => {
    const s = storage([1, 2, 3, 4]);
    s.compact(2);
    expect([s.firstIndex(), s.lastIndex(), s.term(2), s.term(3), s.term(4)]).toEqual([3, 4, 2, 3, 4]);
    s.compact(2);
    s.compact(1);
    expect([s.firstIndex(), s.lastIndex()]).toEqual([3, 4]);
    s.compact(3);
    expect([s.firstIndex(), s.term(3), s.term(4)]).toEqual([4, 3, 4]);
    expect(() => s.compact(5)).toThrow('raft invariant violated: compact(5) past last index 4');
  });

  it('append replaces a conflicting tail, skips entries already compacted, and refuses a gap', () => {
    const s = storage([1, 1, 1]);
    s.append([ent(2, 2), ent(3, 2), ent(4, 2)]);
    expect([1, 2, 3, 4].map((i) => s.term(i))).toEqual([1, 2, 2, 2]);
    s.append([]);
    expect(s.lastIndex()).toBe(4);
    s.compact(3);
    // Entries 2 and 3 are compacted: only 4 and 5 are taken (4 replaced by term 3).
    s.append([ent(2, 3), ent(3, 3), ent(4, 3), ent(5, 3)]);
    expect([s.firstIndex(), s.lastIndex(), s.term(3), s.term(4), s.term(5)]).toEqual([4, 5, 2, 3, 3]);
    // All compacted: nothing changes.
    s.append([ent(1, 9), ent(2, 9)]);
    expect([s.firstIndex(), s.lastIndex(), s.term(4)]).toEqual([4, 5, 3]);
    expect(() => s.append([ent(7, 3)])).toThrow('raft invariant violated: append leaves a gap: first new 7, last 5');
  });

  it('an append starting exactly at the first index replaces from there', () => {
    const s = storage([1, 1, 1]);
    s.compact(1);
    s.append([ent(2, 5)]);
    expect([s.firstIndex(), s.lastIndex(), s.term(2)]).toEqual([2, 2, 5]);
  });

  it('setHardState is what initialState returns', () => {
    const s = new MemoryStorage(cs);
    s.setHardState({ term: 3, vote: 2, commit: 1 });
    expect(s.initialState().hardState).toEqual({ term: 3, vote: 2, commit: 1 });
  });
});
