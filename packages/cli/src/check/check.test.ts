// Hand-written histories with a known verdict. The store starts at revision 1 as etcd's does, so the first
// write creates revision 2. Times are arbitrary units; [a, b] is invocation to return.

import { describe, expect, it } from 'vitest';
import { checkHistory, type CheckResult } from './check.ts';
import type { History } from './history.ts';
import {
  HistoryBuilder,
  cas,
  casResult,
  del,
  deleted,
  get,
  got,
  put,
  txn,
  txnResult,
  wrote,
} from './testing.ts';
import { InvalidHistoryError } from './validate.ts';

function verdict(h: History): CheckResult['outcome'] {
  return checkHistory(h).outcome;
}

function failure(h: History): Extract<CheckResult, { outcome: 'not-linearizable' }> {
  const r = checkHistory(h);
  if (r.outcome !== 'not-linearizable') throw new Error(`expected a violation, got ${r.outcome}`);
  return r;
}

describe('single key, known outcomes', () => {
  it('accepts a sequential put then get', () => {
    const h = new HistoryBuilder()
      .op(0, 0, 10, put('x', 'a'), wrote(2))
      .op(1, 20, 30, get('x'), got('a', 2, 2))
      .build();
    expect(checkHistory(h)).toMatchObject({ outcome: 'linearizable' });
  });

  it('rejects a stale read, and names the read as the operation that cannot be placed', () => {
    const h = new HistoryBuilder()
      .op(0, 0, 10, put('x', 'a'), wrote(2))
      .op(0, 20, 30, put('x', 'b'), wrote(3))
      .op(1, 40, 50, get('x'), got('a', 2, 3))
      .build();
    const r = failure(h);
    expect(r.components).toHaveLength(1);
    const v = r.components[0]!;
    expect(v.blockedOpId).toBe(2);
    expect(v.longestPrefix).toEqual([0, 1]);
    expect(v.candidates).toEqual([
      { opId: 2, reason: expect.stringContaining('returned "a" but the key holds "b"'), rejected: true, knownOutcome: true },
    ]);
    expect(v.stateAfterPrefix).toContain('x="b" (mod 3)');
    expect(r.offendingOpIds).toContain(2);
  });

  it('rejects a lost write: an acknowledged put that a later read does not see', () => {
    const h = new HistoryBuilder()
      .op(0, 0, 10, put('x', 'a'), wrote(2))
      .op(1, 20, 30, get('x'), got(null, 0, 2))
      .build();
    expect(verdict(h)).toBe('not-linearizable');
  });

  it('rejects a read of a value nobody wrote', () => {
    const h = new HistoryBuilder()
      .op(0, 0, 10, put('x', 'a'), wrote(2))
      .op(1, 5, 30, get('x'), got('zzz', 2, 2))
      .build();
    expect(verdict(h)).toBe('not-linearizable');
  });

  it('accepts a read concurrent with a write seeing either the old or the new value', () => {
    for (const seen of [got(null, 0, 1), got('a', 2, 2)]) {
      const h = new HistoryBuilder()
        .op(0, 0, 100, put('x', 'a'), wrote(2))
        .op(1, 10, 20, get('x'), seen)
        .build();
      expect(verdict(h)).toBe('linearizable');
    }
  });

  it('accepts concurrent writes only in the order the reads force', () => {
    // Both puts overlap both reads; the reads force a before b.
    const ok = new HistoryBuilder()
      .op(0, 0, 100, put('x', 'a'), wrote(2))
      .op(1, 0, 100, put('x', 'b'), wrote(3))
      .op(2, 10, 20, get('x'), got('a', 2, 2))
      .op(2, 30, 40, get('x'), got('b', 3, 3))
      .build();
    expect(verdict(ok)).toBe('linearizable');
    // The reads in the other order contradict the revisions the puts returned.
    const bad = new HistoryBuilder()
      .op(0, 0, 100, put('x', 'a'), wrote(2))
      .op(1, 0, 100, put('x', 'b'), wrote(3))
      .op(2, 10, 20, get('x'), got('b', 3, 3))
      .op(2, 30, 40, get('x'), got('a', 2, 3))
      .build();
    expect(verdict(bad)).toBe('not-linearizable');
  });

  it('delete: of a present key bumps the revision; of an absent one does not', () => {
    const h = new HistoryBuilder()
      .op(0, 0, 10, put('x', 'a'), wrote(2))
      .op(0, 20, 30, del('x'), deleted(1, 3))
      .op(0, 40, 50, del('x'), deleted(0, 3))
      .op(0, 60, 70, get('x'), got(null, 0, 3))
      .build();
    expect(verdict(h)).toBe('linearizable');
    const bad = new HistoryBuilder()
      .op(0, 0, 10, put('x', 'a'), wrote(2))
      .op(0, 20, 30, del('x'), deleted(0, 2))
      .build();
    expect(verdict(bad)).toBe('not-linearizable');
  });
});

