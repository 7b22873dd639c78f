// The sequential model's step function, one rule at a time.

import { describe, expect, it } from 'vitest';
import type { HistoryOp } from './history.ts';
import { ComponentModel, type ComponentState } from './model.ts';
import { HistoryBuilder, cas, casResult, get, got, put, txn, wrote } from './testing.ts';

function run(keys: string[], ops: HistoryOp[]): { model: ComponentModel; states: (ComponentState | null)[] } {
  const model = new ComponentModel(keys, ops);
  const states: (ComponentState | null)[] = [];
  let s: ComponentState | null = model.init;
  for (let i = 0; i < ops.length; i++) {
    s = s === null ? null : model.step(s, i);
    states.push(s);
  }
  return { model, states };
}

describe('ComponentModel', () => {
  it('tracks a lower bound on the store revision and demands writes exceed it', () => {
    const ops = new HistoryBuilder()
      .op(0, 0, 1, put('x', 'a'), wrote(5))
      .op(0, 2, 3, get('x'), got('a', 5, 9))
      .op(0, 4, 5, put('x', 'b'), wrote(9))
      .build();
    const { states } = run(['x'], ops);
    expect(states[1]!.revLow).toBe(9);
    expect(states[2]).toBeNull();
  });

  it('gives an unknown-outcome write an interval of revisions that later observations narrow and pin', () => {
    const ops = new HistoryBuilder()
      .op(0, 0, 1, put('x', 'a'), wrote(5))
      .unknown(1, 0, put('x', 'b'))
      .op(0, 2, 3, cas('y', 7, 'z'), casResult(false, 8))
      .op(0, 4, 5, get('x'), got('b', 7, 9))
      .build();
    const { model, states } = run(['x', 'y'], ops);
    expect(model.describe(states[1]!)).toContain('x="b" (mod unknown in [6, ∞])');
    expect(model.describe(states[2]!)).toContain('x="b" (mod unknown in [6, 8])');
    expect(model.describe(states[3]!)).toContain('x="b" (mod 7)');
  });

  it('rejects a pin outside the interval', () => {
    const ops = new HistoryBuilder()
      .op(0, 0, 1, put('x', 'a'), wrote(5))
      .unknown(1, 0, put('x', 'b'))
      .op(0, 4, 5, get('x'), got('b', 5, 9))
      .build();
    expect(run(['x'], ops).states[2]).toBeNull();
  });

  it('pins every key of an unknown-outcome txn together', () => {
    const ops = new HistoryBuilder()
      .unknown(1, 0, txn([], [['x', '1'], ['y', '2']]))
      .op(0, 4, 5, get('x'), got('1', 4, 9))
      .build();
    const { model, states } = run(['x', 'y'], ops);
    expect(model.describe(states[1]!)).toContain('y="2" (mod 4)');
  });

  it('explains a rejection in words', () => {
    const ops = new HistoryBuilder().op(0, 0, 1, get('x'), got('a', 2, 2)).build();
    const model = new ComponentModel(['x'], ops);
    expect(model.whyRejected(model.init, 0)).toBe('get(x): returned "a" but the key holds absent');
  });

  it('orders known operations by revision, writes before reads at the same revision', () => {
    const ops = new HistoryBuilder()
      .op(0, 0, 1, get('x'), got(null, 0, 3))
      .op(0, 2, 3, put('x', 'a'), wrote(3))
      .unknown(1, 0, put('x', 'q'))
      .build();
    const model = new ComponentModel(['x'], ops);
    expect(model.priority(1)).toBeLessThan(model.priority(0));
    expect(model.priority(2)).toBe(Number.MAX_SAFE_INTEGER);
  });
});
