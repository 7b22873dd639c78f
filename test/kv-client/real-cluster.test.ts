// The client against real members (three in this process, on loopback): leader discovery from any
// endpoint, every call's round trip, and failover of writes and a watch when the leader stops.
import { afterEach, describe, expect, it } from 'vitest';
import type { Event } from '@halyard/kv-client/protocol';
import { waitFor } from '../../packages/kv/src/server/test-util.testutil.ts';
import { bytesToString, KvClient, compare, op } from '@halyard/kv-client';
import { RealMembers } from './testing/real-members.ts';

let members: RealMembers | undefined;
let clients: KvClient[] = [];

afterEach(async () => {
  await Promise.all(clients.map((c) => c.close()));
  clients = [];
  await members?.close();
  members = undefined;
});

async function startCluster(n: number): Promise<{ urls: readonly string[]; members: RealMembers }> {
  members = await RealMembers.start(n);
  return { urls: members.urls, members };
}

function client(endpoints: readonly string[]): KvClient {
  const c = new KvClient({ endpoints, requestTimeoutMs: 10_000, keepAliveIntervalMs: 200, keepAliveTimeoutMs: 1000 });
  clients.push(c);
  return c;
}

describe('KvClient against real members', () => {
  it('finds the leader from a follower endpoint and runs every call', async () => {
    const { urls, members } = await startCluster(3);
    const leaderIdx = members.leaderIndex() as number;
    const followerFirst = [urls[(leaderIdx + 1) % 3] as string, ...urls];
    const c = client(followerFirst);
    expect((await c.put('a', '1')).header.revision).toBe(2);
    expect(c.currentEndpoint).toBe(urls[leaderIdx]);
    expect(bytesToString((await c.get('a')).kvs[0]?.value ?? new Uint8Array())).toBe('1');
    const txn = await c.txn({ compare: [compare.value('a', '=', '1')], success: [op.put('b', '2')], failure: [] });
    expect(txn.succeeded).toBe(true);
    expect((await c.get('', { prefix: true, countOnly: true })).count).toBe(2);
    const lease = await c.leaseGrant(30);
    await c.put('leased', 'x', { lease: lease.id });
    expect((await c.leaseKeepAliveOnce(lease.id)).ttlSeconds).toBe(30);
    expect((await c.leaseTimeToLive(lease.id, { keys: true })).keys.map(bytesToString)).toEqual(['leased']);
    await c.leaseRevoke(lease.id);
    expect((await c.get('leased')).count).toBe(0);
    expect((await c.memberList()).members).toHaveLength(3);
    for (const url of urls) expect((await c.status(url)).leader).not.toBe(0);
    expect((await c.delete('', { prefix: true })).deleted).toBe(2);
  });

  it('keeps writing and watching across the leader stopping: every acknowledged write seen once, in order', async () => {
    const { urls, members } = await startCluster(3);
    const c = client(urls);
    const watcher = c.watch('k/', { prefix: true });
    await watcher.created;
    const seen: Event[] = [];
    const consumer = (async () => {
      for await (const batch of watcher) seen.push(...batch.events);
    })();
    const acked: string[] = [];
    for (let i = 0; i < 10; i++) {
      await c.put(`k/${i}`, String(i));
      acked.push(String(i));
    }
    await members.stop(members.leaderIndex() as number);
    for (let i = 10; i < 20; i++) {
      await c.put(`k/${i}`, String(i));
      acked.push(String(i));
    }
    await waitFor(() => seen.length >= acked.length, 20_000, 'the watch to catch up');
    await new Promise((r) => setTimeout(r, 200));
    expect(seen.map((e) => bytesToString(e.kv.value))).toEqual(acked);
    const revisions = seen.map((e) => e.kv.modRevision);
    expect([...revisions].sort((a, b) => a - b)).toEqual(revisions);
    expect(new Set(revisions).size).toBe(revisions.length);
    await watcher.cancel();
    await consumer;
  });
});
