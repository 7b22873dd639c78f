// Wing & Gong's linearizability search with Lowe's improvements (Lowe, "Testing for linearizability", 2017):
//   - the history is a doubly linked list of call and return events in time order; linearizing an operation
//     lifts its two events out of the list and backtracking puts them back (dancing links), so "which
//     operations may go next" is always a walk from the head up to the first return event;
//   - a cache of (set of linearized operations, model state) configurations already explored: reaching one
//     again means its whole subtree has already been searched, so it is pruned. This memoisation is what makes
//     the search practical on histories with much concurrency.
//
// Operations with an unknown outcome have no return event: they may be linearized anywhere after their call,
// or never. The search succeeds as soon as every operation with a known outcome is linearized. Because they
// are optional they stay candidates at every step and can make the search exponential, so two refinements:
//   - the model gives each operation a priority (for the KV: the revision it returned, or that a read shows
//     it created) and promises that known-outcome operations can only be linearized in priority order. So at
//     each step only the known-outcome candidates with the least pending priority are tried, and unknown-
//     outcome ones around them: the known-outcome order is forced and the only search left is where the
//     unknown-outcome operations go (sound pruning, not a heuristic);
//   - the cache is keyed on (linearized known-outcome set, state) and keeps, for each key, the sets of
//     unknown-outcome operations already linearized when it was explored. A configuration is pruned when an
//     explored one had a subset of its unknown-outcome operations linearized: the explored one had every
//     choice this one has (an unknown-outcome operation may always be left out), and failed.
//
// Unknown-outcome operations still make some histories exponential (each pending one may be placed at every
// step). A frame (one per depth) first holds the unknown-outcome operations whose priority window is now and
// the known-outcome operations whose turn it is; only when those are exhausted is it extended with the other
// pending unknown-outcome operations, those that would let a blocked operation go first. searchLinearization
// runs two restricted passes before the full one: the first adds only those useful operations, and at most
// one of them between two known-outcome operations; the second allows chains of them. A linearization a
// restricted pass finds is a linearization; if it fails without having left anything out, that is a verdict
// too; otherwise the next pass decides. Each restricted pass gets half of the remaining budget.
//
// Events at equal times: calls sort before returns, so an operation that returns at t and one invoked at t
// count as concurrent. This is the permissive choice; a checker must never reject a correct history because
// two clocks ticked at the same value.

import type { SearchModel } from './model.ts';

export interface SearchOp {
  readonly invokeTime: number;
  /** null when the outcome is unknown. */
  readonly returnTime: number | null;
}

/** Shared by every search of one check, so the bound covers the whole check. */
export interface SearchBudget {
  /** Configurations that may still be added to caches before giving up. */
  statesLeft: number;
  /** Absolute time, from `now()`, after which the search gives up. */
  readonly deadlineMs: number;
  readonly now: () => number;
}

export interface DeadEnd<S> {
  /** Indices of the operations linearized, in order: the longest linearizable prefix found. */
  readonly prefix: readonly number[];
  /** The state after the prefix. */
  readonly state: S;
  /** The operation whose return event was reached without it being linearizable before it. */
  readonly blocked: number;
  /** The operations that could have gone next (invoked before `blocked` returned); none of them led on. */
  readonly candidates: readonly number[];
}

export type SearchResult<S> =
  | { readonly outcome: 'linearizable'; readonly order: readonly number[]; readonly statesExplored: number }
  | { readonly outcome: 'not-linearizable'; readonly deadEnd: DeadEnd<S>; readonly statesExplored: number }
  | {
      readonly outcome: 'unknown';
      readonly reason: string;
      /** The deepest dead end met before giving up, a hint of where the trouble is; null if none yet. */
      readonly deadEnd: DeadEnd<S> | null;
      readonly statesExplored: number;
    };

/** How many upcoming known-outcome operations decide whether an unknown-outcome one is useful now. */
const LOOKAHEAD_KNOWN_OPS = 16;

/** How many loop iterations pass between clock reads; reading the clock is not free. */
const CLOCK_CHECK_INTERVAL_ITERATIONS = 4096;

