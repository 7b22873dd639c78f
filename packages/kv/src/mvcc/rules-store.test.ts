// Store rules mutation testing of store.ts (`pnpm mutate packages/kv/src/mvcc/store.ts`, docs/testing.md)
// found no example test protecting: the relationships `assertInvariants` checks after every restore (a
// corrupt snapshot is refused rather than served; TigerStyle: assert the relationships between fields), the
// replicated lease-TTL floor's own check, the lease answers' key order and messages, the counter a persistent
// backend watches to rewrite lease headers, and a write that fails half-way being a crash, not a half-change.
import { describe, expect, it } from 'vitest';
import { MemoryRevisionBackend, type Revision, type RevisionRecord } from './backend.ts';
import { isMvccError } from './errors.ts';
import { LeaseTable } from './lease.ts';
import { MvccState } from './state.ts';
import { MvccStore } from './store.ts';
import { thrownBy } from '../util/thrown.testutil.ts';

const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const s = (u: Uint8Array): string => Buffer.from(u).toString('latin1');

/**
 * A healthy store (lease 1 holds a; b is deleted but not compacted; c has no lease), then `corrupt` applied
 * to its state; returns the invariant check to run.
 */
function corrupted(corrupt: (state: MvccState) => void): () => void {
  const state = new MvccState();
  const store = new MvccStore({}, state);
  store.apply({ type: 'leaseGrant', id: 1, ttlSeconds: 60 });
  store.apply({ type: 'put', key: b('a'), value: b('1'), lease: 1 }); // 2
  store.apply({ type: 'put', key: b('a'), value: b('2'), lease: 1 }); // 3
  store.apply({ type: 'put', key: b('b'), value: b('1') }); // 4
  store.apply({ type: 'deleteRange', key: b('b') }); // 5
  store.apply({ type: 'put', key: b('c'), value: b('1') }); // 6
  store.assertInvariants();
  corrupt(state);
  return () => store.assertInvariants();
}

const violated = (message: string): string => `mvcc invariant violated: ${message}`;

describe('assertInvariants: the relationships a restored store must satisfy', () => {
  it('an empty store, and a store compacted at its current revision, are healthy', () => {
    expect(() => new MvccStore().assertInvariants()).not.toThrow();
    expect(corrupted((state) => (state.compactRevision = state.currentRevision))).not.toThrow();
  });

  it('revision bounds: the current revision is at least 1 and the compact revision not above it', () => {
    expect(corrupted((state) => (state.currentRevision = 0))).toThrow(violated('revision bounds'));
    expect(corrupted((state) => (state.compactRevision = state.currentRevision + 1))).toThrow(violated('revision bounds'));
  });

  it('every key of the index has a history, and every history a key', () => {
    expect(corrupted((state) => state.histories.set('z', [{ main: 2, sub: 0, tombstone: true }]))).toThrow(violated('key index and histories disagree'));
    expect(corrupted((state) => state.histories.set('a', []))).toThrow(violated('indexed key without history'));
    expect(
      corrupted((state) => {
        state.histories.delete('c');
        state.histories.set('z', [{ main: 6, sub: 0, tombstone: true }]);
      }),
    ).toThrow(violated('indexed key without history'));
  });

  it('no record is above the current revision', () => {
    expect(corrupted((state) => state.histories.get('c')?.push({ main: state.currentRevision + 1, sub: 0, tombstone: true }))).toThrow(
      violated('record from the future'),
    );
  });

  it('a history is in (main, sub) order: a lower main, or the same main with a sub not above, is out of order', () => {
    expect(corrupted((state) => state.histories.get('a')?.reverse())).toThrow(violated('history order'));
    expect(corrupted((state) => state.histories.get('c')?.push({ main: 6, sub: 0, tombstone: true }))).toThrow(violated('history order'));
    // Two changes of one key in one revision, in sub order, are in order (etcd's revision order is (main, sub)).
    expect(corrupted((state) => state.histories.get('c')?.push({ main: 6, sub: 1, tombstone: true }))).not.toThrow();
    expect(
      corrupted((state) => {
        const history = state.histories.get('c');
        history?.splice(0, 1, { main: 6, sub: 1, tombstone: true }, { main: 6, sub: 0, tombstone: true });
      }),
    ).toThrow(violated('history order'));
  });

  it('every put in the index is in the backend (tombstones are not read)', () => {
    expect(corrupted((state) => state.backend.remove([{ main: 2, sub: 0 }]))).toThrow(violated('revision 2.0 missing from the backend'));
  });

  it('each lease holds exactly the live keys attached to it, and no live key names a lease that does not exist', () => {
    expect(corrupted((state) => state.leases.get(1)?.keys.delete('a'))).toThrow(violated('lease 1 keys disagree with the keys'));
    expect(corrupted((state) => state.leases.get(1)?.keys.add('c'))).toThrow(violated('lease 1 keys disagree with the keys'));
    expect(
      corrupted((state) => {
        const keys = state.leases.get(1)?.keys;
        keys?.delete('a');
        keys?.add('c');
      }),
    ).toThrow(violated('lease 1 keys disagree with the keys'));
    expect(corrupted((state) => (state.leases = new LeaseTable()))).toThrow(violated('a live key is attached to a lease that does not exist'));
  });
});

