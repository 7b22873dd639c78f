// The node's log (etcd raft's log_test.go, table by table): terms across the stable and unstable parts and
// a snapshot, §5.4.1 up-to-date comparison, conflict finding and fast backtracking, follower append with
// its commit cap, slicing with a size bound, and the entries handed to the application.
import { describe, expect, it } from 'vitest';
import { RaftLog } from './log.ts';
import { MemoryStorage } from './storage.ts';
import { type Entry, RaftError, entrySizeBytes } from './types.ts';

const ent = (index: number, term: number, bytes = 0): Entry => ({ type: 'normal', index, term, data: new Uint8Array(bytes) });

/** A log whose storage holds entries of `stableTerms` (index i+1 has term stableTerms[i]), then unstable ones. */
function logWith(stableTerms: number[], unstableTerms: number[] = [], commit = 0, applied = 0): RaftLog {
  const s = new MemoryStorage({ voters: [1], learners: [] });
  s.append(stableTerms.map((t, i) => ent(i + 1, t)));
  s.setHardState({ term: Math.max(0, ...stableTerms, ...unstableTerms), vote: 0, commit });
  const log = new RaftLog(s, applied);
  const base = stableTerms.length;
  if (unstableTerms.length > 0) log.append(unstableTerms.map((t, i) => ent(base + i + 1, t)));
  return log;
}

/** A log whose storage was compacted through `compactedThrough` (its term `snapTerm`), then holds `terms`. */
function compactedLog(compactedThrough: number, snapTerm: number, terms: number[]): RaftLog {
  const s = new MemoryStorage({ voters: [1], learners: [] });
  s.applySnapshot({ metadata: { index: compactedThrough, term: snapTerm, confState: { voters: [1], learners: [] } }, data: new Uint8Array() });
  s.append(terms.map((t, i) => ent(compactedThrough + i + 1, t)));
  s.setHardState({ term: snapTerm, vote: 0, commit: compactedThrough });
  return new RaftLog(s, compactedThrough);
}

describe('restoring from storage', () => {
  it('commit and applied come from the hard state and the caller, never below the snapshot', () => {
    const log = logWith([1, 1, 2], [], 2, 1);
    expect([log.firstIndex(), log.lastIndex(), log.committed, log.applied]).toEqual([1, 3, 2, 1]);
    const c = compactedLog(5, 2, [2, 3]);
    expect([c.firstIndex(), c.lastIndex(), c.committed, c.applied]).toEqual([6, 7, 5, 5]);
  });

  it('a hard state committing past the last index, or applied past commit, is refused', () => {
    const s = new MemoryStorage({ voters: [1], learners: [] });
    s.append([ent(1, 1)]);
    s.setHardState({ term: 1, vote: 0, commit: 2 });
    expect(() => new RaftLog(s, 0)).toThrow('beyond last index');
    s.setHardState({ term: 1, vote: 0, commit: 1 });
    expect(() => new RaftLog(s, 2)).toThrow('beyond commit');
  });
});

describe('term', () => {
  it('answers across storage and the unstable tail; 0 past the end', () => {
    const log = logWith([1, 2], [2, 3]);
    expect([1, 2, 3, 4, 5].map((i) => log.term(i))).toEqual([1, 2, 2, 3, 0]);
    expect(log.lastTerm()).toBe(3);
    expect(log.term(0)).toBe(0);
  });

  it('answers the snapshot index with its term and refuses anything below it as Compacted', () => {
    const log = compactedLog(5, 2, [3]);
    expect(log.term(5)).toBe(2);
    expect(log.term(6)).toBe(3);
    expect(() => log.term(4)).toThrow(RaftError);
    expect(() => log.term(4)).toThrow('term(4): compacted below 6');
    expect(log.termOrUndefined(4)).toBeUndefined();
    expect(log.termOrUndefined(6)).toBe(3);
  });

  it('matchTerm holds only for an entry that exists with that term', () => {
    const log = logWith([1, 2]);
    expect(log.matchTerm(2, 2)).toBe(true);
    expect(log.matchTerm(2, 1)).toBe(false);
    expect(log.matchTerm(3, 0)).toBe(false);
    expect(log.matchTerm(0, 0)).toBe(true);
    expect(compactedLog(5, 2, []).matchTerm(3, 2)).toBe(false);
  });
});

