// The connection against a hand-written member that misbehaves in ways the fake cluster does not:
// watch events sent before the watchCreate reply, and garbage frames.
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { decodeFrame, encodeFrame } from '../protocol/frame.ts';
import { bytesToString, toBytes } from './bytes.ts';
import { KvClient } from './kv-client.ts';
import type { WatchBatch } from './watch.ts';

const toClose: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of toClose.splice(0).reverse()) await c();
});

async function member(onRequest: (ws: WebSocket, req: { id: number; method: string; params: Record<string, unknown> }) => void): Promise<string> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  wss.on('connection', (ws) => ws.on('message', (data: Buffer) => onRequest(ws, decodeFrame(data) as { id: number; method: string; params: Record<string, unknown> })));
  toClose.push(
    () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(wss.address() as AddressInfo).port}`;
}

const header = { clusterId: 1, memberId: 1, revision: 5, raftTerm: 1 };
const kv = (value: string, rev: number): Record<string, unknown> => ({ key: toBytes('k'), value: toBytes(value), createRevision: 2, modRevision: rev, version: rev - 1, lease: 0 });

describe('Connection', () => {
  it('keeps watch events that arrive before the watchCreate reply', async () => {
    const endpoint = await member((ws, req) => {
      if (req.method !== 'watchCreate') return;
      // Both in one turn, events first: the order a careless member could produce.
      ws.send(encodeFrame({ type: 'watch', watchId: 7, header, events: [{ type: 'put', kv: kv('a', 3) }, { type: 'put', kv: kv('b', 4) }] }));
      ws.send(encodeFrame({ type: 'response', id: req.id, result: { header, watchId: 7 } }));
    });
    const client = new KvClient({ endpoints: [endpoint] });
    toClose.push(() => client.close());
    const watcher = client.watch('k', { startRevision: 3 });
    const first = await Promise.race([watcher[Symbol.asyncIterator]().next(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the early events were lost')), 3000))]);
    expect(first.done).toBe(false);
    expect((first.value as WatchBatch).events.map((e) => bytesToString(e.kv.value))).toEqual(['a', 'b']);
    expect(watcher.nextRevision).toBe(5);
  });

  it('fails a watch whose member sends events out of revision order', async () => {
    const endpoint = await member((ws, req) => {
      if (req.method !== 'watchCreate') return;
      ws.send(encodeFrame({ type: 'response', id: req.id, result: { header, watchId: 1 } }));
      ws.send(encodeFrame({ type: 'watch', watchId: 1, header, events: [{ type: 'put', kv: kv('b', 4) }, { type: 'put', kv: kv('a', 3) }] }));
    });
    const client = new KvClient({ endpoints: [endpoint] });
    toClose.push(() => client.close());
    const watcher = client.watch('k', { startRevision: 3 });
    await expect(watcher[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'Internal', message: expect.stringContaining('out of revision order') });
  });

  it('drops a connection that sends garbage, and the request fails over', async () => {
    const bad = await member((ws) => ws.send(Buffer.from([0xc1])));
    const good = await member((ws, req) => ws.send(encodeFrame({ type: 'response', id: req.id, result: { header, kvs: [], more: false, count: 0 } })));
    const client = new KvClient({ endpoints: [bad, good], requestTimeoutMs: 2000 });
    toClose.push(() => client.close());
    expect((await client.get('x')).count).toBe(0);
    expect(client.currentEndpoint).toBe(good);
  });
});
