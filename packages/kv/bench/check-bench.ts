// Benchmark of the linearizability checker on generated histories (not a test: it prints timings).
// Run: npx tsx packages/kv/bench/check-bench.ts [seed]
// Each case is a history of 10,000 operations over 100 keys from 16 clients, linearizable by construction.

import { checkHistory } from '../src/check/index.ts';
import { buildHistory, randomPlan } from '../src/check/generate.ts';
import type { RandomPlanParams } from '../src/check/generate.ts';
import { SeededRng } from '../src/util/rng.ts';

const seed = Number(process.argv[2] ?? 1);
const base = { ops: 10_000, keys: 100, clients: 16 };
const cases: { name: string; params: RandomPlanParams }[] = [
  { name: 'single-key ops, all outcomes known', params: { ...base, unknownRate: 0, txnRate: 0 } },
  { name: 'single-key ops, 5% unknown outcomes', params: { ...base, unknownRate: 0.05, txnRate: 0 } },
  { name: '2% multi-key txns (one component), 5% unknown', params: { ...base, unknownRate: 0.05, txnRate: 0.02 } },
];

for (const c of cases) {
  const { history } = buildHistory(randomPlan(new SeededRng(seed), c.params));
  const startMs = performance.now();
  const result = checkHistory(history);
  const elapsedMs = performance.now() - startMs;
  const s = result.stats;
  console.log(
    `${c.name}: ${result.outcome} in ${elapsedMs.toFixed(0)} ms ` +
      `(${s.operations} ops, ${s.components} components, largest ${s.largestComponentOps} ops, ${s.statesExplored} states)`,
  );
  if (result.outcome !== 'linearizable') process.exitCode = 1;
}