export function searchLinearization<S>(
  ops: readonly SearchOp[],
  model: SearchModel<S>,
  budget: SearchBudget,
): SearchResult<S> {
  if (!ops.some((op) => op.returnTime === null)) return searchPass(ops, model, budget, 'full').result;
  let explored = 0;
  for (const mode of ['one-at-a-time', 'chains'] as const) {
    // Each restricted pass gets half of what is left, so that a pass that wanders cannot starve the
    // passes after it.
    const share: SearchBudget = {
      statesLeft: Math.floor(budget.statesLeft / 2),
      deadlineMs: budget.now() + (budget.deadlineMs - budget.now()) / 2,
      now: budget.now,
    };
    const quick = searchPass(ops, model, share, mode);
    budget.statesLeft -= quick.result.statesExplored;
    explored += quick.result.statesExplored;
    if (quick.result.outcome === 'linearizable' || (quick.result.outcome === 'not-linearizable' && !quick.leftOut)) {
      return { ...quick.result, statesExplored: explored };
    }
  }
  const full = searchPass(ops, model, budget, 'full').result;
  return { ...full, statesExplored: full.statesExplored + explored };
}

/**
 * full: every pending unknown-outcome operation is a candidate everywhere (complete). chains: only those
 * useful to a blocked operation. one-at-a-time: as chains, and at most one between known-outcome operations.
 */
export type SearchMode = 'full' | 'chains' | 'one-at-a-time';

