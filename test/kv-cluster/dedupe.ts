// requestId deduplication of writes, end to end: a retry of a write — while the first attempt is still in
// flight, after it applied, or on a new leader after the one that applied it was killed — gets the first
// attempt's answer, and the write applies once. This is what makes KvClient's retries after a lost
// connection or a failover safe.

import { afterEach, describe, expect, it } from 'vitest';
import { bytesToString, toBytes } from '@halyard/kv-client';
import type { ServerFrame } from '@halyard/kv-client/protocol';
import { ClusterHarness } from './harness.ts';
import { RawWs } from './raw-ws.ts';

let h: ClusterHarness | undefined;
const raws: RawWs[] = [];

function revisionOf(f: ServerFrame): number {
  if (f.type !== 'response' || !('header' in f.result)) throw new Error(`expected a response, got ${JSON.stringify(f)}`);
  return f.result.header.revision;
}

export function dedupeTests(): void {
  describe('requestId deduplication across real processes', () => {
    afterEach(async (ctx) => {
      for (const r of raws.splice(0)) r.close();
      await h?.close(ctx.task.result?.state === 'fail');
      h = undefined;
    });

    it('answers every retry of a write with the first answer and applies it once', async () => {
      h = await ClusterHarness.create({ size: 3 });
      await h.startAll();
      const names = h.cluster.members.map((m) => m.name);
      const leader = await h.waitForLeader(names);
      const a = await RawWs.connect(h.url(leader.name));
      const b = await RawWs.connect(h.url(leader.name));
      raws.push(a, b);
      const put = (ws: RawWs, value: string, requestId: string): Promise<ServerFrame> => ws.call('put', { key: toBytes('dd/k'), value: toBytes(value) }, { requestId });

      // A retry on another connection while the first attempt is still in flight (a client whose
      // connection dropped and came back to the same leader): both get the same answer.
      const [first, retry] = await Promise.all([put(a, 'one', 'dd-1'), put(b, 'one', 'dd-1')]);
      expect(retry).toEqual({ ...first, id: retry.type === 'response' ? retry.id : -1 });
      const rev1 = revisionOf(first);

      // A retry after it applied, with a different value even: the dedupe table answers, nothing applies.
      const late = await put(b, 'two', 'dd-1');
      expect(revisionOf(late)).toBe(rev1);

      // A write acknowledged by a leader that is then killed; its retry on the new leader is answered from
      // the replicated dedupe table.
      const acked = await put(a, 'three', 'dd-2');
      const rev2 = revisionOf(acked);
      await h.cluster.kill(leader.name);
      const next = await h.waitForLeader(names.filter((n) => n !== leader.name), 'a new leader');
      const c = await RawWs.connect(h.url(next.name));
      raws.push(c);
      expect(revisionOf(await put(c, 'three', 'dd-2'))).toBe(rev2);

      // The key was written exactly twice (versions 1 and 2), at those two revisions.
      const r = await h.client([h.url(next.name)]).get('dd/k');
      expect(r.kvs.map((kv) => [bytesToString(kv.value), kv.version, kv.modRevision, kv.createRevision])).toEqual([['three', 2, rev2, rev1]]);
    });
  });
}
