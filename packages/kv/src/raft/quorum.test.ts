// Majority arithmetic, table by table.
import { describe, expect, it } from 'vitest';
import { committedIndex, hasQuorum, voteResult } from './quorum.ts';

describe('committedIndex: the highest index on a majority', () => {
  const cases: [string, number[], number][] = [
    ['single voter', [5], 5],
    ['three, two ahead', [5, 5, 1], 5],
    ['three, one ahead', [9, 3, 1], 3],
    ['four needs three', [9, 8, 3, 1], 3],
    ['five', [10, 9, 8, 2, 1], 8],
    ['all zero', [0, 0, 0], 0],
  ];
  for (const [name, matches, want] of cases) {
    it(name, () => {
      const voters = matches.map((_, i) => i + 1);
      expect(committedIndex(voters, (id) => matches[id - 1]!)).toBe(want);
    });
  }
  it('no voters means no constraint', () => {
    expect(committedIndex([], () => 0)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('voteResult', () => {
  const cases: [string, number, [number, boolean][], string][] = [
    ['single voter self vote wins', 1, [[1, true]], 'won'],
    ['3: two grants win', 3, [[1, true], [2, true]], 'won'],
    ['3: one grant pending', 3, [[1, true]], 'pending'],
    ['3: two rejects lose', 3, [[1, true], [2, false], [3, false]], 'lost'],
    ['4: two grants pending', 4, [[1, true], [2, true]], 'pending'],
    ['4: two rejects lose', 4, [[1, true], [2, false], [3, false]], 'lost'],
    ['5: votes of non-voters ignored', 5, [[1, true], [2, true], [9, true]], 'pending'],
  ];
  for (const [name, n, votes, want] of cases) {
    it(name, () => {
      const voters = Array.from({ length: n }, (_, i) => i + 1);
      expect(voteResult(voters, new Map(votes))).toBe(want);
    });
  }
});

describe('hasQuorum', () => {
  it('counts only voters', () => {
    expect(hasQuorum([1, 2, 3], (id) => id === 1 || id === 2)).toBe(true);
    expect(hasQuorum([1, 2, 3], (id) => id === 1 || id === 7)).toBe(false);
  });
});
