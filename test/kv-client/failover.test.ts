// Leader discovery, failover and retries against staged failures: NotLeader redirects, no leader, a
// connection dropped before and after the write applied, a dead member, a frozen member, timeouts, aborts.
import { afterEach, describe, expect, it } from 'vitest';
import { KvError } from '@halyard/kv-client/protocol';
import { KvClient, type KvClientOptions } from '@halyard/kv-client';
import { FakeCluster } from './testing/fake-cluster.ts';

const toClose: { close(): Promise<void> }[] = [];

afterEach(async () => {
  for (const c of toClose.splice(0).reverse()) await c.close();
});

async function setup(size = 3, opts: Partial<KvClientOptions> = {}): Promise<{ cluster: FakeCluster; client: KvClient }> {
  const cluster = await FakeCluster.start(size);
  toClose.push(cluster);
  const client = new KvClient({ endpoints: cluster.endpoints, requestTimeoutMs: 3000, ...opts });
  toClose.push(client);
  return { cluster, client };
}

describe('leader discovery', () => {
  it('follows NotLeader to the leader endpoint it names, and stays there', async () => {
    const retries: unknown[] = [];
    const { cluster, client } = await setup(3, { onRetry: (e) => retries.push({ method: e.method, endpoint: e.endpoint, attempt: e.attempt, decision: e.decision, code: (e.error as KvError).code }) });
    cluster.leaderIndex = 2;
    await client.put('a', '1');
    expect(cluster.requests.map((r) => r.member)).toEqual([0, 2]);
    expect(client.currentEndpoint).toBe(cluster.endpoints[2]);
    expect(retries).toEqual([{ method: 'put', endpoint: cluster.endpoints[0], attempt: 0, decision: 'redirect', code: 'NotLeader' }]);
    await client.put('a', '2');
    expect(cluster.requests.map((r) => r.member)).toEqual([0, 2, 2]);
    // Both attempts of the first put carried the same requestId.
    expect(cluster.requests[0]?.requestId).toBe(cluster.requests[1]?.requestId);
  });

  it('backs off when members redirect to each other on stale hints, and succeeds once a leader is known', async () => {
    const { cluster, client } = await setup();
    let staleUntil = Date.now() + 400;
    cluster.leaderIndex = 2;
    cluster.intercept = (req, member) => {
      if (Date.now() > staleUntil || member === 2 || req.method !== 'put') return undefined;
      const other = cluster.member(member === 0 ? 1 : 0);
      return { kind: 'error', error: { code: 'NotLeader', message: 'stale', leaderId: other.id, leaderEndpoint: other.clientUrl } };
    };
    await client.put('a', '1');
    // Backoff between redirects: far fewer attempts than REQUEST_ATTEMPTS_MAX in 400 ms.
    expect(cluster.requests.filter((r) => r.method === 'put').length).toBeLessThan(20);
    staleUntil = 0;
  });

  it('tries the next endpoint on NotLeader without a hint', async () => {
    const { cluster, client } = await setup();
    cluster.leaderIndex = 1;
    cluster.intercept = (req, member) => (member === 0 ? { kind: 'error', error: { code: 'NotLeader', message: 'no idea who leads' } } : undefined);
    await client.put('a', '1');
    expect(cluster.requests.map((r) => r.member)).toEqual([0, 1]);
  });

  it('waits out an election (Unavailable) within the deadline', async () => {
    const { cluster, client } = await setup();
    cluster.leaderIndex = undefined;
    setTimeout(() => (cluster.leaderIndex = 1), 300);
    const put = await client.put('a', '1');
    expect(put.header.memberId).toBe(cluster.member(1).id);
    expect(cluster.applyCounts.size).toBe(1);
  });

  it('redirects membership changes too', async () => {
    const { cluster, client } = await setup();
    cluster.leaderIndex = 1;
    const added = await client.memberAdd(['http://127.0.0.1:23999']);
    expect(added.members).toHaveLength(4);
  });
});

