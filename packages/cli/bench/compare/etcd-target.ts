// etcd under the benchmark: a fresh 3-member cluster of the Debian `etcd` binary on loopback, reached through
// the `etcd3` npm client (gRPC), with the same data-folder disk as Halyard.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { freePorts } from '../../../kv/src/server/test-util.testutil.ts';
import { type BenchTarget, type StoreClient, until } from './target.ts';

export const ETCD_BIN = process.env['HALYARD_ETCD_BIN'] ?? '/usr/bin/etcd';
const READY_DEADLINE_MS = 60_000;

export function etcdInstalled(): boolean {
  return existsSync(ETCD_BIN);
}

interface EtcdMember {
  readonly name: string;
  readonly dataDir: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  child?: ChildProcess;
  exited?: Promise<void>;
}

export async function startEtcd(dataDir: string, size: number): Promise<BenchTarget> {
  const free = await freePorts(2 * size);
  const members: EtcdMember[] = Array.from({ length: size }, (_, i) => ({
    name: `e${i + 1}`,
    dataDir: join(dataDir, `e${i + 1}`),
    clientUrl: `http://127.0.0.1:${free[2 * i]}`,
    peerUrl: `http://127.0.0.1:${free[2 * i + 1]}`,
  }));
  const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  const running = (m: EtcdMember): boolean => m.child !== undefined && m.child.exitCode === null && m.child.signalCode === null;
  const killAllOnExit = (): void => {
    for (const m of members) if (running(m)) m.child?.kill('SIGKILL');
  };
  process.once('exit', killAllOnExit);

  async function start(m: EtcdMember, state: 'new' | 'existing'): Promise<void> {
    await mkdir(m.dataDir, { recursive: true });
    const child = spawn(ETCD_BIN, [
      `--name=${m.name}`, `--data-dir=${m.dataDir}`,
      `--listen-client-urls=${m.clientUrl}`, `--advertise-client-urls=${m.clientUrl}`,
      `--listen-peer-urls=${m.peerUrl}`, `--initial-advertise-peer-urls=${m.peerUrl}`,
      `--initial-cluster=${initialCluster}`, `--initial-cluster-state=${state}`, '--initial-cluster-token=halyard-bench',
      '--logger=zap', '--log-level=error', '--quota-backend-bytes=8589934592',
    ], { stdio: 'ignore' });
    m.child = child;
    m.exited = new Promise((r) => child.once('exit', () => r()));
  }
  async function healthy(m: EtcdMember): Promise<boolean> {
    const res = await fetch(`${m.clientUrl}/health`, { signal: AbortSignal.timeout(2_000) });
    return ((await res.json()) as { health?: string }).health === 'true';
  }
  async function stopMember(m: EtcdMember, signal: NodeJS.Signals): Promise<void> {
    if (!running(m)) return;
    m.child?.kill(signal);
    await m.exited;
  }
  const byPid = (pid: number): EtcdMember => {
    const m = members.find((x) => x.child?.pid === pid);
    if (m === undefined) throw new Error(`no etcd member with pid ${pid}`);
    return m;
  };
  const waitHealthy = (): Promise<true> => until('a healthy etcd cluster', READY_DEADLINE_MS, async () => ((await Promise.all(members.map(healthy))).every(Boolean) ? true : undefined), 100);

  await Promise.all(members.map((m) => start(m, 'new')));
  await waitHealthy();
  const endpoints = members.map((m) => m.clientUrl);
  return {
    name: 'etcd',
    async client(): Promise<StoreClient> {
      const c = new Etcd3({ hosts: endpoints });
      return {
        put: async (k, v) => void (await c.put(k).value(Buffer.from(v))),
        get: async (k) => void (await c.get(k).buffer()),
        close: async () => c.close(),
      };
    },
    pids: () => members.filter(running).map((m) => m.child?.pid).filter((p): p is number => p !== undefined),
    async leaderPid() {
      for (const m of members) {
        if (!running(m) || m.child === undefined) continue;
        try {
          // etcd's JSON gateway: the member's own id and the leader it knows (both as decimal strings).
          const res = await fetch(`${m.clientUrl}/v3/maintenance/status`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(1_000) });
          const s = (await res.json()) as { header?: { member_id?: string }; leader?: string };
          if (s.leader !== undefined && s.leader !== '0' && s.leader === s.header?.member_id) return m.child.pid;
        } catch {
          // not answering: not a usable leader
        }
      }
      return undefined;
    },
    killMember: (pid) => stopMember(byPid(pid), 'SIGKILL'),
    async restartMember(pid) {
      const m = members.find((x) => x.child?.pid === pid && !running(x)) ?? members.find((x) => !running(x));
      if (m === undefined) throw new Error(`no stopped etcd member to restart (pid ${pid})`);
      await start(m, 'existing');
    },
    async restartAll() {
      await Promise.all(members.map((m) => stopMember(m, 'SIGTERM')));
      await Promise.all(members.map((m) => start(m, 'existing')));
    },
    async stop() {
      await Promise.all(members.map((m) => stopMember(m, 'SIGTERM')));
      process.removeListener('exit', killAllOnExit);
    },
  };
}