describe('unknown outcomes', () => {
  it('accepts an unknown-outcome write that later appears', () => {
    const h = new HistoryBuilder()
      .unknown(0, 0, put('x', 'a'))
      .op(1, 50, 60, get('x'), got(null, 0, 1))
      .op(1, 70, 80, get('x'), got('a', 2, 2))
      .build();
    expect(verdict(h)).toBe('linearizable');
  });

  it('accepts an unknown-outcome write that never appears', () => {
    const h = new HistoryBuilder()
      .unknown(0, 0, put('x', 'a'))
      .op(1, 50, 60, get('x'), got(null, 0, 1))
      .op(1, 1000, 1010, get('x'), got(null, 0, 1))
      .build();
    expect(verdict(h)).toBe('linearizable');
  });

  it('rejects an unknown-outcome write that appears and then disappears', () => {
    const h = new HistoryBuilder()
      .unknown(0, 0, put('x', 'a'))
      .op(1, 50, 60, get('x'), got('a', 2, 2))
      .op(1, 70, 80, get('x'), got(null, 0, 2))
      .build();
    expect(verdict(h)).toBe('not-linearizable');
  });

  it('rejects an unknown-outcome write seen before it was invoked', () => {
    const h = new HistoryBuilder()
      .op(1, 0, 10, get('x'), got('a', 2, 2))
      .unknown(0, 20, put('x', 'a'))
      .build();
    expect(verdict(h)).toBe('not-linearizable');
  });

  it('pins an unknown write’s revision: it must exceed what was observed before it took effect', () => {
    const base = new HistoryBuilder().op(0, 0, 10, put('x', 'a'), wrote(5)).unknown(0, 20, cas('x', 5, 'b'));
    expect(verdict(base.build().concat(new HistoryBuilder().op(1, 30, 40, get('x'), got('b', 7, 8)).build().map((o) => ({ ...o, id: 99 }))))).toBe('linearizable');
    const bad = new HistoryBuilder()
      .op(0, 0, 10, put('x', 'a'), wrote(5))
      .unknown(0, 20, cas('x', 5, 'b'))
      .op(1, 30, 40, get('x'), got('b', 5, 8))
      .build();
    expect(verdict(bad)).toBe('not-linearizable');
  });

  it('accepts an unknown-outcome delete either way', () => {
    for (const after of [got('a', 2, 2), got(null, 0, 3)]) {
      const h = new HistoryBuilder()
        .op(0, 0, 10, put('x', 'a'), wrote(2))
        .unknown(0, 20, del('x'))
        .op(1, 30, 40, get('x'), after)
        .build();
      expect(verdict(h)).toBe('linearizable');
    }
  });
});

describe('cas', () => {
  const prefix = (): HistoryBuilder => new HistoryBuilder().op(0, 0, 10, put('x', 'a'), wrote(2));

  it('accepts a matching cas that succeeds and a stale one that fails', () => {
    const h = prefix()
      .op(0, 20, 30, cas('x', 2, 'b'), casResult(true, 3))
      .op(0, 40, 50, cas('x', 2, 'c'), casResult(false, 3))
      .op(0, 60, 70, get('x'), got('b', 3, 3))
      .build();
    expect(verdict(h)).toBe('linearizable');
  });

  it('accepts cas on an absent key with expected modRevision 0', () => {
    const h = new HistoryBuilder()
      .op(0, 0, 10, cas('x', 0, 'a'), casResult(true, 2))
      .op(0, 20, 30, cas('x', 0, 'b'), casResult(false, 2))
      .build();
    expect(verdict(h)).toBe('linearizable');
  });

  it('rejects a cas that succeeded against the wrong modRevision', () => {
    expect(verdict(prefix().op(0, 20, 30, cas('x', 7, 'b'), casResult(true, 3)).build())).toBe('not-linearizable');
  });

  it('rejects a cas that failed although its compare held', () => {
    expect(verdict(prefix().op(0, 20, 30, cas('x', 2, 'b'), casResult(false, 2)).build())).toBe('not-linearizable');
  });

  it('rejects two concurrent cas on the same modRevision that both succeed', () => {
    const h = prefix()
      .op(1, 20, 30, cas('x', 2, 'b'), casResult(true, 3))
      .op(2, 20, 30, cas('x', 2, 'c'), casResult(true, 4))
      .build();
    expect(verdict(h)).toBe('not-linearizable');
  });
});

