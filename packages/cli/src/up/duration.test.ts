import { describe, expect, it } from 'vitest';
import { parseDurationMs } from './duration.ts';

describe('parseDurationMs', () => {
  it('reads units and bare milliseconds', () => {
    expect(parseDurationMs('--d', '60s')).toBe(60_000);
    expect(parseDurationMs('--d', '1500ms')).toBe(1_500);
    expect(parseDurationMs('--d', '2m')).toBe(120_000);
    expect(parseDurationMs('--d', '0.5s')).toBe(500);
    expect(parseDurationMs('--d', '250')).toBe(250);
  });

  it('refuses malformed and out-of-range values, naming the flag', () => {
    for (const bad of ['', 's', '-1s', '1d', '1 s s', '1e3']) expect(() => parseDurationMs('--duration', bad), bad).toThrow(/--duration/);
    expect(() => parseDurationMs('--duration', '500ms', 1_000)).toThrow(/between 1000 ms/);
  });
});
