// Membership changes one server at a time (Raft thesis §4.1). Adding or removing a single voter changes
// the majority by at most one, so any majority of the old configuration overlaps any majority of the new
// one and two leaders cannot be elected in one term. A change takes effect when applied (like etcd raft's
// ConfChange v1), and the leader allows one unapplied change at a time, which keeps that argument true.

import { type ConfChange, type ConfState, type NodeId, RaftError } from './types.ts';

/** Validate a change against the current configuration; throws InvalidConfChange. */
export function validateConfChange(cs: ConfState, cc: ConfChange): void {
  const isVoter = cs.voters.includes(cc.nodeId);
  const isLearner = cs.learners.includes(cc.nodeId);
  if (!Number.isSafeInteger(cc.nodeId) || cc.nodeId <= 0) {
    throw new RaftError('InvalidConfChange', `node id must be a positive integer, got ${cc.nodeId}`);
  }
  switch (cc.type) {
    case 'addVoter':
      if (isVoter) throw new RaftError('InvalidConfChange', `node ${cc.nodeId} is already a voter`);
      if (isLearner) throw new RaftError('InvalidConfChange', `node ${cc.nodeId} is a learner: promote it instead`);
      return;
    case 'addLearner':
      if (isVoter || isLearner) throw new RaftError('InvalidConfChange', `node ${cc.nodeId} is already a member`);
      return;
    case 'promoteLearner':
      if (!isLearner) throw new RaftError('InvalidConfChange', `node ${cc.nodeId} is not a learner`);
      return;
    case 'removeNode':
      if (!isVoter && !isLearner) throw new RaftError('InvalidConfChange', `node ${cc.nodeId} is not a member`);
      if (isVoter && cs.voters.length === 1) throw new RaftError('InvalidConfChange', 'cannot remove the last voter');
      return;
    default: {
      const never: never = cc.type;
      throw new RaftError('InvalidConfChange', `unknown change type ${String(never)}`);
    }
  }
}

/**
 * The configuration after `cc`. Applying an already-applied change is a no-op rather than an error: a
 * restarted node re-applies committed changes the app already saw.
 */
export function applyConfChange(cs: ConfState, cc: ConfChange): ConfState {
  const without = (ids: readonly NodeId[]): NodeId[] => ids.filter((id) => id !== cc.nodeId);
  const sorted = (ids: NodeId[]): NodeId[] => ids.sort((a, b) => a - b);
  switch (cc.type) {
    case 'addVoter':
    case 'promoteLearner':
      return { voters: sorted([...without(cs.voters), cc.nodeId]), learners: without(cs.learners) };
    case 'addLearner':
      if (cs.voters.includes(cc.nodeId)) return cs;
      return { voters: [...cs.voters], learners: sorted([...without(cs.learners), cc.nodeId]) };
    case 'removeNode':
      return { voters: without(cs.voters), learners: without(cs.learners) };
    default: {
      const never: never = cc.type;
      throw new RaftError('InvalidConfChange', `unknown change type ${String(never)}`);
    }
  }
}
