// The KV client: etcd clientv3-shaped calls over Caller (endpoint choice, failover, retries). Every write
// the state machine deduplicates gets a requestId that all its retries share, so a retry after a lost
// response or a failover applies at most once. See docs/kv-client.md for what each call retries and why.
import { randomBytes } from 'node:crypto';
import { KvError } from '../protocol/errors.ts';
import type { HashKvResult, Method, Methods, StatusResult } from '../protocol/messages.ts';
import { keyRangeOf, type Bytes } from './bytes.ts';
import { Caller, type CallOptions, type CallSpec } from './caller.ts';
import { LeaseKeepAlive, type LeaseKeepAliveOptions } from './lease-keepalive.ts';
import { REQUEST_SIZE_BYTES_MAX_DEFAULT } from './request-size.ts';
import { downloadSnapshot, type SnapshotDownload } from './snapshot.ts';
import { deleteParams, putParams, rangeParams, txnParams } from './requests.ts';
import type { RetryPolicy } from './retry.ts';
import {
  DIAL_TIMEOUT_MS_DEFAULT,
  KEEP_ALIVE_INTERVAL_MS_DEFAULT,
  KEEP_ALIVE_TIMEOUT_MS_DEFAULT,
  REQUEST_TIMEOUT_MS_DEFAULT,
  type CompactResult,
  type DeleteOptions,
  type DeleteResult,
  type GetOptions,
  type KvClientOptions,
  type LeaseGrantResult,
  type LeaseKeepAliveResult,
  type LeaseLeasesResult,
  type LeaseTimeToLiveResult,
  type MemberAddResult,
  type MemberChangeResult,
  type MemberListResult,
  type PutOptions,
  type PutResult,
  type RangeResult,
  type TxnInput,
  type TxnResult,
  type WatchOptions,
} from './types.ts';
import { Watcher } from './watch.ts';

/** Leaves room for `-${seq}` within the protocol's REQUEST_ID_LENGTH_MAX (128). */
export const CLIENT_ID_LENGTH_MAX = 96;

export class KvClient {
  private readonly caller: Caller;
  private readonly clientId: string;
  private readonly requestTimeoutMs: number;
  private readonly dialTimeoutMs: number;
  private nextSeq = 1;
  private readonly watchers = new Set<Watcher>();
  private readonly keepAlives = new Set<LeaseKeepAlive>();
  private autoSyncTimer: NodeJS.Timeout | undefined;

  constructor(options: KvClientOptions) {
    this.requestTimeoutMs = positive(options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS_DEFAULT, 'requestTimeoutMs');
    this.clientId = options.clientId ?? randomBytes(8).toString('hex');
    // requestIds are `${clientId}-${seq}` and members accept at most 128 characters (protocol/decode.ts).
    if (this.clientId.length === 0 || this.clientId.length > CLIENT_ID_LENGTH_MAX) {
      throw new KvError('InvalidRequest', `clientId must be 1..${CLIENT_ID_LENGTH_MAX} characters`);
    }
    const keepAliveIntervalMs = positive(options.keepAliveIntervalMs ?? KEEP_ALIVE_INTERVAL_MS_DEFAULT, 'keepAliveIntervalMs');
    const keepAliveTimeoutMs = positive(options.keepAliveTimeoutMs ?? KEEP_ALIVE_TIMEOUT_MS_DEFAULT, 'keepAliveTimeoutMs');
    // A timeout shorter than the ping period would declare healthy idle connections dead.
    if (keepAliveTimeoutMs <= keepAliveIntervalMs) throw new KvError('InvalidRequest', 'keepAliveTimeoutMs must exceed keepAliveIntervalMs');
    this.dialTimeoutMs = positive(options.dialTimeoutMs ?? DIAL_TIMEOUT_MS_DEFAULT, 'dialTimeoutMs');
    this.caller = new Caller(
      options.endpoints,
      {
        dialTimeoutMs: this.dialTimeoutMs,
        keepAliveIntervalMs,
        keepAliveTimeoutMs,
        requestSizeBytesMax: positive(options.requestSizeBytesMax ?? REQUEST_SIZE_BYTES_MAX_DEFAULT, 'requestSizeBytesMax'),
        ...(options.responseSizeBytesMax !== undefined ? { responseSizeBytesMax: positive(options.responseSizeBytesMax, 'responseSizeBytesMax') } : {}),
        ...(options.tls !== undefined ? { tls: options.tls } : {}),
      },
      this.requestTimeoutMs,
      options.onRetry,
    );
    const autoSyncIntervalMs = options.autoSyncIntervalMs ?? 0;
    if (autoSyncIntervalMs > 0) {
      // Best effort: a failed sync keeps the current list; the next interval tries again.
      this.autoSyncTimer = setInterval(() => void this.sync().catch(() => {}), positive(autoSyncIntervalMs, 'autoSyncIntervalMs'));
      this.autoSyncTimer.unref();
    }
  }

