// SIGSTOP of the leader: the other two elect a new leader and writes continue. On SIGCONT the old leader
// still believes, for a moment, that it leads an old term; reads sent to it right then — some queued in
// its socket while it was stopped, some sent just after — must never return a value older than the
// latest write acknowledged before the read was sent (ReadIndex confirms leadership with a quorum before
// answering). Then it shows itself a follower of the new leader's term.
//
// How sharp this is: run by hand with the planted `--unsafe-bug-stale-reads` (reads served without
// ReadIndex) every queued read came back stale and the test failed, as it should. The subtler Raft-level
// planted bug (readIndexWithoutHeartbeat: a leader answering ReadIndex from its own commit index) was not
// caught: the survivors' new-term messages sit in the stopped member's socket buffers too, and on SIGCONT
// they reach Raft before our reads are answered. leader-isolation.ts covers that window by cutting the
// leader off before the SIGSTOP, so that nothing of the new term reaches it (and catches that bug).

import { afterEach, describe, expect, it } from 'vitest';
import { bytesToString, toBytes } from '@halyard/kv-client';
import type { ServerFrame } from '@halyard/kv-client/protocol';
import { ClusterHarness, CounterWriter, waitFor } from './harness.ts';
import { RawWs } from './raw-ws.ts';

let h: ClusterHarness | undefined;
const raws: RawWs[] = [];

const KEY = 'pause/counter';
/** Reads queued while the leader is stopped, and sent right after SIGCONT. */
const READS_QUEUED = 10;
const READS_AFTER_RESUME = 40;

interface ReadCheck {
  readonly floor: number;
  readonly floorRevision: number;
  readonly answer: Promise<ServerFrame>;
  readonly phase: 'queued' | 'after-resume';
}

export function leaderPauseTests(): void {
  describe('SIGSTOP of the leader', () => {
    afterEach(async (ctx) => {
      for (const r of raws.splice(0)) r.close();
      await h?.close(ctx.task.result?.state === 'fail');
      h = undefined;
    });

    it('elects a new leader, keeps writing, and the resumed old leader serves no stale read', async () => {
      h = await ClusterHarness.create({ size: 3 });
      await h.startAll();
      const names = h.cluster.members.map((m) => m.name);
      const old = await h.waitForLeader(names);

      // Open the raw connection to the leader now: a connection made while it is stopped would not finish
      // its handshake, and KvClient's keep-alive would drop one that stays silent through the pause.
      const raw = await RawWs.connect(h.url(old.name));
      raws.push(raw);
      expect((await raw.call('range', { key: toBytes(KEY) })).type).toBe('response');

      const survivors = names.filter((n) => n !== old.name);
      const client = h.client();
      const writer = new CounterWriter((v) => client.put(KEY, v));
      try {
        await waitFor('writes before the pause', () => writer.acks >= 20);
        await h.cluster.pause(old.name);
        const acksAtPause = writer.acks;
        const next = await h.waitForLeader(survivors, 'a new leader while the old one is stopped');
        expect(next.name).not.toBe(old.name);
        expect(next.term).toBeGreaterThan(old.term);
        await waitFor('writes through the new leader', () => writer.acks >= acksAtPause + 20);
        const reads: ReadCheck[] = [];
        const read = (phase: ReadCheck['phase']): void => {
          // The floor is fixed when the read is sent: every write acknowledged before it must be visible.
          reads.push({ floor: writer.lastAcked, floorRevision: writer.lastAckedRevision, phase, answer: raw.call('range', { key: toBytes(KEY) }, { timeoutMs: 30_000 }) });
        };
        for (let i = 0; i < READS_QUEUED; i++) read('queued');
        await h.cluster.resume(old.name);
        for (let i = 0; i < READS_AFTER_RESUME; i++) {
          read('after-resume');
          // Let the writer make progress between reads, so floors keep moving while the old leader wakes up.
          await raw.nextEvent(20);
        }

        let served = 0;
        const stale: string[] = [];
        for (const r of reads) {
          const f = await r.answer;
          if (f.type === 'error') {
            // A linearizable read may fail (Timeout, Unavailable) — but never answer stale.
            expect(['Timeout', 'Unavailable', 'NotLeader']).toContain(f.error.code);
            continue;
          }
          if (f.type !== 'response' || !('kvs' in f.result)) throw new Error(`unexpected frame ${JSON.stringify(f)}`);
          served++;
          const kv = f.result.kvs[0]!;
          const value = Number(bytesToString(kv.value));
          if (value < r.floor || kv.modRevision < r.floorRevision) stale.push(`${r.phase} read sent after ${r.floor}@${r.floorRevision} was acknowledged returned ${value}@${kv.modRevision}`);
          expect(value).toBeLessThanOrEqual(writer.lastSent);
        }
        expect(stale).toEqual([]);
        expect(served).toBeGreaterThan(0);

        // The old leader steps down: it reports the new leader and a term at least the new leader's.
        const st = await waitFor(`${old.name} to follow a newer leader`, async () => {
          const s = await h!.status(old.name, 1_000);
          return s.leader !== old.id && s.leader !== 0 && s.raftTerm >= next.term ? s : undefined;
        });
        expect(st.header.memberId).toBe(old.id);
      } finally {
        await writer.stop();
      }

      // After all that, a linearizable read on the old leader returns at least the last acknowledged value.
      const final = await raw.call('range', { key: toBytes(KEY) });
      if (final.type !== 'response' || !('kvs' in final.result)) throw new Error(`unexpected frame ${JSON.stringify(final)}`);
      expect(Number(bytesToString(final.result.kvs[0]!.value))).toBeGreaterThanOrEqual(writer.lastAcked);
    });
  });
}