describe('§5.4.1 isUpToDate', () => {
  // Our log: last entry index 3, term 2.
  it.each([
    [3, 2, true, 'same last term and index'],
    [4, 2, true, 'same term, longer'],
    [2, 2, false, 'same term, shorter'],
    [1, 3, true, 'higher last term wins whatever the length'],
    [9, 1, false, 'lower last term loses whatever the length'],
  ])('candidate last %i/%i → %s (%s)', (index, term, expected) => {
    expect(logWith([1, 1, 2]).isUpToDate(index, term)).toBe(expected);
  });
});

describe('findConflict and findConflictByTerm', () => {
  it('findConflict: the first entry that is missing or has another term; 0 when all are present', () => {
    const log = logWith([1, 2, 3]);
    expect(log.findConflict([])).toBe(0);
    expect(log.findConflict([ent(1, 1), ent(2, 2)])).toBe(0);
    expect(log.findConflict([ent(2, 2), ent(3, 4), ent(4, 4)])).toBe(3);
    expect(log.findConflict([ent(3, 3), ent(4, 4)])).toBe(4);
    expect(log.findConflict([ent(1, 9)])).toBe(1);
  });

  it('findConflictByTerm: the largest index ≤ index whose term is ≤ term', () => {
    const log = logWith([1, 1, 3, 3, 5]);
    expect(log.findConflictByTerm(5, 4)).toBe(4);
    expect(log.findConflictByTerm(5, 5)).toBe(5);
    expect(log.findConflictByTerm(4, 2)).toBe(2);
    expect(log.findConflictByTerm(9, 3)).toBe(4);
    expect(log.findConflictByTerm(5, 0)).toBe(0);
  });

  it('findConflictByTerm stops at the compacted boundary (everything below it matches)', () => {
    expect(compactedLog(5, 4, [6, 6]).findConflictByTerm(7, 1)).toBe(4);
  });
});

describe('§5.3 maybeAppend', () => {
  it('refuses when the previous entry does not match', () => {
    const log = logWith([1, 2]);
    expect(log.maybeAppend(2, 1, 2, [ent(3, 3)])).toBeUndefined();
    expect(log.maybeAppend(3, 2, 2, [])).toBeUndefined();
    expect(log.lastIndex()).toBe(2);
    expect(log.committed).toBe(0);
  });

  it('appends after a match, replacing a conflicting suffix, keeping entries that agree', () => {
    const log = logWith([1, 2, 2, 2]);
    expect(log.maybeAppend(1, 1, 0, [ent(2, 2), ent(3, 3)])).toBe(3);
    expect([1, 2, 3].map((i) => log.term(i))).toEqual([1, 2, 3]);
    expect(log.lastIndex()).toBe(3);
  });

  it('an append of entries already present changes nothing and returns the last of them', () => {
    const log = logWith([1, 2, 3]);
    expect(log.maybeAppend(0, 0, 0, [ent(1, 1), ent(2, 2)])).toBe(2);
    expect(log.lastIndex()).toBe(3);
  });

  it('commits min(leader commit, last new entry), never entries past what the append vouched for', () => {
    const log = logWith([1, 1, 1, 1]);
    expect(log.maybeAppend(2, 1, 4, [])).toBe(2);
    expect(log.committed).toBe(2);
    expect(log.maybeAppend(2, 1, 3, [ent(3, 1)])).toBe(3);
    expect(log.committed).toBe(3);
    // A lower leader commit never moves commit back.
    log.maybeAppend(3, 1, 1, []);
    expect(log.committed).toBe(3);
  });

  it('overwriting a committed entry is an invariant violation, the last committed one included', () => {
    const log = logWith([1, 1, 1], [], 3);
    expect(() => log.maybeAppend(1, 1, 3, [ent(2, 2)])).toThrow('raft invariant violated: append would overwrite committed entry 2 (commit 3)');
    expect(() => log.maybeAppend(2, 1, 3, [ent(3, 2)])).toThrow('raft invariant violated: append would overwrite committed entry 3 (commit 3)');
  });

  it('entries already held, committed ones included, are skipped: only those from the first conflict are appended', () => {
    const log = logWith([1, 2, 2, 2], [], 2);
    expect(log.maybeAppend(1, 1, 2, [ent(2, 2), ent(3, 3)])).toBe(3);
    expect([1, 2, 3].map((i) => log.term(i))).toEqual([1, 2, 3]);
  });
});

