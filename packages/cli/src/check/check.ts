// checkHistory: validate, run the cheap cross-key revision rules, then search each component of keys.
// A violation anywhere is definitive; a search that runs out of budget makes the verdict 'unknown' only when
// nothing else failed.

import type { History, HistoryOp } from './history.ts';
import { ComponentModel, type ComponentState } from './model.ts';
import { describeHistoryOp } from './ops.ts';
import { partitionHistory, projectOntoKey } from './partition.ts';
import { checkRevisions, type RevisionViolation } from './revisions.ts';
import { validateHistory } from './validate.ts';
import { searchLinearization, type DeadEnd, type SearchBudget } from './wgl.ts';

export interface CheckOptions {
  /**
   * Bound on the (linearized set, state) configurations cached over the whole check: it bounds memory and,
   * roughly, time. Default 2,000,000 (a few hundred MB at worst).
   */
  readonly maxStates?: number;
  /** Wall-clock bound on the whole check. Default 60,000 ms. */
  readonly timeBudgetMs?: number;
  /**
   * false: search all keys as one component, without the single-key projections: the plain whole-history
   * search, slower, used as the reference in tests. Default true.
   */
  readonly partitionByKey?: boolean;
  /** Clock for the time budget; injectable for tests. */
  readonly now?: () => number;
}

export const CHECK_MAX_STATES_DEFAULT = 2_000_000;
export const CHECK_TIME_BUDGET_MS_DEFAULT = 60_000;

export interface CheckStats {
  readonly operations: number;
  readonly components: number;
  readonly largestComponentOps: number;
  readonly statesExplored: number;
  readonly elapsedMs: number;
}

/** Why one component of keys has no linearization. */
export interface ComponentViolation {
  readonly keys: readonly string[];
  readonly opCount: number;
  /** Op ids of the longest linearizable prefix found, in linearization order. */
  readonly longestPrefix: readonly number[];
  /** The model state after that prefix, in words. */
  readonly stateAfterPrefix: string;
  /** The operation that returned before any order of what came earlier allowed it to take effect. */
  readonly blockedOpId: number;
  /**
   * Each operation that could have gone next after the prefix, and why it could not: `rejected` when the
   * model refuses it in that state, otherwise it could go but every continuation reached a dead end.
   */
  readonly candidates: readonly {
    readonly opId: number;
    readonly reason: string;
    readonly rejected: boolean;
    readonly knownOutcome: boolean;
  }[];
  /** The whole explanation as text. */
  readonly explanation: string;
}

export interface UndecidedComponent {
  readonly keys: readonly string[];
  readonly opCount: number;
  readonly reason: string;
}

export type CheckResult =
  | { readonly outcome: 'linearizable'; readonly stats: CheckStats }
  | {
      readonly outcome: 'not-linearizable';
      readonly components: readonly ComponentViolation[];
      readonly revisionViolations: readonly RevisionViolation[];
      /** Every operation named by a violation: what a reader should look at first. */
      readonly offendingOpIds: readonly number[];
      readonly summary: string;
      readonly stats: CheckStats;
    }
  | {
      readonly outcome: 'unknown';
      readonly reason: string;
      readonly undecided: readonly UndecidedComponent[];
      readonly stats: CheckStats;
    };

