// The dedupe table's rules: it answers a retried requestId with the first outcome, and forgets the oldest
// ids first once it holds entriesMax (FIFO in apply order, so every member forgets the same ids).
import { describe, expect, it } from 'vitest';
import { DEDUPE_ENTRIES_MAX, DedupeTable, type Outcome } from './dedupe.ts';

const ok = (revision: number): Outcome => ({ ok: true, response: { type: 'put', header: { revision } } });

describe('DedupeTable', () => {
  it('remembers the outcome of each requestId', () => {
    const t = new DedupeTable();
    t.record('a', ok(2));
    t.record('b', { ok: false, error: { code: 'InvalidRequest', message: 'no' } });
    expect(t.get('a')).toEqual(ok(2));
    expect(t.get('b')).toEqual({ ok: false, error: { code: 'InvalidRequest', message: 'no' } });
    expect(t.get('c')).toBeUndefined();
  });

  it('holds at most entriesMax outcomes, forgetting the oldest first', () => {
    const t = new DedupeTable(3);
    for (const [i, id] of ['a', 'b', 'c', 'd', 'e'].entries()) t.record(id, ok(i));
    expect(t.entries().map(([id]) => id)).toEqual(['c', 'd', 'e']);
    expect(t.get('a')).toBeUndefined();
    expect(t.get('b')).toBeUndefined();
    expect(t.get('c')).toEqual(ok(2));
  });

  it('exactly entriesMax outcomes are all kept', () => {
    const t = new DedupeTable(2);
    t.record('a', ok(1));
    t.record('b', ok(2));
    expect(t.entries().map(([id]) => id)).toEqual(['a', 'b']);
  });

  it(`the default bound is DEDUPE_ENTRIES_MAX (${DEDUPE_ENTRIES_MAX})`, () => {
    const t = new DedupeTable();
    for (let i = 0; i <= DEDUPE_ENTRIES_MAX; i++) t.record(`r${i}`, ok(i));
    expect(t.entries()).toHaveLength(DEDUPE_ENTRIES_MAX);
    expect(t.get('r0')).toBeUndefined();
    expect(t.get('r1')).toEqual(ok(1));
  });

  it('a restored table keeps the order and the bound (members restored from a snapshot evict alike)', () => {
    const t = new DedupeTable(3);
    for (const [i, id] of ['a', 'b', 'c'].entries()) t.record(id, ok(i));
    const restored = DedupeTable.from(t.entries(), 2);
    expect(restored.entries().map(([id]) => id)).toEqual(['b', 'c']);
    restored.record('d', ok(9));
    expect(restored.entries().map(([id]) => id)).toEqual(['c', 'd']);
    const defaultBound = DedupeTable.from(t.entries());
    expect(defaultBound.entries().map(([id]) => id)).toEqual(['a', 'b', 'c']);
  });
});
