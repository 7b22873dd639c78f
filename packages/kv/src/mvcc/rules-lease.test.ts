// Lease table rules that mutation testing of lease.ts (`pnpm mutate packages/kv/src/mvcc/lease.ts`,
// docs/testing.md) found no example test protecting: how ids are allocated, the change counter a persistent
// backend watches, what a checkpoint of an unknown lease does, the canonical snapshot, and the table's own
// invariants (a lease goes only without keys; keys attach only to a lease that exists).
import { describe, expect, it } from 'vitest';
import { LeaseTable } from './lease.ts';
import { MvccStore } from './store.ts';

const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

describe('lease ids (etcd lessor.Grant)', () => {
  it('an allocated id is never one a lease has had: an explicit grant moves the allocator past it, even after its revoke', () => {
    const store = new MvccStore();
    store.apply({ type: 'leaseGrant', id: 1, ttlSeconds: 60 });
    store.apply({ type: 'leaseRevoke', id: 1 });
    expect(store.apply({ type: 'leaseGrant', id: 0, ttlSeconds: 60 })).toMatchObject({ id: 2 });
    store.apply({ type: 'leaseGrant', id: 7, ttlSeconds: 60 });
    expect(store.apply({ type: 'leaseGrant', id: 0, ttlSeconds: 60 })).toMatchObject({ id: 8 });
  });

  it('allocation never hands out a taken id, even from a restored table whose allocator lags behind its leases', () => {
    const table = LeaseTable.restore({
      nextId: 1,
      leases: [1, 2].map((id) => ({ id, grantedTtlSeconds: 60, remainingTtlSeconds: 0, keys: [] })),
    });
    expect(table.allocateId()).toBe(3);
  });

  it('a grant of a taken id is LeaseExists (etcd ErrLeaseExists)', () => {
    const store = new MvccStore();
    store.apply({ type: 'leaseGrant', id: 1, ttlSeconds: 60 });
    expect(() => store.apply({ type: 'leaseGrant', id: 1, ttlSeconds: 30 })).toThrow('LeaseExists: lease already exists');
    expect(store.leaseTimeToLive(1)).toMatchObject({ grantedTtlSeconds: 60 });
  });

  it('leases are listed by id in numeric order, not insertion or string order', () => {
    const store = new MvccStore();
    for (const id of [10, 2, 33]) store.apply({ type: 'leaseGrant', id, ttlSeconds: 60 });
    expect(store.leases().map((l) => l.id)).toEqual([2, 10, 33]);
  });

  it('a lease id must be positive: granting id 0 directly is a bug (the store allocates for 0)', () => {
    expect(() => new LeaseTable().grant(0, 60)).toThrow('mvcc invariant violated: lease id must be positive');
  });
});

describe('the change counter a persistent backend watches (leaseChanges)', () => {
  it('moves forward on every grant, checkpoint and revoke, so no mix of them can bring it back to a value already written', () => {
    const store = new MvccStore();
    const seen = [store.leaseChanges];
    store.apply({ type: 'leaseGrant', id: 1, ttlSeconds: 60 });
    seen.push(store.leaseChanges);
    store.apply({ type: 'leaseCheckpoint', checkpoints: [{ id: 1, remainingTtlSeconds: 30 }] });
    seen.push(store.leaseChanges);
    store.apply({ type: 'leaseCheckpoint', checkpoints: [{ id: 9, remainingTtlSeconds: 30 }] });
    seen.push(store.leaseChanges);
    store.apply({ type: 'leaseRevoke', id: 1 });
    seen.push(store.leaseChanges);
    expect(seen).toEqual([...seen].sort((x, y) => x - y));
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('attaching and detaching keys does not move it (the headers hold no keys)', () => {
    const store = new MvccStore();
    store.apply({ type: 'leaseGrant', id: 1, ttlSeconds: 60 });
    const before = store.leaseChanges;
    store.apply({ type: 'put', key: b('a'), value: b('v'), lease: 1 });
    store.apply({ type: 'deleteRange', key: b('a') });
    expect(store.leaseChanges).toBe(before);
  });
});

describe('checkpoints (etcd lessor.Checkpoint)', () => {
  it('a checkpoint sets the remaining TTL a new leader restarts from; one for an unknown (revoked) lease is ignored', () => {
    const store = new MvccStore();
    store.apply({ type: 'leaseGrant', id: 1, ttlSeconds: 60 });
    expect(store.leaseTimeToLive(1)).toEqual({ id: 1, grantedTtlSeconds: 60, remainingTtlSeconds: 0 });
    store.apply({ type: 'leaseCheckpoint', checkpoints: [{ id: 9, remainingTtlSeconds: 5 }, { id: 1, remainingTtlSeconds: 30 }] });
    expect(store.leaseTimeToLive(1)).toEqual({ id: 1, grantedTtlSeconds: 60, remainingTtlSeconds: 30 });
    expect(store.leases().map((l) => l.id)).toEqual([1]);
  });
});

describe('snapshots and headers', () => {
  it('a snapshot lists leases by id and each lease\'s keys sorted, whatever the order they were attached (replicas agree byte for byte)', () => {
    const table = new LeaseTable();
    table.grant(5, 60);
    table.grant(3, 30);
    table.attach(5, 'b');
    table.attach(5, 'a');
    table.checkpoint(3, 10);
    const snapshot = table.snapshot();
    expect(snapshot).toEqual({
      nextId: 6,
      leases: [
        { id: 3, grantedTtlSeconds: 30, remainingTtlSeconds: 10, keys: [] },
        { id: 5, grantedTtlSeconds: 60, remainingTtlSeconds: 0, keys: ['a', 'b'] },
      ],
    });
    expect(LeaseTable.restore(snapshot).snapshot()).toEqual(snapshot);
  });

  it('the headers are the leases without their keys, by id, with the allocator', () => {
    const table = new LeaseTable();
    table.grant(5, 60);
    table.grant(3, 30);
    table.attach(5, 'a');
    table.checkpoint(5, 20);
    expect(table.headers()).toEqual({
      nextId: 6,
      leases: [
        { id: 3, grantedTtlSeconds: 30, remainingTtlSeconds: 0 },
        { id: 5, grantedTtlSeconds: 60, remainingTtlSeconds: 20 },
      ],
    });
  });
});

describe('the table\'s invariants', () => {
  it('a lease is removed only once its keys are gone; removing one that does not exist is a bug too', () => {
    const table = new LeaseTable();
    table.grant(1, 60);
    table.attach(1, 'a');
    expect(() => table.remove(1)).toThrow('mvcc invariant violated: lease removed while keys are attached');
    expect(() => table.remove(2)).toThrow('mvcc invariant violated: lease removed while keys are attached');
    expect(table.size).toBe(1);
    table.detach(1, 'a');
    table.remove(1);
    expect(table.has(1)).toBe(false);
    expect(table.size).toBe(0);
  });

  it('a key attaches only to a lease that exists; detaching from a revoked lease is fine', () => {
    const table = new LeaseTable();
    expect(() => table.attach(4, 'a')).toThrow('mvcc invariant violated: attach to missing lease 4');
    expect(() => table.detach(4, 'a')).not.toThrow();
  });
});
