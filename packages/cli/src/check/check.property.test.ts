// Generated histories whose answer is known by construction (generate.ts): a random plan is run one
// operation at a time through the reference store, which is a linearization, and each operation gets an
// interval around its point in that order. Mutations then make a history that cannot be linearizable.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkHistory } from './check.ts';
import { buildHistory, type GeneratedHistory, type PlannedOp } from './generate.ts';
import type { HistoryOp, Result } from './history.ts';
import { isEffectiveWrite, writtenKeysOf } from './ops.ts';

const plannedOp = (keys: number, clients: number): fc.Arbitrary<PlannedOp> =>
  fc.record({
    clientId: fc.integer({ min: 0, max: clients - 1 }),
    kind: fc.constantFrom('get', 'get', 'put', 'put', 'delete', 'cas', 'cas', 'txn'),
    keys: fc.array(fc.integer({ min: 0, max: keys - 1 }), { minLength: 1, maxLength: 3 }),
    compareHolds: fc.boolean(),
    outcome: fc.constantFrom('known', 'known', 'known', 'known', 'known', 'unknown-applied', 'unknown-dropped'),
    invokeLead: fc.integer({ min: 0, max: 999 }).map((x) => x / 1000),
    returnLag: fc.integer({ min: 0, max: 999 }).map((x) => x / 1000),
  });

const plan = (opts: { maxOps: number; unknown: boolean }): fc.Arbitrary<PlannedOp[]> =>
  fc
    .record({ keys: fc.integer({ min: 1, max: 4 }), clients: fc.integer({ min: 1, max: 6 }) })
    .chain(({ keys, clients }) =>
      fc.array(plannedOp(keys, clients), { minLength: 1, maxLength: opts.maxOps }),
    )
    .map((ops) => (opts.unknown ? ops : ops.map((o) => ({ ...o, outcome: 'known' as const }))));

const withResult = (history: readonly HistoryOp[], id: number, result: Result): HistoryOp[] =>
  history.map((h) => (h.id === id ? { ...h, result } : h));

const writes = (h: HistoryOp, key: string): boolean => writtenKeysOf(h.op).includes(key);

/** The value an applied operation left at `key`, or undefined if it did not set a value there. */
function valueWritten(g: GeneratedHistory, id: number, key: string): string | undefined {
  const h = g.history[id]!;
  const r = g.actual[id];
  if (r === null || r === undefined || !isEffectiveWrite(h.op, r)) return undefined;
  if (h.op.type === 'put' || h.op.type === 'cas') return h.op.key === key ? h.op.value : undefined;
  if (h.op.type === 'txn') return h.op.puts.find((p) => p.key === key)?.value;
  return undefined;
}