export function searchPass<S>(
  ops: readonly SearchOp[],
  model: SearchModel<S>,
  budget: SearchBudget,
  mode: SearchMode,
): { result: SearchResult<S>; leftOut: boolean } {
  const restricted = mode !== 'full';
  // Whether the restricted pass left a candidate out: only then is its failure not a verdict.
  let leftOut = false;
  const finish = (result: SearchResult<S>): { result: SearchResult<S>; leftOut: boolean } => ({ result, leftOut });
  const n = ops.length;
  // Rank operations by invocation. The list then holds calls in rank order, which the compact cache key
  // (see knownSetKey) relies on.
  const opOfRank = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => ops[a]!.invokeTime - ops[b]!.invokeTime || a - b,
  );
  const known = opOfRank.map((op) => ops[op]!.returnTime !== null);
  const priorityOfRank = opOfRank.map((op) => model.priority(op));
  // Unknown-outcome operations get dense indices for their own bitset.
  const unknownIndex = new Int32Array(n).fill(-1);
  let unknownCount = 0;
  for (let r = 0; r < n; r++) if (!known[r]) unknownIndex[r] = unknownCount++;

  // Nodes: call of rank r is 2r, its return is 2r + 1, then HEAD and TAIL sentinels.
  const HEAD = 2 * n;
  const TAIL = 2 * n + 1;
  const next = new Int32Array(2 * n + 2);
  const prev = new Int32Array(2 * n + 2);
  const events: { node: number; time: number }[] = [];
  for (let r = 0; r < n; r++) {
    const op = ops[opOfRank[r]!]!;
    events.push({ node: 2 * r, time: op.invokeTime });
    if (op.returnTime !== null) events.push({ node: 2 * r + 1, time: op.returnTime });
  }
  // Calls before returns at equal time; calls among themselves by rank.
  events.sort((a, b) => a.time - b.time || (a.node & 1) - (b.node & 1) || a.node - b.node);
  let last = HEAD;
  for (const e of events) {
    next[last] = e.node;
    prev[e.node] = last;
    last = e.node;
  }
  next[last] = TAIL;
  prev[TAIL] = last;

  const unlink = (node: number): void => {
    next[prev[node]!] = next[node]!;
    prev[next[node]!] = prev[node]!;
  };
  const relink = (node: number): void => {
    next[prev[node]!] = node;
    prev[next[node]!] = node;
  };
  // Restoring in the reverse order of removal is what makes dancing links exact.
  const lift = (r: number): void => {
    unlink(2 * r);
    if (known[r]) unlink(2 * r + 1);
  };
  const unlift = (r: number): void => {
    if (known[r]) relink(2 * r + 1);
    relink(2 * r);
  };

  // Linearized known-outcome operations, by rank; linearized unknown-outcome operations, by unknown index.
  const knownWords = new Uint32Array((n >> 5) + 1);
  const unknownWords = new Uint32Array((unknownCount + 31) >> 5);
  const isLinearizedKnown = (r: number): boolean => (knownWords[r >> 5]! & (1 << (r & 31))) !== 0;
  const flip = (r: number): void => {
    if (known[r]) knownWords[r >> 5]! ^= 1 << (r & 31);
    else unknownWords[unknownIndex[r]! >> 5]! ^= 1 << (unknownIndex[r]! & 31);
  };
  const lowestFrom = (from: number): number => {
    let r = from;
    while (r < n && (!known[r] || isLinearizedKnown(r))) r++;
    return r;
  };
  // The linearized known set is {every known rank below `lowest`} plus bits from `lowest` up to `highest`;
  // only that window is encoded, so keys stay short however long the history.
  const knownSetKey = (lowest: number, highest: number): string => {
    if (highest < lowest) return String(lowest);
    let key = `${lowest}:`;
    for (let w = lowest >> 5; w <= highest >> 5; w++) {
      const bits = knownWords[w]!;
      key += String.fromCharCode(bits & 0xffff, bits >>> 16);
    }
    return key;
  };
  const cache = new Map<string, Uint32Array[]>();
  let cached = 0;
  /** Records the configuration; false when it or a configuration that dominates it was explored. */
  const remember = (key: string): boolean => {
    let explored = cache.get(key);
    if (explored === undefined) cache.set(key, (explored = []));
    for (const u of explored) {
      let subset = true;
      for (let w = 0; w < u.length; w++) {
        if ((u[w]! & ~unknownWords[w]!) !== 0) {
          subset = false;
          break;
        }
      }
      if (subset) return false;
    }
    explored.push(unknownWords.slice());
    cached++;
    return true;
  };

  // Known-outcome operations by priority. The model promises they can only be linearized in that order
  // (see SearchModel.priority), so at any point only those with the least pending priority may go next.
  const knownByPriority = opOfRank
    .map((_, r) => r)
    .filter((r) => known[r])
    .sort((a, b) => priorityOfRank[a]! - priorityOfRank[b]! || a - b);
  const nextKnownFrom = (from: number): number => {
    let i = from;
    while (i < knownByPriority.length && isLinearizedKnown(knownByPriority[i]!)) i++;
    return i;
  };

  // Known-outcome operations on each part of the state, by priority: "who is the next to see this part".
  const footprintOfRank = opOfRank.map((op) => model.footprint(op));
  const knownOnPart = new Map<number, number[]>();
  for (const r of knownByPriority) {
    for (const part of footprintOfRank[r]!) {
      let list = knownOnPart.get(part);
      if (list === undefined) knownOnPart.set(part, (list = []));
      list.push(r);
    }
  }
  /** The first unlinearized known-outcome operation on `part`, or -1. Those below `leastPriority` are done. */
  const nextKnownOn = (part: number, leastPriority: number): number => {
    const list = knownOnPart.get(part);
    if (list === undefined) return -1;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (priorityOfRank[list[mid]!]! < leastPriority) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < list.length; i++) if (!isLinearizedKnown(list[i]!)) return list[i]!;
    return -1;
  };

  // One frame per depth: the candidates at that point in the order to try them, and the cursor. A frame
  // starts with the unknown-outcome operations revealed to come first and the known-outcome ones whose turn
  // it is; the other unknown-outcome ones are added only once those are exhausted (extendFrame), because
  // working out which of them are useful costs model steps and is rarely needed.
  const frameCandidates: Int32Array[] = [];
  const frameCursor = new Int32Array(n + 1);
  const frameExtended = new Uint8Array(n + 1);
  const framePrimary = new Int32Array(n + 1);
  /** 1 when the operation that led to this frame was an unknown-outcome one added by extendFrame. */
  const frameAfterLate = new Uint8Array(n + 1);
  const byPriority = (a: number, b: number): number => priorityOfRank[a]! - priorityOfRank[b]! || a - b;
  const openFrame = (d: number, nextKnown: number): void => {
    const leastPriority = priorityOfRank[knownByPriority[nextKnown]!]!;
    const knownCands: number[] = [];
    const early: number[] = [];
    let e = next[HEAD]!;
    for (; e !== TAIL && (e & 1) === 0; e = next[e]!) {
      const r = e >> 1;
      if (!known[r]) {
        // Only in its window: once known-outcome operations past its priority have gone, trying it first at
        // every later step would make each pending one a branch everywhere.
        const p = priorityOfRank[r]!;
        if (p < leastPriority && p >= lastKnownPriority) early.push(r);
      } else if (priorityOfRank[r] === leastPriority) knownCands.push(r);
    }
    // With a known-outcome operation left, its return event lies ahead, so the walk stops at a return.
    if (e === TAIL) throw new Error('wgl: no return event left while known-outcome operations remain');
    frameCursor[d] = 0;
    if (knownCands.length === 0) {
      // The next known-outcome operation in priority order was invoked after the blocking one returned, yet
      // the blocking one must come after it: nothing any unknown-outcome operation does can fix that.
      frameCandidates[d] = new Int32Array(0);
      framePrimary[d] = 0;
      frameExtended[d] = 1;
      return;
    }
    frameCandidates[d] = Int32Array.from([...early.sort(byPriority), ...knownCands]);
    framePrimary[d] = frameCandidates[d]!.length;
    frameExtended[d] = 0;
  };
  const extendFrame = (d: number, at: S, nextKnown: number): void => {
    frameExtended[d] = 1;
    const leastPriority = priorityOfRank[knownByPriority[nextKnown]!]!;
    const late: number[] = [];
    const others: number[] = [];
    for (let e = next[HEAD]!; e !== TAIL && (e & 1) === 0; e = next[e]!) {
      const r = e >> 1;
      if (!known[r] && !(priorityOfRank[r]! < leastPriority && priorityOfRank[r]! >= lastKnownPriority)) late.push(r);
      else others.push(r);
    }
    if (late.length === 0) return;
    if (mode === 'one-at-a-time' && frameAfterLate[d] === 1) {
      // One unrevealed unknown-outcome operation at a time between known-outcome ones: letting each one
      // make the next one useful sent the restricted pass down long chains of pending writes.
      leftOut = true;
      return;
    }
    // Also the next known-outcome operations in priority order, invoked or not: an unknown-outcome write
    // they need may have to go before operations that come earlier, because of its revision.
    for (let i = nextKnown, looked = 0; i < knownByPriority.length && looked < LOOKAHEAD_KNOWN_OPS; i++) {
      const r = knownByPriority[i]!;
      if (isLinearizedKnown(r)) continue;
      looked++;
      if (!others.includes(r)) others.push(r);
    }
    // An unknown-outcome operation is useful here if afterwards one of those, or the next known-outcome
    // operation on a part of the state it writes (however far ahead: the unknown-outcome write may have to
    // go into a revision gap long before that operation), can go when it could not before. Chains of
    // unrevealed ones are left to the full search: counting them let the restricted pass wander through
    // every order of pending writes. An operation can only enable one that shares a part of the state with
    // it (SearchModel.footprint), so targets are filtered by footprint before any step is taken.
    const rejectedNow = new Map<number, boolean>();
    const isRejectedNow = (c: number): boolean => {
      let v = rejectedNow.get(c);
      if (v === undefined) rejectedNow.set(c, (v = model.step(at, opOfRank[c]!) === null));
      return v;
    };
    const othersOnPart = new Map<number, number[]>();
    for (const c of others) {
      for (const part of footprintOfRank[c]!) {
        let list = othersOnPart.get(part);
        if (list === undefined) othersOnPart.set(part, (list = []));
        list.push(c);
      }
    }
    const useful = late.filter((u) => {
      const targets: number[] = [];
      for (const part of footprintOfRank[u]!) {
        const next = nextKnownOn(part, leastPriority);
        for (const c of next >= 0 ? [...(othersOnPart.get(part) ?? []), next] : (othersOnPart.get(part) ?? [])) {
          if (!targets.includes(c) && model.mayEnable(opOfRank[u]!, opOfRank[c]!)) targets.push(c);
        }
      }
      const blocked = targets.filter(isRejectedNow);
      if (blocked.length === 0) return false;
      const s1 = model.step(at, opOfRank[u]!);
      return s1 !== null && blocked.some((c) => model.step(s1, opOfRank[c]!) !== null);
    });
    // Most promising first: a revision hint at or after the current window, nearest first; then the most
    // recently invoked, which is usually the write a blocked operation is waiting for.
    const hintedNow = (r: number): boolean => priorityOfRank[r]! >= lastKnownPriority && priorityOfRank[r]! < Number.MAX_SAFE_INTEGER;
    let added = useful.sort((a, b) =>
      hintedNow(a) !== hintedNow(b) ? (hintedNow(a) ? -1 : 1) : hintedNow(a) ? byPriority(a, b) : b - a,
    );
    if (restricted) {
      if (useful.length < late.length) leftOut = true;
    } else {
      const usefulSet = new Set(useful);
      added = [...added, ...late.filter((u) => !usefulSet.has(u)).sort(byPriority)];
    }
    if (added.length > 0) frameCandidates[d] = Int32Array.from([...frameCandidates[d]!, ...added]);
  };
  /** The operations that could have gone next, in time order, and the first return event: for explanations. */
  const deadEndHere = (): DeadEnd<S> => {
    const candidates: number[] = [];
    let e = next[HEAD]!;
    for (; e !== TAIL && (e & 1) === 0; e = next[e]!) candidates.push(opOfRank[e >> 1]!);
    const prefix: number[] = [];
    for (let i = 0; i < depth; i++) prefix.push(opOfRank[stackRank[i]!]!);
    return { prefix, state, blocked: opOfRank[e >> 1]!, candidates };
  };

  const stackRank = new Int32Array(n);
  const stackLowest = new Int32Array(n);
  const stackHighest = new Int32Array(n);
  const stackNextKnown = new Int32Array(n);
  const stackState: S[] = [];
  let depth = 0;
  let state = model.init;
  let lowest = lowestFrom(0);
  let highest = -1;
  let nextKnown = 0;
  /** Priority of the last known-outcome operation linearized: the start of the current window. */
  let lastKnownPriority = -1;
  const stackLastKnownPriority = new Float64Array(n);
  const knownTotal = known.filter(Boolean).length;
  let knownLeft = knownTotal;
  let best: DeadEnd<S> | null = null;
  let bestKnown = -1;
  let iterations = 0;
  if (knownLeft > 0) openFrame(0, nextKnown);

  for (;;) {
    if (knownLeft === 0) {
      const order: number[] = [];
      for (let i = 0; i < depth; i++) order.push(opOfRank[stackRank[i]!]!);
      return finish({ outcome: 'linearizable', order, statesExplored: cached });
    }
    if (++iterations % CLOCK_CHECK_INTERVAL_ITERATIONS === 0 && budget.now() > budget.deadlineMs) {
      return finish({ outcome: 'unknown', reason: 'time budget exhausted', deadEnd: best, statesExplored: cached });
    }
    if (frameCursor[depth]! >= frameCandidates[depth]!.length && frameExtended[depth] === 0) {
      extendFrame(depth, state, nextKnown);
    }
    const cands = frameCandidates[depth]!;
    if (frameCursor[depth]! < cands.length) {
      const fromExtension = frameCursor[depth]! >= framePrimary[depth]!;
      const r = cands[frameCursor[depth]!++]!;
      const after = model.step(state, opOfRank[r]!);
      if (after === null) continue;
      flip(r);
      const newLowest = known[r] && r === lowest ? lowestFrom(r + 1) : lowest;
      const newHighest = known[r] ? Math.max(highest, r) : highest;
      if (budget.statesLeft <= 0) {
        flip(r);
        return finish({ outcome: 'unknown', reason: 'state budget exhausted', deadEnd: best, statesExplored: cached });
      }
      if (!remember(`${knownSetKey(newLowest, newHighest)}#${model.key(after)}`)) {
        flip(r);
        continue;
      }
      budget.statesLeft--;
      lift(r);
      stackRank[depth] = r;
      stackLowest[depth] = lowest;
      stackHighest[depth] = highest;
      stackNextKnown[depth] = nextKnown;
      stackLastKnownPriority[depth] = lastKnownPriority;
      stackState[depth] = state;
      depth++;
      state = after;
      lowest = newLowest;
      highest = newHighest;
      if (known[r]) {
        knownLeft--;
        nextKnown = nextKnownFrom(nextKnown);
        lastKnownPriority = priorityOfRank[r]!;
      }
      if (knownLeft > 0) {
        openFrame(depth, nextKnown);
        frameAfterLate[depth] = fromExtension && !known[r] ? 1 : 0;
      }
      continue;
    }

    // Nothing can go next, and the blocking operation had to take effect before now: backtrack.
    // The most telling dead end has the most known-outcome operations placed, and among those the fewest
    // unknown-outcome ones (which only lengthen a prefix without explaining anything).
    const knownPlaced = knownTotal - knownLeft;
    if (best === null || knownPlaced > bestKnown || (knownPlaced === bestKnown && depth < best.prefix.length)) {
      best = deadEndHere();
      bestKnown = knownPlaced;
    }
    if (depth === 0) return finish({ outcome: 'not-linearizable', deadEnd: best, statesExplored: cached });
    depth--;
    const r = stackRank[depth]!;
    state = stackState[depth]!;
    lowest = stackLowest[depth]!;
    highest = stackHighest[depth]!;
    nextKnown = stackNextKnown[depth]!;
    lastKnownPriority = stackLastKnownPriority[depth]!;
    flip(r);
    unlift(r);
    if (known[r]) knownLeft++;
  }
}
