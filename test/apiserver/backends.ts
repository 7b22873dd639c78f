// The two storage back ends of the apiserver's integration suite, behind one small interface: a real
// 3-member Halyard KV cluster (test/kv-cluster/harness.ts) and a real 3-member etcd cluster.
import { EtcdStorage } from '../../packages/apiserver/src/storage/etcd-storage.ts';
import { HalyardStorage } from '../../packages/apiserver/src/storage/halyard-storage.ts';
import type { Storage } from '../../packages/apiserver/src/storage/storage.ts';
import { ClusterHarness } from '../kv-cluster/harness.ts';
import { EtcdCluster } from './etcd-cluster.ts';

export interface Backend {
  readonly name: string;
  readonly members: readonly string[];
  /** A new storage client over every member. */
  storage(): Storage;
  leader(): Promise<string>;
  kill(member: string): Promise<void>;
  restart(member: string): Promise<void>;
  /** Restarts every member that is not running (a failed test must not leave the next one without quorum). */
  ensureAllRunning(): Promise<void>;
  compact(revision: number): Promise<void>;
  /** Last lines of each member's output, for a failing test. */
  logs(): string;
  close(): Promise<void>;
}

export async function halyardBackend(): Promise<Backend> {
  const h = await ClusterHarness.create({ size: 3 });
  await h.startAll();
  await h.waitForLeader(h.cluster.members.map((m) => m.name));
  const names = h.cluster.members.map((m) => m.name);
  return {
    name: 'halyard',
    members: names,
    storage: () => new HalyardStorage({ endpoints: h.cluster.endpoints(), requestTimeoutMs: 15_000 }),
    leader: async () => (await h.waitForLeader(names.filter((n) => h.cluster.isRunning(n)))).name,
    kill: (m) => h.killIfRunning(m),
    restart: (m) => h.start(m),
    ensureAllRunning: async () => {
      for (const n of names) if (!h.cluster.isRunning(n)) await h.start(n);
    },
    compact: async (rev) => {
      await h.admin.compact(rev);
    },
    logs: () => h.logsTail(),
    close: () => h.close(),
  };
}

export async function etcdBackend(): Promise<Backend> {
  const c = await EtcdCluster.start(3);
  return {
    name: 'etcd',
    members: c.members.map((m) => m.name),
    storage: () => new EtcdStorage({ endpoints: c.endpoints, requestTimeoutMs: 15_000 }),
    leader: () => c.leader(),
    kill: (m) => c.kill(m),
    restart: (m) => c.restart(m),
    ensureAllRunning: async () => {
      for (const m of c.members) await c.restart(m.name);
    },
    compact: (rev) => c.compact(rev),
    logs: () => c.members.map((m) => `--- ${m.name}\n${m.lines.slice(-20).join('\n')}`).join('\n'),
    close: () => c.stop(),
  };
}
