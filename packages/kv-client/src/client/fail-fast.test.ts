// Requests that cannot succeed fail at once with what is wrong, instead of being retried until their
// deadline: a request over the size limit, a member closing with 1009, an endpoint that is not a member
// (plain HTTP answer to the upgrade), an endpoint that never completes the handshake (dial timeout).
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { decodeFrame, encodeFrame } from '../protocol/frame.ts';
import { KvClient } from './kv-client.ts';
import { NotAMemberError } from './retry.ts';

const toClose: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of toClose.splice(0).reverse()) await c();
});

const header = { clusterId: 1, memberId: 1, revision: 5, raftTerm: 1 };

interface Received {
  readonly method: string;
  readonly bytes: number;
}

/** A member that answers every request with an empty success and records what it received. */
async function member(opts: { maxPayload?: number; answer?: (ws: WebSocket, req: { id: number; method: string }) => void } = {}): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, ...(opts.maxPayload !== undefined ? { maxPayload: opts.maxPayload } : {}) });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  wss.on('connection', (ws) => {
    // A frame above maxPayload: ws reports it here and closes with 1009.
    ws.on('error', () => {});
    ws.on('message', (data: Buffer) => {
      const req = decodeFrame(data, Infinity) as { id: number; method: string };
      received.push({ method: req.method, bytes: data.byteLength });
      if (opts.answer !== undefined) opts.answer(ws, req);
      else ws.send(encodeFrame({ type: 'response', id: req.id, result: { header } }));
    });
  });
  toClose.push(
    () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(wss.address() as AddressInfo).port}`, received };
}

async function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function client(endpoints: string[], extra: Partial<ConstructorParameters<typeof KvClient>[0]> = {}): KvClient {
  const c = new KvClient({ endpoints, requestTimeoutMs: 30_000, ...extra });
  toClose.push(() => c.close());
  return c;
}

describe('requests over the size limit', () => {
  it('are refused before anything is sent, with TooLarge, even when no member is reachable', async () => {
    const m = await member();
    const c = client([m.url], { requestSizeBytesMax: 4096 });
    await expect(c.put('k', 'x'.repeat(5000))).rejects.toMatchObject({ code: 'TooLarge', message: expect.stringContaining('exceeds the request size limit of 4096 bytes') });
    expect(m.received).toEqual([]);
    await c.put('k', 'x'.repeat(100));
    expect(m.received.map((r) => r.method)).toEqual(['put']);

    // Nothing listens here: without the check this would retry dials for 30 s, then say "Timeout".
    const dead = client(['http://127.0.0.1:1'], { requestSizeBytesMax: 4096 });
    await expect(dead.put('k', 'x'.repeat(5000))).rejects.toMatchObject({ code: 'TooLarge' });
  });

  it('default to a member’s default --max-request-bytes (1.5 MiB)', async () => {
    const m = await member();
    const c = client([m.url]);
    await expect(c.put('k', new Uint8Array(1.5 * 1024 * 1024))).rejects.toMatchObject({ code: 'TooLarge' });
    await c.put('k', new Uint8Array(1024 * 1024));
    expect(m.received).toHaveLength(1);
  });

  it('fail with TooLarge, not retried, when the member closes the connection with 1009; other requests fail over', async () => {
    // The member reads at most 2000 bytes a frame, less than the client's limit: it closes with 1009.
    let answerSmall: (() => void) | undefined;
    const m = await member({
      maxPayload: 2000,
      answer: (ws, req) => {
        // Hold the small request's answer until the big one has broken the connection.
        answerSmall = () => ws.send(encodeFrame({ type: 'response', id: req.id, result: { header } }));
      },
    });
    const c = client([m.url]);
    const small = c.get('small');
    while (m.received.length === 0) await new Promise((r) => setTimeout(r, 5));
    const big = c.put('k', 'x'.repeat(5000));
    await expect(big).rejects.toMatchObject({ code: 'TooLarge', message: expect.stringContaining('1009') });
    // The small read was in flight on the same connection: it is retried on a new one and answered there.
    while (m.received.length < 2) await new Promise((r) => setTimeout(r, 5));
    answerSmall?.();
    await expect(small).resolves.toMatchObject({ header });
    expect(m.received.filter((r) => r.method === 'put')).toHaveLength(0);
    expect(m.received.map((r) => r.method)).toEqual(['range', 'range']);
  });

  it('fail with TooLarge when a response exceeds responseSizeBytesMax', async () => {
    const m = await member({ answer: (ws, req) => ws.send(encodeFrame({ type: 'response', id: req.id, result: { header, kvs: [], pad: 'x'.repeat(10_000) } })) });
    const c = client([m.url], { responseSizeBytesMax: 4096 });
    await expect(c.get('k')).rejects.toMatchObject({ code: 'TooLarge', message: expect.stringContaining('responseSizeBytesMax') });
    expect(m.received).toHaveLength(1);
  });
});

describe('an endpoint that is not a member', () => {
  it('fails at once when it answers the upgrade with HTTP 404', async () => {
    let hits = 0;
    const http = createHttpServer((_req, res) => {
      hits++;
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('404 page not found\n');
    });
    const url = await listen(http);
    toClose.push(() => new Promise((r) => http.close(() => r())));
    const c = client([url]);
    const err = await c.get('k').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotAMemberError);
    expect((err as Error).message).toBe(`${url} is not a Halyard member: it answered the WebSocket upgrade with HTTP 404 Not Found (is this the member's client URL?)`);
    // Asked once, not retried until the 30 s deadline.
    expect(hits).toBe(1);
    await expect(c.connect()).rejects.toBeInstanceOf(NotAMemberError);
  });

  it('is skipped when another endpoint is a member', async () => {
    const http = createHttpServer((_req, res) => {
      res.writeHead(502);
      res.end();
    });
    const bad = await listen(http);
    toClose.push(() => new Promise((r) => http.close(() => r())));
    const good = await member();
    const c = client([bad, good.url]);
    await expect(c.get('k')).resolves.toMatchObject({ header });
    expect(c.currentEndpoint).toBe(good.url);
  });
});

describe('the dial timeout', () => {
  it('bounds connect() when an endpoint accepts TCP but never completes the upgrade', async () => {
    const sockets = new Set<Socket>();
    const silent = createTcpServer((s) => {
      sockets.add(s);
      s.on('error', () => {});
    });
    const url = await listen(silent);
    toClose.push(
      () =>
        new Promise((r) => {
          for (const s of sockets) s.destroy();
          silent.close(() => r());
        }),
    );
    const c = client([url], { dialTimeoutMs: 300 });
    await expect(c.connect()).rejects.toMatchObject({ code: 'Timeout', message: `no endpoint accepted a connection within 300 ms (${url} did not complete the WebSocket handshake)` });
    // Each dial gave up after 300 ms: several attempts fit in a connect() of 1 s.
    await expect(c.connect({ timeoutMs: 1000 })).rejects.toMatchObject({ code: 'Timeout', message: expect.stringContaining('last error: connection to') });
    expect(sockets.size).toBeGreaterThanOrEqual(3);
  });

  it('connect() resolves with the first endpoint that accepts', async () => {
    const good = await member();
    const c = client(['http://127.0.0.1:1', good.url], { dialTimeoutMs: 1000 });
    await expect(c.connect()).resolves.toBe(good.url);
    expect(c.currentEndpoint).toBe(good.url);
  });
});
