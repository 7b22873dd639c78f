// An apiserver over the Halyard KV client talking to the KV's fake cluster (WebSocket members over one real
// MvccStore): the production HTTP server, object store and HalyardStorage, with no Raft processes to start.
// For fast tests of API semantics; real-process tests are in test/apiserver/.
import { FakeCluster } from '../../../../test/kv-client/testing/fake-cluster.ts';
import type { Logger } from '../http/server.ts';
import { startApiserver, type ApiserverOptions, type RunningApiserver } from '../server.ts';
import { HalyardStorage } from '../storage/halyard-storage.ts';
import { KvClient } from '../storage/kv-client.ts';

export const quietLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };

export interface FakeKvApiserver {
  readonly cluster: FakeCluster;
  readonly server: RunningApiserver;
  /** Compacts the KV's history up to `revision` (through the client, as an operator would). */
  compact(revision: number): Promise<void>;
  close(): Promise<void>;
}

export async function startFakeKvApiserver(options: Partial<Omit<ApiserverOptions, 'storage' | 'port'>> = {}): Promise<FakeKvApiserver> {
  const cluster = await FakeCluster.start(1);
  const server = await startApiserver({ storage: new HalyardStorage({ endpoints: cluster.endpoints }), port: 0, logger: quietLogger, ...options });
  await server.bootstrapped;
  return {
    cluster,
    server,
    async compact(revision) {
      const kv = new KvClient({ endpoints: cluster.endpoints });
      try {
        await kv.compact(revision);
      } finally {
        await kv.close();
      }
    },
    async close() {
      await server.close();
      await cluster.close();
    },
  };
}
