// The caller's bounds and connection bookkeeping, with the backoff replaced by 1 ms through the Caller's
// backoff seam (the backoff itself is retry.test.ts's subject): the attempt bound ends a call with its last error; only
// the first redirect in a row is free; connections are reused, replaced once closed, and closed when
// their endpoint leaves the list or the client closes; a finished call leaves no listener behind.
import { getEventListeners } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { decodeFrame, encodeFrame } from '../protocol/frame.ts';
import { KvError } from '../protocol/errors.ts';
import { CONNECTIONS_MAX, Caller, ENDPOINTS_MAX } from './caller.ts';
import { REQUEST_ATTEMPTS_MAX } from './retry.ts';

const backoffMs = vi.fn((_attempt: number) => 1);

interface Req {
  readonly id: number;
  readonly method: string;
}

const toClose: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of toClose.splice(0).reverse()) await c();
  backoffMs.mockClear();
});

interface FakeMember {
  readonly endpoint: string;
  readonly seen: Req[];
  connections: number;
  closed: number;
}

async function member(onRequest: (ws: WebSocket, req: Req) => void, accept: () => Promise<boolean> = async () => true): Promise<FakeMember> {
  const m: FakeMember = { endpoint: '', seen: [], connections: 0, closed: 0 };
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, verifyClient: (info, cb) => void accept().then((yes) => (yes ? cb(true) : info.req.socket.destroy())) });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  wss.on('connection', (ws) => {
    m.connections++;
    ws.on('close', () => m.closed++);
    ws.on('message', (data: Buffer) => {
      const req = decodeFrame(data) as Req;
      m.seen.push(req);
      onRequest(ws, req);
    });
  });
  toClose.push(
    () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  );
  return Object.assign(m, { endpoint: `http://127.0.0.1:${(wss.address() as AddressInfo).port}` });
}

const header = { clusterId: 1, memberId: 1, revision: 7, raftTerm: 2 };
const ok = (ws: WebSocket, req: Req): void => ws.send(encodeFrame({ type: 'response', id: req.id, result: { header } }));
const fail = (ws: WebSocket, req: Req, code: string, extra: Record<string, unknown> = {}): void =>
  ws.send(encodeFrame({ type: 'error', id: req.id, error: { code, message: `${code} here`, ...extra } }));
const connOpts = { dialTimeoutMs: 2_000, keepAliveIntervalMs: 10_000, keepAliveTimeoutMs: 20_000, requestSizeBytesMax: 1_572_864 };
const key = { key: new Uint8Array([107]) };

function caller(endpoints: string[], timeoutMs = 20_000): Caller {
  const c = new Caller(endpoints, connOpts, timeoutMs, undefined, backoffMs);
  toClose.push(() => c.close());
  return c;
}

