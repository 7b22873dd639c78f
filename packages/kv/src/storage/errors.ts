// Typed storage errors with a stable `code`, so the server can map them to an exit reason and an
// operator message in one place.

export type StorageErrorCode =
  /** A record or file failed its checksum, could not be decoded, or the log it forms is inconsistent. */
  | 'Corrupt'
  /** The caller asked for something that breaks a storage invariant (a gap in the log, a term going back). */
  | 'Invalid'
  /** An earlier write failed; the on-disk state is unknown to this process, so it refuses further writes. */
  | 'Failed'
  /** Used after close(). */
  | 'Closed'
  /** The directory was written in an on-disk format this build does not read (an older or newer layout). */
  | 'Unsupported';

export class StorageError extends Error {
  readonly code: StorageErrorCode;
  constructor(code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageError';
    this.code = code;
  }
}

/**
 * Detected corruption. Names the database directory and the record (key in hex plus its meaning), so
 * an operator knows what to restore or remove; the member refuses to start rather than serve a log
 * with a hole in it.
 */
export class StorageCorruptError extends StorageError {
  readonly path: string;
  readonly record: string;
  constructor(path: string, record: string, detail: string, options?: { cause?: unknown }) {
    super('Corrupt', `corrupt raft storage at ${path}, record ${record}: ${detail}`, options);
    this.name = 'StorageCorruptError';
    this.path = path;
    this.record = record;
  }
}