describe('failover and safe retries', () => {
  it('retries a write whose response was lost with the same requestId; it applies once', async () => {
    const { cluster, client } = await setup();
    let dropped = false;
    cluster.intercept = (req) => {
      if (req.method === 'put' && !dropped) {
        dropped = true;
        return { kind: 'applyThenClose' };
      }
      return undefined;
    };
    const put = await client.put('k', 'v', { prevKv: true });
    const puts = cluster.requests.filter((r) => r.method === 'put');
    // Lost on member 0, then member 1 (next endpoint) redirects back to the leader: one requestId throughout.
    expect(puts.map((r) => r.member)).toEqual([0, 1, 0]);
    expect(new Set(puts.map((r) => r.requestId)).size).toBe(1);
    expect(cluster.applyCounts.get(puts[0]?.requestId ?? '')).toBe(1);
    expect(put.header.revision).toBe(2);
    expect((await client.get('k')).kvs[0]?.version).toBe(1);
  });

  it("retries a write after the member's own Timeout (leadership lost before it applied)", async () => {
    const { cluster, client } = await setup();
    let failed = false;
    cluster.intercept = (req) => {
      if (req.method !== 'put' || failed) return undefined;
      failed = true;
      return { kind: 'error', error: { code: 'Timeout', message: 'leadership lost before the write applied; its outcome is unknown' } };
    };
    await client.put('k', 'v');
    const puts = cluster.requests.filter((r) => r.method === 'put');
    expect(puts.length).toBeGreaterThanOrEqual(2);
    expect(new Set(puts.map((r) => r.requestId)).size).toBe(1);
    // Membership changes are not deduplicated: the same Timeout is returned, not retried.
    cluster.intercept = (req) => (req.method === 'memberAdd' ? { kind: 'error', error: { code: 'Timeout', message: 'unknown outcome' } } : undefined);
    await expect(client.memberAdd(['http://127.0.0.1:23999'])).rejects.toMatchObject({ code: 'Timeout' });
    expect(cluster.requests.filter((r) => r.method === 'memberAdd')).toHaveLength(1);
  });

  it('asks the same member again while it still has the first attempt in flight', async () => {
    const { cluster, client } = await setup();
    let refusals = 2;
    cluster.intercept = (req) => {
      if (req.method !== 'put' || refusals === 0) return undefined;
      refusals--;
      return { kind: 'error', error: { code: 'InvalidRequest', message: `request ${req.requestId ?? ''} is already in flight` } };
    };
    await client.put('k', 'v');
    expect(cluster.requests.filter((r) => r.method === 'put').map((r) => r.member)).toEqual([0, 0, 0]);
    // Any other InvalidRequest is final.
    cluster.intercept = (req) => (req.method === 'put' ? { kind: 'error', error: { code: 'InvalidRequest', message: 'params.key: must be bytes' } } : undefined);
    await expect(client.put('k', 'v')).rejects.toMatchObject({ code: 'InvalidRequest' });
  });

  it('fails over when the member it talks to dies', async () => {
    const { cluster, client } = await setup();
    await client.put('a', '1');
    await cluster.member(0).kill();
    cluster.leaderIndex = 1;
    const got = await client.get('a');
    expect(got.kvs).toHaveLength(1);
    await client.put('a', '2');
    expect(client.currentEndpoint).toBe(cluster.endpoints[1]);
  });

  it('fails over from a frozen member once keep-alive pings go unanswered', async () => {
    const { cluster, client } = await setup(3, { keepAliveIntervalMs: 50, keepAliveTimeoutMs: 250 });
    await client.put('a', '1');
    cluster.member(0).frozen = true;
    cluster.leaderIndex = 1;
    const started = Date.now();
    const got = await client.get('a');
    expect(got.header.memberId).toBe(cluster.member(1).id);
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it('does not retry a membership change whose connection dropped after sending (outcome unknown)', async () => {
    const { cluster, client } = await setup();
    cluster.intercept = (req) => (req.method === 'memberAdd' ? { kind: 'applyThenClose' } : undefined);
    const err = await client.memberAdd(['http://127.0.0.1:23999']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KvError);
    expect((err as KvError).code).toBe('Unavailable');
    expect(cluster.requests.filter((r) => r.method === 'memberAdd')).toHaveLength(1);
  });

  it('keeps status(endpoint) on that endpoint', async () => {
    const { cluster, client } = await setup();
    await cluster.member(2).kill();
    const err = await client.status(cluster.endpoints[2], { timeoutMs: 400 }).catch((e: unknown) => e);
    expect((err as KvError).code).toBe('Timeout');
    expect((await client.status(cluster.endpoints[1])).header.memberId).toBe(cluster.member(1).id);
  });

  it('gives up with the last error when every member is down, within the deadline', async () => {
    const { cluster, client } = await setup(2);
    await cluster.close();
    const started = Date.now();
    const err = await client.get('a', { timeoutMs: 800 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KvError);
    expect(['Timeout', 'Unavailable']).toContain((err as KvError).code);
    expect(Date.now() - started).toBeLessThan(1500);
  });
});

describe('endpoint sync', () => {
  it('learns every voting member from the member list and fails over to them', async () => {
    const cluster = await FakeCluster.start(3);
    toClose.push(cluster);
    const client = new KvClient({ endpoints: [cluster.endpoints[0] as string], requestTimeoutMs: 3000 });
    toClose.push(client);
    await client.memberAdd(['http://127.0.0.1:23999'], { isLearner: true });
    expect(await client.sync()).toEqual(cluster.endpoints);
    await cluster.member(0).kill();
    cluster.leaderIndex = 1;
    expect((await client.put('a', '1')).header.memberId).toBe(cluster.member(1).id);
  });

  it('syncs on an interval when asked to', async () => {
    const cluster = await FakeCluster.start(2);
    toClose.push(cluster);
    const client = new KvClient({ endpoints: [cluster.endpoints[1] as string], autoSyncIntervalMs: 50 });
    toClose.push(client);
    for (let waitedMs = 0; client.endpoints.length < 2; waitedMs += 25) {
      if (waitedMs > 5000) throw new Error('never synced');
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(client.endpoints).toEqual(cluster.endpoints);
  });
});

describe('deadlines and cancellation', () => {
  it('times out a request that is never answered, saying a write outcome is unknown', async () => {
    const { cluster, client } = await setup();
    cluster.intercept = () => ({ kind: 'drop' });
    const started = Date.now();
    const err = await client.put('a', '1', { timeoutMs: 300 }).catch((e: unknown) => e);
    expect((err as KvError).code).toBe('Timeout');
    expect((err as KvError).message).toMatch(/outcome is unknown/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('times out a slow response with the client default timeout', async () => {
    const cluster = await FakeCluster.start(1);
    toClose.push(cluster);
    const client = new KvClient({ endpoints: cluster.endpoints, requestTimeoutMs: 200 });
    toClose.push(client);
    cluster.intercept = () => ({ kind: 'delay', ms: 1000 });
    await expect(client.get('a')).rejects.toMatchObject({ code: 'Timeout' });
  });

  it('rejects with the abort reason when the signal fires', async () => {
    const { cluster, client } = await setup();
    cluster.intercept = () => ({ kind: 'drop' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('user gave up')), 100);
    await expect(client.get('a', { signal: controller.signal })).rejects.toThrow('user gave up');
    const aborted = AbortSignal.abort();
    await expect(client.get('a', { signal: aborted })).rejects.toMatchObject({ name: 'AbortError' });
  });
});
