// Log compaction and InstallSnapshot (Raft §7): a follower whose needed entries were compacted away
// receives the leader's snapshot, installs it and continues from there.
import { describe, expect, it } from 'vitest';
import { Harness } from './harness.testutil.ts';

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
