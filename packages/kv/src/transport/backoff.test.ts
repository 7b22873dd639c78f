import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from './backoff.ts';

describe('backoffDelayMs', () => {
  const policy = { backoffMsMin: 50, backoffMsMax: 5000 };

  it.each([
    [0, 0, 25],
    [0, 0.999, 50],
    [1, 0, 50],
    [3, 0.5, 300],
    [6, 0, 1600],
    [7, 0, 2500], // 6400 capped at 5000
    [7, 0.999, 4998],
    [1000, 0.5, 3750], // huge attempt numbers stay finite and capped
  ])('attempt %i with random %f waits %i ms', (attempt, r, expected) => {
    expect(backoffDelayMs(policy, attempt, () => r)).toBe(expected);
  });

  it('never exceeds the cap and never drops below half of the exponential base', () => {
    for (let attempt = 0; attempt < 40; attempt++) {
      for (const r of [0, 0.25, 0.5, 0.75, 0.9999]) {
        const d = backoffDelayMs(policy, attempt, () => r);
        const base = Math.min(5000, 50 * 2 ** attempt);
        expect(d).toBeGreaterThanOrEqual(base / 2);
        expect(d).toBeLessThanOrEqual(5000);
      }
    }
  });
});
