// Log compaction and InstallSnapshot (Raft §7): a follower whose needed entries were compacted away
// receives the leader's snapshot, installs it and continues from there.
import { describe, expect, it } from 'vitest';
import { Harness } from './harness.testutil.ts';
import { type RaftBugs, RaftNode } from './node.ts';
import { MemoryStorage } from './storage.ts';
import type { ConfState, Entry } from './types.ts';
import { SeededRng } from '../util/rng.ts';

describe('§7 snapshots', () => {
  it('a follower behind a compacted log receives and installs the snapshot, then catches up', () => {
    const h = new Harness([1, 2, 3]);
    h.elect(1);
    h.isolate(3);
    for (let i = 0; i < 20; i++) h.propose(1, `v${i}`);
    const leader = h.nodes.get(1)!;
    const applied = leader.node.status().applied;
    leader.storage.createSnapshot(applied, leader.node.status().confState, new TextEncoder().encode('image'));
    leader.storage.compact(applied);
    expect(leader.node.status().firstIndex).toBe(applied + 1);
    h.heal();
    h.tickAll(3);
    const f = h.nodes.get(3)!;
    expect(f.storage.snapshot().metadata.index).toBe(applied);
    expect(new TextDecoder().decode(f.storage.snapshot().data)).toBe('image');
    expect(h.delivered.filter((m) => m.type === 'snapshot' && m.to === 3).length).toBe(1);
    h.propose(1, 'after');
    h.tickAll(2);
    expect(f.node.status().applied).toBe(leader.node.status().applied);
    expect(h.appliedTexts(3)).toEqual(['after']);
  });

  it('a lost snapshot is retried after the leader gives up waiting for it', () => {
    const h = new Harness([1, 2, 3]);
    h.elect(1);
    h.isolate(3);
    for (let i = 0; i < 5; i++) h.propose(1, `v${i}`);
    const leader = h.nodes.get(1)!;
    const applied = leader.node.status().applied;
    leader.storage.createSnapshot(applied, leader.node.status().confState, new Uint8Array([1]));
    leader.storage.compact(applied);
    h.filter = (m) => !(m.type === 'snapshot');
    h.tickAll(5);
    expect(h.nodes.get(3)!.storage.snapshot().metadata.index).toBe(0);
    h.heal();
    h.tickAll(40);
    expect(h.nodes.get(3)!.storage.snapshot().metadata.index).toBe(applied);
  });

  it('a restarted node recovers term, vote, commit and log from its storage', () => {
    const h = new Harness([1, 2, 3]);
    h.elect(1);
    h.propose(1, 'a');
    h.propose(1, 'b');
    h.tickAll(2);
    const old = h.nodes.get(2)!;
    const before = old.node.status();
    const restarted = h.add(2, old.storage, 0);
    const after = restarted.node.status();
    expect({ term: after.term, vote: after.vote, commit: after.commit, lastIndex: after.lastIndex }).toEqual({
      term: before.term,
      vote: before.vote,
      commit: before.commit,
      lastIndex: before.lastIndex,
    });
    // Nothing applied yet after restart: the committed log is handed out again.
    h.tickAll(2);
    expect(h.appliedTexts(2)).toEqual(['a', 'b']);
  });
});

/**
 * Issue 7, bug 2. Follower 2 of voters {1,2,3,4} has addVoter(5) at index 6 and learns commit 6; ready() hands
 * entry 6 out; before advance() the leader's snapshot at index 10 arrives, taken after 5 was removed again
 * (voters {1,2,3,4}), and is restored. Returns node 2's configuration after advance() and after the snapshot
 * itself has been handed out and installed.
 */
function snapshotDuringHandout(bugs: RaftBugs): { afterAdvance: ConfState; afterInstall: { applied: number; confState: ConfState } } {
  const voters = [1, 2, 3, 4];
  const storage = new MemoryStorage({ voters, learners: [] });
  const log: Entry[] = [1, 2, 3, 4, 5].map((index) => ({ type: 'normal', term: 1, index, data: new Uint8Array([index]) }));
  log.push({ type: 'confChange', term: 1, index: 6, change: { type: 'addVoter', nodeId: 5 } });
  storage.append(log);
  storage.setHardState({ term: 1, vote: 1, commit: 5 });
  const node = new RaftNode({ id: 2, storage, rng: new SeededRng(2), applied: 5, bugs });
  node.step({ type: 'heartbeat', from: 1, to: 2, term: 1, commit: 6, context: 0 });
  const rd = node.ready();
  expect(rd.committedEntries.map((e) => e.index)).toEqual([6]);
  const snapshot = { metadata: { index: 10, term: 1, confState: { voters, learners: [] } }, data: new Uint8Array([10]) };
  node.step({ type: 'snapshot', from: 1, to: 2, term: 1, snapshot });
  if (rd.hardState !== undefined) storage.setHardState(rd.hardState);
  node.advance();
  const afterAdvance = node.status().confState;
  const install = node.ready();
  expect(install.snapshot?.metadata.index).toBe(10);
  storage.applySnapshot(install.snapshot!);
  if (install.hardState !== undefined) storage.setHardState(install.hardState);
  node.advance();
  const st = node.status();
  return { afterAdvance, afterInstall: { applied: st.applied, confState: st.confState } };
}

describe('a snapshot restored while committed entries are handed out', () => {
  it('changes at or below the snapshot index do not re-apply over its configuration', () => {
    const r = snapshotDuringHandout({});
    expect(r.afterAdvance).toEqual({ voters: [1, 2, 3, 4], learners: [] });
    expect(r.afterInstall).toEqual({ applied: 10, confState: { voters: [1, 2, 3, 4], learners: [] } });
  });

  it('with the planted bug restoreSnapshotDuringHandout, the removed voter 5 comes back at applied 10', () => {
    const r = snapshotDuringHandout({ restoreSnapshotDuringHandout: true });
    expect(r.afterInstall).toEqual({ applied: 10, confState: { voters: [1, 2, 3, 4, 5], learners: [] } });
  });
});

describe('snapshot acknowledgement', () => {
  it('a follower that already holds the snapshot index and term acknowledges its commit index, not its last index', () => {
    // Indices 11 and 12 are left over from an old leader of term 1; the leader of term 2 has other entries
    // there. Acknowledging 12 would tell the leader they match its own and could let it count them.
    const storage = new MemoryStorage({ voters: [1, 2, 3], learners: [] });
    storage.append(Array.from({ length: 12 }, (_, i): Entry => ({ type: 'normal', term: 1, index: i + 1, data: new Uint8Array([i]) })));
    storage.setHardState({ term: 2, vote: 1, commit: 8 });
    const node = new RaftNode({ id: 2, storage, rng: new SeededRng(2), applied: 8 });
    const snapshot = { metadata: { index: 10, term: 1, confState: { voters: [1, 2, 3], learners: [] } }, data: new Uint8Array() };
    node.step({ type: 'snapshot', from: 1, to: 2, term: 2, snapshot });
    const acks = node.ready().messages.filter((m) => m.type === 'appendResponse');
    expect(acks).toEqual([expect.objectContaining({ to: 1, reject: false, index: 10 })]);
    expect(node.status()).toMatchObject({ commit: 10, lastIndex: 12 });
  });
});
