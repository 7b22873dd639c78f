// A watch that survives its connection: when the member it streams from dies or the connection drops, it
// is re-created (on another endpoint if needed) from the revision after the last one delivered, so the
// consumer sees every change exactly once, in revision order. A start revision that has been compacted
// ends the iterator with a KvError('Compacted') carrying `compactRevision`.
import type { Event } from '../protocol/kv-types.ts';
import { KvError } from '../protocol/errors.ts';
import type { Header, WatchCreateParams } from '../protocol/messages.ts';
import type { Caller } from './caller.ts';
import type { Connection, WatchFrame } from './connection.ts';
import { backoffMs, decideRetry, sleep, WATCH_RESUME_ATTEMPTS_MAX } from './retry.ts';

/**
 * Batches buffered for a slow consumer. At the bound the watch is cancelled on the member and re-created
 * from the next revision once the consumer has drained half of it: nothing is lost, memory stays bounded.
 */
export const WATCH_BATCHES_BUFFERED_MAX = 1024;

export interface WatchBatch {
  readonly header: Header;
  /** In revision order; empty for a progress notification. */
  readonly events: readonly Event[];
  /** Progress notification: every change up to header.revision has been delivered. */
  readonly progress: boolean;
}

type StreamEnd =
  | { readonly kind: 'lost'; readonly reason: string }
  | { readonly kind: 'canceled'; readonly reason: string; readonly compactRevision: number | undefined }
  | { readonly kind: 'paused' }
  | { readonly kind: 'stopped' };

export class Watcher implements AsyncIterable<WatchBatch> {
  private readonly queue: WatchBatch[] = [];
  private readonly wakeups = new Set<() => void>();
  private failure: { readonly error: unknown } | undefined;
  private ended = false;
  private resumeFrom: number;
  private consecutiveFailures = 0;
  private readonly stop = new AbortController();
  private endStream: ((end: StreamEnd) => void) | undefined;
  /** The connection the watch currently streams on, once created there. */
  private streaming: Connection | undefined;
  private readonly finished: Promise<void>;
  private createdResolve!: () => void;
  private createdReject!: (err: unknown) => void;
  /** Resolves once the watch is established on a member (events after this point will be seen). */
  readonly created: Promise<void>;

  constructor(
    private readonly caller: Caller,
    private readonly params: Omit<WatchCreateParams, 'startRevision'>,
    startRevision: number,
    private readonly requestTimeoutMs: number,
  ) {
    if (!Number.isSafeInteger(startRevision) || startRevision < 0) throw new KvError('InvalidRequest', 'startRevision must be a non-negative integer');
    this.resumeFrom = startRevision;
    this.created = new Promise((resolve, reject) => {
      this.createdResolve = resolve;
      this.createdReject = reject;
    });
    this.created.catch(() => {});
    this.finished = this.run();
  }

  /** Resolves when the watch has stopped for good (canceled, failed, or its client closed). */
  get closed(): Promise<void> {
    return this.finished;
  }

  /** The revision the watch would resume from (0 until the first watch has been created from "now"). */
  get nextRevision(): number {
    return this.resumeFrom;
  }

  /** Stops the watch: the iterator finishes (without the batches still buffered). */
  async cancel(): Promise<void> {
    if (!this.ended) {
      this.ended = true;
      this.queue.length = 0;
      this.stop.abort(new KvError('Unavailable', 'watch canceled'));
      this.endStream?.({ kind: 'stopped' });
      this.createdReject(new KvError('Unavailable', 'watch canceled before it was created'));
      this.wake();
    }
    await this.finished;
  }

