// The election SDK's typed errors. Every failure a caller can act on carries a stable `code`; the CLI maps
// codes to exit codes in one place (cli/exit-codes.ts), the locks map their back ends' errors to these.

export type ElectionErrorCode =
  /** Options that break a rule of client-go's NewLeaderElector (or ours); nothing was started. */
  | 'InvalidConfig'
  /** An optimistic-concurrency write lost: the record changed since it was read (or already exists). */
  | 'Conflict'
  /** The lease record does not exist. */
  | 'NotFound'
  /** The stored record is not a valid Lease spec (or not JSON); the election cannot proceed on it. */
  | 'InvalidRecord'
  /** The lock's back end could not be reached or answered with an error that is not one of the above. */
  | 'Unavailable'
  /** A fenced write found that this lease is no longer held: another acquisition or a release happened. */
  | 'Deposed'
  /** This instance does not lead (anymore): its renew deadline passed or it never acquired. */
  | 'NotLeader'
  /** `run()` while a previous `run()` of the same elector has not returned. */
  | 'AlreadyRunning'
  /** The lock has no watch, so `observe()` cannot be driven by change notifications. */
  | 'Unsupported';

export class ElectionError extends Error {
  override readonly name = 'ElectionError';

  constructor(
    readonly code: ElectionErrorCode,
    message: string,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isElectionError(e: unknown, code?: ElectionErrorCode): e is ElectionError {
  return e instanceof ElectionError && (code === undefined || e.code === code);
}

/** A readable message from anything thrown, for logs. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
