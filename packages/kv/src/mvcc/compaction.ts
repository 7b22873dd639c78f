// Compaction (etcd mvcc store.compact + keyIndex.compact): forget history at and below a revision, keeping
// the value every live key had at that revision. etcd refuses a revision ≤ the last compact revision
// (ErrCompacted) or above the current one (ErrFutureRev); compacting at the current revision is allowed.

import { MvccError } from './errors.ts';
import type { KeyString } from './key-range.ts';
import { compactHistory, type KeyHistory } from './revision.ts';
import type { MvccState } from './state.ts';

export function checkCompaction(state: MvccState, revision: number): void {
  if (revision <= state.compactRevision) {
    throw new MvccError('Compacted', `revision ${revision} is already compacted (compact revision ${state.compactRevision})`, {
      compactRevision: state.compactRevision,
      currentRevision: state.currentRevision,
    });
  }
  if (revision > state.currentRevision) {
    throw new MvccError('FutureRevision', `revision ${revision} is a future revision (current ${state.currentRevision})`, {
      currentRevision: state.currentRevision,
    });
  }
}

/**
 * Compacts at `revision` (already checked). O(number of keys), like etcd's index compaction; the server runs
 * it rarely (etcd's auto-compaction runs it hourly or every N revisions).
 */
export function compact(state: MvccState, revision: number): void {
  const emptied: KeyString[] = [];
  for (const [key, history] of state.histories) {
    // Fast path: a single live record needs nothing (most keys in a compacted store look like this).
    if (history.length === 1 && history[0]?.kv !== undefined) continue;
    const kept: KeyHistory = compactHistory(history, revision);
    if (kept.length === 0) emptied.push(key);
    else if (kept !== history) state.histories.set(key, kept);
  }
  for (const key of emptied) {
    state.histories.delete(key);
    state.keys.delete(key);
  }
  state.events.compact(revision);
  state.compactRevision = revision;
}
