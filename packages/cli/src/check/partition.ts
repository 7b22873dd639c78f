// Linearizability is local (Herlihy & Wing): a history is linearizable iff its restriction to each object is.
// Here an object is a component of keys: keys touched together by one multi-key txn must be searched together,
// so keys are joined with union-find and each component's operations are searched on their own. This is what
// keeps a 10,000-operation history tractable: per-key searches are small.
//
// The global store revision is the one thing all keys share; it is split off (see model.ts and revisions.ts).

import type { History, HistoryOp } from './history.ts';
import { keysOf } from './ops.ts';

export interface Component {
  /** Keys in first-mention order. */
  readonly keys: readonly string[];
  /** Operations in history order. */
  readonly ops: readonly HistoryOp[];
}

export interface Partitioning {
  readonly components: readonly Component[];
  /**
   * Operations left out of every search: gets with an unknown outcome (they change nothing and say nothing)
   * and txns that touch no key (only the revision check concerns them).
   */
  readonly skipped: readonly HistoryOp[];
}

/** `byKey: false` puts every key into one component: the whole-history search, used to cross-check. */
export function partitionHistory(history: History, byKey = true): Partitioning {
  const parent = new Map<string, string>();
  const find = (k: string): string => {
    let root = k;
    while (parent.get(root) !== root) root = parent.get(root)!;
    // Path compression keeps later finds near constant time.
    let cur = k;
    while (cur !== root) {
      const up = parent.get(cur)!;
      parent.set(cur, root);
      cur = up;
    }
    return root;
  };
  const union = (a: string, b: string): void => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(rb, ra);
  };

  const searched: { h: HistoryOp; keys: string[] }[] = [];
  const skipped: HistoryOp[] = [];
  let firstKey: string | null = null;
  for (const h of history) {
    const keys = keysOf(h.op);
    if ((h.op.type === 'get' && h.result === null) || keys.length === 0) {
      skipped.push(h);
      continue;
    }
    for (const k of keys) if (!parent.has(k)) parent.set(k, k);
    for (const k of keys.slice(1)) union(keys[0]!, k);
    if (!byKey) {
      firstKey ??= keys[0]!;
      union(firstKey, keys[0]!);
    }
    searched.push({ h, keys });
  }

  const byRoot = new Map<string, { keys: string[]; ops: HistoryOp[] }>();
  const seenKeys = new Set<string>();
  for (const { h, keys } of searched) {
    const root = find(keys[0]!);
    let c = byRoot.get(root);
    if (c === undefined) byRoot.set(root, (c = { keys: [], ops: [] }));
    c.ops.push(h);
    for (const k of keys) {
      if (!seenKeys.has(k)) {
        seenKeys.add(k);
        c.keys.push(k);
      }
    }
  }
  return { components: [...byRoot.values()], skipped };
}

/**
 * The operations of a multi-key component as seen by one of its keys: each txn keeps only its compares and
 * puts on `key`. Every linearization of the component restricts to a linearization of this (a txn that
 * succeeded held its compares on `key` and wrote its puts there; one that failed only observed a revision;
 * one with unknown outcome may or may not have written `key`), so a projection without one is a violation
 * of the component. Checking projections first finds single-key faults cheaply even when the component's
 * own search is too big to finish.
 */
export function projectOntoKey(ops: readonly HistoryOp[], key: string): HistoryOp[] {
  const out: HistoryOp[] = [];
  for (const h of ops) {
    const op = h.op;
    if (op.type !== 'txn') {
      if (op.key === key) out.push(h);
      continue;
    }
    const compares = op.compares.filter((c) => c.key === key);
    const puts = op.puts.filter((p) => p.key === key);
    if (compares.length === 0 && puts.length === 0) continue;
    const r = h.result;
    if (r?.type === 'txn' && !r.succeeded) {
      // Another key's compare may be the one that failed: all that is left is the revision it observed.
      out.push({ ...h, op: { type: 'txn', compares: [], puts: [] }, result: { type: 'txn', succeeded: true, revision: r.revision } });
      continue;
    }
    out.push({ ...h, op: { type: 'txn', compares, puts } });
  }
  return out;
}
