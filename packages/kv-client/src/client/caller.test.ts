// The caller's retry rules against hand-written members on 127.0.0.1 (no Raft behind them): a write's
// retries all carry the requestId of the first attempt, so a retry that lands on a new leader while the
// first attempt may still commit is deduplicated by the state machine; NotLeader hints are followed;
// membership changes are not re-sent once they may have taken effect; the deadline covers every retry.
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { KvError } from '../protocol/errors.ts';
import { encodeFrame, decodeFrame } from '../protocol/frame.ts';
import { Caller, ENDPOINTS_MAX, type RetryEvent } from './caller.ts';

interface Req {
  readonly id: number;
  readonly method: string;
  readonly params: Record<string, unknown>;
  readonly requestId?: string;
}

const toClose: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of toClose.splice(0).reverse()) await c();
});

/** A member that hands each request to `onRequest`; returns its endpoint and the requests it saw. */
async function member(onRequest: (ws: WebSocket, req: Req) => void): Promise<{ endpoint: string; seen: Req[] }> {
  const seen: Req[] = [];
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  wss.on('connection', (ws) =>
    ws.on('message', (data: Buffer) => {
      const req = decodeFrame(data) as Req;
      seen.push(req);
      onRequest(ws, req);
    }),
  );
  toClose.push(
    () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  );
  return { endpoint: `http://127.0.0.1:${(wss.address() as AddressInfo).port}`, seen };
}

const header = { clusterId: 1, memberId: 1, revision: 7, raftTerm: 2 };
const ok = (ws: WebSocket, req: Req): void => ws.send(encodeFrame({ type: 'response', id: req.id, result: { header } }));
const fail = (ws: WebSocket, req: Req, code: string, extra: Record<string, unknown> = {}): void =>
  ws.send(encodeFrame({ type: 'error', id: req.id, error: { code, message: `${code} here`, ...extra } }));

const connOpts = { dialTimeoutMs: 2_000, keepAliveIntervalMs: 10_000, keepAliveTimeoutMs: 20_000, requestSizeBytesMax: 1_572_864 };

function caller(endpoints: string[], timeoutMs = 10_000, events: RetryEvent[] = []): Caller {
  const c = new Caller(endpoints, connOpts, timeoutMs, (e) => events.push(e));
  toClose.push(() => c.close());
  return c;
}

const put = { key: new Uint8Array([107]), value: new Uint8Array([118]) };

describe('a write retried after its first attempt was cut off', () => {
  it('reaches the next member (the new leader) with the same requestId as the first attempt', async () => {
    // The old leader receives the put and dies before answering: it may still commit.
    const oldLeader = await member((ws) => ws.terminate());
    const newLeader = await member(ok);
    const events: RetryEvent[] = [];
    const c = caller([oldLeader.endpoint, newLeader.endpoint], 10_000, events);
    await c.call('put', put, { retry: 'always', requestId: 'client-1' });
    expect(oldLeader.seen.map((r) => r.requestId)).toEqual(['client-1']);
    expect(newLeader.seen.map((r) => r.requestId)).toEqual(['client-1']);
    expect(events.map((e) => [e.endpoint, e.attempt, e.decision])).toEqual([[oldLeader.endpoint, 0, 'next']]);
    expect(c.currentEndpoint).toBe(newLeader.endpoint);
  });

  it('while the leader still applies the first attempt ("already in flight") it asks the same member again', async () => {
    let calls = 0;
    const leader = await member((ws, req) => (++calls === 1 ? fail(ws, req, 'InvalidRequest', { message: 'request client-1 already in flight' }) : ok(ws, req)));
    const other = await member(ok);
    const events: RetryEvent[] = [];
    const c = caller([leader.endpoint, other.endpoint], 10_000, events);
    await c.call('put', put, { retry: 'always', requestId: 'client-1' });
    expect(leader.seen.map((r) => r.requestId)).toEqual(['client-1', 'client-1']);
    expect(other.seen).toEqual([]);
    expect(events.map((e) => e.decision)).toEqual(['again']);
  });

  it('a membership change cut off after it was sent is not re-sent (it is not deduplicated)', async () => {
    const a = await member((ws) => ws.terminate());
    const b = await member(ok);
    const c = caller([a.endpoint, b.endpoint]);
    await expect(c.call('memberList', {}, { retry: 'unsent' })).rejects.toMatchObject({ code: 'Unavailable', sent: true });
    expect(b.seen).toEqual([]);
  });
});

