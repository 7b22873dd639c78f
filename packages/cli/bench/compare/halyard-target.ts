// Halyard under the benchmark: a fresh 3-member local cluster of real processes (compiled when available).

import { KvClient } from '@halyard/kv-client';
import { LocalCluster } from '../../src/cluster/local-cluster.ts';
import { freePorts } from '../../../kv/src/server/test-util.testutil.ts';
import type { BenchTarget, StoreClient } from './target.ts';

/**
 * `extraArgs`: more flags for every member (e.g. `--mvcc-backend memory` to measure the in-memory MVCC design).
 * `readyTimeoutMs`: how long a member may take to start (a restart opens everything the load stored).
 * `build`: 'compiled' runs the members from `dist/` (LocalClusterOptions.build).
 * `nodeArgs`: options for node in every member (`--cpu-prof`, …).
 */
export async function startHalyard(dataDir: string, size: number, extraArgs: readonly string[] = [], readyTimeoutMs?: number, build: 'same' | 'compiled' = 'same', nodeArgs: readonly string[] = []): Promise<BenchTarget> {
  const free = await freePorts(2 * size);
  const ports = Array.from({ length: size }, (_, i) => ({ client: free[2 * i]!, peer: free[2 * i + 1]! }));
  const cluster = new LocalCluster({ size, dataDir, ports, tickMs: 100, extraArgs, build, nodeArgs, ...(readyTimeoutMs === undefined ? {} : { readyTimeoutMs }) });
  await cluster.startAll();
  const names = Array.from({ length: size }, (_, i) => cluster.members[i]!.name);
  const nameOfPid = (pid: number): string => {
    const n = names.find((m) => cluster.pid(m) === pid);
    if (n === undefined) throw new Error(`no member with pid ${pid}`);
    return n;
  };
  const admin = new KvClient({ endpoints: cluster.endpoints() });
  return {
    name: 'halyard',
    async client(): Promise<StoreClient> {
      const kv = new KvClient({ endpoints: cluster.endpoints() });
      return {
        put: async (k, v) => void (await kv.put(k, v)),
        get: async (k) => void (await kv.get(k)),
        close: () => kv.close(),
      };
    },
    pids: () => names.map((n) => cluster.pid(n)).filter((p): p is number => p !== undefined),
    async leaderPid() {
      for (const [i, n] of names.entries()) {
        if (cluster.pid(n) === undefined) continue;
        try {
          const s = await admin.status(cluster.endpoints()[i], { timeoutMs: 1_000 });
          if (s.leader !== 0 && s.leader === s.header.memberId) return cluster.pid(n);
        } catch {
          // a member that does not answer is not the leader we can use
        }
      }
      return undefined;
    },
    killMember: (pid) => cluster.kill(nameOfPid(pid)),
    restartMember: async (pid) => {
      const n = names.find((m) => cluster.pid(m) === undefined) ?? nameOfPid(pid);
      await cluster.start(n, 'existing');
    },
    async restartAll() {
      await cluster.stopAll();
      await Promise.all(names.map((n) => cluster.start(n, 'existing')));
    },
    startupNotes: () => names.flatMap((n) => cluster.logs(n).filter((line) => line.startsWith(`member ${n} startup:`)).slice(-1)),
    async stop() {
      await admin.close();
      await cluster.stopAll();
    },
  };
}
