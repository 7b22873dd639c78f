import { describe, expect, it } from 'vitest';
import { Harness } from './harness.testutil.ts';

describe('smoke', () => {
  it('elects a leader and replicates', () => {
    const h = new Harness([1, 2, 3]);
    h.elect(1);
    expect(h.leaders()).toEqual([1]);
    h.propose(1, 'a');
    h.propose(1, 'b');
    h.tickAll(2);
    for (const id of [1, 2, 3]) expect(h.appliedTexts(id)).toEqual(['a', 'b']);
  });
  it('elects by ticking', () => {
    const h = new Harness([1, 2, 3, 4, 5], { seed: 7 });
    h.tickAll(40);
    expect(h.leaders().length).toBe(1);
  });
});
