// Membership changes, one server at a time (thesis §4.1), and learners.
import { describe, expect, it } from 'vitest';
import { Harness } from './harness.testutil.ts';
import { applyConfChange, validateConfChange } from './membership.ts';
import type { RaftBugs, RaftNode } from './node.ts';
import { MemoryStorage } from './storage.ts';

describe('configuration arithmetic', () => {
  const cs = { voters: [1, 2, 3], learners: [4] };
  const invalid: [string, Parameters<typeof validateConfChange>[1]][] = [
    ['add an existing voter', { type: 'addVoter', nodeId: 2 }],
    ['add a learner as voter', { type: 'addVoter', nodeId: 4 }],
    ['add an existing member as learner', { type: 'addLearner', nodeId: 1 }],
    ['promote a non-learner', { type: 'promoteLearner', nodeId: 2 }],
    ['remove a non-member', { type: 'removeNode', nodeId: 9 }],
    ['bad id', { type: 'addVoter', nodeId: 0 }],
  ];
  for (const [name, cc] of invalid) {
    it(`rejects: ${name}`, () => expect(() => validateConfChange(cs, cc)).toThrow(expect.objectContaining({ code: 'InvalidConfChange' })));
  }
  it('cannot remove the last voter', () => {
    expect(() => validateConfChange({ voters: [1], learners: [] }, { type: 'removeNode', nodeId: 1 })).toThrow();
  });
  it('applies changes', () => {
    expect(applyConfChange(cs, { type: 'promoteLearner', nodeId: 4 })).toEqual({ voters: [1, 2, 3, 4], learners: [] });
    expect(applyConfChange(cs, { type: 'removeNode', nodeId: 2 })).toEqual({ voters: [1, 3], learners: [4] });
    expect(applyConfChange(cs, { type: 'addLearner', nodeId: 5 })).toEqual({ voters: [1, 2, 3], learners: [4, 5] });
  });
});

describe('membership changes in a running cluster', () => {
  it('adds a learner that receives the log without voting, then promotes it', () => {
    const h = new Harness([1, 2, 3]);
    h.elect(1);
    h.propose(1, 'a');
    // A joining member starts from the membership it is told (etcd's --initial-cluster-state=existing).
    h.add(4, new MemoryStorage({ voters: [1, 2, 3], learners: [] }));
    h.get(1).proposeConfChange({ type: 'addLearner', nodeId: 4 });
    h.stabilize();
    h.tickAll(3);
    expect(h.get(1).status().confState).toEqual({ voters: [1, 2, 3], learners: [4] });
    expect(h.appliedTexts(4)).toEqual(['a']);
    // A learner never campaigns, however long it waits.
    h.isolate(1);
    for (let i = 0; i < 50; i++) h.tick(4);
    h.stabilize();
    expect(h.get(4).status().role).toBe('follower');
    h.heal();
    h.tickAll(30);
    const leader = h.leaders()[0]!;
    h.get(leader).proposeConfChange({ type: 'promoteLearner', nodeId: 4 });
    h.stabilize();
    h.tickAll(3);
    for (const id of [1, 2, 3, 4]) expect(h.get(id).status().confState).toEqual({ voters: [1, 2, 3, 4], learners: [] });
  });

  it('allows one unapplied change at a time', () => {
    const h = new Harness([1, 2, 3]);
    h.elect(1);
    h.filter = () => false;
    h.get(1).proposeConfChange({ type: 'addLearner', nodeId: 4 });
    expect(() => h.get(1).proposeConfChange({ type: 'addLearner', nodeId: 5 })).toThrow(expect.objectContaining({ code: 'ConfChangeInProgress' }));
  });

  it('a new leader cannot change the configuration before its first entry is applied', () => {
    const h = new Harness([1, 2, 3]);
    h.filter = (m) => m.type !== 'append';
    h.elect(1);
    expect(h.get(1).status().role).toBe('leader');
    expect(() => h.get(1).proposeConfChange({ type: 'addLearner', nodeId: 4 })).toThrow(expect.objectContaining({ code: 'ConfChangeInProgress' }));
  });

  it('removing a voter shrinks the majority; removing the leader makes it step down', () => {
    const h = new Harness([1, 2, 3]);
    h.elect(1);
    h.get(1).proposeConfChange({ type: 'removeNode', nodeId: 3 });
    h.stabilize();
    h.tickAll(2);
    expect(h.get(1).status().confState.voters).toEqual([1, 2]);
    h.get(1).proposeConfChange({ type: 'removeNode', nodeId: 1 });
    h.stabilize();
    h.tickAll(1);
    expect(h.get(1).status().role).toBe('follower');
    h.tickAll(40);
    expect(h.leaders()).toEqual([2]);
    expect(h.get(2).status().confState.voters).toEqual([2]);
  });
});

