// The one interface between the elector and where the lease record lives (client-go's resourcelock
// Interface, with optimistic concurrency made explicit). Two implementations: kv/kv-lease-lock.ts (the
// record in a KV key, writes as txns on its mod revision) and apiserver/apiserver-lease-lock.ts (a
// coordination.k8s.io/v1 Lease over REST, writes conditioned on its resourceVersion).
import type { LeaseRecord } from './record.ts';

/** One version of the record as the back end stores it. */
export interface ObservedLease {
  readonly record: LeaseRecord;
  /**
   * The back end's version of this write (a KV mod revision, a Lease's resourceVersion), opaque to the
   * elector: it changes with every write, and a write conditioned on it fails if anyone wrote since.
   */
  readonly version: string;
  /**
   * The fencing token of the current holder's acquisition, when the back end can tell (the KV lock keeps
   * it in a key of its own); undefined when it cannot (a Lease only carries the spec).
   */
  readonly fencingToken?: number;
}

/**
 * What a write means, so a lock can keep its fencing state: an acquisition starts a new token, a release
 * ends the current one, a renewal keeps it.
 */
export type LockWriteKind = 'acquire' | 'renew' | 'release';

export interface LockWriteResult {
  /** The version the write produced (the next write is conditioned on it). */
  readonly version: string;
  /**
   * For an acquisition: its fencing token, strictly greater than every earlier acquisition's (taken from
   * the store's revision, which never goes back, so deleting the record does not reset it). For a renewal:
   * the token still in force when the lock can tell. Absent for a release.
   */
  readonly fencingToken?: number;
}

export interface LockCallOptions {
  /** Abandons the call (its outcome is then unknown: a write may still apply). */
  readonly signal?: AbortSignal;
}

export interface LeaseLock {
  /** For logs and errors, e.g. `kv /halyard/elections/scheduler` or `lease kube-system/kube-scheduler`. */
  readonly description: string;
  /** The current record; undefined when there is none. Throws ElectionError ('InvalidRecord', 'Unavailable'). */
  get(options?: LockCallOptions): Promise<ObservedLease | undefined>;
  /** Creates the record as an acquisition. ElectionError('Conflict') if it exists. */
  create(record: LeaseRecord, options?: LockCallOptions): Promise<LockWriteResult>;
  /**
   * Replaces the record if it is still at `previous.version`: ElectionError('Conflict') if anyone wrote
   * since, 'NotFound' if it was deleted.
   */
  update(record: LeaseRecord, previous: ObservedLease, kind: LockWriteKind, options?: LockCallOptions): Promise<LockWriteResult>;
  /**
   * Optional: the current record (undefined = none), then every later version, from change notifications
   * of the back end (not polling). Ends when `signal` aborts; throws when the notifications cannot go on.
   */
  watch?(options: { readonly signal: AbortSignal }): AsyncIterable<ObservedLease | undefined>;
}
