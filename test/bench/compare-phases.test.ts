// `pnpm bench --phases`: which workloads a run measures. A bad list is an error naming the phases there are.
import { describe, expect, it } from 'vitest';
import { PHASES, parsePhases } from '../../packages/cli/bench/compare/phases.ts';

describe('bench --phases', () => {
  it('runs every phase without the flag, and exactly the listed ones with it', () => {
    expect([...parsePhases(undefined)]).toEqual([...PHASES]);
    expect([...parsePhases('load,restart')].sort()).toEqual(['load', 'restart']);
    expect([...parsePhases(' failover ')]).toEqual(['failover']);
  });

  it('refuses an unknown or empty phase, naming the valid ones', () => {
    for (const bad of ['load,rss', '', 'load,,restart']) {
      expect(() => parsePhases(bad)).toThrow(`--phases takes a comma-separated list of ${PHASES.join(', ')}`);
    }
  });
});
