// Wing & Gong's linearizability search with Lowe's improvements (Lowe, "Testing for linearizability", 2017):
//   - the history is a doubly linked list of call and return events in time order; linearizing an operation
//     lifts its two events out of the list and backtracking puts them back (dancing links), so "which
//     operations may go next" is always a walk from the head up to the first return event;
//   - a cache of (set of linearized operations, model state) configurations already explored: reaching one
//     again means its whole subtree has already been searched, so it is pruned. This memoisation is what makes
//     the search practical on histories with much concurrency.
//
// Operations with an unknown outcome have no return event: they may be linearized anywhere after their call,
// or never. The search succeeds as soon as every operation with a known outcome is linearized.
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
  // Rank operations by invocation. The list then holds calls in rank order, so the first event in the list
  // is always the call of the lowest-ranked unlinearized operation: everything ranked below it is linearized.
  // That makes a compact cache key (see setKey).
  const opOfRank = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => ops[a]!.invokeTime - ops[b]!.invokeTime || a - b,
  );
  const rankOf = new Int32Array(n);
  opOfRank.forEach((op, rank) => (rankOf[op] = rank));
  const known = opOfRank.map((op) => ops[op]!.returnTime !== null);

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
  // Calls before returns at equal time; calls among themselves by rank, which the list order relies on.
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

  const words = new Uint32Array(Math.ceil(n / 32) + 1);
  // The linearized set is {all ranks below the lowest unlinearized rank} plus bits above it, up to the
  // highest linearized rank; only that window is encoded, so keys stay short however long the history.
  const setKey = (highest: number): string => {
    const first = next[HEAD]!;
    const lowest = first === TAIL ? n : first >> 1;
    if (highest < lowest) return String(lowest);
    let key = `${lowest}:`;
    for (let w = lowest >> 5; w <= highest >> 5; w++) {
      const bits = words[w]!;
      key += String.fromCharCode(bits & 0xffff, bits >>> 16);
    }
    return key;
  };

  const stackRank = new Int32Array(n);
  const stackHighest = new Int32Array(n);
  const stackState: S[] = [];
  let depth = 0;
  let state = model.init;
  let knownLeft = known.filter(Boolean).length;
  const cache = new Set<string>();
  let best: DeadEnd<S> | null = null;
  let iterations = 0;
  let entry = next[HEAD]!;

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
      return { outcome: 'linearizable', order, statesExplored: cache.size };
    }
    if (++iterations % CLOCK_CHECK_INTERVAL_ITERATIONS === 0 && budget.now() > budget.deadlineMs) {
      return { outcome: 'unknown', reason: 'time budget exhausted', deadEnd: best, statesExplored: cache.size };
    }
    // With a known-outcome operation left, its return event lies ahead, so the walk never falls off the end.
    if (entry === TAIL) throw new Error('wgl: reached the end of the event list with operations left');

    if ((entry & 1) === 0) {
      const r = entry >> 1;
      const after = model.step(state, opOfRank[r]!);
      let advanced = false;
      if (after !== null) {
        words[r >> 5]! |= 1 << (r & 31);
        lift(r);
        const highest = depth === 0 ? r : Math.max(stackHighest[depth - 1]!, r);
        const key = `${setKey(highest)}#${model.key(after)}`;
        if (!cache.has(key)) {
          if (budget.statesLeft <= 0) {
            unlift(r);
            words[r >> 5]! &= ~(1 << (r & 31));
            return { outcome: 'unknown', reason: 'state budget exhausted', deadEnd: best, statesExplored: cache.size };
          }
          budget.statesLeft--;
          cache.add(key);
          stackRank[depth] = r;
          stackHighest[depth] = highest;
          stackState[depth] = state;
          depth++;
          state = after;
          if (known[r]) knownLeft--;
          entry = next[HEAD]!;
          advanced = true;
        } else {
          unlift(r);
          words[r >> 5]! &= ~(1 << (r & 31));
        }
      }
      if (!advanced) entry = next[entry]!;
    } else {
      // A return event: this operation had to be linearized before now, and no choice so far allows it.
      if (best === null || depth > best.prefix.length) best = deadEndHere(entry);
      if (depth === 0) return { outcome: 'not-linearizable', deadEnd: best, statesExplored: cache.size };
      depth--;
      const r = stackRank[depth]!;
      state = stackState[depth]!;
      words[r >> 5]! &= ~(1 << (r & 31));
      unlift(r);
      if (known[r]) knownLeft++;
      entry = next[2 * r]!;
    }
  }
}