describe('multi-key txn', () => {
  const setup = (): HistoryBuilder =>
    new HistoryBuilder().op(0, 0, 10, put('x', 'a'), wrote(2)).op(0, 20, 30, put('y', 'b'), wrote(3));

  it('accepts an atomic txn seen whole', () => {
    const h = setup()
      .op(0, 40, 50, txn([['x', 2], ['y', 3]], [['x', 'c'], ['y', 'd']]), txnResult(true, 4))
      .op(1, 45, 60, get('x'), got('c', 4, 4))
      .op(1, 70, 80, get('y'), got('d', 4, 4))
      .build();
    expect(verdict(h)).toBe('linearizable');
  });

  it('rejects a txn seen half applied', () => {
    const h = setup()
      .op(0, 40, 50, txn([['x', 2], ['y', 3]], [['x', 'c'], ['y', 'd']]), txnResult(true, 4))
      .op(1, 41, 49, get('x'), got('c', 4, 4))
      .op(2, 41, 49, get('y'), got('b', 3, 4))
      .build();
    // With exact revisions this is already visible on y alone (its projection): at revision 4, y is "d".
    const r = failure(h);
    expect(r.components[0]!.keys).toEqual(['y']);
    expect(r.components[0]!.explanation).toContain('txns cut down to this key');
  });

  it('needs the whole component when an unknown-outcome txn is seen on one key but not the other', () => {
    // Each key alone is fine (the txn may or may not have happened); together, one get saw it and a later
    // one did not.
    const h = setup()
      .unknown(0, 40, txn([['x', 2]], [['x', 'c'], ['y', 'd']]))
      .op(1, 60, 70, get('x'), got('c', 9, 9))
      .op(1, 80, 90, get('y'), got('b', 3, 9))
      .build();
    const r = failure(h);
    expect(r.components[0]!.keys).toEqual(['x', 'y']);
  });

  it('rejects a txn that failed though all compares held, accepts one that failed on a stale compare', () => {
    const bad = setup().op(0, 40, 50, txn([['x', 2], ['y', 3]], [['x', 'c']]), txnResult(false, 3)).build();
    expect(verdict(bad)).toBe('not-linearizable');
    const ok = setup()
      .op(0, 40, 50, txn([['x', 2], ['y', 2]], [['x', 'c']]), txnResult(false, 3))
      .op(0, 60, 70, get('x'), got('a', 2, 3))
      .build();
    expect(verdict(ok)).toBe('linearizable');
  });

  it('accepts an unknown-outcome txn that took effect on both keys', () => {
    const h = setup()
      .unknown(0, 40, txn([['x', 2]], [['x', 'c'], ['y', 'd']]))
      .op(1, 60, 70, get('y'), got('d', 9, 9))
      .op(1, 80, 90, get('x'), got('c', 9, 9))
      .build();
    expect(verdict(h)).toBe('linearizable');
    // ...but not with different modRevisions on the two keys: one txn, one revision.
    const bad = setup()
      .unknown(0, 40, txn([['x', 2]], [['x', 'c'], ['y', 'd']]))
      .op(1, 60, 70, get('y'), got('d', 9, 9))
      .op(1, 80, 90, get('x'), got('c', 8, 9))
      .build();
    expect(verdict(bad)).toBe('not-linearizable');
  });
});

