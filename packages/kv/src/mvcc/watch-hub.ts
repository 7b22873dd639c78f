// The watch hub: many watchers over one store, each with a key / range / prefix filter, a start revision,
// optional prevKv and event-type filters, and progress notifications. A pure component — no timers, no I/O:
// the server owns the sockets and calls `sync()` from its loop (etcd's syncWatchersLoop) and `progress()` on
// its progress-notify interval.
//
// The guarantee, per watcher: the events it is sent, concatenated, are exactly the store's events at
// revisions ≥ its start revision that match its filter, in order, none skipped, none twice — until it is
// cancelled, or told its next revision was compacted (then it is cancelled, as etcd does).
//
// How (etcd's synced / unsynced watcher groups):
//  - a watcher has a cursor: the next revision it must see;
//  - "synced" watchers (cursor = store revision + 1) get each newly applied revision as it is applied;
//  - "unsynced" ones (new watchers starting in the past, and any whose sink refused a message) are caught
//    up from the store's event log by `sync()`, a bounded number of revisions per call, and join the synced
//    group once they reach the head. A refused message is not lost: the cursor did not move, so the same
//    events are read again from the log (etcd's "victim" watchers).

import { MvccError } from './errors.ts';
import { keyRange, keyString, rangeContains, type KeyRange } from './key-range.ts';
import type { MvccStore } from './store.ts';
import type { Event, RevisionEvents } from '@halyard/kv-client/protocol';

export interface WatchRequest {
  readonly key: Uint8Array;
  /** As in a range: empty = one key, [0] = every key ≥ key, otherwise [key, rangeEnd). */
  readonly rangeEnd?: Uint8Array;
  /** First revision to deliver; 0 or absent = only changes after now (etcd's default). */
  readonly startRevision?: number;
  readonly prevKv?: boolean;
  /** etcd's NOPUT / NODELETE filters. */
  readonly noPut?: boolean;
  readonly noDelete?: boolean;
  /** Receive `progress` messages from `progress()`. */
  readonly progressNotify?: boolean;
}

export type WatchMessage =
  /** `revision`: everything up to it has been delivered to this watcher. */
  | { readonly type: 'events'; readonly watchId: number; readonly revision: number; readonly events: readonly Event[] }
  /** No events for this watcher up to `revision` (etcd's progress notification: an empty response). */
  | { readonly type: 'progress'; readonly watchId: number; readonly revision: number }
  /** The watcher's next revision is compacted; it is cancelled (etcd: compact_revision set, canceled). */
  | { readonly type: 'compacted'; readonly watchId: number; readonly compactRevision: number };

/**
 * Takes one message. Returns false if it cannot take it now (its buffer is full): the message counts as
 * not sent, and the hub re-sends the same events later from the log.
 */
export type WatchSink = (message: WatchMessage) => boolean;

export interface WatchHubOptions {
  /** Bound on the number of watchers (each costs a cursor and a sink). */
  readonly watchersMax?: number;
  /** Revisions read from the log per unsynced watcher per `sync()` call: bounds the work of one call. */
  readonly catchUpRevisionsMax?: number;
}

interface Watcher {
  readonly id: number;
  readonly range: KeyRange;
  readonly prevKv: boolean;
  readonly noPut: boolean;
  readonly noDelete: boolean;
  readonly progressNotify: boolean;
  readonly sink: WatchSink;
  /** Next revision this watcher must see. */
  cursor: number;
  synced: boolean;
}

