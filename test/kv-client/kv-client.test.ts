// The typed API against the fake cluster: each call's request shape (validated by the protocol decoder)
// and its etcd-shaped result.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bytesToString, KvClient, compare, op } from '@halyard/kv-client';
import { FakeCluster } from './testing/fake-cluster.ts';
import { KvError } from '@halyard/kv-client/protocol';

let cluster: FakeCluster;
let client: KvClient;

beforeEach(async () => {
  cluster = await FakeCluster.start(3);
  client = new KvClient({ endpoints: cluster.endpoints, requestTimeoutMs: 2000 });
});

afterEach(async () => {
  await client.close();
  await cluster.close();
});

const str = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : bytesToString(b));

describe('KvClient basic calls', () => {
  it('puts and gets with strings and bytes', async () => {
    const put = await client.put('a', 'one');
    expect(put.header.revision).toBe(2);
    await client.put(new Uint8Array([0x62]), new Uint8Array([1, 2, 3]));
    const a = await client.get('a');
    expect(a.kvs.map((kv) => [str(kv.key), str(kv.value)])).toEqual([['a', 'one']]);
    const b = await client.get('b');
    expect([...(b.kvs[0]?.value ?? [])]).toEqual([1, 2, 3]);
    expect(a.count).toBe(1);
  });

  it('gets a prefix, with limit, keysOnly and countOnly, at a revision', async () => {
    await client.put('p/1', 'x');
    await client.put('p/2', 'y');
    await client.put('q', 'z');
    const all = await client.get('p/', { prefix: true });
    expect(all.kvs.map((kv) => str(kv.key))).toEqual(['p/1', 'p/2']);
    const limited = await client.get('p/', { prefix: true, limit: 1 });
    expect(limited.more).toBe(true);
    expect(limited.count).toBe(2);
    const keys = await client.get('p/', { prefix: true, keysOnly: true });
    expect(keys.kvs.every((kv) => kv.value.length === 0)).toBe(true);
    const count = await client.get('p/', { prefix: true, countOnly: true });
    expect(count.kvs).toEqual([]);
    expect(count.count).toBe(2);
    const old = await client.get('p/', { prefix: true, revision: 2 });
    expect(old.kvs.map((kv) => str(kv.key))).toEqual(['p/1']);
    const from = await client.get('p/2', { fromKey: true });
    expect(from.kvs.map((kv) => str(kv.key))).toEqual(['p/2', 'q']);
    const ser = await client.get('q', { serializable: true });
    expect(str(ser.kvs[0]?.value)).toBe('z');
  });

  it('rejects contradictory range options before sending', async () => {
    await expect(client.get('a', { prefix: true, rangeEnd: 'b' })).rejects.toMatchObject({ code: 'InvalidRequest' });
  });

  it('put returns prevKv, delete returns the count and prevKvs', async () => {
    await client.put('k', 'v1');
    const put = await client.put('k', 'v2', { prevKv: true });
    expect(str(put.prevKv?.value)).toBe('v1');
    await client.put('k2', 'w');
    const del = await client.delete('k', { prefix: true, prevKv: true });
    expect(del.deleted).toBe(2);
    expect(del.prevKvs.map((kv) => str(kv.key))).toEqual(['k', 'k2']);
  });

  it('runs a txn with compares and both branches', async () => {
    await client.put('x', '1');
    const ok = await client.txn({ compare: [compare.value('x', '=', '1')], success: [op.put('x', '2'), op.get('x')], failure: [op.delete('x')] });
    expect(ok.succeeded).toBe(true);
    const read = ok.responses[1];
    expect(read?.type === 'range' ? str(read.kvs[0]?.value) : undefined).toBe('2');
    const fail = await client.txn({ compare: [compare.version('x', '<', 1)], success: [], failure: [op.get('x', { prefix: true })] });
    expect(fail.succeeded).toBe(false);
    const mod = await client.txn({ compare: [compare.modRevision('x', '>', 0), compare.createRevision('x', '!=', 0), compare.lease('x', '=', 0)], success: [op.txn({ success: [op.put('y', 'nested')] })] });
    expect(mod.succeeded).toBe(true);
    expect(str((await client.get('y')).kvs[0]?.value)).toBe('nested');
  });

  it('compacts, and reads below the compact revision fail with Compacted', async () => {
    await client.put('a', '1');
    await client.put('a', '2');
    await client.compact(3);
    const err = await client.get('a', { revision: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KvError);
    expect((err as KvError).code).toBe('Compacted');
  });

  it('grants, lists, inspects, keeps alive and revokes leases', async () => {
    const grant = await client.leaseGrant(10);
    expect(grant.ttlSeconds).toBe(10);
    await client.put('leased', 'v', { lease: grant.id });
    const ttl = await client.leaseTimeToLive(grant.id, { keys: true });
    expect(ttl.grantedTtlSeconds).toBe(10);
    expect(ttl.keys.map(str)).toEqual(['leased']);
    expect((await client.leases()).leases.map((l) => l.id)).toEqual([grant.id]);
    expect((await client.leaseKeepAliveOnce(grant.id)).ttlSeconds).toBe(10);
    await client.leaseRevoke(grant.id);
    expect((await client.get('leased')).count).toBe(0);
    await expect(client.leaseKeepAliveOnce(grant.id)).rejects.toMatchObject({ code: 'LeaseNotFound' });
    const chosen = await client.leaseGrant(5, 0x1234);
    expect(chosen.id).toBe(0x1234);
  });

  it('lists, adds, promotes and removes members; status per endpoint', async () => {
    const list = await client.memberList();
    expect(list.members).toHaveLength(3);
    const added = await client.memberAdd(['http://127.0.0.1:23999'], { isLearner: true, name: 'new' });
    expect(added.member.isLearner).toBe(true);
    const promoted = await client.memberPromote(added.member.id);
    expect(promoted.members.find((m) => m.id === added.member.id)?.isLearner).toBe(false);
    const removed = await client.memberRemove(added.member.id);
    expect(removed.members).toHaveLength(3);
    const status = await client.status(cluster.endpoints[2]);
    expect(status.header.memberId).toBe(cluster.member(2).id);
    expect(status.leader).toBe(cluster.member(0).id);
  });

  it('gives every write its own requestId and reads none', async () => {
    await client.put('a', '1');
    await client.put('a', '2');
    await client.get('a');
    const ids = cluster.requests.map((r) => r.requestId);
    expect(ids[0]).toMatch(/^[0-9a-f]{16}-1$/);
    expect(ids[1]).toMatch(/-2$/);
    expect(ids[2]).toBeUndefined();
  });

  it('fails calls after close, and ends calls in flight at once', async () => {
    cluster.intercept = () => ({ kind: 'drop' });
    const started = Date.now();
    const inFlight = client.get('a', { timeoutMs: 5000 }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    await client.close();
    expect(await inFlight).toMatchObject({ code: 'Unavailable' });
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(client.get('a')).rejects.toMatchObject({ code: 'Unavailable' });
  });
});
