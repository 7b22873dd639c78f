// Compaction (etcd mvcc store.compact + keyIndex.compact): forget history at and below a revision, keeping
// the value every live key had at that revision. etcd refuses a revision ≤ the last compact revision
// (ErrCompacted) or above the current one (ErrFutureRev); compacting at the current revision is allowed.

import { MvccError } from './errors.ts';
import type { KeyString } from './key-range.ts';
import type { Revision } from './backend.ts';
import { compactedPrefixLength, type KeyRecord } from './revision.ts';
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
 * it rarely (etcd's auto-compaction runs it hourly or every N revisions). The index forgets what compaction
 * at `revision - 1` would forget, one revision less than the reads allow: watching from the compact revision
 * is allowed, and an event at it carries the value it replaced (its prevKv), which is the record in force at
 * `revision - 1`. Reads are unaffected (they ask for revisions ≥ `revision`, and a record in force before
 * it is superseded by then). The revisions the index forgot go to the backend for removal, which a
 * persistent backend does a batch at a time.
 */
export function compact(state: MvccState, revision: number): void {
  const emptied: KeyString[] = [];
  const removed: Revision[] = [];
  const keepAt = revision - 1;
  for (const [key, history] of state.histories) {
    // Fast path: a single live record needs nothing (most keys in a compacted store look like this).
    if (history.length === 1 && history[0]?.tombstone === false) continue;
    const drop = compactedPrefixLength(history, keepAt);
    if (drop === 0) continue;
    for (let i = 0; i < drop; i++) removed.push(history[i] as KeyRecord);
    if (drop === history.length) emptied.push(key);
    else state.histories.set(key, history.slice(drop));
  }
  for (const key of emptied) {
    state.histories.delete(key);
    state.keys.delete(key);
  }
  state.backend.remove(removed);
  state.events.compact(revision);
  state.compactRevision = revision;
}
