// A 3-member cluster in one process on loopback: elect, write through the leader, read from every
// member, survive a restart from disk. (Real separate processes are tested in test/kv-cluster.)
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { decodeFrame, encodeFrame, type ServerFrame } from '@halyard/kv-client/protocol';
import { silentLogger } from '../transport/index.ts';
import { type RunningMember, startMember } from './index.ts';
import { hashKv } from './kv-hash.ts';
import { MVCC_POINTER_FILE } from './mvcc-dirs.ts';
import { freePorts, waitFor } from './test-util.testutil.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

class RawClient {
  private seq = 0;
  private readonly pending = new Map<number, (f: ServerFrame) => void>();
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const f = decodeFrame(data as Uint8Array) as ServerFrame;
      if ((f.type === 'response' || f.type === 'error') && this.pending.has(f.id)) {
        this.pending.get(f.id)!(f);
        this.pending.delete(f.id);
      }
    });
  }
  static async connect(url: string): Promise<RawClient> {
    const ws = new WebSocket(url.replace('http', 'ws'));
    await new Promise<void>((res, rej) => {
      ws.once('open', () => res());
      ws.once('error', rej);
    });
    return new RawClient(ws);
  }
  call(method: string, params: unknown, requestId?: string): Promise<ServerFrame> {
    const id = ++this.seq;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.ws.send(encodeFrame({ id, method, params, ...(requestId ? { requestId } : {}) }));
    });
  }
  close(): void {
    this.ws.close();
  }
}

let running: RunningMember[] = [];
let dirs: string[] = [];
afterEach(async () => {
  await Promise.all(running.map((r) => r.stop()));
  running = [];
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  dirs = [];
});

async function startCluster(n: number, extra: Partial<Parameters<typeof startMember>[0]> = {}): Promise<{ urls: string[]; flags: Parameters<typeof startMember>[0][] }> {
  const ports = await freePorts(2 * n);
  const names = Array.from({ length: n }, (_, i) => `m${i + 1}`);
  const initialCluster = new Map(names.map((nm, i) => [nm, `http://127.0.0.1:${ports[2 * i]}`]));
  const flags = [];
  for (let i = 0; i < n; i++) {
    const dataDir = await mkdtemp(join(tmpdir(), 'halyard-member-'));
    dirs.push(dataDir);
    flags.push({ name: names[i]!, dataDir, peerUrl: initialCluster.get(names[i]!)!, clientUrl: `http://127.0.0.1:${ports[2 * i + 1]}`, initialCluster, tickMs: 20, ...extra });
  }
  running = await Promise.all(flags.map((f) => startMember(f, silentLogger)));
  return { urls: flags.map((f) => f.clientUrl), flags };
}

