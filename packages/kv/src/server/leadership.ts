// `moveLeader` (etcd's MoveLeader): the leader hands over to a chosen voter through Raft's leadership
// transfer (thesis §3.10: bring the target's log up to date, then TimeoutNow) and the request answers
// once the target leads — or fails when the transfer did not happen within the wait.
import { KvError } from '@halyard/kv-client/protocol';
import type { KvMember } from './member.ts';

/** How often the leader looks whether the transfer is done. */
export const LEADER_TRANSFER_POLL_MS = 10;

export async function moveLeader(member: KvMember, targetId: number, waitMs: number): Promise<void> {
  member.requireLeader();
  const target = member.members().find((m) => m.id === targetId);
  // etcd's words for the same refusal: "etcdserver: bad leader transferee".
  if (target === undefined || target.isLearner) throw new KvError('InvalidRequest', `bad leader transferee: ${targetId.toString(16)} is not a voting member`);
  if (targetId === member.ids.memberId) return;
  member.transferLeadership(targetId);
  const deadline = performance.now() + waitMs;
  while (member.leaderId() !== targetId) {
    if (member.isStopped()) throw new KvError('Stopping', 'this member is stopping');
    if (performance.now() > deadline) throw new KvError('Timeout', `leadership did not move to ${targetId.toString(16)} within ${waitMs} ms (the transfer is abandoned after an election timeout)`);
    await new Promise((r) => setTimeout(r, LEADER_TRANSFER_POLL_MS));
  }
}
