// Three real member processes: writes and linearizable reads through any member. A client that knows
// only a follower still writes (the follower answers NotLeader with the leader's endpoint and the client
// follows it), and reads are served by the member they were sent to, seeing every acknowledged write.

import { afterEach, describe, expect, it } from 'vitest';
import { bytesToString } from '@halyard/kv-client';
import { ClusterHarness } from './harness.ts';

let h: ClusterHarness | undefined;

export function readsWritesTests(): void {
  describe('a 3-member cluster of real processes', () => {
    afterEach(async (ctx) => {
      await h?.close(ctx.task.result?.state === 'fail');
      h = undefined;
    });

    it('writes through a follower-only client (redirect) and reads linearizably on every member', async () => {
      h = await ClusterHarness.create({ size: 3 });
      await h.startAll();
      const names = h.cluster.members.map((m) => m.name);
      const leader = await h.waitForLeader(names);
      const follower = names.find((n) => n !== leader.name)!;

      // A client that knows only the follower: its writes reach the leader through the redirect.
      const viaFollower = h.client([h.url(follower)]);
      const puts = [];
      for (let i = 0; i < 20; i++) puts.push(await viaFollower.put(`rw/k${i}`, `v${i}`));
      for (let i = 1; i < puts.length; i++) expect(puts[i]!.header.revision).toBeGreaterThan(puts[i - 1]!.header.revision);
      const after = await h.waitForLeader(names);
      if (after.term === leader.term) {
        // No election in between: every write was applied by the leader, not the follower we named.
        for (const p of puts) expect(p.header.memberId).toBe(leader.id);
      }
      const lastRevision = puts.at(-1)!.header.revision;

      // Reads go to each member in turn (a read-only client per member never leaves its endpoint), and
      // each one, answered by that member itself, sees all 20 acknowledged writes at once.
      for (const name of names) {
        const reader = h.client([h.url(name)]);
        const r = await reader.get('rw/', { prefix: true });
        expect(r.header.memberId).toBe(h.idOf(name));
        expect(r.header.revision).toBeGreaterThanOrEqual(lastRevision);
        expect(r.kvs.map((kv) => [bytesToString(kv.key), bytesToString(kv.value)])).toEqual(
          Array.from({ length: 20 }, (_, i) => [`rw/k${i}`, `v${i}`]).sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
        );
      }

      // Interleaved: a write through one member is visible to an immediately following linearizable read
      // on every other member (ReadIndex, not the follower's possibly lagging local state).
      // Separate writing and reading clients per member: a write redirect moves a client to the leader.
      const writers = new Map(names.map((n) => [n, h!.client([h!.url(n)])]));
      const readers = new Map(names.map((n) => [n, h!.client([h!.url(n)])]));
      for (let i = 0; i < 15; i++) {
        const readerName = names[(i + 1) % 3]!;
        const w = await writers.get(names[i % 3]!)!.put('rw/hot', `hot-${i}`);
        const r = await readers.get(readerName)!.get('rw/hot');
        expect(r.header.memberId).toBe(h.idOf(readerName));
        expect(r.kvs.map((kv) => bytesToString(kv.value))).toEqual([`hot-${i}`]);
        expect(r.kvs[0]!.modRevision).toBe(w.header.revision);
      }

      // A follower's serializable read is local and may lag, but it must never run ahead of the leader.
      const ser = await readers.get(follower)!.get('rw/hot', { serializable: true });
      expect(ser.header.memberId).toBe(h.idOf(follower));
      const lin = await readers.get(leader.name)!.get('rw/hot');
      expect(ser.header.revision).toBeLessThanOrEqual(lin.header.revision);
    });
  });
}
