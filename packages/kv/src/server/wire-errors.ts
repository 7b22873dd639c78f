// The one place where the member's internal errors (Raft, MVCC, the server's own) become the wire errors
// that the client protocol defines.

import { KvError, type WireError } from '@halyard/kv-client/protocol';
import { MvccError } from '../mvcc/errors.ts';
import { RaftError } from '../raft/types.ts';

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
