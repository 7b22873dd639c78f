// A lease kept alive must not expire before its TTL from the last acknowledged keep-alive, whatever the
// leader does (etcd's lease guarantee: the TTL is a minimum). The lessor class of bugs of issue 13: a new
// leader restarts each lease from the remaining TTL last checkpointed through Raft (lessor.promote). A
// keep-alive after a checkpoint renews the lease on the leader only, so unless the renewal also clears
// that checkpoint in the replicated state (etcd does: a checkpoint with remainingTTL 0 after a keep-alive,
// etcd PR #9924), a leader change right after the keep-alive restarts the lease from the OLD, smaller
// remaining TTL, and the lease expires early, deleting keys its owner kept alive.
//
// In-process members on 127.0.0.1: grant, wait for a checkpoint to be applied, keep alive, stop the
// leader, then watch the key until the TTL after the keep-alive has (nearly) passed.
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../packages/kv/src/server/test-util.testutil.ts';
import { inProcessMembers } from '../testing/in-process-members.ts';

const TTL_SECONDS = 8;

const startCluster = inProcessMembers('lease');

describe('lease keep-alive across a leader change', () => {
  // The lessor class of bugs of issue 13: the keep-alive clears the checkpointed remaining TTL through Raft
  // before it is answered (Lessor.checkpointClearedByRenewal, etcd lessor.Renew); without that, the next
  // leader promoted the lease from the stale checkpoint and this test failed.
  it('a key whose lease was kept alive is still there TTL seconds after the keep-alive, after the leader stopped', async () => {
    const cluster = await startCluster(3, { tickMs: 20, requestTimeoutMs: 3_000 });
    const running = cluster.running;
    await cluster.waitForLeader();
    const client = cluster.client({ endpoints: running.map((r) => r.member.config.clientUrl), requestTimeoutMs: 5_000 });
    const lease = await client.leaseGrant(TTL_SECONDS);
    await client.put('owned', 'v', { lease: lease.id });

    // A checkpoint with less than the full TTL left reaches every member's replicated lease table.
    await waitFor(
      () =>
        running.every((r) => {
          const info = r.member.sm.mvcc.leases().find((l) => l.id === lease.id);
          return info !== undefined && info.remainingTtlSeconds > 0 && info.remainingTtlSeconds < TTL_SECONDS - 1;
        }),
      30_000,
      'a lease checkpoint to be applied everywhere',
    );

    const keepAliveSentMs = performance.now();
    await client.leaseKeepAliveOnce(lease.id);
    await cluster.stopMember(cluster.leader());
    await cluster.waitForLeader();

    // Until (nearly) TTL after the keep-alive was sent, the key must be there. A second of margin for the
    // client's own scheduling; the early expiry this catches comes seconds sooner.
    const untilMs = keepAliveSentMs + (TTL_SECONDS - 1) * 1000;
    const reader = cluster.client({ endpoints: cluster.running.map((r) => r.member.config.clientUrl), requestTimeoutMs: 5_000 });
    while (performance.now() < untilMs) {
      const startedMs = performance.now();
      const r = await reader.get('owned');
      if (startedMs < untilMs) expect(r.kvs.length, `the key vanished ${Math.round(startedMs - keepAliveSentMs)} ms after the keep-alive (TTL ${TTL_SECONDS} s)`).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }, 120_000);
});