describe('following the leader', () => {
  it('a NotLeader naming the leader sends the request there at once, and later ones go there first', async () => {
    const leader = await member(ok);
    const follower = await member((ws, req) => fail(ws, req, 'NotLeader', { leaderEndpoint: leader.endpoint }));
    const events: RetryEvent[] = [];
    const c = caller([follower.endpoint, leader.endpoint], 10_000, events);
    await c.call('put', put, { retry: 'always', requestId: 'c-1' });
    expect(events.map((e) => e.decision)).toEqual(['redirect']);
    expect(c.currentEndpoint).toBe(leader.endpoint);
    await c.call('put', put, { retry: 'always', requestId: 'c-2' });
    expect(follower.seen).toHaveLength(1);
    expect(leader.seen.map((r) => r.requestId)).toEqual(['c-1', 'c-2']);
  });

  it('a NotLeader naming the member that refused (a stale hint) rotates to the next member', async () => {
    const b = await member(ok);
    let aEndpoint = '';
    const a = await member((ws, req) => fail(ws, req, 'NotLeader', { leaderEndpoint: aEndpoint }));
    aEndpoint = a.endpoint;
    const c = caller([a.endpoint, b.endpoint]);
    await c.call('range', { key: put.key }, { retry: 'always' });
    expect(a.seen).toHaveLength(1);
    expect(b.seen).toHaveLength(1);
    expect(c.currentEndpoint).toBe(b.endpoint);
  });

  it('a request pinned to one endpoint never fails over', async () => {
    let calls = 0;
    const a = await member((ws, req) => (++calls === 1 ? fail(ws, req, 'Unavailable') : ok(ws, req)));
    const b = await member(ok);
    const c = caller([a.endpoint, b.endpoint]);
    await c.call('status', {}, { retry: 'always', endpoint: a.endpoint });
    expect(a.seen).toHaveLength(2);
    expect(b.seen).toEqual([]);
  });

  it('a refusal that retrying cannot fix fails at once, with its code', async () => {
    const a = await member((ws, req) => fail(ws, req, 'Compacted'));
    const b = await member(ok);
    const c = caller([a.endpoint, b.endpoint]);
    await expect(c.call('range', { key: put.key }, { retry: 'always' })).rejects.toMatchObject({ code: 'Compacted' });
    expect(b.seen).toEqual([]);
  });
});

describe('bounds', () => {
  it('the deadline covers every retry, says why the attempts failed, and that a write\'s outcome is unknown', async () => {
    const a = await member((ws, req) => fail(ws, req, 'Unavailable'));
    const c = caller([a.endpoint], 300);
    const e = await c.call('put', put, { retry: 'always', requestId: 'c-1' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(KvError);
    expect((e as KvError).code).toBe('Timeout');
    expect((e as KvError).message).toMatch(/put did not complete within 300 ms; the write may or may not have been applied .*; last error: Unavailable here/);
  });

  it('a read\'s deadline does not talk about an unknown outcome', async () => {
    const a = await member(() => {});
    const c = caller([a.endpoint], 200);
    const e = (await c.call('range', { key: put.key }, { retry: 'always' }).catch((x: unknown) => x)) as KvError;
    expect(e.code).toBe('Timeout');
    expect(e.message).toBe('range did not complete within 200 ms');
  });

  it('the caller\'s own abort ends the call with its reason', async () => {
    const a = await member(() => {});
    const c = caller([a.endpoint]);
    const ac = new AbortController();
    const p = c.call('range', { key: put.key }, { retry: 'always', signal: ac.signal });
    setTimeout(() => ac.abort(new Error('user gave up')), 50);
    await expect(p).rejects.toThrow('user gave up');
    const aborted = new AbortController();
    aborted.abort(new Error('before'));
    await expect(c.call('range', { key: put.key }, { retry: 'always', signal: aborted.signal })).rejects.toThrow('before');
  });

  it('close() ends calls in flight instead of letting them retry', async () => {
    const a = await member((ws) => setTimeout(() => ws.terminate(), 20));
    const c = caller([a.endpoint]);
    const p = c.call('range', { key: put.key }, { retry: 'always' });
    setTimeout(() => c.close(), 5);
    await expect(p).rejects.toMatchObject({ code: 'Unavailable', message: 'the client is closed' });
    expect(c.isClosed).toBe(true);
    await expect(c.call('range', { key: put.key }, { retry: 'always' })).rejects.toMatchObject({ message: 'the client is closed' });
  });

  it('endpoints: at least one, at most ENDPOINTS_MAX, duplicates once', () => {
    expect(() => new Caller([], connOpts, 1000)).toThrow(KvError);
    expect(() => new Caller(Array.from({ length: ENDPOINTS_MAX + 1 }, (_, i) => `http://127.0.0.1:${i + 1}`), connOpts, 1000)).toThrow(`at most ${ENDPOINTS_MAX}`);
    const c = new Caller(['http://127.0.0.1:1', 'http://127.0.0.1:1/', 'http://127.0.0.1:2'], connOpts, 1000);
    expect(c.endpoints).toEqual(['http://127.0.0.1:1', 'http://127.0.0.1:2']);
    expect(c.currentEndpoint).toBe('http://127.0.0.1:1');
  });

  it('setEndpoints replaces the list (ignoring an empty one), capped at ENDPOINTS_MAX', () => {
    const c = new Caller(['http://127.0.0.1:1'], connOpts, 1000);
    c.setEndpoints([]);
    expect(c.endpoints).toEqual(['http://127.0.0.1:1']);
    c.setEndpoints(Array.from({ length: ENDPOINTS_MAX + 3 }, (_, i) => `http://127.0.0.1:${i + 1}`));
    expect(c.endpoints).toHaveLength(ENDPOINTS_MAX);
  });

  it('rotate moves on from the failed endpoint only if it is still the current one, wrapping around', () => {
    const c = new Caller(['http://127.0.0.1:1', 'http://127.0.0.1:2'], connOpts, 1000);
    c.rotate('http://127.0.0.1:2');
    expect(c.currentEndpoint).toBe('http://127.0.0.1:1');
    c.rotate('http://127.0.0.1:1');
    expect(c.currentEndpoint).toBe('http://127.0.0.1:2');
    c.rotate('http://127.0.0.1:2');
    expect(c.currentEndpoint).toBe('http://127.0.0.1:1');
  });
});