describe('append', () => {
  it('appends to the unstable tail and returns the last index; nothing to append returns it unchanged', () => {
    const log = logWith([1, 1]);
    expect(log.append([])).toBe(2);
    expect(log.append([ent(3, 2)])).toBe(3);
    expect(log.unstable.entries.map((e) => e.index)).toEqual([3]);
  });

  it('appending below the commit index is an invariant violation', () => {
    const log = logWith([1, 1, 1], [], 2);
    expect(() => log.append([ent(2, 2)])).toThrow('raft invariant violated: append at 2 below commit 2');
    expect(log.append([ent(3, 2)])).toBe(3);
  });
});

describe('commitTo', () => {
  it('only moves forward, and never past the last index', () => {
    const log = logWith([1, 1, 1]);
    log.commitTo(2);
    log.commitTo(1);
    expect(log.committed).toBe(2);
    expect(() => log.commitTo(4)).toThrow('beyond last index');
    log.commitTo(3);
    expect(log.committed).toBe(3);
  });
});

describe('slice and nextCommittedEntries', () => {
  it('returns [lo, hi) across storage and the unstable tail', () => {
    const log = logWith([1, 1], [2, 2]);
    expect(log.slice(1, 5, Infinity).map((e) => e.index)).toEqual([1, 2, 3, 4]);
    expect(log.slice(2, 4, Infinity).map((e) => e.index)).toEqual([2, 3]);
    expect(log.slice(3, 3, Infinity)).toEqual([]);
    expect(log.slice(4, 2, Infinity)).toEqual([]);
  });

  it('stops at maxSizeBytes but always returns at least one entry', () => {
    const s = new MemoryStorage({ voters: [1], learners: [] });
    s.append([ent(1, 1, 100), ent(2, 1, 100)]);
    const log = new RaftLog(s, 0);
    log.append([ent(3, 1, 100), ent(4, 1, 100)]);
    const one = entrySizeBytes(ent(1, 1, 100));
    expect(log.slice(1, 5, 1).map((e) => e.index)).toEqual([1]);
    expect(log.slice(1, 5, 2 * one).map((e) => e.index)).toEqual([1, 2]);
    expect(log.slice(1, 5, 3 * one).map((e) => e.index)).toEqual([1, 2, 3]);
    expect(log.slice(1, 5, 3 * one - 1).map((e) => e.index)).toEqual([1, 2]);
    expect(log.slice(3, 5, one).map((e) => e.index)).toEqual([3]);
    expect(log.slice(3, 5, 2 * one).map((e) => e.index)).toEqual([3, 4]);
  });

  it('refuses a slice below the first index, and past the last one', () => {
    const log = compactedLog(5, 2, [2, 2]);
    expect(() => log.slice(5, 7, Infinity)).toThrow(RaftError);
    expect(() => log.slice(5, 7, Infinity)).toThrow(expect.objectContaining({ code: 'Compacted', message: 'slice(5): compacted below 6' }));
    expect(log.slice(6, 8, Infinity).map((e) => e.index)).toEqual([6, 7]);
    expect(() => log.slice(6, 9, Infinity)).toThrow('beyond last');
  });

  it('nextCommittedEntries: committed entries after `from`, none while a snapshot waits to be installed', () => {
    const log = logWith([1, 1, 1, 1], [], 3);
    expect(log.nextCommittedEntries(0, Infinity).map((e) => e.index)).toEqual([1, 2, 3]);
    expect(log.nextCommittedEntries(2, Infinity).map((e) => e.index)).toEqual([3]);
    expect(log.nextCommittedEntries(3, Infinity)).toEqual([]);
    log.restore({ metadata: { index: 10, term: 2, confState: { voters: [1], learners: [] } }, data: new Uint8Array() });
    expect(log.committed).toBe(10);
    expect(log.nextCommittedEntries(3, Infinity)).toEqual([]);
    expect(log.firstIndex()).toBe(11);
    expect(log.lastIndex()).toBe(10);
    expect(log.snapshot().metadata.index).toBe(10);
  });

  it('no committed entries while a snapshot waits to be installed, even entries after it', () => {
    const log = logWith([1, 1, 1], [], 3, 3);
    log.restore({ metadata: { index: 10, term: 2, confState: { voters: [1], learners: [] } }, data: new Uint8Array() });
    log.append([ent(11, 2), ent(12, 2)]);
    log.commitTo(12);
    expect(log.nextCommittedEntries(3, Infinity)).toEqual([]);
    log.unstable.stableSnapTo(10);
    expect(log.nextCommittedEntries(10, Infinity).map((e) => e.index)).toEqual([11, 12]);
  });

  it('the snapshot is the storage\'s when none is pending', () => {
    const log = compactedLog(5, 2, []);
    expect(log.snapshot().metadata).toMatchObject({ index: 5, term: 2 });
  });
});
