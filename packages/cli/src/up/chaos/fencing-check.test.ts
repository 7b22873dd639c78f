import { describe, expect, it } from 'vitest';
import { findDoubleLeadership, type FenceWrite, type LeaseVersion } from './fencing-check.ts';

const lease = (revision: number, holder: string): LeaseVersion => ({ controller: 'scheduler', revision, holder });
const write = (revision: number, holder: string, token: number): FenceWrite => ({ controller: 'scheduler', revision, holder, token });

describe('findDoubleLeadership', () => {
  it('accepts writes by the holder of the lease at the time', () => {
    const leases = [lease(10, 'a'), lease(12, 'a'), lease(20, 'b'), lease(22, 'b')];
    expect(findDoubleLeadership(leases, [write(11, 'a', 10), write(13, 'a', 10), write(21, 'b', 20), write(30, 'b', 20)], [])).toEqual([]);
  });

  it('flags a write by the old holder after the lease changed hands, once per episode', () => {
    const leases = [lease(10, 'a'), lease(20, 'b')];
    const found = findDoubleLeadership(leases, [write(11, 'a', 10), write(21, 'a', 10), write(22, 'a', 10), write(23, 'b', 20)], []);
    expect(found).toEqual([{ controller: 'scheduler', replica: 'a', token: 10, evidence: 'accepted write', revision: 21, leaseHolder: 'b' }]);
  });

  it('flags a write after a release, and counts refused stale writes', () => {
    const leases = [lease(10, 'a'), lease(15, '')];
    const found = findDoubleLeadership(leases, [write(16, 'a', 10)], [{ controller: 'scheduler', identity: 'c', token: 7 }]);
    expect(found.map((d) => [d.replica, d.evidence])).toEqual([
      ['a', 'accepted write'],
      ['c', 'refused write'],
    ]);
  });

  it('does not judge writes from before the first known lease version, nor mix controllers', () => {
    const leases = [lease(10, 'a'), { controller: 'controller-manager', revision: 5, holder: 'x' }];
    expect(findDoubleLeadership(leases, [write(9, 'z', 1), { controller: 'controller-manager', revision: 11, holder: 'x', token: 5 }], [])).toEqual([]);
  });
});
