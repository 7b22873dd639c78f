// Watchers of one member. A watcher is either synced (it has seen everything up to the store's current
// revision and gets each new revision as it is applied) or catching up (it reads the event log from its
// next revision in bounded batches). Events reach a watcher in revision order, each exactly once; a start
// revision that was compacted ends the watcher with the compact revision, as etcd does.

import { isMvccError } from '../mvcc/errors.ts';
import { type KeyRange, keyRange, keyString, rangeContains } from '../mvcc/key-range.ts';
import type { MvccStore } from '../mvcc/store.ts';
import type { Event, RevisionEvents } from '../mvcc/types.ts';
import type { Header, ServerFrame, WatchCreateParams } from '../protocol/messages.ts';

export interface WatchSink {
  send(frame: ServerFrame): void;
  /** Bytes queued on the connection and not yet written. */
  bufferedBytes(): number;
}

/** Revisions read from the event log per catch-up batch. */
export const CATCH_UP_REVISIONS_PER_BATCH = 1_000;
/** A connection with more than this queued is a slow consumer: its watchers pause and catch up later. */
export const SINK_BUFFERED_BYTES_MAX = 16 * 1024 * 1024;
/** Watchers per member. */
export const WATCHERS_MAX = 100_000;

interface Watcher {
  readonly id: number;
  readonly sink: WatchSink;
  readonly range: KeyRange;
  readonly rawRange: { key: Uint8Array; rangeEnd?: Uint8Array };
  readonly prevKv: boolean;
  readonly noPut: boolean;
  readonly noDelete: boolean;
  readonly progressNotify: boolean;
  /** The next revision this watcher must see. */
  nextRevision: number;
  synced: boolean;
}

export class WatchHub {
  private readonly watchers = new Map<number, Watcher>();
  private nextId = 1;
  private store: MvccStore;
  private unsubscribe: () => void;

  constructor(
    store: MvccStore,
    private readonly header: (revision: number) => Header,
  ) {
    this.store = store;
    this.unsubscribe = store.subscribe((r) => this.onRevision(r));
  }

  /** The state machine was replaced by a snapshot: follow the new store; watchers catch up from it. */
  replaceStore(store: MvccStore): void {
    this.unsubscribe();
    this.store = store;
    this.unsubscribe = store.subscribe((r) => this.onRevision(r));
    for (const w of this.watchers.values()) {
      w.synced = false;
      this.catchUp(w);
    }
  }

  create(sink: WatchSink, p: WatchCreateParams): { watchId: number; header: Header } | { error: string } {
    if (this.watchers.size >= WATCHERS_MAX) return { error: `too many watchers on this member (${WATCHERS_MAX})` };
    const current = this.store.revision;
    const start = p.startRevision !== undefined && p.startRevision > 0 ? p.startRevision : current + 1;
    const w: Watcher = {
      id: this.nextId++,
      sink,
      range: keyRange(p.key, p.rangeEnd),
      rawRange: { key: p.key, ...(p.rangeEnd !== undefined ? { rangeEnd: p.rangeEnd } : {}) },
      prevKv: p.prevKv === true,
      noPut: p.filters?.includes('noPut') === true,
      noDelete: p.filters?.includes('noDelete') === true,
      progressNotify: p.progressNotify === true,
      nextRevision: start,
      synced: false,
    };
    this.watchers.set(w.id, w);
    // Events must not reach the client before the reply to watchCreate (which tells it the watch id):
    // the reply goes out in this turn's microtasks, so catching up waits for the next macrotask.
    setImmediate(() => this.catchUp(w));
    return { watchId: w.id, header: this.header(current) };
  }

  cancel(watchId: number, sink?: WatchSink): boolean {
    const w = this.watchers.get(watchId);
    if (w === undefined || (sink !== undefined && w.sink !== sink)) return false;
    this.watchers.delete(watchId);
    return true;
  }

  /** The connection closed: drop its watchers. */
  detach(sink: WatchSink): void {
    for (const [id, w] of this.watchers) if (w.sink === sink) this.watchers.delete(id);
  }

  /** Periodic work: resume paused watchers whose connection drained, send progress notifications. */
  tick(sendProgress: boolean): void {
    const current = this.store.revision;
    for (const w of this.watchers.values()) {
      if (!w.synced) this.catchUp(w);
      else if (sendProgress && w.progressNotify && w.sink.bufferedBytes() === 0) {
        w.sink.send({ type: 'watch', watchId: w.id, header: this.header(current), events: [], progress: true });
      }
    }
  }

  /** etcd RequestProgress: a progress notification to every synced watcher of a connection now. */
  progress(sink: WatchSink): void {
    const current = this.store.revision;
    for (const w of this.watchers.values()) {
      if (w.sink === sink && w.synced) w.sink.send({ type: 'watch', watchId: w.id, header: this.header(current), events: [], progress: true });
    }
  }

  count(): number {
    return this.watchers.size;
  }

  private onRevision(r: RevisionEvents): void {
    for (const w of this.watchers.values()) {
      if (!w.synced) continue;
      if (r.revision < w.nextRevision) continue;
      if (r.revision > w.nextRevision) {
        // Never skip: a gap means this watcher missed something; read it from the log instead.
        w.synced = false;
        this.catchUp(w);
        continue;
      }
      if (w.sink.bufferedBytes() > SINK_BUFFERED_BYTES_MAX) {
        w.synced = false; // slow consumer: resumes from nextRevision when its connection drains
        continue;
      }
      const events = this.filter(w, r.events);
      w.nextRevision = r.revision + 1;
      if (events.length > 0) w.sink.send({ type: 'watch', watchId: w.id, header: this.header(r.revision), events });
    }
  }

  private catchUp(w: Watcher): void {
    if (!this.watchers.has(w.id)) return;
    for (;;) {
      const current = this.store.revision;
      if (w.nextRevision > current) {
        w.synced = true;
        return;
      }
      if (w.sink.bufferedBytes() > SINK_BUFFERED_BYTES_MAX) return;
      let batch;
      try {
        batch = this.store.eventsSince(w.nextRevision, w.rawRange, CATCH_UP_REVISIONS_PER_BATCH);
      } catch (e) {
        if (isMvccError(e, 'Compacted')) {
          this.watchers.delete(w.id);
          w.sink.send({
            type: 'watch',
            watchId: w.id,
            header: this.header(current),
            events: [],
            canceled: true,
            cancelReason: 'mvcc: required revision has been compacted',
            compactRevision: e.compactRevision ?? this.store.compactRevision,
          });
          return;
        }
        throw e;
      }
      const events = this.filter(w, batch.events);
      if (events.length > 0) w.sink.send({ type: 'watch', watchId: w.id, header: this.header(current), events });
      if (batch.nextRevision <= w.nextRevision) throw new Error('watch hub invariant violated: catch-up made no progress');
      w.nextRevision = batch.nextRevision;
    }
  }

  private filter(w: Watcher, events: readonly Event[]): Event[] {
    const out: Event[] = [];
    for (const e of events) {
      if (!rangeContains(w.range, keyString(e.kv.key))) continue;
      if ((e.type === 'put' && w.noPut) || (e.type === 'delete' && w.noDelete)) continue;
      out.push(w.prevKv ? e : { type: e.type, kv: e.kv, prevKv: undefined });
    }
    return out;
  }
}
