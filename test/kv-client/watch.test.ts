// Watch streams and their resumption: after a dropped connection or a dead member the watch continues
// from the last delivered revision + 1, on another endpoint if needed, never skipping or repeating.
import { afterEach, describe, expect, it } from 'vitest';
import { type Event, KvError, type WatchCreateParams } from '@halyard/kv-client/protocol';
import { bytesToString, toBytes, KvClient, type Watcher } from '@halyard/kv-client';
import { FakeCluster } from './testing/fake-cluster.ts';

const toClose: { close(): Promise<void> }[] = [];

afterEach(async () => {
  for (const c of toClose.splice(0).reverse()) await c.close();
});

async function setup(size = 3): Promise<{ cluster: FakeCluster; client: KvClient }> {
  const cluster = await FakeCluster.start(size);
  toClose.push(cluster);
  const client = new KvClient({ endpoints: cluster.endpoints, requestTimeoutMs: 3000, keepAliveIntervalMs: 100, keepAliveTimeoutMs: 500 });
  toClose.push(client);
  return { cluster, client };
}

/** Reads batches until `count` events arrived (bounded by time), returning them flat. */
async function take(watcher: Watcher, count: number, timeoutMs = 5000): Promise<Event[]> {
  const events: Event[] = [];
  const iterator = watcher[Symbol.asyncIterator]();
  const deadline = Date.now() + timeoutMs;
  while (events.length < count) {
    const next = await Promise.race([iterator.next(), new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), Math.max(1, deadline - Date.now())))]);
    if (next === 'timeout') throw new Error(`only ${events.length} of ${count} events within ${timeoutMs} ms`);
    if (next.done === true) break;
    events.push(...next.value.events);
  }
  return events;
}

const describeEvent = (e: Event): string => `${e.type} ${bytesToString(e.kv.key)}=${bytesToString(e.kv.value)}@${e.kv.modRevision}`;

function watchCreates(cluster: FakeCluster): { member: number; startRevision: number | undefined }[] {
  return cluster.requests.filter((r) => r.method === 'watchCreate').map((r) => ({ member: r.member, startRevision: (r.params as WatchCreateParams).startRevision }));
}

/** Writes straight into the shared store, as the cluster would while the client is disconnected. */
function putDirect(cluster: FakeCluster, key: string, value: string): void {
  cluster.store.apply({ type: 'put', key: toBytes(key), value: toBytes(value) });
}

