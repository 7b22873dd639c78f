// Issue 7, bug 3: removing the leader of a two-voter cluster. The leader commits its own removal (both
// voters hold it), applies it and steps down. If the one append carrying the new commit index is lost, the
// survivor still has voters {1, 2} with the removal uncommitted: it can only make progress by winning an
// election, which needs the removed member's vote. A removed member that stops at once leaves the cluster
// leaderless forever; etcd stops a removed member only after a delay (stopWithDelay), so the commit still
// reaches the others. Driven through the production member (KvMember) in the simulator, with exactly that
// append dropped.

import { describe, expect, it } from 'vitest';
import type { NodeId } from '@halyard/kv/raft';
import { runSimulation, type ScenarioControl } from './simulator.ts';
import { failureReport } from './testing.ts';

describe('removing the leader of a two-voter cluster', () => {
  it('the survivor is elected and applies the removal even when the append carrying the commit is lost', async () => {
    let removal: { leader: NodeId; index: number } | undefined;
    const dropped: string[] = [];
    let survivorVoters: readonly NodeId[] = [];
    let survivorLeads = false;
    const r = await runSimulation({
      seed: 1,
      nodes: 2,
      clients: 0,
      ticks: 1000,
      faults: 'none',
      keepTrace: true,
      scenario: {
        afterStep: (ctl: ScenarioControl) => {
          if (removal !== undefined) {
            const survivor = ctl.member(removal.leader === 1 ? 2 : 1);
            if (survivor !== undefined) {
              survivorVoters = survivor.status().confState.voters;
              survivorLeads ||= survivor.isLeader();
            }
            return;
          }
          const id = ctl.leader();
          const leader = id === undefined ? undefined : ctl.member(id);
          // Once both members have published their client URLs, everything so far is committed and applied.
          if (id === undefined || leader === undefined || leader.members().some((m) => m.clientUrls.length === 0)) return;
          const st = leader.status();
          if (st.applied < st.lastIndex) return;
          leader.changeMembership({ type: 'removeNode', nodeId: id }).catch(() => undefined);
          removal = { leader: id, index: st.lastIndex + 1 };
        },
        dropMessage: (m) => {
          // The old leader's messages that tell the survivor the removal is committed.
          if (removal === undefined || m.from !== removal.leader || (m.type !== 'append' && m.type !== 'heartbeat') || m.commit < removal.index) return false;
          dropped.push(`${m.type} ${m.from}>${m.to} c${m.commit}`);
          return true;
        },
      },
    });
    expect(removal, 'the leader proposed its own removal').toBeDefined();
    expect(dropped.length, 'the append carrying the commit index was dropped').toBeGreaterThan(0);
    expect(r.ok, failureReport(r)).toBe(true);
    expect(survivorLeads, 'the survivor became leader').toBe(true);
    expect(survivorVoters, 'the survivor applied the removal').toEqual([removal!.leader === 1 ? 2 : 1]);
    expect(r.stats.livenessTicks, 'a write committed after the removal').toBeDefined();
  });
});
