// The checker must catch a server that serves "linearizable" reads from local state without ReadIndex.
// Deterministic scenario on three in-process members: a follower is cut off, the leader acknowledges a
// new value, then the cut-off follower is asked for the key. With the planted bug it answers the old
// value at once, and the history of those operations is not linearizable; without the bug the read
// cannot complete while the follower is cut off (no read index), so nothing stale is ever returned.
import { describe, expect, it } from 'vitest';
import { checkHistory, type HistoryOp } from '@halyard/cli/check';
import { bytesToString } from '@halyard/kv-client';
import { waitFor } from '../../packages/kv/src/server/test-util.testutil.ts';
import { inProcessMembers } from '../testing/in-process-members.ts';

const startCluster = inProcessMembers('planted');

async function scenario(staleReadsBug: boolean): Promise<{ history: HistoryOp[]; staleReadReturned: boolean }> {
  const cluster = await startCluster(3, { tickMs: 20, unsafeBugStaleReads: staleReadsBug, requestTimeoutMs: 2_000 });
  const running = cluster.running;
  const leader = await cluster.waitForLeader();
  const follower = running.find((r) => !r.member.isLeader())!;
  await waitFor(() => follower.member.leaderId() === leader.member.ids.memberId, 30_000, 'the follower to know its leader');
  const writer = cluster.client({ endpoints: [leader.member.config.clientUrl], requestTimeoutMs: 5_000 });
  const reader = cluster.client({ endpoints: [follower.member.config.clientUrl], requestTimeoutMs: 1_500 });
  const history: HistoryOp[] = [];
  let t = 0;
  const w1 = await writer.put('k', 'v1');
  history.push({ id: 1, clientId: 1, invokeTime: t++, returnTime: t++, op: { type: 'put', key: 'k', value: 'v1' }, result: { type: 'put', revision: w1.header.revision } });
  await waitFor(() => follower.member.status().applied >= leader.member.status().applied, 30_000, 'the follower to catch up');
  // Cut the follower off from everyone, in both directions.
  for (const r of running) {
    if (r === follower) continue;
    r.member.transportFaults().setFault(follower.member.ids.memberId, { dropOutgoing: true, dropIncoming: true });
    follower.member.transportFaults().setFault(r.member.ids.memberId, { dropOutgoing: true, dropIncoming: true });
  }
  const w2 = await writer.put('k', 'v2');
  history.push({ id: 2, clientId: 1, invokeTime: t++, returnTime: t++, op: { type: 'put', key: 'k', value: 'v2' }, result: { type: 'put', revision: w2.header.revision } });
  const invokeTime = t++;
  let staleReadReturned = false;
  try {
    const r = await reader.get('k');
    const kv = r.kvs[0];
    staleReadReturned = kv !== undefined && bytesToString(kv.value) === 'v1';
    history.push({ id: 3, clientId: 2, invokeTime, returnTime: t++, op: { type: 'get', key: 'k' }, result: { type: 'get', value: kv === undefined ? null : bytesToString(kv.value), modRevision: kv?.modRevision ?? 0, revision: r.header.revision } });
  } catch {
    // No read index while cut off: the read fails, which is what a correct member must do.
  }
  return { history, staleReadReturned };
}

describe('planted bug: reads without ReadIndex', () => {
  it('with the bug, a cut-off follower returns a stale value and the checker rejects the history', async () => {
    const { history, staleReadReturned } = await scenario(true);
    expect(staleReadReturned).toBe(true);
    expect(checkHistory(history).outcome).toBe('not-linearizable');
  });

  it('without the bug, the cut-off follower never answers with a stale value and the history is linearizable', async () => {
    const { history, staleReadReturned } = await scenario(false);
    expect(staleReadReturned).toBe(false);
    expect(history.length).toBe(2);
    expect(checkHistory(history).outcome).toBe('linearizable');
  });
});
