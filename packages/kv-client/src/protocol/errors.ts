// The typed errors a client sees on the wire. Every layer's errors (Raft, MVCC, storage, validation)
// map to one of these codes in one place (the server's wire-errors.ts); the CLI and the API server map these codes to their own
// forms (exit codes, HTTP Status bodies).


/** The store's (MVCC) error codes, named after etcd's errors; they travel unchanged. */
export type MvccErrorCode =
  /** etcd mvcc.ErrCompacted: "mvcc: required revision has been compacted". */
  | 'Compacted'
  /** etcd mvcc.ErrFutureRev: "mvcc: required revision is a future revision". */
  | 'FutureRevision'
  /** etcd lease.ErrLeaseNotFound: "lease not found". */
  | 'LeaseNotFound'
  /** etcd lease.ErrLeaseExists: "lease already exists". */
  | 'LeaseExists'
  /** etcd lease.ErrLeaseTTLTooLarge: "too large lease TTL". */
  | 'LeaseTtlTooLarge'
  /** etcd ErrGRPCTooManyOps: "too many operations in txn request". */
  | 'TooManyOps'
  /** etcd ErrGRPCDuplicateKey: "duplicate key given in txn request". */
  | 'DuplicateKey'
  /** etcd ErrGRPCEmptyKey: "key is not provided". */
  | 'EmptyKey'
  /** etcd ErrGRPCValueProvided: "value is provided" (ignoreValue together with a value). */
  | 'ValueProvided'
  /** etcd ErrGRPCLeaseProvided: "lease is provided" (ignoreLease together with a lease). */
  | 'LeaseProvided'
  /** etcd ErrKeyNotFound: "key not found" (ignoreValue / ignoreLease on a missing key). */
  | 'KeyNotFound'
  /** A request that is malformed for us (wrong types, negative revision, unknown enum …). */
  | 'InvalidRequest';

/** Every MVCC error code travels unchanged; the rest are the server's and the protocol's own. */
export type KvErrorCode =
  | MvccErrorCode
  /** This member is not the leader; `leaderId`/`leaderEndpoint` say where to go when known. */
  | 'NotLeader'
  /** No leader right now (election in progress, or no quorum); retry later. */
  | 'Unavailable'
  /** The request did not complete in time; a write's outcome is unknown (retry with the same requestId). */
  | 'Timeout'
  /** A frame that is not msgpack, not an object, or has an unknown method. */
  | 'BadFrame'
  | 'TooLarge'
  | 'MemberNotFound'
  | 'MemberExists'
  | 'InvalidConfChange'
  | 'ConfChangeInProgress'
  /** A peer or client that belongs to another cluster. */
  | 'ClusterIdMismatch'
  /** The member holds its limit of requests of this kind (etcd ErrTooManyRequests); retry later. */
  | 'TooManyRequests'
  | 'Stopping'
  /**
   * The TLS layer refused the connection (unknown CA, certificate required or refused, hostname mismatch,
   * http:// to a TLS port or https:// to a plain one). Raised by the client before any request left, so
   * never retried: another attempt would meet the same configuration.
   */
  | 'TlsError'
  | 'Internal';

export interface WireError {
  readonly code: KvErrorCode;
  readonly message: string;
  readonly leaderId?: number;
  readonly leaderEndpoint?: string;
  readonly compactRevision?: number;
  readonly currentRevision?: number;
}

export class KvError extends Error {
  override readonly name = 'KvError';
  readonly code: KvErrorCode;
  readonly details: WireError;
  constructor(code: KvErrorCode, message: string, extra: Omit<WireError, 'code' | 'message'> = {}) {
    super(message);
    this.code = code;
    this.details = { code, message, ...extra };
  }

  static fromWire(w: WireError): KvError {
    const { code, message, ...extra } = w;
    return new KvError(code, message, extra);
  }
}
