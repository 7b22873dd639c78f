// The checker itself, on hand-made states: each property must fire on the state that breaks it and
// stay quiet on the legal neighbour. (The planted-bug tests show the same end to end.)

import { describe, expect, it } from 'vitest';
import { MemoryStorage, type Entry, type NodeId, type Role } from '@halyard/kv/raft';
import { InvariantChecker, type MemberView } from './invariants.ts';

const enc = new TextEncoder();
const entry = (index: number, term: number, data = `e${index}.${term}`): Entry => ({ type: 'normal', index, term, data: enc.encode(data) });

function view(id: NodeId, role: Role, term: number, storage: MemoryStorage, commit = 0): MemberView {
  return { id, role, term, commit, applied: 0, lastIndex: storage.lastIndex(), storage };
}

function logOf(...entries: Entry[]): MemoryStorage {
  const s = new MemoryStorage({ voters: [1, 2, 3], learners: [] });
  s.append(entries);
  return s;
}

describe('InvariantChecker', () => {
  it('Election Safety: two leaders in one term', () => {
    const c = new InvariantChecker();
    c.afterStep(view(1, 'leader', 2, logOf()));
    c.afterStep(view(2, 'leader', 3, logOf()));
    expect(c.ok).toBe(true);
    c.afterStep(view(3, 'leader', 2, logOf()));
    expect(c.violations.map((v) => v.kind)).toEqual(['ElectionSafety']);
  });

  it('Leader Append-Only: a leader overwrites its log; a follower may', () => {
    const c = new InvariantChecker();
    c.onPersist(view(1, 'follower', 3, logOf(entry(1, 1), entry(2, 2))), { entries: [entry(2, 3)] });
    expect(c.ok).toBe(true);
    c.onPersist(view(2, 'leader', 3, logOf(entry(1, 1), entry(2, 2))), { entries: [entry(2, 3)] });
    expect(c.violations.map((v) => v.kind)).toContain('LeaderAppendOnly');
  });

  it('Log Matching: same index and term, different entry or different predecessor', () => {
    const c = new InvariantChecker();
    c.onPersist(view(1, 'follower', 2, logOf(entry(1, 1))), { entries: [entry(2, 2)] });
    c.onPersist(view(2, 'follower', 2, logOf(entry(1, 1))), { entries: [entry(2, 2)] });
    expect(c.ok).toBe(true);
    c.onPersist(view(3, 'follower', 2, logOf(entry(1, 2, 'other'))), { entries: [entry(2, 2)] });
    expect(c.violations.map((v) => v.kind)).toEqual(['LogMatching']);
  });

  it('Log Matching, pairwise: logs agreeing on a term at an index must agree below it', () => {
    const c = new InvariantChecker();
    const a = logOf(entry(1, 1), entry(2, 1), entry(3, 2));
    const b = logOf(entry(1, 1), entry(2, 1), entry(3, 3));
    c.checkLogsPairwise([view(1, 'follower', 3, a), view(2, 'follower', 3, b)]);
    expect(c.ok).toBe(true);
    const bad = logOf(entry(1, 1, 'other'), entry(2, 1));
    c.checkLogsPairwise([view(1, 'follower', 3, a), view(3, 'follower', 3, bad)]);
    expect(c.violations.map((v) => v.kind)).toEqual(['LogMatching']);
  });

  it('State Machine Safety: different entries applied at one index', () => {
    const c = new InvariantChecker();
    c.onApply(1, entry(5, 2, 'a'));
    c.onApply(2, entry(5, 2, 'a'));
    expect(c.ok).toBe(true);
    c.onApply(3, entry(5, 3, 'b'));
    expect(c.violations.map((v) => v.kind)).toEqual(['StateMachineSafety']);
  });

  it('Leader Completeness: a later leader lacks a committed entry', () => {
    const c = new InvariantChecker();
    // Entry 2 of term 1 is committed while member 1 leads term 1.
    c.afterStep(view(1, 'leader', 1, logOf(entry(1, 1), entry(2, 1)), 2));
    c.onApply(1, entry(2, 1));
    // A leader of term 2 whose log (followed by its own entry) has something else at 2.
    c.afterStep(view(2, 'leader', 2, logOf(entry(1, 1), entry(2, 2, 'x')), 0));
    expect(c.violations.map((v) => v.kind)).toContain('LeaderCompleteness');
  });

  it('configuration agreement: a settled member has the configuration its log defines at its applied index', () => {
    const c = new InvariantChecker();
    const cc = (index: number, type: 'addVoter' | 'removeNode', nodeId: number): Entry => ({ type: 'confChange', index, term: 1, change: { type, nodeId } });
    for (const e of [cc(1, 'addVoter', 1), cc(2, 'addVoter', 2), cc(3, 'addVoter', 3), cc(5, 'addVoter', 4), cc(7, 'removeNode', 4)]) c.onApply(1, e);
    const log = logOf(...Array.from({ length: 10 }, (_, i) => entry(i + 1, 1)));
    let id = 10;
    const at = (applied: number, voters: number[], settled = true): MemberView => ({ ...view(id++, 'follower', 1, log, applied), applied, voters, learners: [], settled });
    c.afterStep(at(4, [1, 2, 3]));
    c.afterStep(at(6, [1, 2, 3, 4]));
    c.afterStep(at(9, [1, 2, 3]));
    // Between ready() and advance() a restored snapshot's configuration may run ahead of applied: not judged.
    c.afterStep(at(6, [1, 2, 3], false));
    expect(c.violations).toEqual([]);
    // A change applied again over a newer snapshot (issue 7, bug 2): 4 is back after its removal.
    c.afterStep(at(10, [1, 2, 3, 4]));
    expect(c.violations.map((v) => v.kind)).toEqual(['ConfigurationAgreement']);
  });

  it('durability: the latest committed entry must be on enough voters\' disks', () => {
    const c = new InvariantChecker();
    c.onApply(1, entry(1, 1));
    const has = logOf(entry(1, 1));
    const lacks = logOf();
    c.checkDurability(new Map([[1, has], [2, has], [3, lacks]]), { voters: [1, 2, 3], learners: [] });
    expect(c.ok).toBe(true);
    c.checkDurability(new Map([[1, has], [2, lacks], [3, lacks]]), { voters: [1, 2, 3], learners: [] });
    expect(c.violations.map((v) => v.kind)).toEqual(['CommittedLost']);
  });

  it('stale reads: a read must see every write acknowledged before it began', () => {
    const c = new InvariantChecker();
    c.onWriteAck('k', 4);
    c.onReadInvoke(1, 'k');
    c.onWriteAck('k', 6); // concurrent with read 1: either answer is fine
    c.onReadReturn(1, 1, 4, 5);
    expect(c.ok).toBe(true);
    c.onReadInvoke(2, 'k');
    c.onReadReturn(2, 1, 4, 5);
    expect(c.violations.map((v) => v.kind)).toEqual(['StaleRead']);
  });
});
