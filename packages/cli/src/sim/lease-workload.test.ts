// The lessor under leader changes (issue 13, the lessor bug class): clients keep leases as etcd clients do
// (grant, attach a key, keep alive every third to four fifths of the TTL, read the key), and right after a
// leader acknowledges a grant or keep-alive the lease nemesis hands its leadership away or cuts it off.
// The invariant (checkLeases, etcd's lease guarantee): a lease lives at least its TTL after the last
// acknowledged renewal. Without the lessor fixes of issue 13 — keep-alives clearing the replicated checkpoint
// (Lessor.checkpointClearedByRenewal, etcd PR #9924) and promotion once the new leader applied its own empty
// entry (etcd applyEntryNormal) — seeds 0 and 7 of this profile found an early expiry (2 of seeds 0..19);
// those seeds are the regression check. Long runs: `halyard fuzz sim --profile lease --ticks 3000 --faults …`.

import { describe, expect, it } from 'vitest';
import { runSimulation, type SimOptions } from './simulator.ts';
import { failureReport } from './testing.ts';

// Several checkpoint intervals (5 s) per run; no clock skew, so every TTL counts in full.
const BASE: Omit<SimOptions, 'seed'> = { ticks: 3000, faults: 'partition,drop,dup,reorder,crash,pause,transfer', profile: 'lease', keepTrace: true };

describe('leases survive leader changes right after a renewal (etcd lessor.Promote / Renew)', () => {
  it('seeds that found the stale-checkpoint bug are clean, and the workload exercised what it claims', async () => {
    let renewals = 0;
    let leaderChanges = 0;
    for (const seed of [0, 7]) {
      const r = await runSimulation({ ...BASE, seed });
      expect(r.violations, failureReport(r)).toEqual([]);
      renewals += r.stats.leaseRenewals;
      leaderChanges += r.trace!.filter((l) => l.includes('after a lease renewal')).length;
    }
    // Grants and keep-alives were acknowledged, and the nemesis changed the leader right after some of them.
    expect(renewals).toBeGreaterThan(10);
    expect(leaderChanges).toBeGreaterThan(2);
  }, 120_000);
});
