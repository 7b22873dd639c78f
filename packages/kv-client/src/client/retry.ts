// Which failures a request may be retried after, and how long to wait between attempts. Every loop that
// retries is bounded twice: by the request's deadline and by a named attempt count.
import { KvError } from '../protocol/errors.ts';

/** Attempts per request (first try included) before the last error is returned, deadline or not. */
export const REQUEST_ATTEMPTS_MAX = 24;
/** Consecutive failed resumes of a watch before its iterator fails. */
export const WATCH_RESUME_ATTEMPTS_MAX = 60;

export const BACKOFF_BASE_MS = 25;
export const BACKOFF_MAX_MS = 1000;

/**
 * How a method may be retried:
 * - `always`: reads, requestId-deduplicated writes and lease keep-alives. Re-sending after a lost
 *   connection or a response that never came cannot apply the operation twice.
 * - `unsent`: membership changes, which the state machine does not deduplicate. Retried only when the
 *   request provably did not take effect: the dial failed, or a member answered NotLeader/Unavailable
 *   before proposing. A connection lost after sending surfaces as an error whose outcome is unknown.
 */
export type RetryPolicy = 'always' | 'unsent';

/** Set on the Unavailable error raised when a connection drops, so the caller knows whether the request left. */
export class ConnectionLostError extends KvError {
  constructor(
    readonly endpoint: string,
    /** True when the request had been written to the socket: a non-deduplicated write may have applied. */
    readonly sent: boolean,
    reason: string,
  ) {
    super('Unavailable', `connection to ${endpoint} lost: ${reason}`);
  }
}

/**
 * The endpoint answered the WebSocket upgrade with plain HTTP (404 from another service, a proxy's 502…):
 * nothing there speaks the client protocol, so it is not dialled again within the call; the call moves on
 * to the other endpoints and fails at once when none is left (rather than retrying until its deadline).
 */
export class NotAMemberError extends KvError {
  constructor(
    readonly endpoint: string,
    readonly httpStatus: number,
    statusText: string,
  ) {
    super('Unavailable', `${endpoint} is not a Halyard member: it answered the WebSocket upgrade with HTTP ${httpStatus}${statusText !== '' ? ` ${statusText}` : ''} (is this the member's client URL?)`);
  }
}

export type RetryDecision =
  /** Follow the leader hint now (no backoff): the member told us who leads. */
  | { readonly kind: 'redirect'; readonly leaderEndpoint: string }
  /** Try the next endpoint after a backoff. */
  | { readonly kind: 'next' }
  /** Try the same endpoint again after a backoff. */
  | { readonly kind: 'again' }
  | { readonly kind: 'fail' };

export function decideRetry(err: unknown, policy: RetryPolicy): RetryDecision {
  if (!(err instanceof KvError)) return { kind: 'fail' };
  if (err instanceof NotAMemberError) return { kind: 'next' };
  if (err instanceof ConnectionLostError) return policy === 'always' || !err.sent ? { kind: 'next' } : { kind: 'fail' };
  if (policy === 'always' && isAlreadyInFlight(err)) return { kind: 'again' };
  switch (err.code) {
    case 'NotLeader':
      return err.details.leaderEndpoint !== undefined && err.details.leaderEndpoint !== '' ? { kind: 'redirect', leaderEndpoint: err.details.leaderEndpoint } : { kind: 'next' };
    case 'Unavailable':
    case 'Stopping':
      return { kind: 'next' };
    // A member's own Timeout (e.g. it lost leadership before the write applied): the outcome is unknown,
    // which a requestId retry resolves; a membership change cannot be resolved that way. (The client's
    // own deadline never reaches here: it ends the call.)
    case 'Timeout':
      return policy === 'always' ? { kind: 'next' } : { kind: 'fail' };
    default:
      return { kind: 'fail' };
  }
}

/** Exponential backoff with full jitter, so clients that failed together do not retry together. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const capMs = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 16));
  return Math.max(1, Math.floor(capMs / 2 + (random() * capMs) / 2));
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The leader refuses a requestId it is still applying (`server/waiters.ts`): our earlier attempt, whose
 * connection dropped, is still in flight there. Asking again after it settles gets the deduplicated answer.
 * The wire has no code of its own for this (it is an InvalidRequest), hence the message match; see the
 * report's protocol request for a dedicated code.
 */
export function isAlreadyInFlight(err: KvError): boolean {
  return err.code === 'InvalidRequest' && /already in flight/.test(err.message);
}