describe('a 3-member cluster in one process', () => {
  it('elects a leader, writes through it, reads linearizably from every member', async () => {
    const { urls } = await startCluster(3);
    await waitFor(() => running.filter((r) => r.member.isLeader()).length === 1, 30_000, 'a leader');
    const leaderIdx = running.findIndex((r) => r.member.isLeader());
    const follower = await RawClient.connect(urls[(leaderIdx + 1) % 3]!);
    const redirected = await follower.call('put', { key: enc('a'), value: enc('1') });
    expect(redirected.type).toBe('error');
    if (redirected.type === 'error') expect(['NotLeader', 'Unavailable']).toContain(redirected.error.code);
    const leader = await RawClient.connect(urls[leaderIdx]!);
    const put = await leader.call('put', { key: enc('a'), value: enc('1') }, 'req-1');
    expect(put.type).toBe('response');
    // The same requestId again is answered from the dedupe table, not applied twice.
    const again = await leader.call('put', { key: enc('a'), value: enc('1') }, 'req-1');
    expect(again).toEqual({ ...put, id: (again as { id: number }).id });
    for (const url of urls) {
      const c = await RawClient.connect(url);
      const r = await c.call('range', { key: enc('a') });
      expect(r.type).toBe('response');
      if (r.type === 'response' && 'kvs' in r.result) {
        expect(r.result.kvs.map((kv) => [dec(kv.key), dec(kv.value), kv.version])).toEqual([['a', '1', 1]]);
        expect(r.result.header.revision).toBe(2);
      }
      c.close();
    }
    leader.close();
    follower.close();
  });

  it('restarts from disk with everything it acknowledged', async () => {
    const { urls, flags } = await startCluster(3);
    await waitFor(() => running.some((r) => r.member.isLeader()), 30_000, 'a leader');
    const leaderIdx = running.findIndex((r) => r.member.isLeader());
    const c = await RawClient.connect(urls[leaderIdx]!);
    for (let i = 0; i < 20; i++) expect((await c.call('put', { key: enc(`k${i}`), value: enc(`v${i}`) })).type).toBe('response');
    c.close();
    await Promise.all(running.map((r) => r.stop()));
    running = await Promise.all(flags.map((f) => startMember(f, silentLogger)));
    await waitFor(() => running.some((r) => r.member.isLeader()), 30_000, 'a leader after restart');
    const c2 = await RawClient.connect(urls[0]!);
    const r = await c2.call('range', { key: enc('k'), rangeEnd: enc('l'), countOnly: true });
    expect(r.type === 'response' && 'count' in r.result ? r.result.count : -1).toBe(20);
    c2.close();
  });

  it('compacts periodically when a retention is set', async () => {
    const { urls } = await startCluster(3, { autoCompactionRetentionRevisions: 5, autoCompactionIntervalMs: 100 });
    await waitFor(() => running.some((r) => r.member.isLeader()), 30_000, 'a leader');
    const leaderIdx = running.findIndex((r) => r.member.isLeader());
    const c = await RawClient.connect(urls[leaderIdx]!);
    for (let i = 0; i < 20; i++) expect((await c.call('put', { key: enc('k'), value: enc(`v${i}`) })).type).toBe('response');
    // Revision 21 now; the leader compacts to (current − 5) within a few intervals.
    await waitFor(() => running.every((r) => r.member.sm.mvcc.compactRevision >= 16), 30_000, 'auto compaction on every member');
    const old = await c.call('range', { key: enc('k'), revision: 3 });
    expect(old.type === 'error' ? old.error.code : 'none').toBe('Compacted');
    c.close();
  });

  it('a member removed while cut off learns it from its peers once it reconnects, and stops', async () => {
    await startCluster(3);
    await waitFor(() => running.some((r) => r.member.isLeader()), 30_000, 'a leader');
    const leader = running.find((r) => r.member.isLeader())!;
    const victim = running.find((r) => !r.member.isLeader())!;
    const cut = (on: boolean): void => {
      for (const r of running) {
        if (r === victim) continue;
        r.member.transportFaults().setFault(victim.member.ids.memberId, { dropOutgoing: on, dropIncoming: on });
        victim.member.transportFaults().setFault(r.member.ids.memberId, { dropOutgoing: on, dropIncoming: on });
      }
    };
    // A new leader may change membership only once its first entry is applied.
    await waitFor(() => leader.member.status().applied >= leader.member.status().lastIndex, 30_000, 'the leader to apply its first entry');
    cut(true);
    await leader.member.changeMembership({ type: 'removeNode', nodeId: victim.member.ids.memberId });
    expect(leader.member.members().some((m) => m.id === victim.member.ids.memberId)).toBe(false);
    // It never applied its own removal; it keeps campaigning at its peers, which now refuse it.
    expect(victim.member.isStopped()).toBe(false);
    cut(false);
    await waitFor(() => victim.member.isStopped(), 30_000, 'the removed member to stop');
  });

  it('expires a lease that is not kept alive (deleting its keys) and keeps one that is', async () => {
    const { urls } = await startCluster(3);
    await waitFor(() => running.some((r) => r.member.isLeader()), 30_000, 'a leader');
    const leader = await RawClient.connect(urls[running.findIndex((r) => r.member.isLeader())]!);
    const grant = async (): Promise<number> => {
      const g = await leader.call('leaseGrant', { ttlSeconds: 2 });
      if (g.type !== 'response' || !('id' in g.result)) throw new Error(`grant failed: ${JSON.stringify(g)}`);
      return g.result.id;
    };
    const lapsing = await grant();
    const kept = await grant();
    expect((await leader.call('put', { key: enc('lapsing'), value: enc('x'), lease: lapsing })).type).toBe('response');
    expect((await leader.call('put', { key: enc('kept'), value: enc('y'), lease: kept })).type).toBe('response');
    const count = async (key: string): Promise<number> => {
      const r = await leader.call('range', { key: enc(key), countOnly: true });
      return r.type === 'response' && 'count' in r.result ? r.result.count : -1;
    };
    // Keep one alive every 500 ms while waiting for the other to lapse (2 s TTL, revoked by the leader).
    const keeper = setInterval(() => void leader.call('leaseKeepAlive', { id: kept }), 500);
    try {
      await waitFor(async () => (await count('lapsing')) === 0, 30_000, 'the lapsed lease to delete its key');
      expect(await count('kept')).toBe(1);
      const ttl = await leader.call('leaseTimeToLive', { id: lapsing });
      expect(ttl.type === 'error' ? ttl.error.code : 'found').toBe('LeaseNotFound');
    } finally {
      clearInterval(keeper);
    }
    leader.close();
  });

  it('a follower restarted behind the compacted log catches up from a stream of the leader database, and restarts from it', async () => {
    const { urls, flags } = await startCluster(3, { snapshotCount: 20, catchUpEntries: 5 });
    await waitFor(() => running.some((r) => r.member.isLeader()), 30_000, 'a leader');
    const leaderIdx = running.findIndex((r) => r.member.isLeader());
    const leader = running[leaderIdx]!;
    const laggingIdx = (leaderIdx + 1) % 3;
    const laggingFlags = flags[laggingIdx]!;
    await running[laggingIdx]!.stop();
    const c = await RawClient.connect(urls[leaderIdx]!);
    for (let i = 0; i < 100; i++) expect((await c.call('put', { key: enc(`s${i}`), value: enc(`v${i}`) })).type).toBe('response');
    c.close();
    // The leader has compacted far past anything the stopped member holds.
    expect(leader.member.status().firstIndex).toBeGreaterThan(30);
    running[laggingIdx] = await startMember(laggingFlags, silentLogger);
    const lagging = running[laggingIdx]!.member;
    await waitFor(() => lagging.sm.mvcc.revision === leader.member.sm.mvcc.revision && lagging.status().applied >= leader.member.status().commit, 30_000, 'the lagging member to catch up');
    const installed = await lagging.registry.getSingleMetric('halyard_server_snapshots_installed_total')?.get();
    expect(installed?.values[0]?.value).toBeGreaterThanOrEqual(1);
    // It runs on the database the leader streamed: a directory of its own, named by the pointer file.
    const pointerPath = join(laggingFlags.dataDir, MVCC_POINTER_FILE);
    await waitFor(async () => (await readFile(pointerPath, 'utf8').catch(() => '')) !== '', 30_000, 'the switch to the received database');
    const pointer = (await readFile(pointerPath, 'utf8')).trim();
    expect(pointer).toMatch(/^mvcc\.snap-\d+$/);
    const mvccEntries = async (): Promise<string[]> => (await readdir(laggingFlags.dataDir)).filter((e) => e.startsWith('mvcc')).sort();
    await waitFor(async () => (await mvccEntries()).length === 2, 30_000, 'the old database removed');
    expect(await mvccEntries()).toEqual([MVCC_POINTER_FILE, pointer].sort());
    const revision = lagging.sm.mvcc.revision;
    expect(hashKv(lagging.sm.mvcc, revision)).toEqual(hashKv(leader.member.sm.mvcc, revision));
    // Restarted, it comes back from its own disk (the installed database, then the log after it).
    await running[laggingIdx]!.stop();
    running[laggingIdx] = await startMember(laggingFlags, silentLogger);
    const back = running[laggingIdx]!.member;
    await waitFor(() => back.sm.mvcc.revision >= revision, 30_000, 'the restarted member to reach its revision');
    expect(back.sm.mvcc.range({ key: enc('s'), rangeEnd: enc('t'), countOnly: true }).count).toBe(100);
    expect(hashKv(back.sm.mvcc, revision)).toEqual(hashKv(leader.member.sm.mvcc, revision));
    back.sm.mvcc.assertInvariants();
  });

  it('with --mvcc-backend memory, restarts from Raft snapshots as before', async () => {
    const { urls, flags } = await startCluster(3, { snapshotCount: 5, mvccBackend: 'memory' });
    await waitFor(() => running.some((r) => r.member.isLeader()), 30_000, 'a leader');
    const c = await RawClient.connect(urls[running.findIndex((r) => r.member.isLeader())]!);
    for (let i = 0; i < 12; i++) expect((await c.call('put', { key: enc(`m${i}`), value: enc('v') })).type).toBe('response');
    c.close();
    await Promise.all(running.map((r) => r.stop()));
    running = await Promise.all(flags.map((f) => startMember(f, silentLogger)));
    await waitFor(() => running.every((r) => r.member.sm.mvcc.range({ key: enc('m'), rangeEnd: enc('n'), countOnly: true }).count === 12), 30_000, 'every member back with 12 keys');
    expect(running[0]!.member.sm.disk).toBeUndefined();
  });
});
