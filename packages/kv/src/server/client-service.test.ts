// The client port's bookkeeping: halyard_client_requests_total counts each request once, with its outcome.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { decodeFrame, encodeFrame } from '../protocol/frame.ts';
import type { ServerFrame } from '../protocol/messages.ts';
import { silentLogger } from '../transport/index.ts';
import { type RunningMember, startMember } from './index.ts';
import { freePorts, waitFor } from './test-util.testutil.ts';

let running: RunningMember | undefined;
let dataDir: string | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

/** Send one request frame on a fresh connection and wait for its answer. */
async function call(url: string, method: string, params: unknown): Promise<ServerFrame> {
  const ws = new WebSocket(url.replace('http', 'ws'));
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return await new Promise<ServerFrame>((resolve) => {
      ws.on('message', (data) => resolve(decodeFrame(data as Uint8Array) as ServerFrame));
      ws.send(encodeFrame({ id: 1, method, params }));
    });
  } finally {
    ws.close();
  }
}

/** halyard_client_requests_total as { "method/code": count }. */
async function requestCounts(r: RunningMember): Promise<Record<string, number>> {
  const metric = r.member.registry.getSingleMetric('halyard_client_requests_total');
  if (metric === undefined) throw new Error('halyard_client_requests_total is not registered');
  const out: Record<string, number> = {};
  for (const v of (await metric.get()).values) out[`${String(v.labels.method)}/${String(v.labels.code)}`] = v.value;
  return out;
}

describe('halyard_client_requests_total', () => {
  it('counts each request once: a success as OK, a failure only with its error code', async () => {
    const [peerPort, clientPort] = await freePorts(2);
    dataDir = await mkdtemp(join(tmpdir(), 'halyard-client-service-'));
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const clientUrl = `http://127.0.0.1:${clientPort}`;
    running = await startMember({ name: 'm1', dataDir, peerUrl, clientUrl, initialCluster: new Map([['m1', peerUrl]]), tickMs: 20 }, silentLogger);
    const r = running;
    await waitFor(() => r.member.isLeader(), 30_000, 'the single member to lead');

    const ok = await call(clientUrl, 'range', { key: new TextEncoder().encode('k'), serializable: true });
    expect(ok.type).toBe('response');
    const failed = await call(clientUrl, 'watchCancel', { watchId: 12345 });
    expect(failed.type === 'error' ? failed.error.code : failed.type).toBe('InvalidRequest');

    expect(await requestCounts(r)).toEqual({ 'range/OK': 1, 'watchCancel/InvalidRequest': 1 });
  });
});
