// The client port's bookkeeping: halyard_client_requests_total counts each request once, with its outcome.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { decodeFrame, encodeFrame, type ServerFrame } from '@halyard/kv-client/protocol';
import { silentLogger } from '../transport/index.ts';
import { type RunningMember, startMember } from './index.ts';
import { freePorts, waitFor } from './test-util.testutil.ts';

let running: RunningMember[] = [];
let dirs: string[] = [];
afterEach(async () => {
  await Promise.all(running.map((r) => r.stop()));
  running = [];
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  dirs = [];
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'halyard-client-service-'));
  dirs.push(d);
  return d;
}

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
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const clientUrl = `http://127.0.0.1:${clientPort}`;
    const r = await startMember({ name: 'm1', dataDir: await tempDir(), peerUrl, clientUrl, initialCluster: new Map([['m1', peerUrl]]), tickMs: 20 }, silentLogger);
    running.push(r);
    await waitFor(() => r.member.isLeader(), 30_000, 'the single member to lead');

    const ok = await call(clientUrl, 'range', { key: new TextEncoder().encode('k'), serializable: true });
    expect(ok.type).toBe('response');
    const failed = await call(clientUrl, 'watchCancel', { watchId: 12345 });
    expect(failed.type === 'error' ? failed.error.code : failed.type).toBe('InvalidRequest');

    expect(await requestCounts(r)).toEqual({ 'range/OK': 1, 'watchCancel/InvalidRequest': 1 });
  });
});

describe('member add', () => {
  it('a removed member re-added with the same name and URLs gets a new id, and joins under it', async () => {
    const ports = await freePorts(6);
    const names = ['m1', 'm2', 'm3'];
    const initialCluster = new Map(names.map((n, i) => [n, `http://127.0.0.1:${ports[2 * i]}`]));
    const flags = await Promise.all(
      names.map(async (name, i) => ({ name, dataDir: await tempDir(), peerUrl: initialCluster.get(name)!, clientUrl: `http://127.0.0.1:${ports[2 * i + 1]}`, initialCluster, tickMs: 20 })),
    );
    running = await Promise.all(flags.map((f) => startMember(f, silentLogger)));
    await waitFor(() => running.some((r) => r.member.isLeader() && r.member.status().applied >= r.member.status().lastIndex), 30_000, 'a leader that applied its first entry');
    const leader = running.find((r) => r.member.isLeader())!;
    const leaderUrl = flags[running.indexOf(leader)]!.clientUrl;
    const victim = running.find((r) => r !== leader)!;
    const victimFlags = flags[running.indexOf(victim)]!;
    const oldId = victim.member.ids.memberId;

    const removed = await call(leaderUrl, 'memberRemove', { id: oldId });
    expect(removed.type).toBe('response');
    await victim.stop();
    running = running.filter((r) => r !== victim);

    const added = await call(leaderUrl, 'memberAdd', { name: victimFlags.name, peerUrls: [victimFlags.peerUrl] });
    if (added.type !== 'response') throw new Error(`memberAdd failed: ${JSON.stringify(added)}`);
    const newId = (added.result as { member: { id: number } }).member.id;
    expect(newId).not.toBe(oldId);

    // A fresh member with the same name and URLs, started with the id `member add` gave it, is not refused.
    const again = await startMember({ ...victimFlags, dataDir: await tempDir(), initialClusterState: 'existing', memberId: newId }, silentLogger);
    running.push(again);
    expect(again.member.ids.memberId).toBe(newId);
    const commit = leader.member.status().commit;
    await waitFor(() => again.member.status().applied >= commit, 30_000, 'the re-added member to catch up');
    expect(again.member.isStopped()).toBe(false);
    expect(leader.member.members().map((m) => m.id).sort()).toEqual(running.map((r) => r.member.ids.memberId).sort());
  });
});
