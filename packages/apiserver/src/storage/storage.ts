// The storage seam of the apiserver: what it needs from a consistent, revisioned key-value store. Two back
// ends implement it — the Halyard KV (halyard-storage.ts) and etcd (etcd-storage.ts) — and every rule
// about objects (resourceVersion = mod revision, writes conditional on it) is built on these calls only.

/** One stored object: its key, its JSON bytes and its revisions. */
export interface StoredObject {
  readonly key: string;
  readonly value: Uint8Array;
  /** Revision of the last change: the object's resourceVersion. */
  readonly modRevision: number;
  readonly createRevision: number;
}

export interface GetResult {
  /** The store's revision at the read (a read is linearizable). */
  readonly revision: number;
  readonly object: StoredObject | undefined;
}

export interface ListOptions {
  /** First key to return (inclusive); default the prefix itself. Must start with the prefix. */
  readonly startKey?: string;
  /** Read at this revision (a consistent snapshot); 0/absent = the current one, linearizably. */
  readonly revision?: number;
  /** At most this many objects; 0/absent = all. */
  readonly limit?: number;
}

export interface ListResult {
  /** The revision the list was read at. */
  readonly revision: number;
  /** Ascending by key. */
  readonly objects: readonly StoredObject[];
  /** More keys follow the last one returned. */
  readonly more: boolean;
  /** Keys from startKey to the end of the prefix at that revision (ignores limit). */
  readonly count: number;
}

/**
 * The outcome of a conditional write. `ok: false` means the condition failed and nothing was written;
 * `current` is the key's value at that moment (undefined: it does not exist) and `missing` the keys among
 * the required ones that did not exist.
 */
export type WriteOutcome =
  | { readonly ok: true; readonly revision: number }
  | { readonly ok: false; readonly current: StoredObject | undefined; readonly missing: readonly string[] };

export type StorageEvent =
  | { readonly type: 'put'; readonly key: string; readonly value: Uint8Array; readonly modRevision: number; readonly createRevision: number; readonly prevValue: Uint8Array | undefined }
  | { readonly type: 'delete'; readonly key: string; readonly modRevision: number; readonly prevValue: Uint8Array | undefined };

export interface StorageWatchBatch {
  /** In revision order. */
  readonly events: readonly StorageEvent[];
  /** Every change up to this revision has been delivered (a progress notification or the last event's revision). */
  readonly progressRevision: number;
}

/** A watch that survives the loss of the member it streams from; iteration throws StorageError('Compacted'). */
export interface StorageWatch extends AsyncIterable<StorageWatchBatch> {
  /** Ask for a progress notification soon (for bookmarks); a no-op where the back end has none. */
  requestProgress(): void;
  cancel(): Promise<void>;
}

export interface HealthReport {
  readonly ok: boolean;
  readonly message: string;
}

export interface Storage {
  /** `halyard` or `etcd`, for logs and metrics. */
  readonly kind: string;
  /** Linearizable read of one key. */
  get(key: string): Promise<GetResult>;
  /** Keys under `prefix` (a string ending in '/'), ascending. */
  list(prefix: string, options?: ListOptions): Promise<ListResult>;
  /** Creates `key` if it does not exist and every key in `requireExisting` exists. */
  create(key: string, value: Uint8Array, requireExisting?: readonly string[]): Promise<WriteOutcome>;
  /** Replaces `key` if its mod revision is still `expectedModRevision`. */
  update(key: string, value: Uint8Array, expectedModRevision: number): Promise<WriteOutcome>;
  /** Deletes `key` (and every key under `alsoDeletePrefixes`) if its mod revision is still `expectedModRevision`. */
  delete(key: string, expectedModRevision: number, alsoDeletePrefixes?: readonly string[]): Promise<WriteOutcome>;
  /** Changes under `prefix` from `startRevision` (inclusive, > 0), with previous values. */
  watch(prefix: string, startRevision: number): StorageWatch;
  /** Whether the store answers a linearizable read now (it needs a quorum). */
  health(timeoutMs: number): Promise<HealthReport>;
  close(): Promise<void>;
}

export type StorageErrorCode =
  /** The revision asked for has been compacted away. */
  | 'Compacted'
  /** The revision asked for is newer than the store's. */
  | 'FutureRevision'
  /** No quorum / no member answers; nothing was done. */
  | 'Unavailable'
  /** The call did not complete in time; a write's outcome is unknown. */
  | 'Timeout'
  | 'Internal';

export class StorageError extends Error {
  override readonly name = 'StorageError';
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    readonly revisions: { readonly compactRevision?: number; readonly currentRevision?: number } = {},
  ) {
    super(message);
  }
}

/**
 * The first key after every key that starts with `prefix` (etcd's prefix range end). Registry keys are
 * ASCII (DNS names, plural words), so bumping the last character is enough.
 */
export function prefixRangeEnd(prefix: string): string {
  const last = prefix.charCodeAt(prefix.length - 1);
  if (prefix.length === 0 || !(last < 0x7f) || !/^[\x20-\x7e]*$/.test(prefix)) throw new StorageError('Internal', `prefix ${JSON.stringify(prefix)} is not a printable ASCII key prefix`);
  return prefix.slice(0, -1) + String.fromCharCode(last + 1);
}
