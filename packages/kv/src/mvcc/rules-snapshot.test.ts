// Snapshot rules mutation testing of snapshot.ts (`pnpm mutate packages/kv/src/mvcc/snapshot.ts`,
// docs/testing.md) found no example test protecting: what restore says about bytes it refuses (a member
// installing a bad snapshot must report why), a snapshot of the right format with a field missing, and a
// snapshot restored onto a persistent backend surviving the next restart (each tombstone is stored with its
// key, which the restart rebuilds the index from); and a snapshot whose encoder wrote undefined as nil.
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { isMvccError } from './errors.ts';
import { MvccStore } from './store.ts';
import { StoringBackend } from './testing/stored-backend.ts';
import { thrownBy } from '../util/thrown.testutil.ts';

const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const s = (u: Uint8Array): string => Buffer.from(u).toString('latin1');
const all = { key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) };
/** Encodes hand-made snapshot objects the way snapshot.ts encodes its own (msgpackr records). */
const pack = (value: unknown): Uint8Array => new Packr({ useRecords: true }).pack(value);

describe('restore refuses what is not a snapshot of this format, saying why', () => {
  it('a snapshot cut short is InvalidRequest naming the decoder\'s complaint', () => {
    const store = new MvccStore();
    store.apply({ type: 'put', key: b('a'), value: b('1') });
    const bytes = store.serialize();
    const err = thrownBy(() => MvccStore.restore(bytes.subarray(0, bytes.length - 2)));
    expect(isMvccError(err, 'InvalidRequest')).toBe(true);
    expect((err as Error).message).toMatch(/^InvalidRequest: snapshot does not decode: \S/);
  });

  it('another format, null or a non-object is InvalidRequest naming the format found', () => {
    for (const [value, format] of [[{ format: 1 }, '1'], [null, 'undefined'], [undefined, 'undefined'], [7, 'undefined'], ['text', 'undefined']] as const) {
      const err = thrownBy(() => MvccStore.restore(pack(value)));
      expect(isMvccError(err, 'InvalidRequest')).toBe(true);
      expect((err as Error).message).toBe(`InvalidRequest: unknown snapshot format ${format}`);
    }
  });

  it('a snapshot of this format with its histories, events or leases missing is a crash, not an empty store', () => {
    const whole = { format: 2, currentRevision: 1, compactRevision: 0, histories: [], leases: { nextId: 1, leases: [] }, events: [] };
    expect(() => MvccStore.restore(pack(whole))).not.toThrow();
    for (const field of ['histories', 'events', 'leases'] as const) {
      const { [field]: _dropped, ...partial } = whole;
      expect(() => MvccStore.restore(pack(partial))).toThrow('mvcc invariant violated: snapshot fields');
    }
  });
});

describe('a snapshot restored onto a persistent backend (etcd: applySnapshot then restart)', () => {
  it('survives a restart: every put and tombstone is stored with its key, and the store rebuilt from them answers the same', () => {
    const store = new MvccStore();
    store.apply({ type: 'leaseGrant', id: 4, ttlSeconds: 60 });
    store.apply({ type: 'put', key: b('a'), value: b('1'), lease: 4 }); // 2
    store.apply({ type: 'put', key: b('b'), value: b('1') }); // 3
    store.apply({ type: 'deleteRange', key: b('b') }); // 4
    store.apply({ type: 'put', key: b('c'), value: b('1') }); // 5
    const backend = new StoringBackend();
    const restored = MvccStore.restore(store.serialize(), { backend });
    expect(backend.storedRevisions().map((r) => `${r.main}.${r.sub} ${s(r.key)}${r.tombstone ? ' tombstone' : ''} lease ${r.lease}`)).toEqual([
      '2.0 a lease 4',
      '3.0 b lease 0',
      '4.0 b tombstone lease 0',
      '5.0 c lease 0',
    ]);
    const restarted = MvccStore.rebuild(restored.persistentMeta(), backend.storedRevisions(), { backend });
    for (let rev = 1; rev <= store.revision; rev++) {
      expect(restarted.range({ ...all, revision: rev })).toEqual(store.range({ ...all, revision: rev }));
    }
    expect(restarted.eventsSince(1)).toEqual(store.eventsSince(1));
    expect(restarted.serialize()).toEqual(store.serialize());
  });
});

describe('a snapshot whose encoder wrote undefined as nil (msgpack has no undefined; other encoders write nil)', () => {
  it('reads a nil record as a tombstone and a nil prev as none, answering like the original', () => {
    const store = new MvccStore();
    store.apply({ type: 'put', key: b('a'), value: b('1') }); // 2
    store.apply({ type: 'deleteRange', key: b('a') }); // 3: a tombstone record
    store.apply({ type: 'put', key: b('a'), value: b('2') }); // 4: an event without prev
    const decoded: unknown = new Packr({ useRecords: true }).unpack(store.serialize());
    const nil = new Packr({ useRecords: true, encodeUndefinedAsNil: true }).pack(decoded);
    expect(nil).not.toEqual(store.serialize());
    const restored = MvccStore.restore(nil);
    for (let rev = 1; rev <= store.revision; rev++) {
      expect(restored.range({ ...all, revision: rev })).toEqual(store.range({ ...all, revision: rev }));
    }
    expect(restored.eventsSince(1)).toEqual(store.eventsSince(1));
    expect(restored.serialize()).toEqual(store.serialize());
  });
});