  /**
   * Asks the member for a progress notification now (etcd's RequestProgress): a batch with
   * `progress: true` whose header.revision everything up to has been delivered. False when the watch is
   * between connections (it will resume from `nextRevision` anyway).
   */
  requestProgress(): boolean {
    const conn = this.streaming;
    if (conn === undefined || this.ended) return false;
    void conn.request('watchProgress', {}, undefined, timeoutSignal(this.requestTimeoutMs, 'watchProgress')).catch(() => {});
    return true;
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchBatch> {
    return {
      next: () => this.next(),
      return: async () => {
        await this.cancel();
        return { done: true, value: undefined };
      },
    };
  }

  private async next(): Promise<IteratorResult<WatchBatch>> {
    for (;;) {
      const batch = this.queue.shift();
      if (batch !== undefined) {
        this.wake();
        return { done: false, value: batch };
      }
      if (this.failure !== undefined) throw this.failure.error;
      if (this.ended) return { done: true, value: undefined };
      await new Promise<void>((resolve) => this.wakeups.add(resolve));
    }
  }

  private wake(): void {
    const wakeups = [...this.wakeups];
    this.wakeups.clear();
    for (const w of wakeups) w();
  }

  private fail(error: unknown): void {
    if (this.ended) return;
    this.failure = { error };
    this.ended = true;
    this.createdReject(error);
    this.wake();
  }

  private async run(): Promise<void> {
    while (!this.ended) {
      await this.waitForSpace();
      if (this.ended) return;
      let conn: Connection | undefined;
      try {
        conn = await this.caller.connectAny(this.stop.signal);
        const end = await this.stream(conn);
        if (end.kind === 'stopped' || end.kind === 'paused') continue;
        if (end.kind === 'canceled' && end.compactRevision !== undefined) {
          this.fail(compactedError(this.resumeFrom, end.compactRevision));
          return;
        }
        if (end.kind === 'lost') this.caller.rotate(conn.endpoint);
        await this.backoff(new KvError('Unavailable', `watch stream ended: ${end.reason}`));
      } catch (err) {
        if (this.ended) return;
        if (err instanceof KvError && err.code === 'Compacted') {
          this.fail(err.details.compactRevision !== undefined ? err : compactedError(this.resumeFrom, undefined));
          return;
        }
        const retryable = (err instanceof KvError && err.code === 'Timeout') || decideRetry(err, 'always').kind !== 'fail';
        if (!retryable) {
          this.fail(err);
          return;
        }
        if (conn !== undefined) this.caller.rotate(conn.endpoint);
        await this.backoff(err);
      }
    }
  }

  /** Creates the watch on `conn` from `resumeFrom` and delivers its frames until the stream ends. */
  private async stream(conn: Connection): Promise<StreamEnd> {
    let ended: StreamEnd | undefined;
    let resolveEnd!: (end: StreamEnd) => void;
    const endPromise = new Promise<StreamEnd>((resolve) => (resolveEnd = resolve));
    const end = (e: StreamEnd): void => {
      if (ended !== undefined) return;
      ended = e;
      resolveEnd(e);
    };
    this.endStream = end;
    const offClose = conn.onClose((reason) => end({ kind: 'lost', reason }));
    const params: WatchCreateParams = { ...this.params, ...(this.resumeFrom > 0 ? { startRevision: this.resumeFrom } : {}) };
    const timeout = AbortSignal.any([this.stop.signal, timeoutSignal(this.requestTimeoutMs, 'watchCreate')]);
    let watchId: number | undefined;
    try {
      const result = await conn.request('watchCreate', params, undefined, timeout, (r) => {
        // Registered before any later frame of this connection is dispatched, so no event is missed.
        watchId = r.watchId;
        conn.addWatch(r.watchId, (frame) => this.onFrame(frame, end));
      });
      if (this.resumeFrom === 0) this.resumeFrom = result.header.revision + 1;
      this.streaming = conn;
      this.createdResolve();
      const outcome = await endPromise;
      if (outcome.kind !== 'lost') void conn.request('watchCancel', { watchId: result.watchId }, undefined, timeoutSignal(this.requestTimeoutMs, 'watchCancel')).catch(() => {});
      return outcome;
    } finally {
      offClose();
      if (this.streaming === conn) this.streaming = undefined;
      if (this.endStream === end) this.endStream = undefined;
      if (watchId !== undefined) conn.removeWatch(watchId);
    }
  }

  private onFrame(frame: WatchFrame, end: (e: StreamEnd) => void): void {
    if (frame.canceled === true) {
      end({ kind: 'canceled', reason: frame.cancelReason ?? 'canceled by the member', compactRevision: frame.compactRevision });
      return;
    }
    this.consecutiveFailures = 0;
    if (frame.progress === true || frame.events.length === 0) {
      this.resumeFrom = Math.max(this.resumeFrom, frame.header.revision + 1);
      this.push({ header: frame.header, events: [], progress: true }, end);
      return;
    }
    // A resumed stream may repeat revisions already delivered (a member replaying from an older point).
    const fresh = frame.events.filter((e) => e.kv.modRevision >= this.resumeFrom);
    const last = fresh[fresh.length - 1];
    if (last === undefined) return;
    // Checked, not trusted: out-of-order events would make resumption skip or repeat changes.
    if (fresh.some((e, i) => i > 0 && e.kv.modRevision < (fresh[i - 1] as Event).kv.modRevision)) {
      this.fail(new KvError('Internal', `watch events out of revision order from ${this.streaming?.endpoint ?? 'a member'}`));
      end({ kind: 'stopped' });
      return;
    }
    this.resumeFrom = last.kv.modRevision + 1;
    this.push({ header: frame.header, events: fresh, progress: false }, end);
  }

  private push(batch: WatchBatch, end: (e: StreamEnd) => void): void {
    if (this.ended) return;
    this.queue.push(batch);
    this.wake();
    if (this.queue.length >= WATCH_BATCHES_BUFFERED_MAX) end({ kind: 'paused' });
  }

  private async waitForSpace(): Promise<void> {
    while (!this.ended && this.queue.length > WATCH_BATCHES_BUFFERED_MAX / 2) {
      await new Promise<void>((resolve) => this.wakeups.add(resolve));
    }
  }

  private async backoff(err: unknown): Promise<void> {
    this.consecutiveFailures++;
    if (this.consecutiveFailures > WATCH_RESUME_ATTEMPTS_MAX) {
      this.fail(err);
      return;
    }
    try {
      await sleep(backoffMs(this.consecutiveFailures), this.stop.signal);
    } catch {
      // Canceled while waiting: the loop sees `ended`.
    }
  }
}

function compactedError(startRevision: number, compactRevision: number | undefined): KvError {
  const at = compactRevision === undefined ? '' : ` (compacted up to ${compactRevision})`;
  return new KvError('Compacted', `watch from revision ${startRevision}: required revision has been compacted${at}`, compactRevision === undefined ? {} : { compactRevision });
}

function timeoutSignal(timeoutMs: number, what: string): AbortSignal {
  const controller = new AbortController();
  setTimeout(() => controller.abort(new KvError('Timeout', `${what} did not complete within ${timeoutMs} ms`)), timeoutMs).unref();
  return controller.signal;
}
