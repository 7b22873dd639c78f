// Benchmark of the linearizability checker on generated histories (not a test: it prints timings).
// Run: npx tsx packages/kv/bench/check-bench.ts [seed]
// Each case is a history of 10,000 operations over 100 keys from 16 clients, linearizable by construction.

import { checkHistory } from '../src/check/index.ts';
import type { CheckResult, HistoryOp, Result } from '../src/check/index.ts';
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

/**
 * The same history with one stale read: a get in the second half returns the value of a put that a later
 * put to the same key had overwritten before the get was invoked. Must be found not linearizable.
 */
function withStaleRead(history: HistoryOp[]): HistoryOp[] {
  for (const g of history.slice(history.length / 2)) {
    if (g.op.type !== 'get' || g.result?.type !== 'get') continue;
    const key = g.op.key;
    const puts = history.filter(
      (w) => w.op.type === 'put' && w.op.key === key && w.returnTime !== null && w.returnTime < g.invokeTime,
    );
    const old = puts[puts.length - 2];
    if (old?.op.type !== 'put' || old.result === null) continue;
    const stale: Result = { ...g.result, value: old.op.value, modRevision: old.result.revision };
    return history.map((h) => (h.id === g.id ? { ...h, result: stale } : h));
  }
  throw new Error('no read to make stale');
}

function run(name: string, history: HistoryOp[], expected: CheckResult['outcome']): void {
  const startMs = performance.now();
  const result = checkHistory(history);
  const elapsedMs = performance.now() - startMs;
  const s = result.stats;
  console.log(
    `${name}: ${result.outcome} in ${elapsedMs.toFixed(0)} ms ` +
      `(${s.operations} ops, ${s.components} components, largest ${s.largestComponentOps} ops, ${s.statesExplored} states)`,
  );
  if (result.outcome !== expected) process.exitCode = 1;
}

for (const c of cases) {
  const { history } = buildHistory(randomPlan(new SeededRng(seed), c.params));
  run(c.name, history, 'linearizable');
  run(`${c.name}, one stale read`, withStaleRead(history), 'not-linearizable');
}
