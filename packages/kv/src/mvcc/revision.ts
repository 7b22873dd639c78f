// Per-key history, the analogue of etcd's keyIndex: every change of one key as a record stamped with its
// revision. A revision is (main, sub) as in etcd: `main` is the store revision of the write request, `sub`
// orders the changes inside one request (a txn's ops). A tombstone record marks a delete; the records between
// a create and its tombstone are one "generation" of the key in etcd's terms.

import { invariant } from './errors.ts';
import type { KeyValue } from '@halyard/kv-client/protocol';

export interface KeyRecord {
  readonly main: number;
  readonly sub: number;
  /** undefined = tombstone (the key was deleted at this revision). */
  readonly kv: KeyValue | undefined;
}

/** Records of one key, ascending by (main, sub). Never empty while the key is in the index. */
export type KeyHistory = KeyRecord[];

export function compareRevision(a: { main: number; sub: number }, b: { main: number; sub: number }): number {
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

/** The key's value as of `revision` (undefined if absent then). */
export function kvAt(history: KeyHistory, revision: number): KeyValue | undefined {
  return recordAt(history, revision)?.kv;
}

/** The key's current value. */
export function latestKv(history: KeyHistory | undefined): KeyValue | undefined {
  return history === undefined ? undefined : history[history.length - 1]?.kv;
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
 * Returns the retained records (possibly empty: then the key leaves the index).
 */
export function compactHistory(history: KeyHistory, revision: number): KeyHistory {
  const lo = countAtOrBefore(history, revision);
  // history[lo - 1] is the record in force at `revision`.
  const inForce = history[lo - 1];
  const keepFrom = inForce !== undefined && inForce.kv !== undefined ? lo - 1 : lo;
  return keepFrom === 0 ? history : history.slice(keepFrom);
}
