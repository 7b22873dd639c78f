// vitest bench flavour of check-bench.ts: `npx vitest bench --run packages/cli/bench`.
// Each history: 10,000 operations over 100 keys from 16 clients, linearizable by construction.

import { bench, describe, expect } from 'vitest';
import { checkHistory } from '../src/check/index.ts';
import { buildHistory, randomPlan } from '../src/check/generate.ts';
import { SeededRng } from '@halyard/kv/util';

const base = { ops: 10_000, keys: 100, clients: 16 };
const perKey = buildHistory(randomPlan(new SeededRng(1), { ...base, unknownRate: 0.05, txnRate: 0 })).history;
const oneComponent = buildHistory(randomPlan(new SeededRng(2), { ...base, unknownRate: 0.05, txnRate: 0.02 })).history;

describe('checkHistory, 10k ops / 100 keys / 16 clients', () => {
  bench('single-key ops, 5% unknown outcomes', () => {
    expect(checkHistory(perKey).outcome).toBe('linearizable');
  }, { iterations: 3, time: 0 });
  bench('2% multi-key txns (one component), 5% unknown outcomes', () => {
    expect(checkHistory(oneComponent).outcome).toBe('linearizable');
  }, { iterations: 3, time: 0 });
});