  /**
   * Replaces the endpoint list with the client URLs of the voting members (etcd's Sync), so the client
   * follows membership changes. Learners are left out: they serve no client requests. Returns the list.
   */
  async sync(opts: CallOptions = {}): Promise<readonly string[]> {
    const { members } = await this.memberList(opts);
    const urls = members.filter((m) => !m.isLearner).flatMap((m) => m.clientUrls);
    this.caller.setEndpoints(urls);
    return this.caller.endpoints;
  }

  /**
   * Waits until some endpoint accepts a connection, for at most `timeoutMs` (default: the client's
   * dialTimeoutMs), as etcd's clientv3.New does with its DialTimeout; calls made afterwards start on that
   * connection. Optional: calls dial on their own. Resolves with the endpoint; rejects with Timeout when
   * none answered in time, or at once when every endpoint answered the upgrade with plain HTTP (no member
   * there: NotAMemberError).
   */
  async connect(opts: { readonly timeoutMs?: number; readonly signal?: AbortSignal } = {}): Promise<string> {
    this.assertOpen();
    return this.caller.connectFirst(positive(opts.timeoutMs ?? this.dialTimeoutMs, 'timeoutMs'), opts.signal);
  }

  /** Normalized endpoints, in the order given. */
  get endpoints(): readonly string[] {
    return this.caller.endpoints;
  }

  /** The endpoint requests go to first (the leader, once known). */
  get currentEndpoint(): string {
    return this.caller.currentEndpoint;
  }

  async get(key: Bytes, opts: GetOptions = {}): Promise<RangeResult> {
    return this.read('range', rangeParams(key, opts), opts);
  }

  /** Same as get (etcd's RPC name). */
  async range(key: Bytes, opts: GetOptions = {}): Promise<RangeResult> {
    return this.get(key, opts);
  }

  async put(key: Bytes, value: Bytes, opts: PutOptions = {}): Promise<PutResult> {
    return this.write('put', putParams(key, value, opts), opts);
  }

  async delete(key: Bytes, opts: DeleteOptions = {}): Promise<DeleteResult> {
    return this.write('deleteRange', deleteParams(key, opts), opts);
  }

  async txn(txn: TxnInput, opts: CallOptions = {}): Promise<TxnResult> {
    return this.write('txn', txnParams(txn), opts);
  }

  async compact(revision: number, opts: CallOptions = {}): Promise<CompactResult> {
    return this.write('compact', { revision: integer(revision, 'revision', 0) }, opts);
  }

  /** Grants a lease; `id` 0/absent lets the cluster choose one. */
  async leaseGrant(ttlSeconds: number, id?: number, opts: CallOptions = {}): Promise<LeaseGrantResult> {
    return this.write('leaseGrant', { ttlSeconds: integer(ttlSeconds, 'ttlSeconds', 1), ...(id !== undefined && id !== 0 ? { id: integer(id, 'id', 1) } : {}) }, opts);
  }

  async leaseRevoke(id: number, opts: CallOptions = {}): Promise<Methods['leaseRevoke']['result']> {
    return this.write('leaseRevoke', { id: integer(id, 'id', 1) }, opts);
  }

  /** One renewal. Retried freely: renewing twice only resets the TTL twice. */
  async leaseKeepAliveOnce(id: number, opts: CallOptions = {}): Promise<LeaseKeepAliveResult> {
    return this.send('leaseKeepAlive', { id: integer(id, 'id', 1) }, 'always', undefined, opts);
  }

  /** Renews `id` every TTL/3 until `stop()`; `done` rejects with LeaseNotFound if the lease is lost. */
  leaseKeepAlive(id: number, opts: LeaseKeepAliveOptions = {}): LeaseKeepAlive {
    this.assertOpen();
    const keeper = new LeaseKeepAlive(integer(id, 'id', 1), (leaseId, callOpts) => this.leaseKeepAliveOnce(leaseId, callOpts), {
      ...opts,
      requestTimeoutMs: opts.requestTimeoutMs ?? this.requestTimeoutMs,
    });
    this.keepAlives.add(keeper);
    const forget = (): void => {
      this.keepAlives.delete(keeper);
    };
    keeper.done.then(forget, forget);
    return keeper;
  }

  async leaseTimeToLive(id: number, opts: CallOptions & { readonly keys?: boolean } = {}): Promise<LeaseTimeToLiveResult> {
    return this.read('leaseTimeToLive', { id: integer(id, 'id', 1), ...(opts.keys === true ? { keys: true } : {}) }, opts);
  }

  async leases(opts: CallOptions = {}): Promise<LeaseLeasesResult> {
    return this.read('leaseLeases', {}, opts);
  }

  async memberList(opts: CallOptions = {}): Promise<MemberListResult> {
    return this.read('memberList', {}, opts);
  }

  async memberAdd(peerUrls: readonly string[], opts: CallOptions & { readonly isLearner?: boolean; readonly name?: string } = {}): Promise<MemberAddResult> {
    const params = { peerUrls, ...(opts.isLearner === true ? { isLearner: true } : {}), ...(opts.name !== undefined ? { name: opts.name } : {}) };
    return this.send('memberAdd', params, 'unsent', this.newRequestId(), opts);
  }

  async memberRemove(id: number, opts: CallOptions = {}): Promise<MemberChangeResult> {
    return this.send('memberRemove', { id: integer(id, 'id', 1) }, 'unsent', this.newRequestId(), opts);
  }

