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

/**
 * The changes are kept in columns, one slot per change, ascending by (revision, sub), rather than as an
 * object per change in an array per revision: the log holds every revision since the last compaction
 * (all of them on a store never compacted), so its cost per revision is what a large store pays. Objects
 * and arrays cost ~150 bytes per single-change revision; five array slots cost 40.
 */
export class EventLog {
  private revisions: number[] = [];
  private keys: KeyString[] = [];
  /** sub × 2, plus 1 for a delete. */
  private subAndType: number[] = [];
  /** The prev revision's main, 0 when the key was absent (no revision is 0). */
  private prevMains: number[] = [];
  private prevSubs: number[] = [];
  private lastRevision = 0;

  append(entry: RevisionChanges): void {
    if (this.lastRevision >= entry.revision) throw new Error('mvcc invariant violated: event log must grow');
    this.lastRevision = entry.revision;
    for (const c of entry.changes) this.push(entry.revision, c.type, c.key, c.sub, c.prev);
  }

  /**
   * Adds one change: of a later revision than any logged, or a later sub-revision of the last one. What a
   * rebuild from stored revisions feeds in, one at a time in (revision, sub) order, without building an
   * object per change.
   */
  appendChange(revision: number, type: Change['type'], key: KeyString, sub: number, prev: Revision | undefined): void {
    const n = this.revisions.length;
    const sameAsLast = n > 0 && this.revisions[n - 1] === revision;
    if (revision < this.lastRevision || (revision === this.lastRevision && !(sameAsLast && sub * 2 > (this.subAndType[n - 1] as number)))) {
      throw new Error('mvcc invariant violated: event log must grow');
    }
    this.lastRevision = revision;
    this.push(revision, type, key, sub, prev);
  }

  private push(revision: number, type: Change['type'], key: KeyString, sub: number, prev: Revision | undefined): void {
    this.revisions.push(revision);
    this.keys.push(key);
    this.subAndType.push(sub * 2 + (type === 'delete' ? 1 : 0));
    this.prevMains.push(prev?.main ?? 0);
    this.prevSubs.push(prev?.sub ?? 0);
  }

  /** Drops entries below `revision`. Entries at `revision` stay: watching from the compact revision is allowed. */
  compact(revision: number): void {
    const i = this.indexOf(revision);
    if (i === 0) return;
    this.revisions = this.revisions.slice(i);
    this.keys = this.keys.slice(i);
    this.subAndType = this.subAndType.slice(i);
    this.prevMains = this.prevMains.slice(i);
    this.prevSubs = this.prevSubs.slice(i);
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
    const n = this.revisions.length;
    let i = this.indexOf(startRevision);
    for (let scanned = 0; i < n && scanned < revisionsMax; scanned++) {
      const revision = this.revisions[i] as number;
      for (; i < n && this.revisions[i] === revision; i++) {
        const key = this.keys[i] as KeyString;
        if (range === undefined || rangeContains(range, key)) events.push(materialize(revision, this.changeAt(i), backend));
      }
    }
    const nextRevision = i < n ? (this.revisions[i] as number) : currentRevision + 1;
    return { events, nextRevision: Math.max(nextRevision, startRevision) };
  }

  /** All entries (for snapshots), built from the columns. */
  all(): readonly RevisionChanges[] {
    const out: { revision: number; changes: Change[] }[] = [];
    for (let i = 0; i < this.revisions.length; i++) {
      const revision = this.revisions[i] as number;
      const last = out[out.length - 1];
      if (last?.revision === revision) last.changes.push(this.changeAt(i));
      else out.push({ revision, changes: [this.changeAt(i)] });
    }
    return out;
  }

  static restore(entries: readonly RevisionChanges[]): EventLog {
    const log = new EventLog();
    for (const e of entries) log.append(e);
    return log;
  }

  private changeAt(i: number): Change {
    const subAndType = this.subAndType[i] as number;
    const prevMain = this.prevMains[i] as number;
    return {
      type: subAndType % 2 === 1 ? 'delete' : 'put',
      key: this.keys[i] as KeyString,
      sub: Math.floor(subAndType / 2),
      prev: prevMain === 0 ? undefined : { main: prevMain, sub: this.prevSubs[i] as number },
    };
  }

  /** Index of the first slot with revision ≥ `revision`. */
  private indexOf(revision: number): number {
    let lo = 0;
    let hi = this.revisions.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.revisions[mid] as number) < revision) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
