// The ordered log of applied changes, one entry per revision, kept from the compact revision on. It is what
// lets a watcher start at any uncompacted revision and see every change after it, in order, with its prevKv
// (each event carries its prevKv, so unlike etcd — which re-reads prevKv from the backend and silently drops it
// when that revision is compacted — a watcher gets prevKv for every event it can receive).

import { MvccError } from './errors.ts';
import { rangeContains, keyString, type KeyRange } from './key-range.ts';
import type { Event, RevisionEvents } from '@halyard/kv-client/protocol';

export interface EventsSince {
  readonly events: readonly Event[];
  /** Where to continue: every revision below it has been looked at (= current revision + 1 when caught up). */
  readonly nextRevision: number;
}

export class EventLog {
  /** Ascending by revision; only revisions that changed something (every revision does, by definition). */
  private entries: RevisionEvents[] = [];

  append(entry: RevisionEvents): void {
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
      const entry = this.entries[i] as RevisionEvents;
      for (const event of entry.events) {
        if (range === undefined || rangeContains(range, keyString(event.kv.key))) events.push(event);
      }
    }
    const nextRevision = i < this.entries.length ? (this.entries[i] as RevisionEvents).revision : currentRevision + 1;
    return { events, nextRevision: Math.max(nextRevision, startRevision) };
  }

  /** All entries (for snapshots). */
  all(): readonly RevisionEvents[] {
    return this.entries;
  }

  static restore(entries: readonly RevisionEvents[]): EventLog {
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
      if ((this.entries[mid] as RevisionEvents).revision < revision) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
