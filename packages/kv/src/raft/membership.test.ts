// Membership changes, one server at a time (thesis §4.1), and learners.
import { describe, expect, it } from 'vitest';
import { Harness } from './harness.testutil.ts';
import { applyConfChange, validateConfChange } from './membership.ts';
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
