// The client's public option and result types. Results are the protocol's (etcd-shaped, bytes for keys
// and values); options take strings or bytes.
import type { HashKvResult, Header, Member, Methods, StatusResult } from '../protocol/messages.ts';
import type { CompareResult, KeyValue, RangeRequest } from '../protocol/kv-types.ts';
import type { Bytes } from './bytes.ts';
import type { CallOptions, RetryEvent } from './caller.ts';
import type { ClientTls } from './connection.ts';

export type { Bytes, CallOptions, ClientTls, HashKvResult, Header, KeyValue, Member, RetryEvent, StatusResult };

export interface KvClientOptions {
  /** Member client URLs, e.g. `http://127.0.0.1:2379` (a bare `host:port` means http). */
  readonly endpoints: readonly string[];
  /** Deadline of one call, retries included. Default 5000. */
  readonly requestTimeoutMs?: number;
  /** Bound on establishing one connection (TCP, TLS and the WebSocket upgrade), and `connect()`'s default. Default 2000. */
  readonly dialTimeoutMs?: number;
  /**
   * Largest request frame the client sends; a larger request fails at once with TooLarge, never retried.
   * Default 1.5 MiB, a member's default --max-request-bytes; raise both together.
   */
  readonly requestSizeBytesMax?: number;
  /** Largest frame accepted from a member (a big range answer). Default 64 MiB. */
  readonly responseSizeBytesMax?: number;
  /** Ping interval on an open connection. Default 1000. */
  readonly keepAliveIntervalMs?: number;
  /** A connection silent this long is closed and its requests fail over. Default 3000. */
  readonly keepAliveTimeoutMs?: number;
  /** Replace the endpoints with the voting members' client URLs this often (0 = never, the default). */
  readonly autoSyncIntervalMs?: number;
  /** Told about each failed attempt that will be retried (redirects, failovers): for logs and metrics. Must not throw. */
  readonly onRetry?: (event: RetryEvent) => void;
  /** For https:// endpoints: CA to trust and client certificate (PEM contents). */
  readonly tls?: ClientTls;
  /** Prefix of every requestId; default a random 64-bit hex. Distinct per client process. */
  readonly clientId?: string;
}

export const REQUEST_TIMEOUT_MS_DEFAULT = 5000;
export const DIAL_TIMEOUT_MS_DEFAULT = 2000;
export const KEEP_ALIVE_INTERVAL_MS_DEFAULT = 1000;
export const KEEP_ALIVE_TIMEOUT_MS_DEFAULT = 3000;

/** Selecting a range of keys: at most one of `prefix`, `fromKey` (every key ≥ key) and `rangeEnd`. */
export interface RangeSelector {
  readonly prefix?: boolean;
  readonly fromKey?: boolean;
  readonly rangeEnd?: Bytes;
}

/** limit, revision (0 = current), sort, keysOnly, countOnly: as in the protocol's range request. */
export interface GetOptions extends RangeSelector, CallOptions, Pick<RangeRequest, 'limit' | 'revision' | 'sortOrder' | 'sortTarget' | 'keysOnly' | 'countOnly'> {
  /** Served from the contacted member's local state: fast, possibly stale. Default false (linearizable). */
  readonly serializable?: boolean;
}

export interface PutOptions extends CallOptions {
  /** Attach to this lease (0 = none). */
  readonly lease?: number;
  readonly prevKv?: boolean;
  readonly ignoreValue?: boolean;
  readonly ignoreLease?: boolean;
}

export interface DeleteOptions extends RangeSelector, CallOptions {
  readonly prevKv?: boolean;
}

export type RangeResult = Methods['range']['result'];
export type PutResult = Methods['put']['result'];
export type DeleteResult = Methods['deleteRange']['result'];
export type TxnResult = Methods['txn']['result'];
export type CompactResult = Methods['compact']['result'];
export type LeaseGrantResult = Methods['leaseGrant']['result'];
export type LeaseKeepAliveResult = Methods['leaseKeepAlive']['result'];
export type LeaseTimeToLiveResult = Methods['leaseTimeToLive']['result'];
export type LeaseLeasesResult = Methods['leaseLeases']['result'];
export type MemberListResult = Methods['memberList']['result'];
export type MemberAddResult = Methods['memberAdd']['result'];
export type MemberChangeResult = Methods['memberRemove']['result'];

/** Compare operators: etcd's names or the symbols etcdctl's txn syntax uses. */
export type CompareOperator = CompareResult | '=' | '!=' | '<' | '>';

export type CompareInput =
  | { readonly key: Bytes; readonly rangeEnd?: Bytes; readonly result: CompareOperator; readonly target: 'value'; readonly value: Bytes }
  | { readonly key: Bytes; readonly rangeEnd?: Bytes; readonly result: CompareOperator; readonly target: 'version' | 'createRevision' | 'modRevision' | 'lease'; readonly operand: number };

export type OpInput =
  | ({ readonly type: 'range'; readonly key: Bytes } & Omit<GetOptions, 'serializable' | keyof CallOptions>)
  | ({ readonly type: 'put'; readonly key: Bytes; readonly value: Bytes } & Omit<PutOptions, keyof CallOptions>)
  | ({ readonly type: 'deleteRange'; readonly key: Bytes } & Omit<DeleteOptions, keyof CallOptions>)
  | ({ readonly type: 'txn' } & TxnInput);

export interface TxnInput {
  readonly compare?: readonly CompareInput[];
  readonly success?: readonly OpInput[];
  readonly failure?: readonly OpInput[];
}

export interface WatchOptions extends RangeSelector {
  /** First revision to deliver; absent/0 = changes after the watch is created. */
  readonly startRevision?: number;
  readonly prevKv?: boolean;
  /** Ask the member for periodic progress notifications (batches with `progress: true`) while idle. */
  readonly progressNotify?: boolean;
  readonly filters?: readonly ('noPut' | 'noDelete')[];
  /** Cancels the watch when it aborts (the iterator then finishes). */
  readonly signal?: AbortSignal;
}
