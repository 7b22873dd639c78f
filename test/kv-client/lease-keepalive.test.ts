// The keep-alive helper: renews every TTL/3, survives a leader change, reports a lost lease.
import { afterEach, describe, expect, it } from 'vitest';
import { KvError } from '@halyard/kv-client/protocol';
import { KvClient, LeaseKeepAlive } from '@halyard/kv-client';
import { FakeCluster } from './testing/fake-cluster.ts';

const toClose: { close(): Promise<void> }[] = [];

afterEach(async () => {
  for (const c of toClose.splice(0).reverse()) await c.close();
});

async function setup(): Promise<{ cluster: FakeCluster; client: KvClient }> {
  const cluster = await FakeCluster.start(3);
  toClose.push(cluster);
  const client = new KvClient({ endpoints: cluster.endpoints, requestTimeoutMs: 2000 });
  toClose.push(client);
  return { cluster, client };
}

const keepAlivesSent = (cluster: FakeCluster): number => cluster.requests.filter((r) => r.method === 'leaseKeepAlive').length;

describe('leaseKeepAlive', () => {
  it('renews every TTL/3 until stopped', async () => {
    const { cluster, client } = await setup();
    const { id } = await client.leaseGrant(1);
    const renewed: number[] = [];
    const keeper = client.leaseKeepAlive(id, { onRenewed: (r) => renewed.push(r.ttlSeconds) });
    await new Promise((r) => setTimeout(r, 1100));
    keeper.stop();
    await keeper.done;
    // t = 0, 333, 667, 1000 ms.
    expect(renewed.length).toBeGreaterThanOrEqual(3);
    expect(renewed.length).toBeLessThanOrEqual(5);
    expect(keeper.lastTtlSeconds).toBe(1);
    const sent = keepAlivesSent(cluster);
    await new Promise((r) => setTimeout(r, 500));
    expect(keepAlivesSent(cluster)).toBe(sent);
  });

  it('keeps renewing across a leader change', async () => {
    const { cluster, client } = await setup();
    const { id } = await client.leaseGrant(1);
    let renewals = 0;
    const keeper = client.leaseKeepAlive(id, { onRenewed: () => renewals++ });
    await new Promise((r) => setTimeout(r, 400));
    await cluster.member(0).kill();
    cluster.leaderIndex = 2;
    const before = renewals;
    await new Promise((r) => setTimeout(r, 900));
    expect(renewals).toBeGreaterThan(before);
    expect(cluster.requests.some((r) => r.method === 'leaseKeepAlive' && r.member === 2)).toBe(true);
    keeper.stop();
    await keeper.done;
  });

  it('rejects done with LeaseNotFound once the lease is revoked', async () => {
    const { client } = await setup();
    const { id } = await client.leaseGrant(1);
    const keeper = client.leaseKeepAlive(id);
    await client.leaseRevoke(id);
    await expect(keeper.done).rejects.toMatchObject({ code: 'LeaseNotFound' });
  });

  it('gives up when no renewal succeeds within the TTL', async () => {
    let calls = 0;
    const keeper = new LeaseKeepAlive(
      7,
      async () => {
        calls++;
        if (calls === 1) return { header: { clusterId: 1, memberId: 1, revision: 1, raftTerm: 1 }, id: 7, ttlSeconds: 1 };
        throw new KvError('Unavailable', 'no leader');
      },
      { requestTimeoutMs: 500 },
    );
    const started = Date.now();
    await expect(keeper.done).rejects.toMatchObject({ code: 'LeaseNotFound' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('stops with the client', async () => {
    const { client } = await setup();
    const { id } = await client.leaseGrant(5);
    const keeper = client.leaseKeepAlive(id);
    await client.close();
    await keeper.done;
  });
});
