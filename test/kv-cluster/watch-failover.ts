// A watch across kill -9 of the member it streams from (the leader) while several clients write: the
// client resumes it on another member from the revision after the last one delivered, and the consumer
// sees every acknowledged write exactly once, in revision order, with nothing that was never written.

import { afterEach, describe, expect, it } from 'vitest';
import { bytesToString, type WatchBatch } from '@halyard/kv-client';
import { ClusterHarness, startWriters, waitFor } from './harness.ts';

let h: ClusterHarness | undefined;

/** Bound on the batches collected, so a runaway watch cannot grow the test without limit. */
const BATCHES_MAX = 100_000;

export function watchFailoverTests(): void {
  describe('a watch across kill -9 of its member', () => {
    afterEach(async (ctx) => {
      await h?.close(ctx.task.result?.state === 'fail');
      h = undefined;
    });

    it('delivers every acknowledged write exactly once, in revision order', async () => {
      h = await ClusterHarness.create({ size: 3 });
      await h.startAll();
      const names = h.cluster.members.map((m) => m.name);
      const leader = await h.waitForLeader(names);

      // The leader first in the watch client's list: the watch streams from the member we kill.
      const watchClient = h.client([h.url(leader.name), ...names.filter((n) => n !== leader.name).map((n) => h!.url(n))]);
      const watcher = watchClient.watch('wf/', { prefix: true });
      await watcher.created;
      const seen: { key: string; value: string; revision: number }[] = [];
      let batches = 0;
      const consume = (async () => {
        for await (const b of watcher as AsyncIterable<WatchBatch>) {
          for (const e of b.events) if (e.type === 'put') seen.push({ key: bytesToString(e.kv.key), value: bytesToString(e.kv.value), revision: e.kv.modRevision });
          if (++batches >= BATCHES_MAX) throw new Error(`more than ${BATCHES_MAX} watch batches`);
        }
      })();

      const writers = startWriters(h.client(), 'wf', 3);
      try {
        await waitFor('writes before the kill', () => writers.ackedCount() >= 40);
        await h.cluster.kill(leader.name);
        const at = writers.ackedCount();
        await h.waitForLeader(names.filter((n) => n !== leader.name), 'a new leader');
        await waitFor('writes after the kill', () => writers.ackedCount() >= at + 40);
      } finally {
        await writers.stop();
      }
      const lastRevision = Math.max(...writers.acked.map((w) => w.revision!));
      await waitFor(`the watch to reach revision ${lastRevision}`, () => seen.some((s) => s.revision >= lastRevision));
      await watcher.cancel();
      await consume;

      // Exactly once, in order.
      for (let i = 1; i < seen.length; i++) expect(seen[i]!.revision).toBeGreaterThan(seen[i - 1]!.revision);
      // Every acknowledged write, as acknowledged.
      const byKey = new Map(seen.map((s) => [s.key, s]));
      const missing = writers.acked.filter((w) => byKey.get(w.key)?.revision !== w.revision || byKey.get(w.key)?.value !== w.value);
      expect(missing.map((w) => `${w.key}=${w.value}@${w.revision}`)).toEqual([]);
      // Nothing that no writer sent.
      const sent = new Map([...writers.acked, ...writers.unknown].map((w) => [w.key, w.value]));
      expect(seen.filter((s) => sent.get(s.key) !== s.value).map((s) => `${s.key}=${s.value}@${s.revision}`)).toEqual([]);
    });
  });
}
