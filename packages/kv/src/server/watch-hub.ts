// A member's watches: the MVCC watch hub (packages/kv/src/mvcc/watch-hub.ts, which guarantees each
// watcher its exact slice of history) bound to client connections. This file only adapts: it turns hub
// messages into protocol frames, refuses a message when the connection is backed up (the hub re-reads
// it from the log later), and drives the hub's catch-up from the event loop.

import { isMvccError } from '../mvcc/errors.ts';
import type { MvccStore } from '../mvcc/store.ts';
import { WatchHub, type WatchMessage } from '../mvcc/watch-hub.ts';
import { KvError, type Header, type ServerFrame, type WatchCreateParams } from '@halyard/kv-client/protocol';
import type { MemberClock } from './seams.ts';

export interface WatchSink {
  send(frame: ServerFrame): void;
  /** Bytes queued on the connection and not yet written. */
  bufferedBytes(): number;
}

/** A connection with more than this queued is a slow consumer: its watchers wait and catch up later. */
export const SINK_BUFFERED_BYTES_MAX = 16 * 1024 * 1024;
/** Watchers per member. */
export const WATCHERS_MAX = 100_000;
/** Pause between catch-up rounds, so catching up never starves Raft traffic on the event loop. */
const CATCH_UP_PAUSE_MS = 1;

export class MemberWatches {
  private hub: WatchHub;
  private store: MvccStore;
  private readonly owners = new Map<number, WatchSink>();
  private syncScheduled = false;
  private closed = false;

  constructor(
    store: MvccStore,
    private readonly header: (revision: number) => Header,
    private readonly clock: MemberClock,
  ) {
    this.store = store;
    this.hub = new WatchHub(store, { watchersMax: WATCHERS_MAX });
  }

  /**
   * The state machine was replaced by a snapshot from the leader. The hub cannot carry its cursors
   * across stores, so every watcher is ended with a resumable cancel; clients re-create their watches
   * from their last revision (the client library does so by itself).
   */
  replaceStore(store: MvccStore): void {
    for (const [watchId, sink] of this.owners) {
      sink.send({ type: 'watch', watchId, header: this.header(store.revision), events: [], canceled: true, cancelReason: 'member installed a snapshot; resume from your last revision' });
    }
    this.owners.clear();
    this.hub.close();
    this.store = store;
    this.hub = new WatchHub(store, { watchersMax: WATCHERS_MAX });
  }

  /** Creates a watcher. History (a start revision in the past) is sent only after the reply. */
  create(sink: WatchSink, p: WatchCreateParams): { watchId: number; header: Header } {
    let watchId: number;
    try {
      watchId = this.hub.watch(
        {
          key: p.key,
          ...(p.rangeEnd !== undefined ? { rangeEnd: p.rangeEnd } : {}),
          ...(p.startRevision !== undefined ? { startRevision: p.startRevision } : {}),
          prevKv: p.prevKv === true,
          noPut: p.filters?.includes('noPut') === true,
          noDelete: p.filters?.includes('noDelete') === true,
          progressNotify: p.progressNotify === true,
        },
        (m) => this.deliver(sink, m),
      );
    } catch (e) {
      if (isMvccError(e, 'InvalidRequest') && e.message.includes('too many watchers')) throw new KvError('Unavailable', e.message);
      throw e;
    }
    this.owners.set(watchId, sink);
    // The reply goes out in this turn's microtasks; history must not overtake it (the client learns the
    // watch id from the reply), so catching up waits for a later macrotask.
    this.scheduleSync();
    return { watchId, header: this.header(this.store.revision) };
  }

  cancel(watchId: number, sink: WatchSink): boolean {
    if (this.owners.get(watchId) !== sink) return false;
    this.owners.delete(watchId);
    return this.hub.cancel(watchId);
  }

  /** The connection closed: drop its watchers. */
  detach(sink: WatchSink): void {
    for (const [id, owner] of this.owners) {
      if (owner !== sink) continue;
      this.owners.delete(id);
      this.hub.cancel(id);
    }
  }

  /** Periodic work from the member's loop: resume backed-up watchers; progress notifications. */
  tick(sendProgress: boolean): void {
    this.scheduleSync();
    if (sendProgress) this.hub.progress();
  }

  /** etcd RequestProgress: a progress notification now to every synced watcher of this connection. */
  progress(sink: WatchSink): void {
    for (const [id, owner] of this.owners) if (owner === sink) this.hub.requestProgress(id);
  }

  count(): number {
    return this.hub.size;
  }

  close(): void {
    this.closed = true;
    this.hub.close();
    this.owners.clear();
  }

  private scheduleSync(): void {
    if (this.syncScheduled || this.closed) return;
    this.syncScheduled = true;
    this.clock.after(CATCH_UP_PAUSE_MS, () => {
      this.syncScheduled = false;
      if (this.closed) return;
      if (this.hub.sync() > 0) this.scheduleSync();
    });
  }

  private deliver(sink: WatchSink, m: WatchMessage): boolean {
    if (m.type !== 'compacted' && sink.bufferedBytes() > SINK_BUFFERED_BYTES_MAX) return false;
    switch (m.type) {
      case 'events':
        sink.send({ type: 'watch', watchId: m.watchId, header: this.header(m.revision), events: m.events });
        return true;
      case 'progress':
        sink.send({ type: 'watch', watchId: m.watchId, header: this.header(m.revision), events: [], progress: true });
        return true;
      case 'compacted':
        this.owners.delete(m.watchId);
        sink.send({
          type: 'watch',
          watchId: m.watchId,
          header: this.header(this.store.revision),
          events: [],
          canceled: true,
          cancelReason: 'mvcc: required revision has been compacted',
          compactRevision: m.compactRevision,
        });
        return true;
      default: {
        const never: never = m;
        throw new Error(`unknown watch message ${JSON.stringify(never)}`);
      }
    }
  }
}
