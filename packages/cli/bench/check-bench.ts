// Benchmark of the linearizability checker on generated histories (not a test: it prints timings).
// Run: npx tsx packages/cli/bench/check-bench.ts [seed]
// Each case is a history of 10,000 operations over 100 keys from 16 clients, linearizable by construction.
// With --heavy: smaller histories with high shares of unknown outcomes, 5 s budget each, tallying verdicts.

import { checkHistory, type CheckResult, type HistoryOp, type Result } from '../src/check/index.ts';
import { buildHistory, randomPlan, type RandomPlanParams } from '../src/check/generate.ts';
import { SeededRng } from '@halyard/kv/util';

const heavy = process.argv.includes('--heavy');
const seed = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 1);
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

const heavyCases: { params: RandomPlanParams; seeds: number }[] = [
  { params: { ops: 300, keys: 3, clients: 8, unknownRate: 0.3, txnRate: 0.1 }, seeds: 40 },
  { params: { ops: 300, keys: 10, clients: 16, unknownRate: 0.2, txnRate: 0.05 }, seeds: 40 },
  { params: { ops: 300, keys: 3, clients: 8, unknownRate: 0.5, txnRate: 0.2 }, seeds: 40 },
  { params: { ops: 1000, keys: 5, clients: 16, unknownRate: 0.3, txnRate: 0.05 }, seeds: 20 },
];

if (heavy) {
  for (const c of heavyCases) {
    const tally = new Map<string, number>();
    let worstMs = 0;
    for (let s = 1; s <= c.seeds; s++) {
      const { history } = buildHistory(randomPlan(new SeededRng(s), c.params));
      const result = checkHistory(history, { timeBudgetMs: 5000 });
      tally.set(result.outcome, (tally.get(result.outcome) ?? 0) + 1);
      worstMs = Math.max(worstMs, result.stats.elapsedMs);
      if (result.outcome === 'not-linearizable') process.exitCode = 1;
    }
    console.log(JSON.stringify(c.params), JSON.stringify(Object.fromEntries(tally)), `worst ${worstMs.toFixed(0)} ms`);
  }
} else {
  for (const c of cases) {
    const { history } = buildHistory(randomPlan(new SeededRng(seed), c.params));
    run(c.name, history, 'linearizable');
    run(`${c.name}, one stale read`, withStaleRead(history), 'not-linearizable');
  }
}
