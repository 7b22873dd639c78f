// Cross-key checks of the global revision: the part of the model that per-component searches cannot see.
// Each rule is a necessary condition of any linearization of the whole history, so each violation is real.
// Together with the per-component searches they are exactly as strong as one whole-history search when every
// operation has a known outcome (docs/check.md gives the argument); with unknown outcomes, rule 5 recovers
// part of what is lost.
//
//  1. sanity: a get's modRevision is at most its revision; a txn with no compares cannot fail.
//  2. distinct: two effective writes never share a revision (one revision per write; a txn's puts share one
//     because they are one write).
//  3. real time: if A returned before B was invoked then A precedes B in every linearization, and the store
//     revision never decreases, so rev(A) <= rev(B), and rev(A) < rev(B) when B is an effective write.
//  4. attribution: a key observed with modRevision m (a get, or a compare that succeeded) was written by the
//     write that created revision m; if a known effective write created m, it must write that key.
//  5. unknown writers: when a get observes (key, value, m) and exactly one operation in the history writes
//     that value to that key and its outcome is unknown, that operation created revision m, so m exceeds the
//     revision of every operation that returned before it was invoked.

import type { History, HistoryOp } from './history.ts';
import { describeHistoryOp, isEffectiveWrite, writtenKeysOf } from './ops.ts';

export type RevisionRule = 'sanity' | 'distinct' | 'real-time' | 'attribution' | 'unknown-writer';

export interface RevisionViolation {
  readonly rule: RevisionRule;
  /** The operations involved, earliest first. */
  readonly opIds: readonly number[];
  readonly message: string;
}

/** Bound on the violations reported: one bad operation can conflict with thousands of others. */
export const REVISION_VIOLATIONS_MAX = 50;

interface Known {
  readonly h: HistoryOp;
  readonly rev: number;
  readonly write: boolean;
  readonly invokeTime: number;
  readonly returnTime: number;
}

export function checkRevisions(history: History): RevisionViolation[] {
  const out: RevisionViolation[] = [];
  const report = (rule: RevisionRule, ops: readonly HistoryOp[], why: string): void => {
    if (out.length >= REVISION_VIOLATIONS_MAX) return;
    out.push({ rule, opIds: ops.map((o) => o.id), message: `${why}: ${ops.map(describeHistoryOp).join(' | ')}` });
  };

  const known: Known[] = [];
  for (const h of history) {
    if (h.result === null || h.returnTime === null) continue;
    known.push({
      h,
      rev: h.result.revision,
      write: isEffectiveWrite(h.op, h.result),
      invokeTime: h.invokeTime,
      returnTime: h.returnTime,
    });
  }

  // 1. sanity
  for (const k of known) {
    const r = k.h.result!;
    if (r.type === 'get' && r.modRevision > r.revision) report('sanity', [k.h], 'modRevision above the revision it was served at');
    if (k.h.op.type === 'txn' && k.h.op.compares.length === 0 && r.type === 'txn' && !r.succeeded) {
      report('sanity', [k.h], 'a txn without compares failed');
    }
  }

  // 2. distinct
  const writerAt = new Map<number, HistoryOp>();
  for (const k of known) {
    if (!k.write) continue;
    const other = writerAt.get(k.rev);
    if (other === undefined) writerAt.set(k.rev, k.h);
    else report('distinct', [other, k.h], `two writes created revision ${k.rev}`);
  }

  // 3. real time: sweep invocations in order, keeping the largest revision among operations returned before.
  const byInvoke = [...known].sort((a, b) => a.invokeTime - b.invokeTime);
  const byReturn = [...known].sort((a, b) => a.returnTime - b.returnTime);
  // prefixMax[i]: the operation with the largest revision among byReturn[0..i].
  const prefixMax: Known[] = [];
  for (const k of byReturn) {
    const prevMax = prefixMax[prefixMax.length - 1];
    prefixMax.push(prevMax === undefined || k.rev > prevMax.rev ? k : prevMax);
  }
  /** The operation with the largest revision among those that returned strictly before `t`. */
  const maxReturnedBefore = (t: number): Known | undefined => {
    let lo = 0;
    let hi = byReturn.length; // first index with returnTime >= t
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (byReturn[mid]!.returnTime < t) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? undefined : prefixMax[lo - 1];
  };
  for (const b of byInvoke) {
    const a = maxReturnedBefore(b.invokeTime);
    if (a === undefined) continue;
    if (b.write ? a.rev >= b.rev : a.rev > b.rev) {
      report(
        'real-time',
        [a.h, b.h],
        `#${a.h.id} returned (rev ${a.rev}) before #${b.h.id} was invoked, but #${b.h.id} ${b.write ? 'wrote' : 'was served at'} rev ${b.rev}`,
      );
    }
  }

  // 4. attribution
  const writes = (h: HistoryOp, key: string): boolean => writtenKeysOf(h.op).includes(key);
  const observed: { h: HistoryOp; key: string; mod: number; value: string | null }[] = [];
  for (const k of known) {
    const { op } = k.h;
    const r = k.h.result!;
    if (op.type === 'get' && r.type === 'get' && r.value !== null) observed.push({ h: k.h, key: op.key, mod: r.modRevision, value: r.value });
    if (op.type === 'cas' && r.type === 'cas' && r.succeeded && op.expectedModRevision > 0) {
      observed.push({ h: k.h, key: op.key, mod: op.expectedModRevision, value: null });
    }
    if (op.type === 'txn' && r.type === 'txn' && r.succeeded) {
      for (const c of op.compares) {
        if (c.expectedModRevision > 0) observed.push({ h: k.h, key: c.key, mod: c.expectedModRevision, value: null });
      }
    }
  }
  for (const o of observed) {
    const w = writerAt.get(o.mod);
    if (w !== undefined && !writes(w, o.key)) {
      report('attribution', [w, o.h], `${o.key} was seen modified at revision ${o.mod}, but that revision's write does not write ${o.key}`);
    }
  }

  // 5. unknown writers identified by a value that only they write.
  const writersOf = new Map<string, HistoryOp[]>();
  for (const h of history) {
    for (const [key, value] of writtenValues(h)) {
      const id = `${key}\u0000${value}`;
      let list = writersOf.get(id);
      if (list === undefined) writersOf.set(id, (list = []));
      list.push(h);
    }
  }
  const checkedWriter = new Set<number>();
  for (const o of observed) {
    if (o.value === null || writerAt.has(o.mod)) continue;
    const ws = writersOf.get(`${o.key}\u0000${o.value}`);
    if (ws?.length !== 1) continue;
    const u = ws[0]!;
    if (u.result !== null || checkedWriter.has(u.id)) continue;
    checkedWriter.add(u.id);
    const a = maxReturnedBefore(u.invokeTime);
    if (a !== undefined && a.rev >= o.mod) {
      report(
        'unknown-writer',
        [a.h, u, o.h],
        `#${o.h.id} shows #${u.id} (unknown outcome) created revision ${o.mod}, but #${a.h.id} returned rev ${a.rev} before #${u.id} was invoked`,
      );
    }
  }
  return out;
}

function writtenValues(h: HistoryOp): [string, string][] {
  const op = h.op;
  switch (op.type) {
    case 'put':
    case 'cas':
      return [[op.key, op.value]];
    case 'txn':
      return op.puts.map((p) => [p.key, p.value]);
    case 'get':
    case 'delete':
      return [];
  }
}
