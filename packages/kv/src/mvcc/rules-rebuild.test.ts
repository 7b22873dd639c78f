// Restart rules mutation testing of rebuild.ts (`pnpm mutate packages/kv/src/mvcc/rebuild.ts`, docs/testing.md)
// found no in-process test protecting: a member restarting from its persistent backend rebuilds the key
// index, the event log and the lease attachments from the stored revisions alone (etcd mvcc store.restore
// rebuilds its treeIndex from the key bucket), finishes a compaction whose removals a restart cut short, and
// crashes on stored revisions it cannot trust. The LevelDB path (server/state-machine-disk.test.ts) is too slow
// for mutation runs; these drive MvccStore.rebuild over a memory backend that keeps what LevelDB would.
import { describe, expect, it } from 'vitest';
import { MvccStore } from './store.ts';
import type { StoredMvccMeta } from './rebuild.ts';
import { StoringBackend } from './testing/stored-backend.ts';
import type { KeyValue } from '@halyard/kv-client/protocol';

const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const s = (u: Uint8Array): string => Buffer.from(u).toString('latin1');
const all = { key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) };
const plain = (kv: KeyValue): string => `${s(kv.key)}=${s(kv.value)}@${kv.createRevision}/${kv.modRevision}/v${kv.version}/l${kv.lease}`;

/** The store a restart finds: meta and stored revisions of `store`, over the same backend. */
function restart(store: MvccStore, backend: StoringBackend): MvccStore {
  return MvccStore.rebuild(store.persistentMeta(), backend.storedRevisions(), { backend });
}

/** Everything a client can read: every key at every readable revision, and every event from each. */
function observable(store: MvccStore): string[] {
  const out: string[] = [];
  for (let rev = Math.max(store.compactRevision, 1); rev <= store.revision; rev++) {
    out.push(`@${rev}: ${store.range({ ...all, revision: rev }).kvs.map(plain).join(' ')}`);
    const events = store.eventsSince(rev).events.map((e) => `${e.type} ${plain(e.kv)}${e.prevKv === undefined ? '' : ` prev ${plain(e.prevKv)}`}`);
    out.push(`from ${rev}: ${events.join('; ')}`);
  }
  out.push(`leases: ${JSON.stringify(store.leases().map((l) => store.leaseTimeToLive(l.id, true)).map((l) => ({ ...l, keys: l.keys?.map(s) })))}`);
  out.push(`revision ${store.revision}, compact ${store.compactRevision}`);
  return out;
}

/** Puts, a lease with keys, a txn of several changes, a delete, a key moved off its lease, a checkpoint. */
function busyStore(backend: StoringBackend): MvccStore {
  const store = new MvccStore({ backend });
  store.apply({ type: 'leaseGrant', id: 7, ttlSeconds: 30 });
  store.apply({ type: 'leaseGrant', id: 9, ttlSeconds: 60 });
  store.apply({ type: 'put', key: b('a'), value: b('1'), lease: 7 }); // 2
  store.apply({ type: 'put', key: b('b'), value: b('1'), lease: 7 }); // 3
  store.apply({ type: 'put', key: b('c'), value: b('1') }); // 4
  store.apply({
    type: 'txn',
    compare: [],
    success: [
      { type: 'put', key: b('a'), value: b('2'), lease: 7 },
      { type: 'put', key: b('d'), value: b('1'), lease: 9 },
      { type: 'deleteRange', key: b('c') },
    ],
    failure: [],
  }); // 5
  store.apply({ type: 'put', key: b('b'), value: b('2') }); // 6: b leaves lease 7
  store.apply({ type: 'deleteRange', key: b('d') }); // 7: d leaves lease 9
  store.apply({ type: 'leaseCheckpoint', checkpoints: [{ id: 9, remainingTtlSeconds: 12 }] });
  return store;
}

