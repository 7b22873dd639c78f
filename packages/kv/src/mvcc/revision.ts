// Per-key history, the analogue of etcd's keyIndex: every change of one key as a record stamped with its
// revision. A revision is (main, sub) as in etcd: `main` is the store revision of the write request, `sub`
// orders the changes inside one request (a txn's ops). A tombstone record marks a delete; the records between
// a create and its tombstone are one "generation" of the key in etcd's terms. Only revisions live here; the
// KeyValue written at each is in the RevisionBackend (backend.ts), as etcd keeps values in bbolt.

import { invariant } from './errors.ts';
import type { Revision } from './backend.ts';

export interface KeyRecord extends Revision {
  /** true = the key was deleted at this revision. */
  readonly tombstone: boolean;
}

/** Records of one key, ascending by (main, sub). Never empty while the key is in the index. */
export type KeyHistory = KeyRecord[];

export function compareRevision(a: Revision, b: Revision): number {
  return a.main !== b.main ? a.main - b.main : a.sub - b.sub;
}

/** The last record with main ≤ revision, or undefined. O(log n) in the history's length. */
export function recordAt(history: KeyHistory, revision: number): KeyRecord | undefined {
  const n = countAtOrBefore(history, revision);
  return n === 0 ? undefined : history[n - 1];
}

/** How many records have main ≤ revision (the history is sorted by revision): a binary search. */
function countAtOrBefore(history: KeyHistory, revision: number): number {
  let lo = 0;
  let hi = history.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((history[mid] as KeyRecord).main <= revision) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The key's live record as of `revision` (undefined if absent then). */
export function liveRecordAt(history: KeyHistory, revision: number): KeyRecord | undefined {
  const r = recordAt(history, revision);
  return r === undefined || r.tombstone ? undefined : r;
}

/** The key's current live record. */
export function latestLive(history: KeyHistory | undefined): KeyRecord | undefined {
  const r = history === undefined ? undefined : history[history.length - 1];
  return r === undefined || r.tombstone ? undefined : r;
}

export function appendRecord(history: KeyHistory, record: KeyRecord): void {
  const last = history[history.length - 1];
  invariant(last === undefined || compareRevision(last, record) < 0, 'key history must grow in revision order');
  history.push(record);
}

/**
 * What compaction at `revision` keeps of one key (etcd keyIndex.compact + keep): every record after
 * `revision`, plus the record in force at `revision` if it is a put (the key's value at the compact
 * revision stays readable); a tombstone in force at `revision` goes, and so does everything before.
 * Returns the number of leading records that go (0: keep the history as it is; length: the key leaves).
 */
export function compactedPrefixLength(history: KeyHistory, revision: number): number {
  const lo = countAtOrBefore(history, revision);
  // history[lo - 1] is the record in force at `revision`.
  const inForce = history[lo - 1];
  return inForce !== undefined && !inForce.tombstone ? lo - 1 : lo;
}