export class WatchHub {
  private readonly watchers = new Map<number, Watcher>();
  private nextId = 1;
  private readonly watchersMax: number;
  private readonly catchUpRevisionsMax: number;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: MvccStore,
    options: WatchHubOptions = {},
  ) {
    this.watchersMax = options.watchersMax ?? 10_000;
    this.catchUpRevisionsMax = options.catchUpRevisionsMax ?? 1_000;
    this.unsubscribe = store.subscribe((applied) => this.onApplied(applied));
  }

  get size(): number {
    return this.watchers.size;
  }

  /**
   * Adds a watcher; returns its id. A start revision below the compact revision is refused right away with
   * 'Compacted' (naming the compact revision), before any watcher exists. Call `sync()` to deliver history.
   */
  watch(request: WatchRequest, sink: WatchSink): number {
    if (this.watchers.size >= this.watchersMax) throw new MvccError('InvalidRequest', `too many watchers (max ${this.watchersMax})`);
    if (!(request.key instanceof Uint8Array) || request.key.length === 0) throw new MvccError('EmptyKey', 'key is not provided');
    const start = request.startRevision ?? 0;
    if (!Number.isSafeInteger(start) || start < 0) throw new MvccError('InvalidRequest', 'start revision must be an integer ≥ 0');
    const cursor = start === 0 ? this.store.revision + 1 : start;
    if (cursor < this.store.compactRevision) {
      throw new MvccError('Compacted', `revision ${cursor} is compacted (compact revision ${this.store.compactRevision})`, {
        compactRevision: this.store.compactRevision,
        currentRevision: this.store.revision,
      });
    }
    const id = this.nextId++;
    this.watchers.set(id, {
      id,
      range: keyRange(request.key, request.rangeEnd),
      prevKv: request.prevKv === true,
      noPut: request.noPut === true,
      noDelete: request.noDelete === true,
      progressNotify: request.progressNotify === true,
      sink,
      cursor,
      // A watcher starting in the future is synced: it just ignores revisions below its start.
      synced: cursor > this.store.revision,
    });
    return id;
  }

  cancel(watchId: number): boolean {
    return this.watchers.delete(watchId);
  }

  /** Whether every watcher is at the head (nothing for `sync()` to do). */
  get allSynced(): boolean {
    for (const w of this.watchers.values()) if (!w.synced) return false;
    return true;
  }

  /**
   * Catches unsynced watchers up from the event log, at most `catchUpRevisionsMax` revisions each.
   * Returns the number of watchers still unsynced (call again while > 0, yielding to I/O in between).
   */
  sync(): number {
    let unsynced = 0;
    for (const w of [...this.watchers.values()]) {
      if (w.synced) continue;
      if (w.cursor < this.store.compactRevision) {
        this.compacted(w);
        if (this.watchers.has(w.id)) unsynced++;
        continue;
      }
      const batch = this.store.eventsSince(w.cursor, undefined, this.catchUpRevisionsMax);
      const events = batch.events.filter((e) => this.matches(w, e));
      const upTo = batch.nextRevision - 1;
      if (events.length > 0 && !w.sink({ type: 'events', watchId: w.id, revision: upTo, events: this.shape(w, events) })) {
        unsynced++;
        continue;
      }
      w.cursor = batch.nextRevision;
      if (w.cursor > this.store.revision) w.synced = true;
      else unsynced++;
    }
    return unsynced;
  }

  /** Progress notifications to synced watchers that asked for them (etcd sends none to unsynced ones). */
  progress(): void {
    for (const w of this.watchers.values()) {
      if (w.progressNotify) this.progressOne(w);
    }
  }

  /** etcd RequestProgress for one watcher: a progress message if it is synced; nothing otherwise. */
  requestProgress(watchId: number): boolean {
    const w = this.watchers.get(watchId);
    return w !== undefined && this.progressOne(w);
  }

  close(): void {
    this.unsubscribe();
    this.watchers.clear();
  }

  private progressOne(w: Watcher): boolean {
    if (!w.synced) return false;
    // A refused progress message is harmless to drop: it carries no event.
    return w.sink({ type: 'progress', watchId: w.id, revision: this.store.revision });
  }

  private onApplied(applied: RevisionEvents): void {
    for (const w of [...this.watchers.values()]) {
      if (!w.synced) continue;
      // A synced watcher is at the head, or (started in the future) ahead of it.
      if (applied.revision < w.cursor) continue;
      if (applied.revision !== w.cursor) throw new Error(`mvcc invariant violated: watcher ${w.id} at ${w.cursor} got ${applied.revision}`);
      const events = applied.events.filter((e) => this.matches(w, e));
      if (events.length > 0 && !w.sink({ type: 'events', watchId: w.id, revision: applied.revision, events: this.shape(w, events) })) {
        // Becomes a victim: the cursor stays, sync() re-reads this revision from the log.
        w.synced = false;
        continue;
      }
      w.cursor = applied.revision + 1;
    }
  }

  /** The watcher goes once the sink has taken the message; a refused one is re-sent by the next sync(). */
  private compacted(w: Watcher): void {
    if (w.sink({ type: 'compacted', watchId: w.id, compactRevision: this.store.compactRevision })) this.watchers.delete(w.id);
  }

  private matches(w: Watcher, e: Event): boolean {
    if (e.type === 'put' ? w.noPut : w.noDelete) return false;
    return rangeContains(w.range, keyString(e.kv.key));
  }

  private shape(w: Watcher, events: readonly Event[]): readonly Event[] {
    return w.prevKv ? events : events.map((e) => ({ ...e, prevKv: undefined }));
  }
}
