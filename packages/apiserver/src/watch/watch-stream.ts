// One watch request: optional synthetic ADDED events for the current state, then changes from the storage
// watch (driven by the KV's own watch, never by polling), BOOKMARKs while idle, and an ERROR event (410
// Expired) when the requested resourceVersion has been compacted. The storage watch resumes by revision
// across KV member failures, so a client of this stream sees each change once, in order.
import type { FieldSelector } from '../api/field-selector.ts';
import type { LabelSelector } from '../api/label-selector.ts';
import { errors } from '../api/status.ts';
import { listObjects, parseResourceVersion } from '../registry/list.ts';
import type { ResourceDefinition } from '../registry/resource.ts';
import { toApiError } from '../registry/storage-errors.ts';
import { listPrefix } from '../storage/keys.ts';
import { StorageError, type Storage, type StorageWatch, type StorageWatchBatch } from '../storage/storage.ts';
import { bookmarkEvent, toWatchEvent, type EventFilter, type WatchEvent } from './events.ts';

export interface WatchRequest {
  readonly namespace: string;
  readonly labelSelector: LabelSelector;
  readonly fieldSelector: FieldSelector;
  /** As sent: undefined/'0' = start with the current state; N = changes after N. */
  readonly resourceVersion?: string;
  readonly allowWatchBookmarks: boolean;
  /** client-go's WatchList: initial state as ADDED events, then a bookmark marking their end. */
  readonly sendInitialEvents: boolean;
  /** The stream ends (cleanly) after this long. */
  readonly timeoutMs: number;
  /** How often to send a BOOKMARK when bookmarks are allowed. */
  readonly bookmarkIntervalMs: number;
}

export interface WatchSink {
  /** Sends one event; resolves when the sink can take more. */
  write(event: WatchEvent): Promise<void>;
  /** Fires when the client has gone away. */
  readonly signal: AbortSignal;
}

/** Streams a watch into `sink` until the client leaves, the timeout passes, or an ERROR event ends it. */
export async function runWatch(storage: Storage, def: ResourceDefinition, req: WatchRequest, sink: WatchSink): Promise<void> {
  const filter = { def, labelSelector: req.labelSelector, fieldSelector: req.fieldSelector };
  let watch: StorageWatch | undefined;
  let startRevision = 0;
  try {
    const rv = parseResourceVersion(req.resourceVersion);
    if (rv === undefined || rv === 0 || req.sendInitialEvents) {
      // "Get state and start at most recent": the current objects as ADDED events, then changes after them.
      const state = await listObjects(storage, def, { namespace: req.namespace, labelSelector: req.labelSelector, fieldSelector: req.fieldSelector, limit: 0 });
      for (const object of state.items) {
        if (sink.signal.aborted) return;
        await sink.write({ type: 'ADDED', object });
      }
      if (req.sendInitialEvents) await sink.write(bookmarkEvent(def, state.revision, true));
      startRevision = state.revision + 1;
    } else {
      startRevision = rv + 1;
    }
    watch = storage.watch(listPrefix(def.plural, def.namespaced ? req.namespace : ''), startRevision);
    await stream(watch, startRevision, def, req, sink, filter);
  } catch (err) {
    const apiErr = err instanceof StorageError && err.code === 'Compacted' ? toApiError(err, startRevision - 1) : toApiError(err);
    if (!sink.signal.aborted) await sink.write({ type: 'ERROR', object: apiErr.toStatus() }).catch(() => {});
  } finally {
    await watch?.cancel().catch(() => {});
  }
}

async function stream(watch: StorageWatch, startRevision: number, def: ResourceDefinition, req: WatchRequest, sink: WatchSink, filter: EventFilter): Promise<void> {
  const it = watch[Symbol.asyncIterator]();
  /** Everything up to here has been sent. */
  let progress = startRevision - 1;
  let lastBookmark = 0;
  // Timers and the client's departure set flags and wake the loop. Each turn races a fresh wake-up promise
  // against the pending batch: racing long-lived promises turn after turn would pile up reactions on them
  // for the life of the watch.
  let stopped = false;
  let bookmarkDue = false;
  let wake: (() => void) | undefined;
  const wakeUp = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const onAbort = (): void => {
    stopped = true;
    wakeUp();
  };
  const timeout = setTimeout(onAbort, req.timeoutMs);
  const bookmarks = req.allowWatchBookmarks
    ? setInterval(() => {
        bookmarkDue = true;
        wakeUp();
      }, req.bookmarkIntervalMs)
    : undefined;
  sink.signal.addEventListener('abort', onAbort, { once: true });
  if (sink.signal.aborted) stopped = true;
  type Turn = { readonly kind: 'batch'; readonly v: IteratorResult<StorageWatchBatch> } | { readonly kind: 'wake' };
  let pending: Promise<Turn> | undefined;
  try {
    for (;;) {
      if (stopped) {
        // The caller cancels the storage watch; a next() still pending then settles as done.
        pending?.catch(() => {});
        return;
      }
      if (bookmarkDue) {
        bookmarkDue = false;
        // Ask for fresh progress for the next bookmark; this one vouches for what has been sent already.
        watch.requestProgress();
        if (progress > lastBookmark) {
          await sink.write(bookmarkEvent(def, progress));
          lastBookmark = progress;
        }
        continue;
      }
      pending ??= it.next().then((v): Turn => ({ kind: 'batch', v }));
      const woken = new Promise<Turn>((resolve) => (wake = () => resolve({ kind: 'wake' })));
      const r = await Promise.race([pending, woken]);
      if (r.kind === 'wake') continue;
      wake = undefined;
      pending = undefined;
      if (r.v.done === true) {
        await sink.write({ type: 'ERROR', object: errors.serviceUnavailable('the storage watch ended').toStatus() });
        return;
      }
      for (const e of r.v.value.events) {
        const ev = toWatchEvent(e, filter);
        if (ev !== undefined) await sink.write(ev);
      }
      progress = Math.max(progress, r.v.value.progressRevision);
    }
  } finally {
    clearTimeout(timeout);
    clearInterval(bookmarks);
    sink.signal.removeEventListener('abort', onAbort);
  }
}


