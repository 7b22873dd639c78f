// Typed errors of the MVCC state machine. Each has a stable `code` that the wire protocol, the CLI and the
// HTTP layer map to their own forms (gRPC status, exit code, 409/410) in one place each. The comment on each
// code names the etcd error it stands for, so the server can answer with etcd's message where it matters.

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

export interface MvccErrorDetails {
  /** For 'Compacted': the store's compact revision, so a watcher can tell the client where history starts. */
  readonly compactRevision?: number;
  /** For 'FutureRevision' / 'Compacted': the store's current revision when the request was refused. */
  readonly currentRevision?: number;
}

export class MvccError extends Error {
  override readonly name = 'MvccError';
  readonly code: MvccErrorCode;
  readonly compactRevision: number | undefined;
  readonly currentRevision: number | undefined;

  constructor(code: MvccErrorCode, message: string, details: MvccErrorDetails = {}) {
    super(`${code}: ${message}`);
    this.code = code;
    this.compactRevision = details.compactRevision;
    this.currentRevision = details.currentRevision;
  }
}

export function isMvccError(err: unknown, code?: MvccErrorCode): err is MvccError {
  return err instanceof MvccError && (code === undefined || err.code === code);
}

/** A broken internal invariant: a bug, never a client mistake. Crash loudly (TigerStyle) rather than go on. */
export function invariant(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`mvcc invariant violated: ${message}`);
}
