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
//   - at each step known-outcome candidates are tried before unknown ones, which finds the common orders fast;
//   - the cache is keyed on (linearized known-outcome set, state) and keeps, for each key, the sets of
//     unknown-outcome operations already linearized when it was explored. A configuration is pruned when an
//     explored one had a subset of its unknown-outcome operations linearized: the explored one had every
//     choice this one has (an unknown-outcome operation may always be left out), and failed.
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

/** How many loop iterations pass between clock reads; reading the clock is not free. */
const CLOCK_CHECK_INTERVAL_ITERATIONS = 4096;

export function searchLinearization<S>(
  ops: readonly SearchOp[],
  model: SearchModel<S>,
  budget: SearchBudget,
): SearchResult<S> {
  const n = ops.length;
  // Rank operations by invocation. The list then holds calls in rank order, which the candidate walks and
  // the compact cache key (see knownSetKey) rely on.
  const opOfRank = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => ops[a]!.invokeTime - ops[b]!.invokeTime || a - b,
  );
  const known = opOfRank.map((op) => ops[op]!.returnTime !== null);
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

  const stackRank = new Int32Array(n);
  const stackLowest = new Int32Array(n);
  const stackHighest = new Int32Array(n);
  const stackState: S[] = [];
  let depth = 0;
  let state = model.init;
  let lowest = lowestFrom(0);
  let highest = -1;
  let knownLeft = known.filter(Boolean).length;
  let unknownLeft = unknownCount;
  let best: DeadEnd<S> | null = null;
  let iterations = 0;
  let entry = next[HEAD]!;
  // Known-outcome candidates are tried first, then unknown-outcome ones.
  let tryingKnown = true;

  const deadEndHere = (blockedNode: number): DeadEnd<S> => {
    const candidates: number[] = [];
    for (let e = next[HEAD]!; e !== blockedNode; e = next[e]!) {
      if ((e & 1) === 0) candidates.push(opOfRank[e >> 1]!);
    }
    const prefix: number[] = [];
    for (let i = 0; i < depth; i++) prefix.push(opOfRank[stackRank[i]!]!);
    return { prefix, state, blocked: opOfRank[blockedNode >> 1]!, candidates };
  };

  for (;;) {
    if (knownLeft === 0) {
      const order: number[] = [];
      for (let i = 0; i < depth; i++) order.push(opOfRank[stackRank[i]!]!);
      return { outcome: 'linearizable', order, statesExplored: cached };
    }
    if (++iterations % CLOCK_CHECK_INTERVAL_ITERATIONS === 0 && budget.now() > budget.deadlineMs) {
      return { outcome: 'unknown', reason: 'time budget exhausted', deadEnd: best, statesExplored: cached };
    }
    // With a known-outcome operation left, its return event lies ahead, so the walk never falls off the end.
    if (entry === TAIL) throw new Error('wgl: reached the end of the event list with operations left');

    if ((entry & 1) === 0) {
      const r = entry >> 1;
      if (known[r] !== tryingKnown) {
        entry = next[entry]!;
        continue;
      }
      const after = model.step(state, opOfRank[r]!);
      if (after !== null) {
        flip(r);
        const newLowest = known[r] && r === lowest ? lowestFrom(r + 1) : lowest;
        const newHighest = known[r] ? Math.max(highest, r) : highest;
        if (budget.statesLeft <= 0) {
          flip(r);
          return { outcome: 'unknown', reason: 'state budget exhausted', deadEnd: best, statesExplored: cached };
        }
        if (remember(`${knownSetKey(newLowest, newHighest)}#${model.key(after)}`)) {
          budget.statesLeft--;
          lift(r);
          stackRank[depth] = r;
          stackLowest[depth] = lowest;
          stackHighest[depth] = highest;
          stackState[depth] = state;
          depth++;
          state = after;
          lowest = newLowest;
          highest = newHighest;
          if (known[r]) knownLeft--;
          else unknownLeft--;
          entry = next[HEAD]!;
          tryingKnown = true;
          continue;
        }
        flip(r);
      }
      entry = next[entry]!;
      continue;
    }

    // A return event: every candidate of this pass has been tried.
    if (tryingKnown && unknownLeft > 0) {
      tryingKnown = false;
      entry = next[HEAD]!;
      continue;
    }
    // Nothing can go next, and this operation had to take effect before now: backtrack.
    if (best === null || depth > best.prefix.length) best = deadEndHere(entry);
    if (depth === 0) return { outcome: 'not-linearizable', deadEnd: best, statesExplored: cached };
    depth--;
    const r = stackRank[depth]!;
    state = stackState[depth]!;
    lowest = stackLowest[depth]!;
    highest = stackHighest[depth]!;
    flip(r);
    unlift(r);
    if (known[r]) knownLeft++;
    else unknownLeft++;
    entry = next[2 * r]!;
    tryingKnown = known[r]!;
  }
}