/**
 * Issue 7, bug 1. Voters {1,2,3}; index 21 addVoter(4), 22 addVoter(5); index 23 "E" committed in term 1 by
 * {1,4,5}, a majority of {1..5}. Nodes 2 and 3 hold the log through 22 and know commit 22. Node 3 lags in
 * applying: it restarts (applied 0, as a member whose state machine replays its log) and hands out one
 * committed entry per Ready, so while it campaigns its configuration is still {1,2,3}. The cluster is
 * partitioned {1,4,5} | {2,3} and node 3 campaigns.
 */
function campaignWithUnappliedConfChanges(bugs: RaftBugs): { h: Harness; termsAt23: Set<number> } {
  const h = new Harness([1, 2, 3], { maxCommittedSizePerReadyBytes: 1, checkQuorum: false, bugs });
  h.add(4, new MemoryStorage({ voters: [1, 2, 3], learners: [] }));
  h.add(5, new MemoryStorage({ voters: [1, 2, 3], learners: [] }));
  h.elect(1);
  for (let i = 2; i <= 20; i++) h.propose(1, `v${i}`);
  expect(h.get(1).proposeConfChange({ type: 'addVoter', nodeId: 4 }).index).toBe(21);
  h.stabilize();
  expect(h.get(1).proposeConfChange({ type: 'addVoter', nodeId: 5 }).index).toBe(22);
  h.stabilize();
  h.tickAll(1);
  const minority = new Set([2, 3]);
  h.filter = (m) => minority.has(m.from) === minority.has(m.to);
  expect(h.propose(1, 'E').index).toBe(23);
  expect(h.get(1).status().commit).toBe(23);
  for (const id of [2, 3]) expect(h.get(id).status()).toMatchObject({ commit: 22, lastIndex: 22 });

  h.add(3, h.nodes.get(3)!.storage, 0);
  h.slowAppliers.add(3);
  expect(h.get(3).status()).toMatchObject({ applied: 0, commit: 22, confState: { voters: [1, 2, 3], learners: [] } });
  h.get(3).campaign();
  h.stabilize();
  // Let every node persist and apply what it has (no ticks: nobody campaigns again).
  h.slowAppliers.clear();
  h.stabilize();
  const termsAt23 = new Set<number>();
  for (const n of h.nodes.values()) {
    if (n.node.status().commit >= 23) termsAt23.add(n.storage.term(23));
  }
  return { h, termsAt23 };
}