describe('watch', () => {
  it('streams puts and deletes of a prefix from now on, with prevKv', async () => {
    const { client } = await setup();
    await client.put('w/before', 'x');
    const watcher = client.watch('w/', { prefix: true, prevKv: true });
    await watcher.created;
    await client.put('w/a', '1');
    await client.put('other', 'ignored');
    await client.put('w/a', '2');
    await client.delete('w/a');
    const events = await take(watcher, 3);
    expect(events.map(describeEvent)).toEqual(['put w/a=1@3', 'put w/a=2@5', 'delete w/a=@6']);
    expect(bytesToString(events[1]?.prevKv?.value ?? new Uint8Array())).toBe('1');
    await watcher.cancel();
  });

  it('replays history from startRevision', async () => {
    const { client } = await setup();
    await client.put('h', '1');
    await client.put('h', '2');
    await client.put('h', '3');
    const watcher = client.watch('h', { startRevision: 3 });
    const events = await take(watcher, 2);
    expect(events.map(describeEvent)).toEqual(['put h=2@3', 'put h=3@4']);
  });

  it('resumes after a dropped connection from the last delivered revision + 1, missing nothing', async () => {
    const { cluster, client } = await setup();
    const watcher = client.watch('k', { prefix: true });
    await watcher.created;
    await client.put('k1', 'a');
    await client.put('k2', 'b');
    expect((await take(watcher, 2)).map(describeEvent)).toEqual(['put k1=a@2', 'put k2=b@3']);
    cluster.member(0).dropConnections();
    putDirect(cluster, 'k3', 'c');
    putDirect(cluster, 'k4', 'd');
    const after = await take(watcher, 2);
    expect(after.map(describeEvent)).toEqual(['put k3=c@4', 'put k4=d@5']);
    expect(watchCreates(cluster).at(-1)?.startRevision).toBe(4);
    await client.put('k5', 'e');
    expect((await take(watcher, 1)).map(describeEvent)).toEqual(['put k5=e@6']);
  });

  it('resumes on another member when its member dies', async () => {
    const { cluster, client } = await setup();
    await client.put('x', '0');
    const watcher = client.watch('x', { startRevision: 2 });
    expect((await take(watcher, 1)).map(describeEvent)).toEqual(['put x=0@2']);
    await cluster.member(0).kill();
    putDirect(cluster, 'x', '1');
    expect((await take(watcher, 1)).map(describeEvent)).toEqual(['put x=1@3']);
    const creates = watchCreates(cluster);
    expect(creates[0]).toEqual({ member: 0, startRevision: 2 });
    expect(creates.at(-1)).toEqual({ member: 1, startRevision: 3 });
  });

  it('does not lose changes made between creation "from now" and the first reconnect', async () => {
    const { cluster, client } = await setup();
    await client.put('n', 'old');
    const watcher = client.watch('n');
    await watcher.created;
    cluster.member(0).dropConnections();
    putDirect(cluster, 'n', 'during-outage');
    expect((await take(watcher, 1)).map(describeEvent)).toEqual(['put n=during-outage@3']);
    expect(watchCreates(cluster).at(-1)?.startRevision).toBe(3);
  });

  it('fails with Compacted and the compact revision when the start revision is gone', async () => {
    const { client } = await setup();
    await client.put('c', '1');
    await client.put('c', '2');
    await client.put('c', '3');
    await client.compact(4);
    const watcher = client.watch('c', { startRevision: 2 });
    const err = await take(watcher, 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KvError);
    expect((err as KvError).code).toBe('Compacted');
    expect((err as KvError).details.compactRevision).toBe(4);
  });

  it('fails with Compacted when the member refuses the create itself', async () => {
    const { cluster, client } = await setup();
    cluster.intercept = (req) => (req.method === 'watchCreate' ? { kind: 'error', error: { code: 'Compacted', message: 'compacted', compactRevision: 9 } } : undefined);
    const watcher = client.watch('c', { startRevision: 2 });
    await expect(watcher.created).rejects.toMatchObject({ code: 'Compacted' });
    const err = await take(watcher, 1).catch((e: unknown) => e);
    expect((err as KvError).details.compactRevision).toBe(9);
  });

  it('fails with Compacted when compaction passed it while it was disconnected', async () => {
    const { cluster, client } = await setup(1);
    const watcher = client.watch('d');
    await watcher.created;
    await cluster.member(0).kill();
    putDirect(cluster, 'd', '1');
    putDirect(cluster, 'd', '2');
    cluster.store.apply({ type: 'compaction', revision: 3 });
    await cluster.member(0).listen();
    const err = await take(watcher, 1).catch((e: unknown) => e);
    expect((err as KvError).code).toBe('Compacted');
    expect((err as KvError).details.compactRevision).toBe(3);
  });

  it('cancel ends the iterator and cancels on the member', async () => {
    const { cluster, client } = await setup();
    const watcher = client.watch('z');
    await watcher.created;
    const iterator = watcher[Symbol.asyncIterator]();
    const pending = iterator.next();
    await watcher.cancel();
    expect(await pending).toEqual({ done: true, value: undefined });
    await new Promise((r) => setTimeout(r, 50));
    expect(cluster.requests.some((r) => r.method === 'watchCancel')).toBe(true);
  });

  it('breaking out of for-await cancels the watch', async () => {
    const { client } = await setup();
    const watcher = client.watch('f');
    await watcher.created;
    await client.put('f', '1');
    for await (const batch of watcher) {
      expect(batch.events).toHaveLength(1);
      break;
    }
    expect(await watcher[Symbol.asyncIterator]().next()).toEqual({ done: true, value: undefined });
  });

  it('bounds its buffer for a slow consumer by pausing and resuming, losing nothing', async () => {
    const { cluster, client } = await setup(1);
    const watcher = client.watch('s');
    await watcher.created;
    const total = 1500;
    for (let i = 0; i < total; i++) putDirect(cluster, 's', String(i));
    // The client pauses (cancels on the member) once its buffer is full; wait for that, not for a guess.
    for (let waitedMs = 0; !cluster.requests.some((r) => r.method === 'watchCancel'); waitedMs += 20) {
      if (waitedMs > 10_000) throw new Error('the watch never paused');
      await new Promise((r) => setTimeout(r, 20));
    }
    const events = await take(watcher, total, 10_000);
    expect(events.map((e) => bytesToString(e.kv.value))).toEqual(Array.from({ length: total }, (_, i) => String(i)));
  });

  it('answers requestProgress with a progress batch that advances nextRevision', async () => {
    const { client } = await setup();
    await client.put('other', '1');
    const watcher = client.watch('p');
    await watcher.created;
    await client.put('other', '2');
    expect(watcher.requestProgress()).toBe(true);
    const iterator = watcher[Symbol.asyncIterator]();
    const batch = await iterator.next();
    expect(batch.value).toMatchObject({ progress: true, events: [] });
    expect(watcher.nextRevision).toBe(4);
  });

  it('is canceled by its AbortSignal', async () => {
    const { client } = await setup();
    const controller = new AbortController();
    const watcher = client.watch('s', { signal: controller.signal });
    await watcher.created;
    controller.abort();
    expect(await watcher[Symbol.asyncIterator]().next()).toEqual({ done: true, value: undefined });
    const already = client.watch('s', { signal: controller.signal });
    await already.closed;
    expect(watcher.requestProgress()).toBe(false);
  });

  it('ends every watch when the client closes', async () => {
    const { client } = await setup();
    const watcher = client.watch('q');
    await watcher.created;
    await client.close();
    expect(await watcher[Symbol.asyncIterator]().next()).toEqual({ done: true, value: undefined });
  });
});
