// Range rules mutation testing of range.ts (`pnpm mutate packages/kv/src/mvcc/range.ts`, docs/testing.md)
// found no example test protecting: etcd's handling of a negative limit, and which keys a sort with a
// limit sees when the sort order is left out of the request.
import { describe, expect, it } from 'vitest';
import { executeRange } from './range.ts';
import { MvccState } from './state.ts';
import { MvccStore } from './store.ts';
import type { SortTarget } from '@halyard/kv-client/protocol';

const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const s = (u: Uint8Array): string => Buffer.from(u).toString('latin1');
const all = { key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) };

/** Keys a, b, c written in reverse order: modRevision c=2, b=3, a=4 (key order and revision order disagree). */
function reversedStore(): MvccStore {
  const store = new MvccStore();
  for (const key of ['c', 'b', 'a']) store.apply({ type: 'put', key: b(key), value: b(`v-${key}`) });
  return store;
}

describe('range limit and sort (etcd mvcc rangeKeys, applierV3backend.Range)', () => {
  it('a negative limit means no limit, as 0 does (etcd: limit <= 0 returns every key)', () => {
    const store = reversedStore();
    const r = store.range({ ...all, limit: -1 });
    expect(r.kvs.map((kv) => s(kv.key))).toEqual(['a', 'b', 'c']);
    expect(r).toMatchObject({ more: false, count: 3 });
  });

  it('a non-key sort target with the sort order left out sorts only the first limit + 1 keys, like an explicit "none"', () => {
    const store = reversedStore();
    // etcd fetches limit + 1 keys in key order (a, b) and sorts those by modRevision ascending: b (3), a (4).
    // Sorting every key would give c (2) first.
    for (const request of [{ ...all, sortTarget: 'modRevision' as const, limit: 1 }, { ...all, sortTarget: 'modRevision' as const, sortOrder: 'none' as const, limit: 1 }]) {
      const r = store.range(request);
      expect(r.kvs.map((kv) => s(kv.key))).toEqual(['b']);
      expect(r).toMatchObject({ more: true, count: 3 });
    }
  });

  it('an explicit ascending order with a limit sorts every key first', () => {
    const store = reversedStore();
    const r = store.range({ ...all, sortTarget: 'modRevision', sortOrder: 'ascend', limit: 1 });
    expect(r.kvs.map((kv) => s(kv.key))).toEqual(['c']);
    expect(r).toMatchObject({ more: true, count: 3 });
  });

  it('an unvalidated unknown sort target is a crash naming it, not an unsorted answer (validate.ts refuses it first)', () => {
    const range = () => executeRange(new MvccState(), { type: 'range', ...all, sortTarget: 'colour' as SortTarget }, 1);
    expect(range).toThrow('unknown sort target colour');
  });
});
