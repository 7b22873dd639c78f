// The lessor's rules, on a fake clock: only the leader expires leases; a new leader restarts each lease
// from its checkpointed remaining TTL or, with none, its full TTL (etcd's lessor.Promote), so a leader
// change never expires a lease early; expiry is oldest first and bounded per tick.
import { describe, expect, it } from 'vitest';
import type { LeaseInfo } from '@halyard/kv-client/protocol';
import { MvccStore } from '../mvcc/store.ts';
import { Lessor, REVOKES_PER_TICK_MAX, monotonicClock } from './lessor.ts';

class FakeClock {
  constructor(public ms = 1_000_000) {}
  nowMs(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

const lease = (id: number, grantedTtlSeconds: number, remainingTtlSeconds = 0): LeaseInfo => ({ id, grantedTtlSeconds, remainingTtlSeconds });

function leader(clock: FakeClock, leases: readonly LeaseInfo[] = []): Lessor {
  const l = new Lessor(clock);
  l.promote(leases);
  return l;
}

describe('a new leader keeps the leases it inherits (etcd lessor.Promote)', () => {
  it('a lease never checkpointed gets its full granted TTL from the promotion, not a moment less', () => {
    const clock = new FakeClock();
    const l = leader(clock, [lease(7, 10)]);
    expect(l.remainingSeconds(7)).toBe(10);
    clock.advance(9_999);
    expect(l.expired()).toEqual([]);
    clock.advance(1);
    expect(l.expired()).toEqual([7]);
  });

  it('a checkpointed lease gets its remaining TTL, not the full one', () => {
    const clock = new FakeClock();
    const l = leader(clock, [lease(7, 60, 4)]);
    expect(l.remainingSeconds(7)).toBe(4);
    clock.advance(3_999);
    expect(l.expired()).toEqual([]);
    clock.advance(1);
    expect(l.expired()).toEqual([7]);
  });

  it('promotion forgets deadlines of an earlier term: a lease revoked meanwhile is not tracked', () => {
    const clock = new FakeClock();
    const l = leader(clock, [lease(1, 5)]);
    l.demote();
    l.promote([lease(2, 5)]);
    expect(l.remainingSeconds(1)).toBeUndefined();
    expect(l.remainingSeconds(2)).toBe(5);
  });
});

describe('only the leader expires, renews and checkpoints', () => {
  it('a follower tracks nothing: grants, renewals, expiry and checkpoints are the leader\'s', () => {
    const clock = new FakeClock();
    const l = new Lessor(clock);
    expect(l.isPrimary()).toBe(false);
    l.granted(1, 5);
    expect(l.remainingSeconds(1)).toBeUndefined();
    expect(l.renew(1, 5)).toBe(false);
    clock.advance(60_000);
    expect(l.expired()).toEqual([]);
    expect(l.checkpoints()).toEqual([]);
  });

  it('a demoted leader stops expiring and forgets its deadlines', () => {
    const clock = new FakeClock();
    const l = leader(clock, [lease(1, 1)]);
    expect(l.isPrimary()).toBe(true);
    l.demote();
    expect(l.isPrimary()).toBe(false);
    clock.advance(5_000);
    expect(l.expired()).toEqual([]);
    expect(l.remainingSeconds(1)).toBeUndefined();
    // Even a lease whose deadline passed while leader is not reported once demoted.
    const l2 = leader(clock, [lease(2, 1)]);
    clock.advance(2_000);
    l2.demote();
    expect(l2.expired()).toEqual([]);
  });

  it('a grant applied on the leader starts its clock then; renew restarts it', () => {
    const clock = new FakeClock();
    const l = leader(clock);
    l.granted(3, 5);
    clock.advance(4_000);
    expect(l.renew(3, 5)).toBe(true);
    clock.advance(4_999);
    expect(l.expired()).toEqual([]);
    clock.advance(1);
    expect(l.expired()).toEqual([3]);
  });

  it('a grant applied on the leader expires its TTL after the grant, not before', () => {
    const clock = new FakeClock();
    const l = leader(clock);
    l.granted(4, 3);
    expect(l.remainingSeconds(4)).toBe(3);
    clock.advance(2_999);
    expect(l.expired()).toEqual([]);
    clock.advance(1);
    expect(l.expired()).toEqual([4]);
  });

  it('renewing a lease the leader does not know fails (it was revoked or never granted)', () => {
    const clock = new FakeClock();
    const l = leader(clock, [lease(1, 5)]);
    expect(l.renew(2, 5)).toBe(false);
    l.revoked(1);
    expect(l.renew(1, 5)).toBe(false);
    expect(l.remainingSeconds(1)).toBeUndefined();
    clock.advance(10_000);
    expect(l.expired()).toEqual([]);
  });
});

describe('expiry order and bound', () => {
  it('expired leases come oldest deadline first', () => {
    const clock = new FakeClock();
    const l = leader(clock, [lease(1, 3), lease(2, 1), lease(3, 2)]);
    clock.advance(3_000);
    expect(l.expired()).toEqual([2, 3, 1]);
  });

  it(`at most REVOKES_PER_TICK_MAX (${REVOKES_PER_TICK_MAX}) a call by default, or the given bound`, () => {
    const clock = new FakeClock();
    const many = Array.from({ length: REVOKES_PER_TICK_MAX + 5 }, (_, i) => lease(i + 1, 1 + i / 1000));
    const l = leader(clock, many);
    clock.advance(10_000);
    const first = l.expired();
    expect(first).toHaveLength(REVOKES_PER_TICK_MAX);
    expect(first[0]).toBe(1);
    expect(l.expired(2)).toEqual([1, 2]);
  });
});

describe('remaining TTL and checkpoints', () => {
  it('remaining seconds round up and never go below zero', () => {
    const clock = new FakeClock();
    const l = leader(clock, [lease(1, 10)]);
    clock.advance(8_500);
    expect(l.remainingSeconds(1)).toBe(2);
    clock.advance(1_499);
    expect(l.remainingSeconds(1)).toBe(1);
    clock.advance(5_000);
    expect(l.remainingSeconds(1)).toBe(0);
  });

  it('checkpoints carry each remaining TTL, at least 1 s (0 would mean "never checkpointed")', () => {
    const clock = new FakeClock();
    const l = leader(clock, [lease(1, 10), lease(2, 3)]);
    clock.advance(5_000);
    expect(l.checkpoints()).toEqual([
      { id: 1, remainingTtlSeconds: 5 },
      { id: 2, remainingTtlSeconds: 1 },
    ]);
  });

  it('the default clock is monotonic and in milliseconds', () => {
    const a = monotonicClock.nowMs();
    const b = monotonicClock.nowMs();
    expect(b).toBeGreaterThanOrEqual(a);
    expect(Math.abs(a - performance.now())).toBeLessThan(1_000);
  });
});

describe('a keep-alive clears the replicated checkpoint (etcd lessor.Renew, PR #9924)', () => {
  // The rule: a keep-alive of a lease whose replicated remaining TTL is > 0 proposes a checkpoint of 0, so a
  // leader elected right after the keep-alive restarts the lease from its full TTL, not from the older,
  // smaller remainder checkpointed before the keep-alive. Driven through the real replicated lease table.
  function checkpointedLease(remainingTtlSeconds: number): { store: MvccStore; id: number } {
    const store = new MvccStore();
    const g = store.apply({ type: 'leaseGrant', id: 0, ttlSeconds: 60 });
    if (g.type !== 'leaseGrant') throw new Error('unexpected grant response');
    store.apply({ type: 'leaseCheckpoint', checkpoints: [{ id: g.id, remainingTtlSeconds }] });
    return { store, id: g.id };
  }

  it('renewing a checkpointed lease yields a checkpoint of 0; once applied, the next leader gives the full TTL', () => {
    const { store, id } = checkpointedLease(4);
    const clear = Lessor.checkpointClearedByRenewal(store.leaseTimeToLive(id));
    expect(clear).toEqual({ type: 'leaseCheckpoint', checkpoints: [{ id, remainingTtlSeconds: 0 }] });
    store.apply(clear!);
    const next = leader(new FakeClock(), store.leases());
    expect(next.remainingSeconds(id)).toBe(60);
  });

  it('without the cleared checkpoint the next leader would expire the renewed lease after the old remainder', () => {
    // The failure the rule prevents: the same lease, renewed on the old leader only.
    const { store, id } = checkpointedLease(4);
    const clock = new FakeClock();
    const next = leader(clock, store.leases());
    clock.advance(4_000);
    expect(next.expired()).toEqual([id]);
  });

  it('a lease never checkpointed needs no Raft entry for its renewal', () => {
    expect(Lessor.checkpointClearedByRenewal(lease(7, 60, 0))).toBeUndefined();
    expect(Lessor.checkpointClearedByRenewal(lease(7, 60, 1))).toEqual({ type: 'leaseCheckpoint', checkpoints: [{ id: 7, remainingTtlSeconds: 0 }] });
  });
});

describe('an expired lease is not renewed (etcd lessor.Renew)', () => {
  it('a keep-alive after the deadline is refused: the revoke already proposed would undo the renewal', () => {
    const clock = new FakeClock();
    const l = leader(clock, [lease(7, 5)]);
    clock.advance(4_999);
    expect(l.renew(7, 5)).toBe(true);
    clock.advance(5_000);
    expect(l.expired()).toEqual([7]);
    expect(l.renew(7, 5)).toBe(false);
    expect(l.expired()).toEqual([7]);
  });
});
