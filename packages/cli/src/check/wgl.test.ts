// The search against brute force: on small histories, every pruning rule (priority order, empty frames,
// the dominance cache, the restricted passes) must give exactly the verdict of trying every order.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildHistory, type PlannedOp } from './generate.ts';
import type { HistoryOp, Result } from './history.ts';
import { ComponentModel, type ComponentState } from './model.ts';
import { keysOf } from './ops.ts';
import { searchLinearization } from './wgl.ts';

/** Is there an order of `ops`, consistent with real time, in which the model accepts every result? */
function bruteForce(ops: readonly HistoryOp[], model: ComponentModel): boolean {
  const placed = new Array<boolean>(ops.length).fill(false);
  const go = (state: ComponentState): boolean => {
    if (ops.every((h, i) => placed[i] || h.returnTime === null)) return true;
    for (let i = 0; i < ops.length; i++) {
      if (placed[i]) continue;
      // i may go next unless some unplaced known-outcome operation returned before i was invoked.
      const blocked = ops.some(
        (h, j) => !placed[j] && j !== i && h.returnTime !== null && h.returnTime < ops[i]!.invokeTime,
      );
      if (blocked) continue;
      const next = model.step(state, i);
      if (next === null) continue;
      placed[i] = true;
      const ok = go(next);
      placed[i] = false;
      if (ok) return true;
    }
    return false;
  };
  return go(model.init);
}

const plannedOp: fc.Arbitrary<PlannedOp> = fc.record({
  clientId: fc.integer({ min: 0, max: 3 }),
  kind: fc.constantFrom('get', 'put', 'delete', 'cas', 'txn'),
  keys: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 1, maxLength: 2 }),
  compareHolds: fc.boolean(),
  outcome: fc.constantFrom('known', 'known', 'unknown-applied', 'unknown-dropped'),
  invokeLead: fc.integer({ min: 0, max: 999 }).map((x) => x / 1000),
  returnLag: fc.integer({ min: 0, max: 999 }).map((x) => x / 1000),
});

/** Shift a revision or change a value, so that about half the histories stop being linearizable. */
function tweak(h: HistoryOp, how: number): Result | null {
  const r = h.result;
  if (r === null) return null;
  if (r.type === 'get' && how % 3 === 0) return { ...r, value: r.value === null ? 'v0' : null, modRevision: r.value === null ? 2 : 0 };
  return { ...r, revision: Math.max(1, r.revision + (how % 2 === 0 ? 1 : -1)) };
}

describe('searchLinearization', () => {
  it('agrees with brute force on small histories, damaged or not', () => {
    // Invariant: the search's pruning is sound and complete: it finds a linearization exactly when one
    // exists under the same model.
    let found = 0;
    let refuted = 0;
    fc.assert(
      fc.property(fc.array(plannedOp, { minLength: 1, maxLength: 9 }), fc.nat(), fc.integer({ min: 0, max: 5 }), (p, pick, how) => {
        const { history } = buildHistory(p);
        const target = history[pick % history.length]!;
        const damaged = history.map((h) => (h.id === target.id && pick % 4 !== 0 ? { ...h, result: tweak(h, how) ?? h.result } : h));
        const ops = damaged.filter((h) => !(h.op.type === 'get' && h.result === null));
        const keys = [...new Set(ops.flatMap((h) => keysOf(h.op)))];
        if (ops.length === 0) return;
        const model = new ComponentModel(keys, ops);
        const expected = bruteForce(ops, model);
        const got = searchLinearization(ops, model, { statesLeft: 1e6, deadlineMs: Infinity, now: () => 0 });
        expect(got.outcome).toBe(expected ? 'linearizable' : 'not-linearizable');
        if (expected) found++;
        else refuted++;
      }),
      { numRuns: 2000 },
    );
    expect(found).toBeGreaterThan(100);
    expect(refuted).toBeGreaterThan(100);
  });
});