describe('options (etcd lessor minLeaseTTL)', () => {
  it('the lease TTL floor must be an integer of at least 1 s; 1 keeps a 1 s grant at 1 s, the default 2 raises it', () => {
    for (const leaseTtlMinSeconds of [0, -1, 1.5, Number.NaN]) {
      expect(() => new MvccStore({ leaseTtlMinSeconds })).toThrow('mvcc invariant violated: leaseTtlMinSeconds must be an integer ≥ 1');
    }
    expect(new MvccStore({ leaseTtlMinSeconds: 1 }).apply({ type: 'leaseGrant', id: 1, ttlSeconds: 1 }).ttlSeconds).toBe(1);
    expect(new MvccStore().apply({ type: 'leaseGrant', id: 1, ttlSeconds: 1 }).ttlSeconds).toBe(2);
  });
});

describe('lease answers (etcd LeaseTimeToLive, LeaseRevoke)', () => {
  it('a lease\'s keys come in key order, whatever order they were attached in', () => {
    const store = new MvccStore();
    store.apply({ type: 'leaseGrant', id: 1, ttlSeconds: 60 });
    for (const key of ['c', 'a', 'b']) store.apply({ type: 'put', key: b(key), value: b('1'), lease: 1 });
    expect(store.leaseTimeToLive(1, true).keys?.map(s)).toEqual(['a', 'b', 'c']);
  });

  it('an unknown lease is LeaseNotFound "lease not found", asked about or revoked', () => {
    const store = new MvccStore();
    for (const ask of [() => store.leaseTimeToLive(4), () => store.apply({ type: 'leaseRevoke', id: 4 })]) {
      const err = thrownBy(ask);
      expect(isMvccError(err, 'LeaseNotFound')).toBe(true);
      expect((err as Error).message).toBe('LeaseNotFound: lease not found');
    }
  });

  it('the lease-change counter moves with grants, checkpoints and revokes, not with puts or deletes', () => {
    const store = new MvccStore();
    expect(store.leaseChanges).toBe(0);
    store.apply({ type: 'leaseGrant', id: 1, ttlSeconds: 60 });
    expect(store.leaseChanges).toBe(1);
    store.apply({ type: 'put', key: b('a'), value: b('1'), lease: 1 });
    store.apply({ type: 'deleteRange', key: b('a') });
    expect(store.leaseChanges).toBe(1);
    store.apply({ type: 'leaseCheckpoint', checkpoints: [{ id: 1, remainingTtlSeconds: 9 }] });
    store.apply({ type: 'leaseRevoke', id: 1 });
    expect(store.leaseChanges).toBe(3);
  });
});

/** A backend whose `failAt`-th write throws, as a full disk would. */
class FailingBackend extends MemoryRevisionBackend {
  private writes = 0;

  constructor(private readonly failAt: number) {
    super();
  }

  override write(revision: Revision, record: RevisionRecord): void {
    if (++this.writes === this.failAt) throw new Error('disk full');
    super.write(revision, record);
  }
}

describe('a command that fails after writing (store.ts write)', () => {
  it('is a crash naming the failure, not a refusal that leaves half a txn applied', () => {
    const store = new MvccStore({ backend: new FailingBackend(2) });
    const txn = () =>
      store.apply({
        type: 'txn',
        compare: [],
        success: [
          { type: 'put', key: b('a'), value: b('1') },
          { type: 'put', key: b('b'), value: b('1') },
        ],
        failure: [],
      });
    expect(txn).toThrow('mvcc invariant violated: a command failed after writing: disk full');
  });
});

describe('assertInvariants: history order compares main first', () => {
  it('a record of a lower main is out of order even when its sub is higher', () => {
    expect(corrupted((state) => state.histories.get('c')?.push({ main: 5, sub: 1, tombstone: true }))).toThrow(violated('history order'));
  });
});
