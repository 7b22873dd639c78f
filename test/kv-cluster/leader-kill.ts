// kill -9 of the leader while several clients write: a new leader takes over, the writes continue, and
// every write that was acknowledged — before, during and after the failover — is there afterwards with
// the value and revision its acknowledgement carried. The killed member, restarted from its disk, catches
// up and serves the same data.

import { afterEach, describe, expect, it } from 'vitest';
import { ClusterHarness, checkAcked, readPrefix, startWriters, waitFor } from './harness.ts';

let h: ClusterHarness | undefined;

/** Concurrent writers: enough to have writes in flight at the moment of the kill. */
const WRITERS = 4;
/** Acknowledged writes to collect before the kill and again after the failover. */
const ACKS_BEFORE_KILL = 60;
const ACKS_AFTER_FAILOVER = 60;

export function leaderKillTests(): void {
  describe('kill -9 of the leader under concurrent writes', () => {
    afterEach(async (ctx) => {
      await h?.close(ctx.task.result?.state === 'fail');
      h = undefined;
    });

    it('keeps every acknowledged write, and a new leader takes over', async () => {
      h = await ClusterHarness.create({ size: 3 });
      await h.startAll();
      const names = h.cluster.members.map((m) => m.name);
      const old = await h.waitForLeader(names);

      const writers = startWriters(h.client(), 'kill', WRITERS);
      try {
        await waitFor('acknowledged writes before the kill', () => writers.ackedCount() >= ACKS_BEFORE_KILL);
        await h.cluster.kill(old.name);
        const ackedAtKill = writers.ackedCount();
        const survivors = names.filter((n) => n !== old.name);
        const next = await h.waitForLeader(survivors, 'a new leader after kill -9');
        expect(next.name).not.toBe(old.name);
        expect(next.term).toBeGreaterThan(old.term);
        await waitFor('writes acknowledged by the new leader', () => writers.ackedCount() >= ackedAtKill + ACKS_AFTER_FAILOVER);
      } finally {
        await writers.stop();
      }

      const survivors = names.filter((n) => n !== old.name);
      for (const name of survivors) {
        const got = await readPrefix(h.client([h.url(name)]), 'kill');
        expect(checkAcked(writers.acked, got)).toEqual([]);
        // A write whose outcome the client never learned either happened as sent or not at all.
        for (const u of writers.unknown) {
          const g = got.get(u.key);
          if (g !== undefined) expect(g.value).toBe(u.value);
        }
        // Nothing appears that no writer sent.
        const sent = new Set([...writers.acked, ...writers.unknown].map((w) => w.key));
        expect([...got.keys()].filter((k) => !sent.has(k))).toEqual([]);
      }

      // The killed member restarts from its own disk and catches up to the same state.
      await h.start(old.name);
      const leader = await h.waitForLeader(names, 'a leader with the old leader back');
      const commit = (await h.status(leader.name)).raftIndex;
      await h.waitApplied(old.name, commit);
      const got = await readPrefix(h.client([h.url(old.name)]), 'kill');
      expect(checkAcked(writers.acked, got)).toEqual([]);
    });
  });
}