describe('campaigning with committed but unapplied configuration changes (etcd raft hup)', () => {
  it('a node whose committed log holds an unapplied configuration change does not campaign', () => {
    const { h, termsAt23 } = campaignWithUnappliedConfChanges({});
    expect(h.get(3).status()).toMatchObject({ role: 'follower', term: 1 });
    expect([...termsAt23]).toEqual([1]);
    // Once applied, its votes count against {1..5}: {2,3} is no majority.
    expect(h.get(3).status()).toMatchObject({ applied: 22, confState: { voters: [1, 2, 3, 4, 5] } });
    h.get(3).campaign();
    h.stabilize();
    expect(h.get(3).status().role).not.toBe('leader');
    expect(h.get(1).status()).toMatchObject({ role: 'leader', commit: 23 });
  });

  it('with the planted bug campaignWithUnappliedConfChanges, two different entries are committed at index 23', () => {
    const { h, termsAt23 } = campaignWithUnappliedConfChanges({ campaignWithUnappliedConfChanges: true });
    expect(h.get(3).status()).toMatchObject({ role: 'leader', term: 2 });
    expect([...termsAt23].sort()).toEqual([1, 2]);
  });

  it('a TimeoutNow does not make such a node campaign either', () => {
    for (const bug of [false, true]) {
      const h = new Harness([1, 2, 3], { maxCommittedSizePerReadyBytes: 1, bugs: { campaignWithUnappliedConfChanges: bug } });
      h.elect(1);
      h.get(1).proposeConfChange({ type: 'addLearner', nodeId: 4 });
      h.stabilize();
      h.tickAll(1);
      expect(h.get(3).status()).toMatchObject({ commit: 2, applied: 2 });
      h.add(3, h.nodes.get(3)!.storage, 1);
      h.get(3).step({ type: 'timeoutNow', from: 1, to: 3, term: 1 });
      expect(h.get(3).status()).toMatchObject(bug ? { role: 'candidate', term: 2 } : { role: 'follower', term: 1 });
    }
  });
});

describe('replication after the leader applies a configuration change (etcd raft switchToConfig)', () => {
  /**
   * Leader 1 of `voters` proposes `change` (and `extra` entries after it), which the others acknowledge up to
   * the given indexes; returns the appends the leader sends because it applied the change.
   */
  function appendsAfterApply(
    voters: number[],
    change: Parameters<RaftNode['proposeConfChange']>[0],
    extra: string[],
    acks: [from: number, index: number][],
  ): { to: number; entries: number; commit: number }[] {
    const h = new Harness(voters);
    h.add(9, new MemoryStorage({ voters, learners: [] }));
    h.elect(1);
    h.propose(1, 'a');
    h.filter = () => false;
    const leader = h.nodes.get(1)!;
    const { index, term } = leader.node.proposeConfChange(change);
    for (const text of extra) leader.node.propose(new TextEncoder().encode(text));
    h.stabilize(); // persisted by the leader; its appends are lost
    for (const [from, i] of acks) leader.node.step({ type: 'appendResponse', from, to: 1, term, reject: false, index: i, rejectHint: 0, logTerm: 0 });
    // The Ready that hands out the committed change; its messages were caused by the commit, not the apply.
    const rd = leader.node.ready();
    expect(rd.committedEntries.map((e) => e.type)).toEqual(['confChange']);
    leader.storage.append(rd.entries);
    if (rd.hardState !== undefined) leader.storage.setHardState(rd.hardState);
    leader.node.advance();
    expect(leader.node.status().applied).toBe(index);
    const after = leader.node.hasReady() ? leader.node.ready().messages : [];
    return after.flatMap((m) => (m.type === 'append' ? [{ to: m.to, entries: m.entries.length, commit: m.commit }] : []));
  }

  it('probes a newly added member at once, and sends nothing to followers that already have everything', () => {
    expect(appendsAfterApply([1, 2, 3], { type: 'addLearner', nodeId: 9 }, [], [[2, 3], [3, 3]])).toEqual([{ to: 9, entries: 0, commit: 3 }]);
  });

  it('broadcasts the commit index when the new configuration commits more', () => {
    // Index 4 is on {1,2}: no majority of {1,2,3,4}, a majority of {1,2,3} once 4 is removed.
    expect(appendsAfterApply([1, 2, 3, 4], { type: 'removeNode', nodeId: 4 }, ['b'], [[2, 4], [3, 3]])).toEqual([
      { to: 2, entries: 0, commit: 4 },
      { to: 3, entries: 0, commit: 4 },
    ]);
  });
});
