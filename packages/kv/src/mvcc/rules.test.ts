// MVCC rules as example tests, beside the randomized model test (model.test.ts) and the behaviour tests
// (store.test.ts). These pin what mutation testing (`pnpm mutate mvcc`, docs/testing.md) showed no example
// test protected: mostly what the store keeps inside, which reads alone cannot see (compaction that forgets
// nothing answers every allowed read the same). They drive the store and its state through their seams.
import { describe, expect, it } from 'vitest';
import { checkCompaction, compact } from './compaction.ts';
import { isMvccError, MvccError } from './errors.ts';
import { MvccState } from './state.ts';
import { MvccStore } from './store.ts';

const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

/** A store and the state under it, so a test can look at what the store keeps. */
function storeWithState(): { store: MvccStore; state: MvccState } {
  const state = new MvccState();
  return { store: new MvccStore({}, state), state };
}

function put(store: MvccStore, key: string, value: string): void {
  store.apply({ type: 'put', key: b(key), value: b(value) });
}

/** Revisions (main) of the records a key's history holds; undefined when the key has left the index. */
function recordRevisions(state: MvccState, key: string): string[] | undefined {
  const history = state.histories.get(key);
  return history?.map((r) => `${r.main}${r.kv === undefined ? ' tombstone' : ''}`);
}

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('compaction forgets history (etcd keyIndex.compact)', () => {
  it('keeps, of each key, the record in force at the compact revision if it is a put, and every later record; the rest is gone', () => {
    const { store, state } = storeWithState();
    put(store, 'a', '1'); // 2
    put(store, 'a', '2'); // 3
    put(store, 'b', '1'); // 4
    store.apply({ type: 'deleteRange', key: b('b') }); // 5
    put(store, 'c', '1'); // 6
    put(store, 'd', '1'); // 7
    store.apply({ type: 'deleteRange', key: b('d') }); // 8
    put(store, 'a', '3'); // 9
    compact(state, 6);
    expect(recordRevisions(state, 'a')).toEqual(['3', '9']);
    expect(recordRevisions(state, 'c')).toEqual(['6']);
    // d was deleted after the compact revision: its put (in force at 6) and its tombstone both stay.
    expect(recordRevisions(state, 'd')).toEqual(['7', '8 tombstone']);
    expect(state.compactRevision).toBe(6);
  });

  it('a key whose tombstone is in force at the compact revision leaves the history map and the key index', () => {
    const { store, state } = storeWithState();
    put(store, 'a', '1'); // 2
    put(store, 'b', '1'); // 3
    store.apply({ type: 'deleteRange', key: b('b') }); // 4
    put(store, 'c', '1'); // 5
    store.apply({ type: 'deleteRange', key: b('c') }); // 6
    compact(state, 6);
    expect(recordRevisions(state, 'b')).toBeUndefined();
    expect(recordRevisions(state, 'c')).toBeUndefined();
    expect([...state.keys.keys()]).toEqual(['a']);
    store.assertInvariants();
  });

  it('the event log keeps the compact revision and later, so a watch can start at the compact revision', () => {
    const { store, state } = storeWithState();
    for (const v of ['1', '2', '3', '4']) put(store, 'a', v); // 2..5
    compact(state, 4);
    expect(state.events.all().map((e) => e.revision)).toEqual([4, 5]);
    expect(store.eventsSince(4).events.map((e) => e.kv.modRevision)).toEqual([4, 5]);
  });

  it('refusals name the revisions: Compacted carries the compact and current revisions, FutureRevision the current one', () => {
    const { store, state } = storeWithState();
    put(store, 'a', '1'); // 2
    put(store, 'a', '2'); // 3
    store.apply({ type: 'compaction', revision: 2 });
    const old = thrown(() => checkCompaction(state, 2));
    expect(isMvccError(old, 'Compacted')).toBe(true);
    expect(old).toMatchObject({ compactRevision: 2, currentRevision: 3 });
    expect((old as MvccError).message).toBe('Compacted: revision 2 is already compacted (compact revision 2)');
    const future = thrown(() => checkCompaction(state, 4));
    expect(isMvccError(future, 'FutureRevision')).toBe(true);
    expect(future).toMatchObject({ currentRevision: 3 });
    expect((future as MvccError).message).toBe('FutureRevision: revision 4 is a future revision (current 3)');
  });
});
