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

/** The keys an acknowledged write changed, at the revision it created (a delete leaves its key absent). */
function ackedWrites(op: HistoryOp): { key: string; revision: number; deleted: boolean }[] {
  if (op.returnTime === null || op.result === null) return [];
  const o = op.op;
  const r = op.result;
  if (o.type === 'put' && r.type === 'put') return [{ key: o.key, revision: r.revision, deleted: false }];
  if (o.type === 'cas' && r.type === 'cas' && r.succeeded) return [{ key: o.key, revision: r.revision, deleted: false }];
  if (o.type === 'delete' && r.type === 'delete' && r.deleted > 0) return [{ key: o.key, revision: r.revision, deleted: true }];
  if (o.type === 'txn' && r.type === 'txn' && r.succeeded) return o.puts.map((p) => ({ key: p.key, revision: r.revision, deleted: false }));
  return [];
}

/**
 * ReadIndex reads are never stale: a read invoked after a write was acknowledged returns a
 * modRevision for its key ≥ that write's revision (if the write put its key; after a delete of it, absent
 * is fine) and a store revision ≥ that write's revision (any key). Writes acknowledged at the very instant of the read's invocation
 * count as before it, matching the simulator's event order.
 */
export function findStaleReads(history: History): StaleRead[] {
  const writes = history
    .flatMap((op) => ackedWrites(op).map((w) => ({ op, w })))
    .sort((a, b) => a.op.returnTime! - b.op.returnTime!);
  const reads = history
    .filter((op) => op.op.type === 'get' && op.returnTime !== null && op.result?.type === 'get')
    .sort((a, b) => a.invokeTime - b.invokeTime);
  const out: StaleRead[] = [];
  const maxByKey = new Map<string, { revision: number; opId: number; deleted: boolean }>();
  let maxAny = { revision: 0, opId: -1 };
  let w = 0;
  for (const r of reads) {
    while (w < writes.length && writes[w]!.op.returnTime! <= r.invokeTime) {
      const { op, w: write } = writes[w]!;
      if (write.revision > (maxByKey.get(write.key)?.revision ?? 0)) maxByKey.set(write.key, { revision: write.revision, opId: op.id, deleted: write.deleted });
      if (write.revision > maxAny.revision) maxAny = { revision: write.revision, opId: op.id };
      w++;
    }
    if (r.op.type !== 'get' || r.result?.type !== 'get') continue;
    const floor = maxByKey.get(r.op.key);
    // After an acknowledged delete, absent (modRevision 0) is a fresh answer, and so is absent at a revision
    // past the floor (a later delete); the store revision still counts.
    const deletedSince = r.result.modRevision === 0 && r.result.revision > (floor?.revision ?? 0);
    if (floor !== undefined && !floor.deleted && r.result.modRevision < floor.revision && !deletedSince) {
      out.push({ readOpId: r.id, key: r.op.key, observedModRevision: r.result.modRevision, observedRevision: r.result.revision, missedWriteOpId: floor.opId, missedRevision: floor.revision });
    } else if (r.result.revision < maxAny.revision) {
      out.push({ readOpId: r.id, key: r.op.key, observedModRevision: r.result.modRevision, observedRevision: r.result.revision, missedWriteOpId: maxAny.opId, missedRevision: maxAny.revision });
    }
  }
  return out;
}
