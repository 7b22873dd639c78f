// State and revision-writer rules mutation testing of state.ts (`pnpm mutate packages/kv/src/mvcc/state.ts`,
// docs/testing.md) found no example test protecting: a read inside a txn at the revision before it does not
// see the txn's own deletes; the errors for future and compacted reads carry the revisions etcd reports; and
// the writer's own assertions (one revision is written by one writer, finished once, never written after) —
// TigerStyle asserts that turn a caller's bug into a crash naming it rather than a silently corrupt store.
import { describe, expect, it } from 'vitest';
import { MemoryRevisionBackend } from './backend.ts';
import { isMvccError } from './errors.ts';
import { MvccState, RevisionWriter } from './state.ts';
import { MvccStore } from './store.ts';
import { thrownBy } from '../util/thrown.testutil.ts';

const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const s = (u: Uint8Array): string => Buffer.from(u).toString('latin1');

describe('reads inside a write (etcd storeTxnWrite.Range)', () => {
  it('a range inside a txn at the revision before it does not see the txn\'s own deletes', () => {
    const store = new MvccStore();
    store.apply({ type: 'put', key: b('a'), value: b('1') }); // 2
    store.apply({ type: 'put', key: b('b'), value: b('1') }); // 3
    const r = store.apply({
      type: 'txn',
      compare: [],
      success: [
        { type: 'deleteRange', key: b('a'), rangeEnd: b('c') },
        { type: 'range', key: b('a'), rangeEnd: b('c'), revision: 3 },
        { type: 'range', key: b('a'), revision: 3 },
        { type: 'range', key: b('a'), rangeEnd: b('c') },
      ],
      failure: [],
    });
    const seen = r.responses.slice(1).map((x) => (x.type === 'range' ? x.kvs.map((kv) => s(kv.key)).join(',') : '?'));
    expect(seen).toEqual(['a,b', 'a', '']);
  });
});

describe('read revision errors carry the revisions etcd reports (ErrFutureRev, ErrCompacted)', () => {
  it('a read at a future revision is FutureRevision naming it and the current revision', () => {
    const state = new MvccState();
    state.currentRevision = 5;
    const err = thrownBy(() => state.resolveReadRevision(6));
    expect(isMvccError(err, 'FutureRevision')).toBe(true);
    expect(err).toMatchObject({ message: 'FutureRevision: revision 6 is a future revision (current 5)', currentRevision: 5 });
  });

  it('a read below the compact revision is Compacted naming it, the compact revision and the current revision', () => {
    const state = new MvccState();
    state.currentRevision = 9;
    state.compactRevision = 4;
    const err = thrownBy(() => state.resolveReadRevision(3));
    expect(isMvccError(err, 'Compacted')).toBe(true);
    expect(err).toMatchObject({ message: 'Compacted: revision 3 is compacted (compact revision 4)', compactRevision: 4, currentRevision: 9 });
    expect(state.resolveReadRevision(4)).toBe(4);
  });
});

describe('the revision writer asserts its own invariants (a caller bug crashes, naming it)', () => {
  it('a key the index holds but the backend lost is a crash naming the revision, not a missing key', () => {
    const backend = new MemoryRevisionBackend();
    const store = new MvccStore({ backend });
    store.apply({ type: 'put', key: b('a'), value: b('1') }); // 2
    backend.remove([{ main: 2, sub: 0 }]);
    expect(() => store.range({ key: b('a') })).toThrow('mvcc invariant violated: revision 2.0 is in the key index but not in the backend');
  });

  it('a writer is finished once, and neither puts nor deletes after it finished', () => {
    const state = new MvccState();
    const writer = new RevisionWriter(state);
    writer.put(b('a'), b('1'), 0);
    expect(writer.finish()).toHaveLength(1);
    expect(() => writer.finish()).toThrow('mvcc invariant violated: finish twice');
    expect(() => writer.put(b('b'), b('1'), 0)).toThrow('mvcc invariant violated: write after finish');
    expect(() => writer.deleteRange({ kind: 'single', key: 'a' })).toThrow('mvcc invariant violated: write after finish');
    expect(state.currentRevision).toBe(2);
    expect(state.isLive('b')).toBe(false);
  });

  it('ignoreValue or ignoreLease on a missing key is refused by the writer itself (checkPut refuses it first)', () => {
    const writer = new RevisionWriter(new MvccState());
    expect(() => writer.put(b('a'), undefined, 0)).toThrow('mvcc invariant violated: ignoreValue on a missing key');
    expect(() => writer.put(b('a'), b('1'), undefined)).toThrow('mvcc invariant violated: ignoreLease on a missing key');
  });

  it('two writers of the same revision: the second to finish is a crash, not a revision written twice', () => {
    const state = new MvccState();
    const first = new RevisionWriter(state);
    const second = new RevisionWriter(state);
    first.put(b('a'), b('1'), 0);
    first.finish();
    second.put(b('b'), b('1'), 0);
    expect(() => second.finish()).toThrow('mvcc invariant violated: concurrent writers');
    expect(state.currentRevision).toBe(2);
  });
});
