// The lease check's rule: a lease observed gone before TTL after a renewal acknowledged earlier is an
// early expiry; an absence after the deadline, after the client's own revoke, or racing a renewal that was
// not yet acknowledged is not.
import { describe, expect, it } from 'vitest';
import { checkLeases, type LeaseRecord } from './lease-check.ts';

const renewed = (leaseId: number, sentMs: number, ackMs: number, ttlSeconds = 8): LeaseRecord => ({ kind: 'renewed', leaseId, sentMs, ackMs, ttlSeconds });
const gone = (leaseId: number, sentMs: number, ackMs: number): LeaseRecord => ({ kind: 'observed', leaseId, sentMs, ackMs, alive: false, what: 'a read' });
const alive = (leaseId: number, sentMs: number, ackMs: number): LeaseRecord => ({ kind: 'observed', leaseId, sentMs, ackMs, alive: true, what: 'a read' });

describe('checkLeases', () => {
  it('a lease gone before TTL after its last acknowledged keep-alive is an early expiry', () => {
    const r = checkLeases([renewed(1, 0, 10), renewed(1, 3_000, 3_010), alive(1, 3_020, 3_030), gone(1, 7_000, 7_010)]);
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual(['lease 1: a read found it gone 4010 ms after a renewal with TTL 8 s (at least 3990 ms early)']);
    expect(r).toMatchObject({ leases: 1, renewals: 2 });
  });

  it('gone after the deadline is fine', () => {
    expect(checkLeases([renewed(1, 0, 10), renewed(1, 3_000, 3_010), gone(1, 11_000, 11_010)]).ok).toBe(true);
  });

  it('an observation returning exactly at the deadline is not early', () => {
    expect(checkLeases([renewed(1, 1_000, 1_010), gone(1, 8_990, 9_000)]).ok).toBe(true);
    expect(checkLeases([renewed(1, 1_000, 1_010), gone(1, 8_990, 8_999)]).ok).toBe(false);
  });

  it('the grant alone gives the lease its TTL', () => {
    expect(checkLeases([renewed(2, 0, 5, 3), gone(2, 2_000, 2_100)]).ok).toBe(false);
    expect(checkLeases([renewed(2, 0, 5, 3), gone(2, 3_000, 3_100)]).ok).toBe(true);
  });

  it('a renewal not yet acknowledged when the observation was sent does not count', () => {
    expect(checkLeases([renewed(1, 0, 10), renewed(1, 5_000, 9_500), gone(1, 9_000, 9_100)]).ok).toBe(true);
  });

  it('the latest deadline counts, whatever the order the renewals arrive in', () => {
    expect(checkLeases([renewed(1, 4_000, 4_010), renewed(1, 0, 10), gone(1, 10_000, 10_010)]).ok).toBe(false);
  });

  it('after the client revoked the lease, absences are expected', () => {
    expect(checkLeases([renewed(1, 0, 10), { kind: 'revoked', leaseId: 1, sentMs: 100 }, gone(1, 200, 300)]).ok).toBe(true);
  });

  it('an observation with no renewal before it proves nothing', () => {
    expect(checkLeases([gone(1, 0, 10)]).ok).toBe(true);
  });

  it('leases are judged separately', () => {
    const r = checkLeases([renewed(1, 0, 10), renewed(2, 0, 10, 1), gone(2, 2_000, 2_010), gone(1, 2_000, 2_010)]);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatch(/^lease 1:/);
    expect(r.leases).toBe(2);
  });

  it('at most 50 problems are listed, the rest counted', () => {
    const records: LeaseRecord[] = [renewed(1, 0, 10)];
    for (let i = 0; i < 60; i++) records.push(gone(1, 100 + i, 101 + i));
    const r = checkLeases(records);
    expect(r.problems).toHaveLength(51);
    expect(r.problems[50]).toBe('… and 10 more');
  });
});
