// The MVCC state machine's boundary: the requests Raft carries to it, the responses it gives back, the
// records it stores and the events it emits. Shapes follow etcd's v3 protobufs (rpc.proto, kv.proto) with
// camelCase names and a `type` tag, so the server can translate etcd's wire format field by field.

/** One version of a key (etcd mvccpb.KeyValue). Shared with the store: never mutate a KeyValue you are given. */
export interface KeyValue {
  readonly key: Uint8Array;
  /** Revision of the put that created the key in its current life (reset by a delete). */
  readonly createRevision: number;
  /** Revision of the last change. */
  readonly modRevision: number;
  /** 1 on create, +1 per put; a deleted key has no version. */
  readonly version: number;
  readonly value: Uint8Array;
  /** Attached lease id, 0 = none. */
  readonly lease: number;
}

/** The part of etcd's ResponseHeader the state machine knows; cluster/member id and raft term are the server's. */
export interface ResponseHeader {
  readonly revision: number;
}

// ---------------------------------------------------------------------------------------------- requests

export type SortOrder = 'none' | 'ascend' | 'descend';
export type SortTarget = 'key' | 'version' | 'createRevision' | 'modRevision' | 'value';

export interface RangeRequest {
  readonly type: 'range';
  readonly key: Uint8Array;
  /** Empty/absent = just `key`; [0] = every key ≥ key; otherwise [key, rangeEnd). */
  readonly rangeEnd?: Uint8Array;
  /** 0 (or absent, or negative — as etcd) = no limit. */
  readonly limit?: number;
  /** ≤ 0 (or absent) = the current revision. */
  readonly revision?: number;
  readonly sortOrder?: SortOrder;
  readonly sortTarget?: SortTarget;
  readonly keysOnly?: boolean;
  readonly countOnly?: boolean;
}

export interface PutRequest {
  readonly type: 'put';
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  /** 0 or absent = no lease. */
  readonly lease?: number;
  readonly prevKv?: boolean;
  /** Keep the current value (the key must exist; `value` must be empty). */
  readonly ignoreValue?: boolean;
  /** Keep the current lease (the key must exist; `lease` must be 0). */
  readonly ignoreLease?: boolean;
}

export interface DeleteRangeRequest {
  readonly type: 'deleteRange';
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
  readonly prevKv?: boolean;
}

export type CompareResult = 'equal' | 'notEqual' | 'less' | 'greater';

interface CompareBase {
  readonly key: Uint8Array;
  /** As in a range: every key of the range must satisfy the compare. */
  readonly rangeEnd?: Uint8Array;
  readonly result: CompareResult;
}
export type Compare =
  | (CompareBase & { readonly target: 'value'; readonly value: Uint8Array })
  | (CompareBase & {
      readonly target: 'version' | 'createRevision' | 'modRevision' | 'lease';
      readonly operand: number;
    });

/** An op inside a txn: the same request shapes as at top level. */
export type RequestOp = RangeRequest | PutRequest | DeleteRangeRequest | TxnRequest;

export interface TxnRequest {
  readonly type: 'txn';
  readonly compare: readonly Compare[];
  readonly success: readonly RequestOp[];
  readonly failure: readonly RequestOp[];
}

export interface CompactionRequest {
  readonly type: 'compaction';
  readonly revision: number;
}

export interface LeaseGrantRequest {
  readonly type: 'leaseGrant';
  /** 0 = let the state machine allocate one (deterministically). */
  readonly id: number;
  readonly ttlSeconds: number;
}

export interface LeaseRevokeRequest {
  readonly type: 'leaseRevoke';
  readonly id: number;
}

/** etcd's LeaseCheckpointRequest: the leader persists remaining TTLs so a new leader does not restart from full. */
export interface LeaseCheckpointRequest {
  readonly type: 'leaseCheckpoint';
  readonly checkpoints: readonly { readonly id: number; readonly remainingTtlSeconds: number }[];
}

/** Everything that goes through Raft and is applied in log order. */
export type Command =
  | PutRequest
  | DeleteRangeRequest
  | TxnRequest
  | CompactionRequest
  | LeaseGrantRequest
  | LeaseRevokeRequest
  | LeaseCheckpointRequest
  /** A range may go through Raft too (etcd's linearizable read path of old); it changes nothing. */
  | RangeRequest;

// --------------------------------------------------------------------------------------------- responses

export interface RangeResponse {
  readonly type: 'range';
  readonly header: ResponseHeader;
  readonly kvs: readonly KeyValue[];
  /** More keys matched than `limit` let through. */
  readonly more: boolean;
  /** Number of keys in the range at that revision (ignores limit). */
  readonly count: number;
}

export interface PutResponse {
  readonly type: 'put';
  readonly header: ResponseHeader;
  readonly prevKv?: KeyValue;
}

export interface DeleteRangeResponse {
  readonly type: 'deleteRange';
  readonly header: ResponseHeader;
  readonly deleted: number;
  readonly prevKvs: readonly KeyValue[];
}

export type ResponseOp = RangeResponse | PutResponse | DeleteRangeResponse | TxnResponse;

export interface TxnResponse {
  readonly type: 'txn';
  readonly header: ResponseHeader;
  readonly succeeded: boolean;
  readonly responses: readonly ResponseOp[];
}

export interface CompactionResponse {
  readonly type: 'compaction';
  readonly header: ResponseHeader;
}

export interface LeaseGrantResponse {
  readonly type: 'leaseGrant';
  readonly header: ResponseHeader;
  readonly id: number;
  readonly ttlSeconds: number;
}

export interface LeaseRevokeResponse {
  readonly type: 'leaseRevoke';
  readonly header: ResponseHeader;
}

export interface LeaseCheckpointResponse {
  readonly type: 'leaseCheckpoint';
  readonly header: ResponseHeader;
}

export interface ResponseFor {
  range: RangeResponse;
  put: PutResponse;
  deleteRange: DeleteRangeResponse;
  txn: TxnResponse;
  compaction: CompactionResponse;
  leaseGrant: LeaseGrantResponse;
  leaseRevoke: LeaseRevokeResponse;
  leaseCheckpoint: LeaseCheckpointResponse;
}
export type Response = ResponseFor[keyof ResponseFor];

// ------------------------------------------------------------------------------------------------ events

/** A change, as a watcher sees it (etcd mvccpb.Event). */
export type Event =
  | { readonly type: 'put'; readonly kv: KeyValue; readonly prevKv: KeyValue | undefined }
  /** `kv` of a delete carries the key and modRevision (the delete's revision) only, as in etcd. */
  | { readonly type: 'delete'; readonly kv: KeyValue; readonly prevKv: KeyValue | undefined };

/** All events of one applied revision, in the order they happened (etcd's sub-revision order). */
export interface RevisionEvents {
  readonly revision: number;
  readonly events: readonly Event[];
}

/** Lease state as the state machine holds it. Deadlines are not here: only the leader keeps time. */
export interface LeaseInfo {
  readonly id: number;
  /** The TTL granted (after raising it to the minimum, as etcd does). */
  readonly grantedTtlSeconds: number;
  /** Last checkpointed remaining TTL; 0 = never checkpointed (a new leader restarts from the full TTL). */
  readonly remainingTtlSeconds: number;
  /** Attached keys, ascending; only when asked for. */
  readonly keys?: readonly Uint8Array[];
}
