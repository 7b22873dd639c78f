// Typed errors of `halyard up` and `halyard chaos`, each with a stable code; the CLI maps them to a message
// and a non-zero exit in one place (cli.ts).

export type UpErrorCode =
  /** A flag or a combination of flags is not valid. */
  | 'InvalidOptions'
  /** The data folder holds a cluster whose shape differs from the flags (e.g. --kv 5 on a 3-member cluster). */
  | 'StateMismatch'
  /** The data folder's state file cannot be read or is not ours. */
  | 'InvalidState'
  /** A port the cluster needs is taken by another process. */
  | 'PortInUse'
  /** A component did not become ready within its deadline. */
  | 'NotReady'
  /** A component named on the command line or the dashboard does not exist. */
  | 'UnknownComponent'
  /** No running `halyard up` answers for this data folder. */
  | 'NotRunning'
  /** An answer from a component or the control API is not what it should be. */
  | 'BadResponse';

export class UpError extends Error {
  override readonly name = 'UpError';
  constructor(
    readonly code: UpErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function isUpError(e: unknown): e is UpError {
  return e instanceof UpError;
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
