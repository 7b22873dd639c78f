// Callers waiting for something the Raft loop will produce: the outcome of a proposed write (by its
// requestId), or the apply of an index. Every wait has a deadline; nothing waits forever.

import { KvError } from '@halyard/kv-client/protocol';
import type { Outcome } from './dedupe.ts';
import type { Cancel, MemberClock } from './seams.ts';

interface Pending<T> {
  resolve(v: T): void;
  reject(e: Error): void;
  cancelTimer: Cancel;
  /** What the waiter got; a retry of the same request while it is in flight shares it. */
  promise: Promise<T>;
}

/** Outstanding writes at once on one member; beyond it a write is refused (a bound on memory). */
export const PENDING_WRITES_MAX = 100_000;

export class ProposalWaiters {
  private readonly pending = new Map<string, Pending<Outcome>>();

  constructor(private readonly clock: MemberClock) {}

  wait(requestId: string, timeoutMs: number): Promise<Outcome> {
    if (this.pending.size >= PENDING_WRITES_MAX) return Promise.reject(new KvError('Unavailable', 'too many writes in flight on this member'));
    if (this.pending.has(requestId)) return Promise.reject(new KvError('InvalidRequest', `request ${requestId} is already in flight`));
    // The executor runs synchronously: `settle` is set before the promise is returned.
    let settle!: Pick<Pending<Outcome>, 'resolve' | 'reject'>;
    const promise = new Promise<Outcome>((resolve, reject) => {
      settle = { resolve, reject };
    });
    const cancelTimer = this.clock.after(timeoutMs, () => {
      this.pending.delete(requestId);
      settle.reject(new KvError('Timeout', 'the write did not apply in time; its outcome is unknown (retry with the same requestId)'));
    });
    this.pending.set(requestId, { ...settle, cancelTimer, promise });
    return promise;
  }

  /**
   * The outcome of the write in flight under `requestId`, if there is one: a client that lost its
   * connection retries with the same id, possibly to this same leader before the first attempt applied,
   * and must get that attempt's answer (not an error, and not a second proposal).
   */
  inFlight(requestId: string): Promise<Outcome> | undefined {
    return this.pending.get(requestId)?.promise;
  }

  has(requestId: string): boolean {
    return this.pending.has(requestId);
  }

  resolve(requestId: string, outcome: Outcome): void {
    const p = this.pending.get(requestId);
    if (p === undefined) return;
    this.pending.delete(requestId);
    p.cancelTimer();
    p.resolve(outcome);
  }

  /** Fail one waiter (its proposal was refused before it entered the log). */
  reject(requestId: string, err: Error): void {
    const p = this.pending.get(requestId);
    if (p === undefined) return;
    this.pending.delete(requestId);
    p.cancelTimer();
    p.reject(err);
  }

  rejectAll(err: Error): void {
    for (const id of [...this.pending.keys()]) this.reject(id, err);
  }

  size(): number {
    return this.pending.size;
  }
}

/** Waiters for "applied index ≥ n", kept sorted by n. */
export class AppliedWaiters {
  private waiters: { index: number; resolve: () => void; reject: (e: Error) => void; cancelTimer: Cancel }[] = [];

  constructor(private readonly clock: MemberClock) {}

  wait(index: number, applied: number, timeoutMs: number): Promise<void> {
    if (applied >= index) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const w = {
        index,
        resolve,
        reject,
        cancelTimer: this.clock.after(timeoutMs, () => {
          this.waiters = this.waiters.filter((x) => x !== w);
          reject(new KvError('Timeout', `this member did not apply index ${index} in time`));
        }),
      };
      this.waiters.push(w);
      this.waiters.sort((a, b) => a.index - b.index);
    });
  }

  applied(index: number): void {
    let n = 0;
    while (n < this.waiters.length && this.waiters[n]!.index <= index) {
      this.waiters[n]!.cancelTimer();
      this.waiters[n]!.resolve();
      n++;
    }
    if (n > 0) this.waiters = this.waiters.slice(n);
  }

  rejectAll(err: Error): void {
    for (const w of this.waiters) {
      w.cancelTimer();
      w.reject(err);
    }
    this.waiters = [];
  }
}
