// Typed errors of the MVCC state machine. Each has a stable `code` that the wire protocol, the CLI and the
// HTTP layer map to their own forms (gRPC status, exit code, 409/410) in one place each. The comment on each
// code names the etcd error it stands for, so the server can answer with etcd's message where it matters.

// The codes are part of the client protocol (the client package defines them); the store raises them.
import type { MvccErrorCode } from '@halyard/kv-client/protocol';
export type { MvccErrorCode };

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
