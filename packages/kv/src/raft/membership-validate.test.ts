// One-server-at-a-time changes (thesis §4.1), table by table: which changes are refused (with a typed
// InvalidConfChange error saying why) and the configuration each accepted change leads to (sorted ids,
// a node in at most one list).
import { describe, expect, it } from 'vitest';
import { applyConfChange, validateConfChange } from './membership.ts';
import type { ConfChange, ConfState } from './types.ts';

const cs: ConfState = { voters: [1, 2], learners: [3] };

describe('validateConfChange refuses, saying why', () => {
  it.each([
    [{ type: 'addVoter', nodeId: 0 }, 'node id must be a positive integer, got 0'],
    [{ type: 'addVoter', nodeId: 1.5 }, 'node id must be a positive integer, got 1.5'],
    [{ type: 'addVoter', nodeId: 2 }, 'node 2 is already a voter'],
    [{ type: 'addVoter', nodeId: 3 }, 'node 3 is a learner: promote it instead'],
    [{ type: 'addLearner', nodeId: 1 }, 'node 1 is already a member'],
    [{ type: 'addLearner', nodeId: 3 }, 'node 3 is already a member'],
    [{ type: 'promoteLearner', nodeId: 2 }, 'node 2 is not a learner'],
    [{ type: 'removeNode', nodeId: 9 }, 'node 9 is not a member'],
    [{ type: 'bogus', nodeId: 9 }, 'unknown change type bogus'],
  ] as [ConfChange, string][])('%o: %s', (cc, message) => {
    expect(() => validateConfChange(cs, cc)).toThrow(expect.objectContaining({ code: 'InvalidConfChange', message }));
  });

  it('the last voter cannot be removed; a learner beside it can', () => {
    const one: ConfState = { voters: [1], learners: [3] };
    expect(() => validateConfChange(one, { type: 'removeNode', nodeId: 1 })).toThrow(expect.objectContaining({ code: 'InvalidConfChange', message: 'cannot remove the last voter' }));
    expect(() => validateConfChange(one, { type: 'removeNode', nodeId: 3 })).not.toThrow();
  });

  it.each([
    { type: 'addVoter', nodeId: 4 },
    { type: 'addLearner', nodeId: 4 },
    { type: 'promoteLearner', nodeId: 3 },
    { type: 'removeNode', nodeId: 2 },
    { type: 'removeNode', nodeId: 3 },
  ] as ConfChange[])('accepts %o', (cc) => {
    expect(() => validateConfChange(cs, cc)).not.toThrow();
  });
});

describe('applyConfChange', () => {
  it('adds voters and learners in id order, numerically', () => {
    const base: ConfState = { voters: [2, 10], learners: [20] };
    expect(applyConfChange(base, { type: 'addVoter', nodeId: 9 })).toEqual({ voters: [2, 9, 10], learners: [20] });
    expect(applyConfChange(base, { type: 'addLearner', nodeId: 3 })).toEqual({ voters: [2, 10], learners: [3, 20] });
  });

  it('promotes a learner to a voter, removing it from the learners', () => {
    expect(applyConfChange({ voters: [5, 1], learners: [3] }, { type: 'promoteLearner', nodeId: 3 })).toEqual({ voters: [1, 3, 5], learners: [] });
  });

  it('adding a voter as a learner again is a no-op (a restarted node re-applies committed changes)', () => {
    const base: ConfState = { voters: [1, 2], learners: [] };
    expect(applyConfChange(base, { type: 'addLearner', nodeId: 2 })).toBe(base);
  });

  it('removes from whichever list holds the node', () => {
    expect(applyConfChange(cs, { type: 'removeNode', nodeId: 2 })).toEqual({ voters: [1], learners: [3] });
    expect(applyConfChange(cs, { type: 'removeNode', nodeId: 3 })).toEqual({ voters: [1, 2], learners: [] });
  });

  it('an unknown change type is an InvalidConfChange error', () => {
    expect(() => applyConfChange(cs, { type: 'bogus', nodeId: 1 } as unknown as ConfChange)).toThrow(expect.objectContaining({ code: 'InvalidConfChange', message: 'unknown change type bogus' }));
  });
});