describe('a restart rebuilds the store from its stored revisions (etcd mvcc store.restore)', () => {
  it('answers every read, event and lease question as the store before the restart', () => {
    const backend = new StoringBackend();
    const store = busyStore(backend);
    const rebuilt = restart(store, backend);
    expect(observable(rebuilt)).toEqual(observable(store));
    rebuilt.assertInvariants();
    expect(rebuilt.persistentMeta()).toEqual(store.persistentMeta());
  });

  it('a revision of several changes is one entry of the event log, its changes in sub order', () => {
    const backend = new StoringBackend();
    const store = busyStore(backend);
    const rebuilt = restart(store, backend);
    const txn = rebuilt.eventsSince(5, undefined, 1);
    expect(txn.events.map((e) => `${e.type} ${s(e.kv.key)}@${e.kv.modRevision}`)).toEqual(['put a@5', 'put d@5', 'delete c@5']);
    expect(txn.nextRevision).toBe(6);
  });

  it('a key attaches to the lease of its last stored revision only: a later put without a lease or a delete detaches it', () => {
    const backend = new StoringBackend();
    const rebuilt = restart(busyStore(backend), backend);
    expect(rebuilt.leaseTimeToLive(7, true).keys?.map(s)).toEqual(['a']);
    expect(rebuilt.leaseTimeToLive(9, true).keys?.map(s)).toEqual([]);
    // Revoking lease 7 deletes a, not b (which left it at revision 6).
    rebuilt.apply({ type: 'leaseRevoke', id: 7 });
    expect(rebuilt.range(all).kvs.map((kv) => s(kv.key))).toEqual(['b']);
  });

  it('lease headers come from the stored meta: TTLs, the checkpoint and the next id to allocate', () => {
    const backend = new StoringBackend();
    const store = busyStore(backend);
    const rebuilt = restart(store, backend);
    expect(rebuilt.leases()).toEqual([
      { id: 7, grantedTtlSeconds: 30, remainingTtlSeconds: 0 },
      { id: 9, grantedTtlSeconds: 60, remainingTtlSeconds: 12 },
    ]);
    expect(rebuilt.apply({ type: 'leaseGrant', id: 0, ttlSeconds: 5 }).id).toBe(10);
    expect(rebuilt.leaseChanges).toBe(1);
  });

  it('an empty backend is an empty store at revision 1', () => {
    const backend = new StoringBackend();
    const rebuilt = MvccStore.rebuild({ currentRevision: 1, compactRevision: 0, leases: { nextId: 1, leases: [] } }, [], { backend });
    expect(rebuilt.revision).toBe(1);
    expect(rebuilt.compactRevision).toBe(0);
    expect(rebuilt.range(all).kvs).toEqual([]);
    expect(rebuilt.eventsSince(1)).toEqual({ events: [], nextRevision: 2 });
  });
});

describe('a restart after a compaction (etcd: scheduled compaction resumes at startup)', () => {
  it('re-runs the compaction: what it had not removed yet leaves the index and goes to the backend again', () => {
    const backend = new StoringBackend(true); // removal deferred: the restart finds everything still stored
    const store = busyStore(backend);
    store.apply({ type: 'compaction', revision: 6 });
    const handed = backend.removeCalls.map((r) => `${r.main}.${r.sub}`).sort();
    expect(handed.length).toBeGreaterThan(0);
    backend.removeCalls.length = 0;
    const rebuilt = restart(store, backend);
    expect(backend.removeCalls.map((r) => `${r.main}.${r.sub}`).sort()).toEqual(handed);
    expect(rebuilt.compactRevision).toBe(6);
    expect(observable(rebuilt)).toEqual(observable(store));
    expect(() => rebuilt.range({ ...all, revision: 5 })).toThrow('Compacted');
  });

  it('keeps the event at the compact revision, with its prevKv, and nothing before it', () => {
    const backend = new StoringBackend();
    const store = busyStore(backend);
    store.apply({ type: 'compaction', revision: 6 });
    const rebuilt = restart(store, backend);
    const from6 = rebuilt.eventsSince(6).events;
    expect(from6.map((e) => `${e.type} ${s(e.kv.key)}@${e.kv.modRevision} prev ${e.prevKv === undefined ? '-' : s(e.prevKv.value)}`)).toEqual([
      'put b@6 prev 1',
      'delete d@7 prev 1',
    ]);
  });
});

describe('stored revisions a restart cannot trust are a crash (TigerStyle: assert data after reading it)', () => {
  const meta: StoredMvccMeta = { currentRevision: 3, compactRevision: 0, leases: { nextId: 1, leases: [] } };
  const rev = (main: number, sub: number) => ({ main, sub, key: b('a'), tombstone: false, lease: 0 });

  it('revisions out of order, or one stored twice', () => {
    const backend = new StoringBackend();
    expect(() => MvccStore.rebuild(meta, [rev(3, 0), rev(2, 0)], { backend })).toThrow('mvcc invariant violated: stored revisions out of order');
    expect(() => MvccStore.rebuild(meta, [rev(2, 0), rev(2, 0)], { backend })).toThrow('mvcc invariant violated: stored revisions out of order');
    expect(() => MvccStore.rebuild(meta, [rev(2, 1), rev(2, 0)], { backend })).toThrow('mvcc invariant violated: stored revisions out of order');
  });

  it('a revision past the stored current revision', () => {
    const backend = new StoringBackend();
    expect(() => MvccStore.rebuild(meta, [rev(2, 0), rev(4, 0)], { backend })).toThrow(
      'mvcc invariant violated: stored revision 4 is past the current revision 3',
    );
  });
});
