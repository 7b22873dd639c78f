// Seeded random faults around a writer and a watcher: connections closed before and after a write applied,
// delays, leader changes, dropped connections. Every write must be acknowledged, applied exactly once,
// and seen exactly once, in order, by a watch that keeps resuming.
import { afterEach, describe, expect, it } from 'vitest';
import { SeededRng } from '@halyard/kv/util';
import { bytesToString, KvClient } from '@halyard/kv-client';
import { FakeCluster } from './testing/fake-cluster.ts';
import type { Event } from '@halyard/kv-client/protocol';

const toClose: { close(): Promise<void> }[] = [];

afterEach(async () => {
  for (const c of toClose.splice(0).reverse()) await c.close();
});

const WRITES = 120;

describe('client under random faults', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: every write once, every event once and in order`, async () => {
      const rng = new SeededRng(seed);
      const cluster = await FakeCluster.start(3);
      toClose.push(cluster);
      cluster.intercept = (req) => {
        if (req.method !== 'put') return undefined;
        const roll = rng.int(100);
        if (roll < 8) return { kind: 'close' };
        if (roll < 16) return { kind: 'applyThenClose' };
        if (roll < 21) return { kind: 'delay', ms: 30 };
        return undefined;
      };
      const client = new KvClient({ endpoints: cluster.endpoints, requestTimeoutMs: 10_000 });
      const watchClient = new KvClient({ endpoints: [...cluster.endpoints].reverse(), requestTimeoutMs: 10_000 });
      toClose.push(client, watchClient);
      const watcher = watchClient.watch('c/', { prefix: true, startRevision: 1 });
      const seen: Event[] = [];
      const consumer = (async () => {
        for await (const batch of watcher) seen.push(...batch.events);
      })();

      for (let i = 0; i < WRITES; i++) {
        if (i % 30 === 29) cluster.leaderIndex = rng.int(3);
        if (i % 25 === 24) cluster.member(rng.int(3)).dropConnections();
        await client.put(`c/${i % 5}`, `v${i}`);
      }

      expect(cluster.store.revision).toBe(WRITES + 1);
      expect([...cluster.applyCounts.values()].every((n) => n === 1)).toBe(true);
      expect(cluster.applyCounts.size).toBe(WRITES);
      for (let waitedMs = 0; seen.length < WRITES; waitedMs += 20) {
        if (waitedMs > 20_000) throw new Error(`watch saw ${seen.length} of ${WRITES}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(seen.map((e) => bytesToString(e.kv.value))).toEqual(Array.from({ length: WRITES }, (_, i) => `v${i}`));
      await watcher.cancel();
      await consumer;
    });
  }
});
