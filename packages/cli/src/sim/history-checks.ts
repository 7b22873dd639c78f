// Checks over a finished client History (check/history.ts format) that need no search: usable on the
// simulator's histories and on real clusters'. The full linearizability check lives in check/.

import type { History, HistoryOp } from '../check/history.ts';

export interface StaleRead {
  readonly readOpId: number;
  readonly key: string;
  readonly observedModRevision: number;
  readonly observedRevision: number;
  /** The acknowledged write (or the highest-revision one) the read should have seen. */
  readonly missedWriteOpId: number;
  readonly missedRevision: number;
}

/** The revision a write made visible, if it acknowledged a change. */
function ackedWrite(op: HistoryOp): { key: string; revision: number } | undefined {
  if (op.returnTime === null || op.result === null) return undefined;
  if (op.op.type === 'put' && op.result.type === 'put') return { key: op.op.key, revision: op.result.revision };
  if (op.op.type === 'cas' && op.result.type === 'cas' && op.result.succeeded) return { key: op.op.key, revision: op.result.revision };
  return undefined;
}

/**
 * ReadIndex reads are never stale: a read invoked after a write was acknowledged returns a
 * modRevision for its key ≥ that write's revision (if the write was to its key) and a store revision
 * ≥ that write's revision (any key). Writes acknowledged at the very instant of the read's invocation
 * count as before it, matching the simulator's event order.
 */
export function findStaleReads(history: History): StaleRead[] {
  const writes = history
    .map((op) => ({ op, w: ackedWrite(op) }))
    .filter((x): x is { op: HistoryOp; w: { key: string; revision: number } } => x.w !== undefined)
    .sort((a, b) => a.op.returnTime! - b.op.returnTime!);
  const reads = history
    .filter((op) => op.op.type === 'get' && op.returnTime !== null && op.result?.type === 'get')
    .sort((a, b) => a.invokeTime - b.invokeTime);
  const out: StaleRead[] = [];
  const maxByKey = new Map<string, { revision: number; opId: number }>();
  let maxAny = { revision: 0, opId: -1 };
  let w = 0;
  for (const r of reads) {
    while (w < writes.length && writes[w]!.op.returnTime! <= r.invokeTime) {
      const { op, w: write } = writes[w]!;
      if (write.revision > (maxByKey.get(write.key)?.revision ?? 0)) maxByKey.set(write.key, { revision: write.revision, opId: op.id });
      if (write.revision > maxAny.revision) maxAny = { revision: write.revision, opId: op.id };
      w++;
    }
    if (r.op.type !== 'get' || r.result?.type !== 'get') continue;
    const floor = maxByKey.get(r.op.key);
    if (floor !== undefined && r.result.modRevision < floor.revision) {
      out.push({ readOpId: r.id, key: r.op.key, observedModRevision: r.result.modRevision, observedRevision: r.result.revision, missedWriteOpId: floor.opId, missedRevision: floor.revision });
    } else if (r.result.revision < maxAny.revision) {
      out.push({ readOpId: r.id, key: r.op.key, observedModRevision: r.result.modRevision, observedRevision: r.result.revision, missedWriteOpId: maxAny.opId, missedRevision: maxAny.revision });
    }
  }
  return out;
}
