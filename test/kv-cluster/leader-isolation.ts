// A leader cut off from its peers (both directions, through the members' --unsafe-fault-injection hooks)
// while its client port stays reachable: the majority elects a new leader and writes continue there.
// Reads sent to the isolated old leader must never return a value older than the latest acknowledged
// write — they may only fail (it cannot confirm leadership with a quorum, and CheckQuorum makes it step
// down). After the partition heals it follows the new leader and serves fresh reads.
//
// Three variants. Cut off: the plain partition. Cut off and SIGSTOPped until the majority has moved on:
// the old leader wakes up still believing it leads, with nothing of the new term able to reach it — the
// window where a leader answering ReadIndex from its own commit index (a lease with no clock) serves
// stale data; run by hand against the Raft core's planted bug readIndexWithoutHeartbeat, this variant
// failed with 14 stale reads out of 14, as it should. And with --unsafe-bug-stale-reads planted (reads
// that skip ReadIndex altogether) the check must see stale reads: proof, in every run, that it can fail.

import { afterEach, describe, expect, it } from 'vitest';
import { bytesToString, toBytes } from '@halyard/kv-client';
import type { ServerFrame } from '@halyard/kv-client/protocol';
import { ClusterHarness, CounterWriter, waitFor } from './harness.ts';
import { RawWs } from './raw-ws.ts';

let h: ClusterHarness | undefined;
const raws: RawWs[] = [];

const KEY = 'iso/counter';
/** Reads sent to the isolated leader, a few acknowledged writes apart. */
const READS_ISOLATED = 4;
const READS_HEALED = 10;
/** With `pause`: reads sent in the first moments after SIGCONT, 20 ms apart. */
const READS_AFTER_RESUME = 10;

async function fault(harness: ClusterHarness, on: string, body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${harness.url(on)}/debug/faults`, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`POST /debug/faults on ${on}: ${res.status} ${await res.text()}`);
}

interface Outcome {
  readonly stale: string[];
  readonly servedIsolated: number;
  readonly failedIsolated: string[];
  readonly servedHealed: number;
}

interface Options {
  /** Run members with --unsafe-bug-stale-reads (reads without ReadIndex). */
  readonly plantStaleReads: boolean;
  /**
   * SIGSTOP the old leader right after cutting it off and SIGCONT it once the majority has moved on:
   * it wakes up still believing it leads (it has not ticked through a CheckQuorum round), and nothing
   * of the new term can reach it — the window in which a leader that trusted its own commit index (a
   * lease without a clock) would serve stale reads.
   */
  readonly pause: boolean;
}

async function isolateLeaderAndRead({ plantStaleReads, pause }: Options): Promise<Outcome> {
  h = await ClusterHarness.create({ size: 3, extraArgs: ['--unsafe-fault-injection', ...(plantStaleReads ? ['--unsafe-bug-stale-reads'] : [])] });
  const harness = h;
  await h.startAll();
  const names = h.cluster.members.map((m) => m.name);
  const old = await h.waitForLeader(names);
  const others = names.filter((n) => n !== old.name);
  const raw = await RawWs.connect(h.url(old.name));
  raws.push(raw);
  const client = h.client();
  const writer = new CounterWriter((v) => client.put(KEY, v));
  const stale: string[] = [];
  const check = (floor: number, floorRevision: number, f: ServerFrame): 'served' | string => {
    if (f.type === 'error') return f.error.code;
    if (f.type !== 'response' || !('kvs' in f.result)) throw new Error(`unexpected frame ${JSON.stringify(f)}`);
    const kv = f.result.kvs[0]!;
    const value = Number(bytesToString(kv.value));
    if (value < floor || kv.modRevision < floorRevision) stale.push(`read sent after ${floor}@${floorRevision} was acknowledged returned ${value}@${kv.modRevision}`);
    return 'served';
  };
  const read = async (): Promise<string> => {
    const floor = writer.lastAcked;
    const floorRevision = writer.lastAckedRevision;
    return check(floor, floorRevision, await raw.call('range', { key: toBytes(KEY) }, { timeoutMs: 30_000 }));
  };
  try {
    await waitFor('writes before the partition', () => writer.acks >= 10);
    // The old leader's side first, so that with `pause` it stops before a CheckQuorum round can pass.
    for (const o of others) await fault(harness, old.name, { peerId: harness.idOf(o), dropOutgoing: true, dropIncoming: true });
    if (pause) await h.cluster.pause(old.name);
    for (const o of others) await fault(harness, o, { peerId: old.id, dropOutgoing: true, dropIncoming: true });
    const next = await h.waitForLeader(others, 'a new leader on the majority side');
    expect(next.term).toBeGreaterThan(old.term);
    const acksAtLeader = writer.acks;
    await waitFor('writes through the new leader', () => writer.acks >= acksAtLeader + 10);

    // Reads to the isolated member, each sent after more writes were acknowledged elsewhere; with
    // `pause`, the first ones wait in its socket and the rest follow right after SIGCONT.
    const isolated: Promise<string>[] = [];
    for (let i = 0; i < READS_ISOLATED; i++) {
      const target = writer.acks + 3;
      await waitFor('more writes on the majority side', () => writer.acks >= target);
      isolated.push(read());
    }
    if (pause) {
      await h.cluster.resume(old.name);
      for (let i = 0; i < READS_AFTER_RESUME; i++) {
        isolated.push(read());
        await raw.nextEvent(20);
      }
    }
    const isolatedResults = await Promise.all(isolated);

    for (const n of names) await fault(harness, n, { clear: true });
    await waitFor(`${old.name} to follow a newer leader after the heal`, async () => {
      const s = await harness.status(old.name, 1_000);
      return s.leader !== old.id && s.leader !== 0 && s.raftTerm >= next.term;
    });
    const healed: string[] = [];
    for (let i = 0; i < READS_HEALED; i++) healed.push(await read());
    return {
      stale,
      servedIsolated: isolatedResults.filter((r) => r === 'served').length,
      failedIsolated: isolatedResults.filter((r) => r !== 'served'),
      servedHealed: healed.filter((r) => r === 'served').length,
    };
  } finally {
    await writer.stop();
  }
}

export function leaderIsolationTests(): void {
  describe('an isolated leader', () => {
    afterEach(async (ctx) => {
      for (const r of raws.splice(0)) r.close();
      await h?.close(ctx.task.result?.state === 'fail');
      h = undefined;
    });

    it('serves no stale read while cut off, and fresh ones after the heal', async () => {
      const o = await isolateLeaderAndRead({ plantStaleReads: false, pause: false });
      expect(o.stale).toEqual([]);
      // It cannot confirm a read index without a quorum: its reads time out (or find no leader).
      for (const code of o.failedIsolated) expect(['Timeout', 'Unavailable']).toContain(code);
      expect(o.servedHealed).toBe(READS_HEALED);
    });

    it('serves no stale read on waking from SIGSTOP cut off, still believing it leads', async () => {
      const o = await isolateLeaderAndRead({ plantStaleReads: false, pause: true });
      expect(o.stale).toEqual([]);
      for (const code of o.failedIsolated) expect(['Timeout', 'Unavailable']).toContain(code);
      expect(o.servedHealed).toBe(READS_HEALED);
    });

    it('is caught serving stale reads when reads skip ReadIndex (planted bug --unsafe-bug-stale-reads)', async () => {
      const o = await isolateLeaderAndRead({ plantStaleReads: true, pause: false });
      expect(o.servedIsolated).toBe(READS_ISOLATED);
      expect(o.stale.length).toBeGreaterThan(0);
    });
  });
}