export function checkHistory(history: History, options: CheckOptions = {}): CheckResult {
  const now = options.now ?? (() => performance.now());
  const startMs = now();
  validateHistory(history);
  const budget: SearchBudget = {
    statesLeft: options.maxStates ?? CHECK_MAX_STATES_DEFAULT,
    deadlineMs: startMs + (options.timeBudgetMs ?? CHECK_TIME_BUDGET_MS_DEFAULT),
    now,
  };

  const revisionViolations = checkRevisions(history);
  const byKey = options.partitionByKey ?? true;
  const { components } = partitionHistory(history, byKey);
  const violations: ComponentViolation[] = [];
  const undecided: UndecidedComponent[] = [];
  let statesExplored = 0;
  // Smallest first: the budget is shared, so one pathological component must not starve the small ones,
  // any of which may hold a definitive violation.
  const bySize = [...components].sort((a, b) => a.ops.length - b.ops.length);
  for (const c of bySize) {
    if (now() > budget.deadlineMs) {
      undecided.push({ keys: c.keys, opCount: c.ops.length, reason: 'time budget exhausted' });
      continue;
    }
    // Projections are a shortcut of the partitioned check; the whole-history search stays a pure reference.
    if (byKey && c.keys.length > 1) {
      const found = violations.length;
      for (const key of c.keys) {
        const ops = projectOntoKey(c.ops, key);
        const model = new ComponentModel([key], ops);
        const result = searchLinearization(ops, model, budget);
        statesExplored += result.statesExplored;
        if (result.outcome === 'not-linearizable') violations.push(explain([key], ops, model, result.deadEnd, c.keys));
      }
      if (violations.length > found) continue;
    }
    const model = new ComponentModel(c.keys, c.ops);
    const result = searchLinearization(c.ops, model, budget);
    statesExplored += result.statesExplored;
    if (result.outcome === 'not-linearizable') violations.push(explain(c.keys, c.ops, model, result.deadEnd));
    if (result.outcome === 'unknown') undecided.push({ keys: c.keys, opCount: c.ops.length, reason: result.reason });
  }

  const stats: CheckStats = {
    operations: history.length,
    components: components.length,
    largestComponentOps: components.reduce((m, c) => Math.max(m, c.ops.length), 0),
    statesExplored,
    elapsedMs: now() - startMs,
  };
  if (violations.length > 0 || revisionViolations.length > 0) {
    const offending = new Set<number>();
    // The blocked operation and the known-outcome candidates the model rejected outright. Pending
    // unknown-outcome operations and candidates that merely led to dead ends later are context, not culprits:
    // flagging them would paint a large window of the history red.
    for (const v of violations) {
      offending.add(v.blockedOpId);
      for (const c of v.candidates) if (c.rejected && c.knownOutcome) offending.add(c.opId);
    }
    for (const v of revisionViolations) for (const id of v.opIds) offending.add(id);
    const summary = [
      ...violations.map((v) => v.explanation),
      ...revisionViolations.map((v) => `revision rule '${v.rule}': ${v.message}`),
    ].join('\n\n');
    return {
      outcome: 'not-linearizable',
      components: violations,
      revisionViolations,
      offendingOpIds: [...offending],
      summary,
      stats,
    };
  }
  if (undecided.length > 0) {
    const reason = `${undecided.length} component(s) undecided (${undecided[0]!.reason}); largest has ${Math.max(...undecided.map((u) => u.opCount))} ops`;
    return { outcome: 'unknown', reason, undecided, stats };
  }
  return { outcome: 'linearizable', stats };
}

function explain(
  keys: readonly string[],
  ops: readonly HistoryOp[],
  model: ComponentModel,
  deadEnd: DeadEnd<ComponentState>,
  projectedFrom?: readonly string[],
): ComponentViolation {
  const blocked = ops[deadEnd.blocked]!;
  const candidates = deadEnd.candidates.map((i) => {
    const why = model.whyRejected(deadEnd.state, i);
    return {
      opId: ops[i]!.id,
      reason: why ?? 'it can take effect here, but every order that continues from it reaches a dead end',
      rejected: why !== null,
      knownOutcome: ops[i]!.result !== null,
    };
  });
  const prefix = deadEnd.prefix.map((i) => ops[i]!);
  const lines = [
    projectedFrom === undefined
      ? `keys ${keys.join(', ')} (${ops.length} ops): no linearization.`
      : `key ${keys.join(', ')} (${ops.length} ops, txns cut down to this key; from the component of ${projectedFrom.length} keys ${projectedFrom.slice(0, 5).join(', ')}${projectedFrom.length > 5 ? ', …' : ''}): no linearization.`,
    `Longest linearizable prefix (${prefix.length} ops)${prefix.length > 0 ? `, last ones: ${prefix.slice(-5).map((h) => `#${h.id}`).join(' ')}` : ''}.`,
    `State after it: ${model.describe(deadEnd.state)}.`,
    `#${blocked.id} had to take effect before it returned, but nothing could go next:`,
    ...deadEnd.candidates
      .map((i, j) => ({ h: ops[i]!, c: candidates[j]! }))
      .filter(({ c }) => c.knownOutcome)
      .map(({ h, c }) => `  ${describeHistoryOp(h)} — ${c.reason}`),
  ];
  // Pending unknown-outcome operations can be many; they are context, so they are only counted.
  const pending = candidates.filter((c) => !c.knownOutcome).length;
  if (pending > 0) {
    lines.push(`  (and ${pending} pending unknown-outcome operation(s), none of which leads to a linearization)`);
  }
  return {
    keys,
    opCount: ops.length,
    longestPrefix: prefix.map((h) => h.id),
    stateAfterPrefix: model.describe(deadEnd.state),
    blockedOpId: blocked.id,
    candidates,
    explanation: lines.join('\n'),
  };
}
