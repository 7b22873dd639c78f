// The typed errors a client sees on the wire. Every layer's errors (Raft, MVCC, storage, validation)
// map to one of these codes here, in one place; the CLI and the API server map these codes to their own
// forms (exit codes, HTTP Status bodies).

import { MvccError, type MvccErrorCode } from '../mvcc/errors.ts';
import { RaftError } from '../raft/types.ts';

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

/** The one place where internal errors become wire errors. */
export function toWireError(err: unknown): WireError {
  if (err instanceof KvError) return err.details;
  if (err instanceof MvccError) {
    return {
      code: err.code,
      message: err.message,
      ...(err.compactRevision !== undefined ? { compactRevision: err.compactRevision } : {}),
      ...(err.currentRevision !== undefined ? { currentRevision: err.currentRevision } : {}),
    };
  }
  if (err instanceof RaftError) {
    switch (err.code) {
      case 'NotLeader':
        return { code: 'NotLeader', message: err.message, leaderId: err.leaderId };
      case 'ProposalDropped':
        return { code: 'Unavailable', message: err.message };
      case 'TooLarge':
        return { code: 'TooLarge', message: err.message };
      case 'ConfChangeInProgress':
        return { code: 'ConfChangeInProgress', message: err.message };
      case 'InvalidConfChange':
        return { code: 'InvalidConfChange', message: err.message };
      case 'TransferTargetNotVoter':
        return { code: 'InvalidRequest', message: err.message };
      case 'ReadQueueFull':
        return { code: 'TooManyRequests', message: err.message };
      case 'Compacted':
      case 'Unavailable':
      case 'SnapshotOutOfDate':
        return { code: 'Internal', message: err.message };
      default: {
        const never: never = err.code;
        return { code: 'Internal', message: String(never) };
      }
    }
  }
  return { code: 'Internal', message: err instanceof Error ? err.message : String(err) };
}
