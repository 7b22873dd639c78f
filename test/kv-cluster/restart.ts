// Whole-cluster restarts from disk: after a clean stop (SIGTERM) everything reads back unchanged, at the
// same revision; after kill -9 of every member at once under concurrent writes, every acknowledged write
// reads back. A small --snapshot-count makes the restart go through a snapshot plus the log after it.

import { afterEach, describe, expect, it } from 'vitest';
import { bytesToString } from '@halyard/kv-client';
import { ClusterHarness, checkAcked, readPrefix, startWriters, waitFor } from './harness.ts';

let h: ClusterHarness | undefined;

/** Small enough that the writes below cross it a few times: restart restores a snapshot, then replays. */
const SNAPSHOT_COUNT = 40;

export function restartTests(): void {
  describe('restarting every member from disk', () => {
    afterEach(async (ctx) => {
      await h?.close(ctx.task.result?.state === 'fail');
      h = undefined;
    });

    it('reads everything back after stopAll/startAll, at the same revision', async () => {
      h = await ClusterHarness.create({ size: 3, snapshotCount: SNAPSHOT_COUNT });
      await h.startAll();
      const names = h.cluster.members.map((m) => m.name);
      await h.waitForLeader(names);

      const client = h.client();
      const writers = startWriters(client, 'rs', 3);
      try {
        await waitFor('writes before the restart', () => writers.ackedCount() >= 120);
      } finally {
        await writers.stop();
      }
      // Overwrites and deletes too, so the restored state is more than a list of first versions.
      await client.put('rs-meta/overwritten', 'one');
      await client.put('rs-meta/overwritten', 'two');
      await client.put('rs-meta/deleted', 'x');
      await client.delete('rs-meta/deleted');
      await client.txn({ compare: [{ key: 'rs-meta/overwritten', target: 'version', result: '=', operand: 2 }], success: [{ type: 'put', key: 'rs-meta/txn', value: 'yes' }] });
      const before = await readPrefix(client, 'rs');
      const meta = await client.get('rs-meta/', { prefix: true });
      expect(checkAcked(writers.acked, before)).toEqual([]);

      await h.cluster.stopAll();
      await h.startAll();
      await h.waitForLeader(names, 'a leader after the restart');

      for (const name of names) {
        const reader = h.client([h.url(name)]);
        const after = await readPrefix(reader, 'rs');
        expect(after).toEqual(before);
        const m = await reader.get('rs-meta/', { prefix: true });
        expect(m.header.revision).toBe(meta.header.revision);
        expect(m.kvs.map((kv) => [bytesToString(kv.key), bytesToString(kv.value), kv.version])).toEqual([
          ['rs-meta/overwritten', 'two', 2],
          ['rs-meta/txn', 'yes', 1],
        ]);
      }
      // And the restarted cluster takes writes.
      const put = await client.put('rs-meta/after', 'ok');
      expect(put.header.revision).toBe(meta.header.revision + 1);
    });

    it('keeps every acknowledged write through kill -9 of all members at once', async () => {
      h = await ClusterHarness.create({ size: 3, snapshotCount: SNAPSHOT_COUNT });
      await h.startAll();
      const names = h.cluster.members.map((m) => m.name);
      await h.waitForLeader(names);

      const writers = startWriters(h.client(names.map((n) => h!.url(n)), { requestTimeoutMs: 5_000 }), 'crash', 4);
      try {
        await waitFor('writes before the crash', () => writers.ackedCount() >= 120);
        // All at once, with writes in flight: nothing gets a chance to flush anything on the way out.
        await Promise.all(names.map((n) => h!.cluster.kill(n)));
      } finally {
        await writers.stop();
      }

      await h.startAll();
      await h.waitForLeader(names, 'a leader after the crash');
      for (const name of names) {
        const got = await readPrefix(h.client([h.url(name)]), 'crash');
        expect(checkAcked(writers.acked, got)).toEqual([]);
        for (const u of writers.unknown) {
          const g = got.get(u.key);
          if (g !== undefined) expect(g.value).toBe(u.value);
        }
      }
    });
  });
}
