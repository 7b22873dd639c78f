// The ordered log of applied changes, one entry per revision, kept from the compact revision on. It is what
// lets a watcher start at any uncompacted revision and see every change after it, in order, with its prevKv.
// Entries hold only where each change is stored (key, sub-revision, the revision of the value it replaced);
// the KeyValues are read from the RevisionBackend when a watcher asks, as etcd's watchers read the revisions
// they missed from bbolt. Compaction keeps the revisions an event at the compact revision refers to as its
// prevKv (compaction.ts), so unlike etcd — which silently drops prevKv once that revision is compacted — a
// watcher gets prevKv for every event it can receive.

import { invariant, MvccError } from './errors.ts';
import type { Revision, RevisionBackend } from './backend.ts';
import { keyBytes, rangeContains, type KeyRange, type KeyString } from './key-range.ts';
import type { Event, KeyValue } from '@halyard/kv-client/protocol';

export interface EventsSince {
  readonly events: readonly Event[];
  /** Where to continue: every revision below it has been looked at (= current revision + 1 when caught up). */
  readonly nextRevision: number;
}

/** One change of one revision, as the log keeps it. */
export interface Change {
  readonly type: 'put' | 'delete';
  readonly key: KeyString;
  /** The change is stored at (revision, sub). */
  readonly sub: number;
  /** Where the value the change replaced is stored (the event's prevKv); undefined if the key was absent. */
  readonly prev: Revision | undefined;
}

export interface RevisionChanges {
  readonly revision: number;
  readonly changes: readonly Change[];
}

const emptyBytes = new Uint8Array(0);

/** The Event a logged change stands for, with its KeyValues read from `backend`. */
export function materialize(revision: number, change: Change, backend: RevisionBackend): Event {
  const prevKv = change.prev === undefined ? undefined : backend.read(change.prev);
  invariant(change.prev === undefined || prevKv !== undefined, `prevKv of ${revision}.${change.sub} is missing from the backend`);
  let kv: KeyValue | undefined;
  if (change.type === 'put') {
    kv = backend.read({ main: revision, sub: change.sub });
    invariant(kv !== undefined, `the put at ${revision}.${change.sub} is missing from the backend`);
  } else {
    kv = { key: keyBytes(change.key), createRevision: 0, modRevision: revision, version: 0, value: emptyBytes, lease: 0 };
  }
  return { type: change.type, kv, prevKv };
}

export class EventLog {
  /** Ascending by revision; only revisions that changed something (every revision does, by definition). */
  private entries: RevisionChanges[] = [];

  append(entry: RevisionChanges): void {
    const last = this.entries[this.entries.length - 1];
    if (last !== undefined && last.revision >= entry.revision) throw new Error('mvcc invariant violated: event log must grow');
    this.entries.push(entry);
  }

  /** Drops entries below `revision`. Entries at `revision` stay: watching from the compact revision is allowed. */
  compact(revision: number): void {
    const i = this.indexOf(revision);
    if (i > 0) this.entries = this.entries.slice(i);
  }

  /**
   * Events at revisions ≥ startRevision whose key is in `range` (all keys if undefined), in revision then
   * sub-revision order, scanning at most `revisionsMax` revisions (a bound for catch-up batches).
   * `compactRevision` and `currentRevision` come from the store; starting below the compact revision is a
   * 'Compacted' error naming it (etcd: a watch with start_revision < compact revision is cancelled with
   * compact_revision set).
   */
  eventsSince(
    backend: RevisionBackend,
    startRevision: number,
    range: KeyRange | undefined,
    compactRevision: number,
    currentRevision: number,
    revisionsMax = Number.POSITIVE_INFINITY,
  ): EventsSince {
    if (!Number.isSafeInteger(startRevision) || startRevision < 1) {
      throw new MvccError('InvalidRequest', 'start revision must be an integer ≥ 1');
    }
    if (startRevision < compactRevision) {
      throw new MvccError('Compacted', `revision ${startRevision} is compacted (compact revision ${compactRevision})`, {
        compactRevision,
        currentRevision,
      });
    }
    const events: Event[] = [];
    let i = this.indexOf(startRevision);
    let scanned = 0;
    for (; i < this.entries.length && scanned < revisionsMax; i++, scanned++) {
      const entry = this.entries[i] as RevisionChanges;
      for (const change of entry.changes) {
        if (range === undefined || rangeContains(range, change.key)) events.push(materialize(entry.revision, change, backend));
      }
    }
    const nextRevision = i < this.entries.length ? (this.entries[i] as RevisionChanges).revision : currentRevision + 1;
    return { events, nextRevision: Math.max(nextRevision, startRevision) };
  }

  /** All entries (for snapshots). */
  all(): readonly RevisionChanges[] {
    return this.entries;
  }

  static restore(entries: readonly RevisionChanges[]): EventLog {
    const log = new EventLog();
    for (const e of entries) log.append(e);
    return log;
  }

  /** Index of the first entry with revision ≥ `revision`. */
  private indexOf(revision: number): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.entries[mid] as RevisionChanges).revision < revision) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