const waitUntil = async (cond: () => boolean, what: string): Promise<void> => {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('attempt bound', () => {
  it(`after REQUEST_ATTEMPTS_MAX (${REQUEST_ATTEMPTS_MAX}) failed attempts the call fails with the last error, deadline or not`, async () => {
    const a = await member((ws, req) => fail(ws, req, 'Unavailable'));
    const c = caller([a.endpoint]);
    await expect(c.call('range', key, { retry: 'always' })).rejects.toMatchObject({ code: 'Unavailable', message: 'Unavailable here' });
    expect(a.seen).toHaveLength(REQUEST_ATTEMPTS_MAX);
  });
});

describe('redirects', () => {
  it('the first redirect is followed at once; a second in a row waits a backoff first', async () => {
    const last = await member(ok);
    const middle = await member((ws, req) => fail(ws, req, 'NotLeader', { leaderEndpoint: last.endpoint }));
    const first = await member((ws, req) => fail(ws, req, 'NotLeader', { leaderEndpoint: middle.endpoint }));
    const c = caller([first.endpoint, middle.endpoint, last.endpoint]);
    await c.call('range', key, { retry: 'always' });
    expect(backoffMs.mock.calls).toEqual([[1]]);
    expect([first.seen.length, middle.seen.length, last.seen.length]).toEqual([1, 1, 1]);
  });

  it('a failure that is not a redirect resets the count: the next redirect is free again', async () => {
    const last = await member(ok);
    let calls = 0;
    const flaky = await member((ws, req) => (++calls === 1 ? fail(ws, req, 'Unavailable') : fail(ws, req, 'NotLeader', { leaderEndpoint: last.endpoint })));
    const c = caller([flaky.endpoint, last.endpoint]);
    // attempt 0: flaky Unavailable → backoff, rotate to last; a fresh call redirects from flaky for free.
    await c.call('range', key, { retry: 'always' });
    backoffMs.mockClear();
    c.rotate(last.endpoint);
    expect(c.currentEndpoint).toBe(flaky.endpoint);
    await c.call('range', key, { retry: 'always' });
    expect(backoffMs).not.toHaveBeenCalled();
  });

  it('a request pinned to one endpoint retries there without moving the preferred endpoint', async () => {
    let calls = 0;
    const a = await member((ws, req) => (++calls === 1 ? fail(ws, req, 'Unavailable') : ok(ws, req)));
    const b = await member(ok);
    const c = caller([a.endpoint, b.endpoint]);
    await c.call('status', {}, { retry: 'always', endpoint: b.endpoint });
    await c.call('status', {}, { retry: 'always', endpoint: a.endpoint });
    expect(a.seen).toHaveLength(2);
    expect(c.currentEndpoint).toBe(a.endpoint);
  });
});

describe('connections', () => {
  it('one connection per endpoint serves many requests', async () => {
    const a = await member(ok);
    const c = caller([a.endpoint]);
    await Promise.all([c.call('range', key, { retry: 'always' }), c.call('range', key, { retry: 'always' })]);
    await c.call('range', key, { retry: 'always' });
    expect(a.connections).toBe(1);
    expect(a.seen).toHaveLength(3);
  });

  it('a closed connection is replaced by a new one on the next request', async () => {
    let drop = true;
    const a = await member((ws, req) => {
      if (drop) {
        drop = false;
        ok(ws, req);
        ws.close();
        return;
      }
      ok(ws, req);
    });
    const c = caller([a.endpoint]);
    await c.call('range', key, { retry: 'always' });
    await waitUntil(() => a.closed === 1, 'the member to close the first connection');
    await c.call('range', key, { retry: 'always' });
    expect(a.connections).toBe(2);
  });

  it('setEndpoints closes connections to endpoints no longer listed, but not the preferred one', async () => {
    const a = await member(ok);
    const b = await member(ok);
    const d = await member(ok);
    const c = caller([a.endpoint, b.endpoint, d.endpoint]);
    await c.call('status', {}, { retry: 'always', endpoint: a.endpoint });
    await c.call('status', {}, { retry: 'always', endpoint: b.endpoint });
    await c.call('status', {}, { retry: 'always', endpoint: d.endpoint });
    c.setEndpoints([d.endpoint]);
    await waitUntil(() => b.closed === 1, 'the connection to b to close');
    expect(c.endpoints).toEqual([d.endpoint]);
    // a is the preferred endpoint (it may be the leader): kept until it fails.
    expect(a.closed).toBe(0);
    expect(c.currentEndpoint).toBe(a.endpoint);
  });

  it('close() closes every open connection', async () => {
    const a = await member(ok);
    const b = await member(ok);
    const c = caller([a.endpoint, b.endpoint]);
    await c.call('status', {}, { retry: 'always', endpoint: a.endpoint });
    await c.call('status', {}, { retry: 'always', endpoint: b.endpoint });
    c.close();
    await waitUntil(() => a.closed === 1 && b.closed === 1, 'both connections to close');
  });

  it('connectAny connects to the preferred endpoint, and moves on from one that cannot be reached', async () => {
    const a = await member(ok);
    const dead = 'http://127.0.0.1:9';
    const c = caller([dead, a.endpoint]);
    await expect(c.connectAny(new AbortController().signal)).rejects.toBeDefined();
    expect(c.currentEndpoint).toBe(a.endpoint);
    const conn = await c.connectAny(new AbortController().signal);
    expect(conn.isClosed).toBe(false);
    expect(a.connections).toBe(1);
  });

  it('a finished call leaves no listener on the caller\'s signal', async () => {
    const a = await member(ok);
    const c = caller([a.endpoint]);
    const ac = new AbortController();
    await c.call('range', key, { retry: 'always', signal: ac.signal });
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });
});

describe('edges', () => {
  it('endpoints: none is refused with a reason; exactly ENDPOINTS_MAX is fine', () => {
    expect(() => new Caller([], connOpts, 1000)).toThrow('at least one endpoint is required');
    expect(new Caller(Array.from({ length: ENDPOINTS_MAX }, (_, i) => `http://127.0.0.1:${i + 1}`), connOpts, 1000).endpoints).toHaveLength(ENDPOINTS_MAX);
  });

  it('rotate from an endpoint that is no longer the current one changes nothing', () => {
    const c = new Caller(['http://127.0.0.1:1', 'http://127.0.0.1:2', 'http://127.0.0.1:3'], connOpts, 1000);
    c.rotate('http://127.0.0.1:2');
    expect(c.currentEndpoint).toBe('http://127.0.0.1:1');
  });

  it('after close() a call fails without dialling', async () => {
    const a = await member(ok);
    const c = caller([a.endpoint]);
    c.close();
    await expect(c.call('range', key, { retry: 'always' })).rejects.toMatchObject({ code: 'Unavailable', message: 'the client is closed' });
    expect(a.connections).toBe(0);
  });

  it('a membership change that times out says its outcome is unknown, like a write', async () => {
    const a = await member(() => {});
    const c = caller([a.endpoint], 200);
    const e = (await c.call('memberList', {}, { retry: 'unsent' }).catch((x: unknown) => x)) as KvError;
    expect(e.message).toBe('memberList did not complete within 200 ms; the write may or may not have been applied (its outcome is unknown)');
  });

  it('a caller\'s abort with its own KvError is passed through as is, not turned into a Timeout', async () => {
    const a = await member((ws, req) => fail(ws, req, 'Unavailable'));
    const c = caller([a.endpoint]);
    const ac = new AbortController();
    backoffMs.mockImplementation(() => 10_000);
    const p = c.call('range', key, { retry: 'always', signal: ac.signal });
    await waitUntil(() => a.seen.length === 1, 'the first attempt');
    const reason = new KvError('Unavailable', 'shutting down');
    ac.abort(reason);
    await expect(p).rejects.toBe(reason);
    backoffMs.mockImplementation(() => 1);
  });

  it('an abort while dialling ends the call at once with the caller\'s reason (not the dial timeout)', async () => {
    // A TCP server that accepts and never answers the WebSocket handshake.
    const sockets: Socket[] = [];
    const server = createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    toClose.push(
      () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          server.close(() => resolve());
        }),
    );
    const c = new Caller([`http://127.0.0.1:${(server.address() as AddressInfo).port}`], { ...connOpts, dialTimeoutMs: 10_000 }, 20_000, undefined, backoffMs);
    toClose.push(() => c.close());
    const ac = new AbortController();
    const started = Date.now();
    const p = c.call('range', key, { retry: 'always', signal: ac.signal });
    setTimeout(() => ac.abort(new Error('user gave up')), 50);
    await expect(p).rejects.toThrow('user gave up');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('connectAny with an aborted signal fails without dialling or moving on from the current endpoint', async () => {
    // Found by this test: the dial used to start anyway, and its failure (here: the member gone) was an
    // unhandled rejection.
    const a = await member(ok);
    const c = caller([a.endpoint, 'http://127.0.0.1:9']);
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(c.connectAny(ac.signal)).rejects.toThrow('stop');
    expect(c.currentEndpoint).toBe(a.endpoint);
    await new Promise((r) => setTimeout(r, 50));
    expect(a.connections).toBe(0);
  });
});

describe('connection bookkeeping', () => {
  it('a failed dial is forgotten: the next attempt dials again', async () => {
    let handshakes = 0;
    const a = await member(ok, async () => ++handshakes > 1);
    const c = caller([a.endpoint]);
    await c.call('range', key, { retry: 'always' });
    expect(handshakes).toBe(2);
    expect(a.seen).toHaveLength(1);
  });

  it('a dial that completes after close() is closed at once', async () => {
    let release = (): void => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const a = await member(ok, async () => {
      await gate;
      return true;
    });
    const c = caller([a.endpoint]);
    const p = c.call('range', key, { retry: 'always' });
    await new Promise((r) => setTimeout(r, 50));
    c.close();
    release();
    await expect(p).rejects.toMatchObject({ message: 'the client is closed' });
    await waitUntil(() => a.connections === 1 && a.closed === 1, 'the late connection to be closed');
  });

  it(`beyond CONNECTIONS_MAX (${CONNECTIONS_MAX}) connections the oldest leader learned from a redirect is closed, never a listed endpoint`, async () => {
    const leaders: FakeMember[] = [];
    for (let i = 0; i < CONNECTIONS_MAX; i++) leaders.push(await member(ok));
    let next = 0;
    const listed = await member((ws, req) => fail(ws, req, 'NotLeader', { leaderEndpoint: leaders[next++]!.endpoint }));
    const c = caller([listed.endpoint]);
    // Each call: the listed member redirects to a new leader, which answers; then back to the list.
    for (let i = 0; i < CONNECTIONS_MAX; i++) {
      await c.call('range', key, { retry: 'always' });
      c.rotate(c.currentEndpoint);
    }
    // listed + CONNECTIONS_MAX leaders were dialled: one over the bound, so the first leader was evicted.
    await waitUntil(() => leaders[0]!.closed === 1, 'the oldest learned leader to be evicted');
    expect(listed.closed).toBe(0);
    expect(leaders.slice(1).every((l) => l.closed === 0)).toBe(true);
  }, 60_000);
});