  async memberPromote(id: number, opts: CallOptions = {}): Promise<MemberChangeResult> {
    return this.send('memberPromote', { id: integer(id, 'id', 1) }, 'unsent', this.newRequestId(), opts);
  }

  /** Status of one member: `endpoint` (no failover to another), or whichever member the client uses. */
  async status(endpoint?: string, opts: CallOptions = {}): Promise<StatusResult> {
    this.assertOpen();
    return this.caller.call('status', {}, { ...opts, retry: 'always', ...(endpoint !== undefined ? { endpoint } : {}) });
  }

  /**
   * Hash of `endpoint`'s key-value state at `revision` (0 = that member's current revision), as etcd's
   * HashKV: members that applied the same writes answer the same hash at the same revision.
   */
  async hashKv(endpoint: string, revision = 0, opts: CallOptions = {}): Promise<HashKvResult> {
    this.assertOpen();
    return this.caller.call('hashKv', { revision: integer(revision, 'revision', 0) }, { ...opts, retry: 'always', endpoint });
  }

  /**
   * Makes the voting member `targetId` the leader (etcd's MoveLeader): sent to the leader, which hands
   * over (Raft thesis §3.10) and answers once the target leads, or fails with Timeout.
   */
  async moveLeader(targetId: number, opts: CallOptions = {}): Promise<{ header: Methods['moveLeader']['result']['header'] }> {
    return this.send('moveLeader', { targetId: integer(targetId, 'targetId', 1) }, 'unsent', undefined, opts);
  }

  /**
   * Downloads a snapshot of `endpoint`'s state, chunk by chunk, into `onChunk` (in order); the bytes
   * together are a snapshot file. Resolves with its size and SHA-256 once they check out. Each chunk is
   * one call with the client's deadline.
   */
  async snapshot(endpoint: string, onChunk: (chunk: Uint8Array) => Promise<void> | void, opts: CallOptions = {}): Promise<SnapshotDownload> {
    this.assertOpen();
    return downloadSnapshot((token, offset) => this.caller.call('snapshot', { offset, ...(token !== undefined ? { token } : {}) }, { ...opts, retry: 'always', endpoint }), onChunk);
  }

  /**
   * Watches a key or range. Iterate the result for batches of events; `cancel()` to stop. Survives
   * connection loss and member failure by resuming from the last delivered revision + 1.
   */
  watch(key: Bytes, opts: WatchOptions = {}): Watcher {
    this.assertOpen();
    const watcher = new Watcher(
      this.caller,
      {
        ...keyRangeOf(key, opts),
        ...(opts.prevKv === true ? { prevKv: true } : {}),
        ...(opts.progressNotify === true ? { progressNotify: true } : {}),
        ...(opts.filters !== undefined && opts.filters.length > 0 ? { filters: opts.filters } : {}),
      },
      opts.startRevision ?? 0,
      this.requestTimeoutMs,
    );
    this.watchers.add(watcher);
    const signal = opts.signal;
    const onAbort = (): void => void watcher.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted === true) onAbort();
    void watcher.closed.then(() => {
      this.watchers.delete(watcher);
      signal?.removeEventListener('abort', onAbort);
    });
    return watcher;
  }

  /** Cancels watches and keep-alives and closes every connection. Calls made afterwards fail. */
  async close(): Promise<void> {
    clearInterval(this.autoSyncTimer);
    for (const k of this.keepAlives) k.stop();
    const watchers = [...this.watchers];
    this.watchers.clear();
    this.caller.close();
    await Promise.all(watchers.map((w) => w.cancel()));
  }

  private read<M extends Method>(method: M, params: Methods[M]['params'], opts: CallOptions): Promise<Methods[M]['result']> {
    return this.send(method, params, 'always', undefined, opts);
  }

  private write<M extends Method>(method: M, params: Methods[M]['params'], opts: CallOptions): Promise<Methods[M]['result']> {
    return this.send(method, params, 'always', this.newRequestId(), opts);
  }

  private send<M extends Method>(method: M, params: Methods[M]['params'], retry: RetryPolicy, requestId: string | undefined, opts: CallOptions): Promise<Methods[M]['result']> {
    if (this.caller.isClosed) return Promise.reject(new KvError('Unavailable', 'the client is closed'));
    const spec: CallSpec = {
      retry,
      ...(requestId !== undefined ? { requestId } : {}),
      ...(opts.timeoutMs !== undefined ? { timeoutMs: positive(opts.timeoutMs, 'timeoutMs') } : {}),
      ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
    };
    return this.caller.call(method, params, spec);
  }

  private newRequestId(): string {
    return `${this.clientId}-${this.nextSeq++}`;
  }

  private assertOpen(): void {
    if (this.caller.isClosed) throw new KvError('Unavailable', 'the client is closed');
  }
}

function integer(value: number, name: string, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) throw new KvError('InvalidRequest', `${name} must be an integer ≥ ${min}, got ${value}`);
  return value;
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new KvError('InvalidRequest', `${name} must be a positive number of milliseconds, got ${value}`);
  return value;
}
