// The client protocol: msgpackr frames over a WebSocket on a member's client port. One request id per
// request; responses may come back in any order; watches stream on the same connection.
//
// Keys and values are bytes (Uint8Array), as in etcd. Request and response shapes follow etcd's v3 API
// (the MVCC types), with a method name instead of a gRPC service.

import type {
  Command,
  DeleteRangeRequest,
  DeleteRangeResponse,
  Event,
  LeaseInfo,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  TxnRequest,
  TxnResponse,
} from './kv-types.ts';
import type { WireError } from './errors.ts';

/** etcd's ResponseHeader. Ids are numbers below 2^53 (etcd's are uint64; ours are derived that small). */
export interface Header {
  readonly clusterId: number;
  readonly memberId: number;
  readonly revision: number;
  readonly raftTerm: number;
}

export interface Member {
  readonly id: number;
  readonly name: string;
  readonly peerUrls: readonly string[];
  readonly clientUrls: readonly string[];
  readonly isLearner: boolean;
}

export interface StatusResult {
  readonly header: Header;
  readonly version: string;
  readonly leader: number;
  readonly raftTerm: number;
  readonly raftIndex: number;
  readonly raftAppliedIndex: number;
  readonly dbSizeBytes: number;
  readonly isLearner: boolean;
  readonly errors: readonly string[];
}

export interface WatchCreateParams {
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
  /** 0/absent = from the next revision. */
  readonly startRevision?: number;
  readonly prevKv?: boolean;
  /** Send an empty progress message (with the current revision) every progress interval while idle. */
  readonly progressNotify?: boolean;
  readonly filters?: readonly ('noPut' | 'noDelete')[];
}

/** Methods, their parameters and their results. */
export interface Methods {
  range: { params: Omit<RangeRequest, 'type'> & { readonly serializable?: boolean }; result: RangeResponse & { header: Header } };
  put: { params: Omit<PutRequest, 'type'>; result: PutResponse & { header: Header } };
  deleteRange: { params: Omit<DeleteRangeRequest, 'type'>; result: DeleteRangeResponse & { header: Header } };
  txn: { params: Omit<TxnRequest, 'type'>; result: TxnResponse & { header: Header } };
  compact: { params: { readonly revision: number }; result: { header: Header } };
  leaseGrant: { params: { readonly id?: number; readonly ttlSeconds: number }; result: { header: Header; id: number; ttlSeconds: number } };
  leaseRevoke: { params: { readonly id: number }; result: { header: Header } };
  /** Leader only (like etcd, where followers forward keep-alives); returns the renewed TTL. */
  leaseKeepAlive: { params: { readonly id: number }; result: { header: Header; id: number; ttlSeconds: number } };
  leaseTimeToLive: {
    params: { readonly id: number; readonly keys?: boolean };
    result: { header: Header; id: number; ttlSeconds: number; grantedTtlSeconds: number; keys: Uint8Array[] };
  };
  leaseLeases: { params: Record<string, never>; result: { header: Header; leases: { id: number }[] } };
  watchCreate: { params: WatchCreateParams; result: { header: Header; watchId: number } };
  watchCancel: { params: { readonly watchId: number }; result: { header: Header } };
  /** Ask every watcher on this connection for a progress notification now (etcd RequestProgress). */
  watchProgress: { params: Record<string, never>; result: { header: Header } };
  memberList: { params: Record<string, never>; result: { header: Header; members: Member[] } };
  memberAdd: { params: { readonly peerUrls: readonly string[]; readonly isLearner?: boolean; readonly name?: string }; result: { header: Header; member: Member; members: Member[] } };
  memberRemove: { params: { readonly id: number }; result: { header: Header; members: Member[] } };
  memberPromote: { params: { readonly id: number }; result: { header: Header; members: Member[] } };
  status: { params: Record<string, never>; result: StatusResult };
  /**
   * Hash of this member's key-value state at `revision` (0 = its current revision), as etcd's HashKV:
   * members that applied the same log agree on it. FutureRevision above the member's revision,
   * Compacted below its compact revision.
   */
  hashKv: { params: { readonly revision?: number }; result: HashKvResult };
  /**
   * One piece of a snapshot of this member's state (etcd's Maintenance.Snapshot, in request/response
   * form): without `token` the member takes a snapshot and answers its first chunk; with the token it
   * answers the chunk at `offset`. The chunks concatenated are a snapshot file (`halyard kv snapshot`).
   */
  snapshot: { params: { readonly token?: string; readonly offset: number }; result: SnapshotChunkResult };
  /** Leader only: hand leadership to the voting member `targetId` and wait until it leads (etcd's MoveLeader). */
  moveLeader: { params: { readonly targetId: number }; result: { header: Header } };
}

export interface HashKvResult {
  readonly header: Header;
  /** CRC-32 of every key-value at hashRevision, in key order. */
  readonly hash: number;
  readonly compactRevision: number;
  readonly hashRevision: number;
}

export interface SnapshotChunkResult {
  readonly header: Header;
  /** Names this snapshot in the following requests. */
  readonly token: string;
  readonly sizeBytes: number;
  readonly offset: number;
  readonly chunk: Uint8Array;
  /** SHA-256 (hex) of the whole snapshot, to check the concatenated chunks against. */
  readonly sha256: string;
}

export type Method = keyof Methods;

export const METHODS: readonly Method[] = [
  'range',
  'put',
  'deleteRange',
  'txn',
  'compact',
  'leaseGrant',
  'leaseRevoke',
  'leaseKeepAlive',
  'leaseTimeToLive',
  'leaseLeases',
  'watchCreate',
  'watchCancel',
  'watchProgress',
  'memberList',
  'memberAdd',
  'memberRemove',
  'memberPromote',
  'status',
  'hashKv',
  'snapshot',
  'moveLeader',
];

/** Methods that change state; they carry a requestId so a retry after a lost response applies once. */
export const WRITE_METHODS: ReadonlySet<Method> = new Set<Method>(['put', 'deleteRange', 'txn', 'compact', 'leaseGrant', 'leaseRevoke']);

export type ClientRequest = {
  [M in Method]: {
    readonly id: number;
    readonly method: M;
    readonly params: Methods[M]['params'];
    /** For writes: unique per logical operation, reused by retries (the state machine deduplicates). */
    readonly requestId?: string;
  };
}[Method];

export type ServerFrame =
  | { readonly type: 'response'; readonly id: number; readonly result: Methods[Method]['result'] }
  | { readonly type: 'error'; readonly id: number; readonly error: WireError }
  /** A frame the server could not even attribute to a request (not msgpack, no id). */
  | { readonly type: 'frameError'; readonly error: WireError }
  | {
      readonly type: 'watch';
      readonly watchId: number;
      readonly header: Header;
      readonly events: readonly Event[];
      /** A progress notification: no events, header.revision is the revision the watcher has seen up to. */
      readonly progress?: boolean;
      /** The watcher ended; with compactRevision when its start revision was compacted. */
      readonly canceled?: boolean;
      readonly cancelReason?: string;
      readonly compactRevision?: number;
    };

/** What a member proposes through Raft: a command tagged with the request id used for deduplication. */
export interface Proposal {
  readonly requestId: string;
  readonly command: Command;
}

export type { LeaseInfo };