describe('global revision across keys', () => {
  it('rejects revisions that go backwards in real time across keys', () => {
    const h = new HistoryBuilder()
      .op(0, 0, 10, put('x', 'a'), wrote(5))
      .op(1, 20, 30, put('y', 'b'), wrote(4))
      .build();
    const r = failure(h);
    expect(r.components).toEqual([]);
    expect(r.revisionViolations).toEqual([expect.objectContaining({ rule: 'real-time', opIds: [0, 1] })]);
  });

  it('rejects a read served at a revision older than a write that returned before it', () => {
    const h = new HistoryBuilder()
      .op(0, 0, 10, put('x', 'a'), wrote(5))
      .op(1, 20, 30, get('y'), got(null, 0, 4))
      .build();
    expect(failure(h).revisionViolations[0]!.rule).toBe('real-time');
  });

  it('accepts revisions in either order for concurrent writes to different keys', () => {
    const h = new HistoryBuilder()
      .op(0, 0, 10, put('x', 'a'), wrote(5))
      .op(1, 5, 30, put('y', 'b'), wrote(4))
      .build();
    expect(verdict(h)).toBe('linearizable');
  });

  it('rejects two writes to different keys sharing a revision', () => {
    const h = new HistoryBuilder()
      .op(0, 0, 10, put('x', 'a'), wrote(5))
      .op(1, 0, 10, put('y', 'b'), wrote(5))
      .build();
    expect(failure(h).revisionViolations[0]!.rule).toBe('distinct');
  });

  it('rejects a modRevision that belongs to a write of another key', () => {
    const h = new HistoryBuilder()
      .unknown(0, 0, put('x', 'a'))
      .op(1, 5, 10, put('y', 'b'), wrote(3))
      .op(1, 20, 30, get('x'), got('a', 3, 3))
      .build();
    expect(failure(h).revisionViolations[0]!.rule).toBe('attribution');
  });

  it('rejects an unknown write whose revision is older than what returned before it was invoked', () => {
    const h = new HistoryBuilder()
      .op(0, 0, 10, put('y', 'b'), wrote(5))
      .unknown(1, 20, put('x', 'a'))
      .op(2, 30, 40, get('x'), got('a', 4, 6))
      .build();
    expect(failure(h).revisionViolations[0]!.rule).toBe('unknown-writer');
  });

  it('rejects a get whose modRevision is above the revision it was served at', () => {
    const h = new HistoryBuilder().op(0, 0, 10, put('x', 'a'), wrote(5)).op(0, 20, 30, get('x'), got('a', 5, 4)).build();
    expect(failure(h).revisionViolations.map((v) => v.rule)).toContain('sanity');
  });
});

describe('bounds and malformed input', () => {
  // Many concurrent unknown-outcome writes (each optional, in any order) and a read that no order satisfies:
  // proving there is no linearization means exploring a huge space.
  const pathological = (): History => {
    const b = new HistoryBuilder();
    const writes = 14;
    for (let i = 0; i < writes; i++) b.unknown(i, 0, put('x', `v${i}`));
    for (let i = 0; i < 8; i++) b.op(100 + i, 0, 100, get('x'), got(`v${writes - 1 - i}`, 10 + i, 10 + i));
    b.op(200, 0, 100, get('x'), got('v0', 5, 30));
    return b.build();
  };

  it('returns unknown, not a verdict, when the state budget runs out', () => {
    const r = checkHistory(pathological(), { maxStates: 20_000 });
    expect(r).toMatchObject({ outcome: 'unknown', reason: expect.stringContaining('state budget') });
  });

  it('returns unknown when the time budget runs out', () => {
    let t = 0;
    const r = checkHistory(pathological(), { timeBudgetMs: 1, now: () => (t += 10) });
    expect(r).toMatchObject({ outcome: 'unknown', reason: expect.stringContaining('time budget') });
  });

  it('still reports a violation in another component when one component is undecided', () => {
    const h = [
      ...pathological(),
      ...new HistoryBuilder()
        .op(300, 0, 10, put('y', 'a'), wrote(40))
        .op(300, 20, 30, get('y'), got(null, 0, 41))
        .build()
        .map((o) => ({ ...o, id: o.id + 1000 })),
    ];
    const r = checkHistory(h, { maxStates: 20_000 });
    expect(r.outcome).toBe('not-linearizable');
  });

  it('throws InvalidHistoryError for overlapping operations of one client', () => {
    const h = new HistoryBuilder().op(0, 0, 10, put('x', 'a'), wrote(2)).op(0, 5, 20, get('x'), got('a', 2, 2)).build();
    expect(() => checkHistory(h)).toThrow(InvalidHistoryError);
  });

  it('throws InvalidHistoryError for a result of the wrong type', () => {
    const h = new HistoryBuilder().op(0, 0, 10, put('x', 'a'), got('a', 2, 2)).build();
    expect(() => checkHistory(h)).toThrow(/put op with a get result/);
  });

  it('accepts the empty history', () => {
    expect(verdict([])).toBe('linearizable');
  });
});
