// Majority arithmetic, kept apart so it can be checked table by table.

import type { NodeId } from './types.ts';

export type VoteOutcome = 'won' | 'lost' | 'pending';

/**
 * The highest index replicated on a majority of `voters`, given each voter's match index
 * (missing = 0). With no voters there is no constraint: Infinity, like an empty AND.
 */
export function committedIndex(voters: readonly NodeId[], matchOf: (id: NodeId) => number): number {
  if (voters.length === 0) return Number.POSITIVE_INFINITY;
  const matches = voters.map(matchOf).sort((a, b) => b - a);
  // Sorted descending, the (n/2+1)-th highest value is on at least a majority.
  return matches[Math.floor(voters.length / 2)]!;
}

/** Tally votes (true = granted) among voters; votes from non-voters are ignored. */
export function voteResult(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteOutcome {
  const quorum = Math.floor(voters.length / 2) + 1;
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === true) granted++;
    else if (v === false) rejected++;
  }
  if (granted >= quorum) return 'won';
  if (voters.length - rejected < quorum) return 'lost';
  return 'pending';
}

/** Whether the set `acked` contains a majority of voters. */
export function hasQuorum(voters: readonly NodeId[], acked: (id: NodeId) => boolean): boolean {
  let n = 0;
  for (const id of voters) if (acked(id)) n++;
  return n >= Math.floor(voters.length / 2) + 1;
}
