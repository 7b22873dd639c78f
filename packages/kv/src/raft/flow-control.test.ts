// Flow control: in-flight appends per follower are bounded in count and bytes, and a follower that
// stops answering does not make the leader queue without limit.
import { describe, expect, it } from 'vitest';
import { Harness } from './harness.testutil.ts';

describe('flow control', () => {
  it('at most maxInflightMsgs appends are outstanding to a silent follower in replicate state', () => {
    const h = new Harness([1, 2, 3], { maxInflightMsgs: 4, maxSizePerMsgBytes: 1 });
    h.elect(1);
    h.propose(1, 'warm'); // follower 2 is now in replicate state
    h.filter = (m) => !(m.from === 2 && m.type === 'appendResponse');
    const withEntries = (): number => h.delivered.filter((m) => m.type === 'append' && m.to === 2 && m.entries.length > 0).length;
    const before = withEntries();
    for (let i = 0; i < 20; i++) h.propose(1, `v${i}`);
    const sent = withEntries() - before;
    expect(sent).toBe(4);
    // Commit still advances through follower 3.
    expect(h.get(1).status().commit).toBe(h.get(1).status().lastIndex);
    h.heal();
    h.tickAll(5);
    expect(h.appliedTexts(2).length).toBe(21);
  });

  it('the in-flight byte bound also limits the window', () => {
    const h = new Harness([1, 2, 3], { maxInflightMsgs: 100, maxInflightBytes: 200, maxSizePerMsgBytes: 1 });
    h.elect(1);
    h.propose(1, 'warm');
    h.filter = (m) => !(m.from === 2 && m.type === 'appendResponse');
    const withEntries = (): number => h.delivered.filter((m) => m.type === 'append' && m.to === 2 && m.entries.length > 0).length;
    const before = withEntries();
    for (let i = 0; i < 20; i++) h.get(1).propose(new Uint8Array(76)); // 100 bytes per entry with overhead
    h.stabilize();
    const sent = withEntries() - before;
    expect(sent).toBe(2);
  });

  it('in probe state only one append is outstanding until the follower answers', () => {
    const h = new Harness([1, 2, 3]);
    // Node 3 hears everything but its answers are lost; it votes through node 2's majority anyway.
    h.filter = (m) => m.from !== 3;
    h.elect(1);
    for (let i = 0; i < 5; i++) h.propose(1, `v${i}`);
    const sent = h.delivered.filter((m) => m.type === 'append' && m.to === 3).length;
    expect(sent).toBe(1);
    expect(h.get(1).status().progress.get(3)?.state).toBe('probe');
  });
});
