// Histories whose answer is known by construction, for property tests and the benchmark.
//
// A plan is run one operation at a time through the reference store: that order is a linearization. Each
// operation then gets an interval around its own point in that order, and a client's intervals never
// overlap, so the history is linearizable by construction; tests then damage one result to make it not.

import type { HistoryOp, Op, Result } from './history.ts';
import { ReferenceStore } from './reference-store.ts';
import type { Rng } from '@halyard/kv/util';

export type PlannedOutcome = 'known' | 'unknown-applied' | 'unknown-dropped';

export interface PlannedOp {
  readonly clientId: number;
  readonly kind: Op['type'];
  /** Key indices; the first is the key of a single-key op, a txn uses all of them (deduplicated). */
  readonly keys: readonly number[];
  /** For cas and txn: whether the compare is made against the current modRevision (and so holds). */
  readonly compareHolds: boolean;
  /** unknown-applied: took effect, but the client never heard back; unknown-dropped: never took effect. */
  readonly outcome: PlannedOutcome;
  /** In [0, 1): how far before its point in the order the operation is invoked (share of the room). */
  readonly invokeLead: number;
  /** In [0, 1): how far after its point it returns. */
  readonly returnLag: number;
}

export interface GeneratedHistory {
  readonly history: HistoryOp[];
  /** Per operation (index = id): what the store returned, also for unknown-applied; null if never applied. */
  readonly actual: readonly (Result | null)[];
  /** Ids of the operations that took effect, in the order they did. */
  readonly order: readonly number[];
}

/** Time between consecutive points of the sequential order. */
const POINT_SPACING = 1000;

export const keyName = (i: number): string => `k${i}`;

export function buildHistory(plan: readonly PlannedOp[]): GeneratedHistory {
  const store = new ReferenceStore();
  const ops: Op[] = [];
  const actual: (Result | null)[] = [];
  const order: number[] = [];
  plan.forEach((p, i) => {
    const op = makeOp(p, i, store);
    ops.push(op);
    if (p.outcome === 'unknown-dropped') {
      actual.push(null);
    } else {
      actual.push(store.apply(op));
      order.push(i);
    }
  });

  const point = (i: number): number => (i + 1) * POINT_SPACING;
  const clients = new Set(plan.map((p) => p.clientId)).size;
  const edgeRoom = POINT_SPACING * Math.max(1, clients);
  const invokeTime: number[] = [];
  const returnTime: number[] = [];
  const lastOfClient = new Map<number, number>();
  plan.forEach((p, i) => {
    const prev = lastOfClient.get(p.clientId);
    if (prev === undefined) {
      invokeTime[i] = point(i) - Math.floor(p.invokeLead * edgeRoom);
    } else {
      // The gap to the client's previous point is split in two halves: the previous op returns in the first,
      // this one is invoked in the second, so the client's intervals never overlap.
      const half = (point(i) - point(prev)) / 2;
      returnTime[prev] = point(prev) + Math.floor(plan[prev]!.returnLag * half);
      invokeTime[i] = point(i) - Math.floor(p.invokeLead * half);
    }
    lastOfClient.set(p.clientId, i);
  });
  for (const i of lastOfClient.values()) returnTime[i] = point(i) + Math.floor(plan[i]!.returnLag * edgeRoom);

  const history = plan.map((p, i): HistoryOp => {
    const known = p.outcome === 'known';
    return {
      id: i,
      clientId: p.clientId,
      invokeTime: invokeTime[i]!,
      returnTime: known ? returnTime[i]! : null,
      op: ops[i]!,
      result: known ? actual[i]! : null,
    };
  });
  return { history, actual, order };
}

function makeOp(p: PlannedOp, i: number, store: ReferenceStore): Op {
  const key = keyName(p.keys[0] ?? 0);
  const expected = (k: string, holds: boolean): number => store.modRevision(k) + (holds ? 0 : 1);
  switch (p.kind) {
    case 'get':
      return { type: 'get', key };
    case 'put':
      return { type: 'put', key, value: `v${i}` };
    case 'delete':
      return { type: 'delete', key };
    case 'cas':
      return { type: 'cas', key, expectedModRevision: expected(key, p.compareHolds), value: `v${i}` };
    case 'txn': {
      const keys = [...new Set(p.keys.map(keyName))];
      return {
        type: 'txn',
        compares: keys.map((k, j) => ({ key: k, expectedModRevision: expected(k, p.compareHolds || j > 0) })),
        puts: keys.map((k, j) => ({ key: k, value: `v${i}.${j}` })),
      };
    }
  }
}

export interface RandomPlanParams {
  readonly ops: number;
  readonly keys: number;
  readonly clients: number;
  /** Share of operations with an unknown outcome (half applied, half dropped). */
  readonly unknownRate: number;
  /** Share of operations that are multi-key txns (2 or 3 keys). */
  readonly txnRate: number;
}

/** A seeded plan: reads and writes in equal measure, cas usually against the current modRevision. */
export function randomPlan(rng: Rng, params: RandomPlanParams): PlannedOp[] {
  const kinds = ['get', 'get', 'get', 'put', 'put', 'delete', 'cas', 'cas'] as const;
  return Array.from({ length: params.ops }, (): PlannedOp => {
    const isTxn = rng.float() < params.txnRate;
    const unknown = rng.float() < params.unknownRate;
    return {
      clientId: rng.int(params.clients),
      kind: isTxn ? 'txn' : kinds[rng.int(kinds.length)]!,
      keys: Array.from({ length: isTxn ? 2 + rng.int(2) : 1 }, () => rng.int(params.keys)),
      compareHolds: rng.float() < 0.7,
      outcome: unknown ? (rng.float() < 0.5 ? 'unknown-applied' : 'unknown-dropped') : 'known',
      invokeLead: rng.float(),
      returnLag: rng.float(),
    };
  });
}