describe('generated histories', () => {
  it('a history built from a sequential run, with or without unknown outcomes, is linearizable', () => {
    // Invariant: every operation's interval contains its point in the sequential order, applied
    // unknown-outcome operations took effect at their point, dropped ones never did; so that order is a
    // linearization and the checker must find one, partitioned or searching the whole history.
    fc.assert(
      fc.property(plan({ maxOps: 40, unknown: true }), (p) => {
        const { history } = buildHistory(p);
        expect(checkHistory(history).outcome).toBe('linearizable');
        expect(checkHistory(history, { partitionByKey: false }).outcome).toBe('linearizable');
      }),
      { numRuns: 300 },
    );
  });

  it('a longer history with many unknown outcomes is still decided, and linearizable', () => {
    // Invariant: as above; and the search must not give up (outcome 'unknown') on a third of the operations
    // having unknown outcomes, the hard case for the search.
    const heavy = fc
      .record({ keys: fc.integer({ min: 1, max: 3 }), clients: fc.integer({ min: 4, max: 8 }) })
      .chain(({ keys, clients }) =>
        fc.array(
          plannedOp(keys, clients).chain((o) =>
            fc.constantFrom('known', 'known', 'unknown-applied', 'unknown-dropped').map((outcome) => ({ ...o, outcome })),
          ),
          { minLength: 50, maxLength: 150 },
        ),
      );
    fc.assert(
      fc.property(heavy, (p) => {
        expect(checkHistory(buildHistory(p).history, { timeBudgetMs: 20_000 }).outcome).toBe('linearizable');
      }),
      { numRuns: 40 },
    );
  });

  it('a read changed to a value overwritten before it was invoked is a violation', () => {
    let checked = 0;
    // Invariant: if write W2 to key k returned before get G was invoked, G takes effect after W2, so it
    // cannot return the value and modRevision of a write W1 that took effect before W2 (values and
    // revisions are unique per write, so nothing can bring that pair back).
    fc.assert(
      fc.property(plan({ maxOps: 40, unknown: true }), fc.nat(), (p, pick) => {
        const g = buildHistory(p);
        const candidates: { getId: number; value: string; mod: number }[] = [];
        for (const G of g.history) {
          if (G.op.type !== 'get' || G.result?.type !== 'get') continue;
          const key = G.op.key;
          for (const W2 of g.history) {
            if (W2.result === null || W2.returnTime === null || W2.returnTime >= G.invokeTime) continue;
            if (!writes(W2, key) || !isEffectiveWrite(W2.op, W2.result)) continue;
            for (const w1 of g.order) {
              if (w1 >= W2.id) break;
              const value = valueWritten(g, w1, key);
              if (value !== undefined) candidates.push({ getId: G.id, value, mod: g.actual[w1]!.revision });
            }
          }
        }
        fc.pre(candidates.length > 0);
        const c = candidates[pick % candidates.length]!;
        const G = g.history[c.getId]!;
        const stale = withResult(g.history, c.getId, {
          type: 'get',
          value: c.value,
          modRevision: c.mod,
          revision: G.result!.revision,
        });
        expect(checkHistory(stale).outcome).toBe('not-linearizable');
        checked++;
      }),
      { numRuns: 300 },
    );
    expect(checked).toBeGreaterThan(100);
  });

  it('a read of a value nobody wrote is a violation', () => {
    // Invariant: a get returns the value of some write to its key or nothing; no operation writes 'ghost'.
    fc.assert(
      fc.property(plan({ maxOps: 30, unknown: true }), fc.nat(), (p, pick) => {
        const g = buildHistory(p);
        const gets = g.history.filter((h) => h.result?.type === 'get');
        fc.pre(gets.length > 0);
        const G = gets[pick % gets.length]!;
        const r = G.result as Extract<Result, { type: 'get' }>;
        const ghost = withResult(g.history, G.id, { ...r, value: 'ghost', modRevision: Math.max(1, r.modRevision) });
        expect(checkHistory(ghost).outcome).toBe('not-linearizable');
      }),
      { numRuns: 200 },
    );
  });

  it('two writes claiming the same revision are a violation', () => {
    // Invariant: every effective write creates its own revision.
    fc.assert(
      fc.property(plan({ maxOps: 30, unknown: true }), fc.nat(), fc.nat(), (p, a, b) => {
        const g = buildHistory(p);
        const ws = g.history.filter((h) => h.result !== null && isEffectiveWrite(h.op, h.result));
        fc.pre(ws.length >= 2);
        const A = ws[a % ws.length]!;
        const B = ws[b % ws.length]!;
        fc.pre(A.id !== B.id);
        const dup = withResult(g.history, B.id, { ...B.result!, revision: A.result!.revision });
        expect(checkHistory(dup).outcome).toBe('not-linearizable');
      }),
      { numRuns: 200 },
    );
  });

  it('per-key search plus revision rules agree with the whole-history search', () => {
    // Invariant: the revision rules only state consequences of the whole model, so whatever the whole
    // search accepts, the partitioned check accepts too; and when every outcome is known the two are
    // equivalent (docs/check.md), so on randomly damaged histories their verdicts must match exactly.
    const mutation = fc.record({ pick: fc.nat(), kind: fc.integer({ min: 0, max: 5 }), delta: fc.integer({ min: -2, max: 2 }) });
    const seen = new Map<string, number>();
    for (const unknown of [false, true]) {
      fc.assert(
        fc.property(plan({ maxOps: 25, unknown }), mutation, (p, m) => {
          const g = buildHistory(p);
          const known = g.history.filter((h) => h.result !== null);
          fc.pre(known.length > 0);
          const h = known[m.pick % known.length]!;
          const damaged = withResult(g.history, h.id, damage(g, h, m.kind, m.delta));
          const whole = checkHistory(damaged, { partitionByKey: false }).outcome;
          const parts = checkHistory(damaged).outcome;
          if (!unknown) expect(parts).toBe(whole);
          else if (whole === 'linearizable') expect(parts).toBe('linearizable');
          seen.set(whole, (seen.get(whole) ?? 0) + 1);
        }),
        { numRuns: 300 },
      );
    }
    // Not vacuous: the damage produces both verdicts often.
    expect(seen.get('linearizable') ?? 0).toBeGreaterThan(50);
    expect(seen.get('not-linearizable') ?? 0).toBeGreaterThan(50);
  });
});

/** A plausible wrong result: shifted revisions, another write's value, a flipped success flag. */
function damage(g: GeneratedHistory, h: HistoryOp, kind: number, delta: number): Result {
  const r = h.result!;
  const otherWrite = g.history.find((o) => o.id !== h.id && o.result !== null && isEffectiveWrite(o.op, o.result));
  switch (r.type) {
    case 'get': {
      if (kind === 0) return { ...r, revision: Math.max(1, r.revision + delta) };
      if (kind === 1) return { ...r, modRevision: Math.max(0, r.modRevision + delta) };
      if (kind === 2 && otherWrite !== undefined && h.op.type === 'get') {
        const key = h.op.key;
        const v = valueWritten(g, otherWrite.id, key);
        if (v !== undefined) return { ...r, value: v, modRevision: otherWrite.result!.revision };
      }
      return r.value === null ? { ...r, revision: r.revision + 1 } : { ...r, value: null, modRevision: 0 };
    }
    case 'put':
      return { ...r, revision: Math.max(1, r.revision + (delta === 0 ? 1 : delta)) };
    case 'delete':
      return kind < 3 ? { ...r, deleted: r.deleted > 0 ? 0 : 1 } : { ...r, revision: Math.max(1, r.revision + delta) };
    case 'cas':
    case 'txn':
      return kind < 3 ? { ...r, succeeded: !r.succeeded } : { ...r, revision: Math.max(1, r.revision + delta) };
  }
}
