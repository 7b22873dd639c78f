// Sends a request to the cluster: picks an endpoint (the known leader first), dials lazily, follows
// NotLeader redirects, fails over to the next endpoint on Unavailable or a lost connection, and retries
// within the request's deadline as the method's RetryPolicy allows (see retry.ts).
import { KvError } from '../protocol/errors.ts';
import type { Method, Methods } from '../protocol/messages.ts';
import { Connection, type ConnectionOptions } from './connection.ts';
import { normalizeEndpoint } from './endpoints.ts';
import { checkRequestSize } from './request-size.ts';
import { backoffMs, decideRetry, NotAMemberError, REQUEST_ATTEMPTS_MAX, sleep, type RetryPolicy } from './retry.ts';

export interface CallOptions {
  /** Overrides the client's requestTimeoutMs for this call; the deadline covers every retry. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** What `KvClientOptions.onRetry` hears: one failed attempt that will be retried. */
export interface RetryEvent {
  readonly method: Method;
  readonly endpoint: string;
  /** 0 for the first attempt. */
  readonly attempt: number;
  readonly error: unknown;
  readonly decision: 'redirect' | 'next' | 'again';
}

export interface CallSpec extends CallOptions {
  readonly retry: RetryPolicy;
  readonly requestId?: string;
  /** Send to this endpoint only (no failover): `status(endpoint)`. */
  readonly endpoint?: string;
}

/** Endpoints a client keeps (from its options or a sync with the member list). */
export const ENDPOINTS_MAX = 64;

/**
 * Connections kept open at once: one per listed endpoint plus a few leaders learned from redirects that
 * are not in the list (the oldest of those is evicted first).
 */
export const CONNECTIONS_MAX = ENDPOINTS_MAX + 8;

export class Caller {
  private endpointList: readonly string[];
  private readonly connections = new Map<string, Promise<Connection>>();
  /** Where requests go first: the leader once a redirect named it, else the current one of the rotation. */
  private preferred: string;
  private closed = false;

  constructor(
    endpoints: readonly string[],
    private readonly connectionOptions: ConnectionOptions,
    private readonly requestTimeoutMs: number,
    private readonly onRetry?: (event: RetryEvent) => void,
    /** The wait before retrying after failed attempt `attempt` (a seam for tests; default: retry.ts's backoff). */
    private readonly backoff: (attempt: number) => number = backoffMs,
  ) {
    if (endpoints.length === 0) throw new KvError('InvalidRequest', 'at least one endpoint is required');
    if (endpoints.length > ENDPOINTS_MAX) throw new KvError('InvalidRequest', `at most ${ENDPOINTS_MAX} endpoints`);
    this.endpointList = [...new Set(endpoints.map(normalizeEndpoint))];
    this.preferred = this.endpointList[0] as string;
  }

  get endpoints(): readonly string[] {
    return this.endpointList;
  }

  /**
   * Replaces the endpoint list (after a sync with the member list). Connections to endpoints no longer
   * listed are closed — their requests and watches fail over — except the preferred one, which keeps
   * serving until it fails (it may be the leader, learned from a redirect).
   */
  setEndpoints(endpoints: readonly string[]): void {
    const list = [...new Set(endpoints.map(normalizeEndpoint))].slice(0, ENDPOINTS_MAX);
    if (list.length === 0) return;
    this.endpointList = list;
    for (const [endpoint, conn] of this.connections) {
      if (list.includes(endpoint) || endpoint === this.preferred) continue;
      this.connections.delete(endpoint);
      conn.then((c) => c.close('no longer a listed endpoint'), () => {});
    }
  }

  /** The endpoint requests currently go to first. */
  get currentEndpoint(): string {
    return this.preferred;
  }

  async call<M extends Method>(method: M, params: Methods[M]['params'], spec: CallSpec): Promise<Methods[M]['result']> {
    checkRequestSize(method, params, spec.requestId, this.connectionOptions.requestSizeBytesMax);
    const timeoutMs = spec.timeoutMs ?? this.requestTimeoutMs;
    return this.withDeadline(method, timeoutMs, spec.requestId !== undefined || spec.retry === 'unsent', spec.signal, async (signal) => {
      const attempts = { lastErr: undefined as unknown };
      try {
        return await this.attempt(method, params, spec, signal, attempts);
      } catch (err) {
        // A deadline that passed while retrying says why the attempts failed, not just that time ran out.
        if (signal.aborted && err === signal.reason && err instanceof KvError && err.code === 'Timeout' && attempts.lastErr instanceof Error) {
          throw new KvError('Timeout', `${err.message}; last error: ${attempts.lastErr.message}`);
        }
        throw err;
      }
    });
  }

  /** The retry loop of one call; records each failure in `attempts` for the timeout message. */
  private async attempt<M extends Method>(method: M, params: Methods[M]['params'], spec: CallSpec, signal: AbortSignal, attempts: { lastErr: unknown }): Promise<Methods[M]['result']> {
    const pinned = spec.endpoint === undefined ? undefined : normalizeEndpoint(spec.endpoint);
    let redirectsInARow = 0;
    // Endpoints that answered the upgrade with plain HTTP during this call: not members, not asked again.
    const notMembers = new Set<string>();
    for (let attempt = 0; attempt < REQUEST_ATTEMPTS_MAX; attempt++) {
      const endpoint = pinned ?? this.preferred;
      try {
        const conn = await this.connect(endpoint, signal);
        return await conn.request(method, params, spec.requestId, signal);
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        // close() ends calls in flight at once instead of letting them retry until their deadline.
        if (this.closed) throw new KvError('Unavailable', 'the client is closed');
        attempts.lastErr = err;
        if (err instanceof NotAMemberError) {
          notMembers.add(endpoint);
          if (pinned !== undefined || this.endpointList.every((e) => notMembers.has(e))) throw err;
          this.onRetry?.({ method, endpoint, attempt, error: err, decision: 'next' });
          this.rotatePast(endpoint, notMembers);
          continue;
        }
        const decision = decideRetry(err, spec.retry);
        if (decision.kind === 'fail') throw err;
        this.onRetry?.({ method, endpoint, attempt, error: err, decision: decision.kind });
        if (pinned !== undefined || decision.kind === 'again') {
          await sleep(this.backoff(attempt), signal);
          continue;
        }
        if (decision.kind === 'redirect') {
          const leader = normalizeEndpoint(decision.leaderEndpoint);
          // A redirect to the member that just refused means its hint is stale: back off, then rotate.
          if (leader !== endpoint) {
            this.preferred = leader;
            // Only the first redirect is free: members passing the request around on stale hints during
            // an election must not burn every attempt in a few milliseconds.
            if (redirectsInARow++ > 0) await sleep(this.backoff(attempt), signal);
            continue;
          }
        }
        redirectsInARow = 0;
        this.rotate(endpoint);
        await sleep(this.backoff(attempt), signal);
      }
    }
    throw attempts.lastErr;
  }

  /** A live connection for a long-lived stream (watch), with the same failover as requests. */
  async connectAny(signal: AbortSignal): Promise<Connection> {
    const endpoint = this.preferred;
    try {
      return await this.connect(endpoint, signal);
    } catch (err) {
      if (!signal.aborted) this.rotate(endpoint);
      throw err;
    }
  }

  /**
   * Dials until some endpoint accepts a connection, starting with the preferred one, for at most
   * `timeoutMs` (etcd's clientv3.New blocks the same way for its DialTimeout). Resolves with the endpoint;
   * rejects with Timeout naming the last failure, or at once when every endpoint answered that it is not
   * a member. The connection stays open for the requests that follow.
   */
  async connectFirst(timeoutMs: number, outer?: AbortSignal): Promise<string> {
    return this.withDeadline('connect', timeoutMs, false, outer, async (signal) => {
      const notMembers = new Set<string>();
      let lastErr: unknown;
      let endpoint = this.preferred;
      try {
        for (let attempt = 0; ; attempt++) {
          endpoint = this.preferred;
          try {
            await this.connect(endpoint, signal);
            return endpoint;
          } catch (err) {
            if (signal.aborted) throw err;
            lastErr = err;
            if (err instanceof NotAMemberError) {
              notMembers.add(endpoint);
              if (this.endpointList.every((e) => notMembers.has(e))) throw err;
              this.rotatePast(endpoint, notMembers);
              continue;
            }
            if (decideRetry(err, 'always').kind === 'fail') throw err;
            this.rotate(endpoint);
          }
          // A full round of refused dials: wait a little before the next round.
          if ((attempt + 1) % this.endpointList.length === 0) await sleep(backoffMs(attempt), signal);
        }
      } catch (err) {
        if (signal.aborted && err === signal.reason && err instanceof KvError && err.code === 'Timeout') {
          const last = lastErr instanceof Error ? `; last error: ${lastErr.message}` : ` (${endpoint} did not complete the WebSocket handshake)`;
          throw new KvError('Timeout', `no endpoint accepted a connection within ${timeoutMs} ms${last}`);
        }
        throw err;
      }
    });
  }

  /** Move on from `failed` to the next listed endpoint that is not in `skip`. */
  private rotatePast(failed: string, skip: ReadonlySet<string>): void {
    this.rotate(failed);
    for (let i = 0; i < this.endpointList.length && skip.has(this.preferred); i++) this.rotate(this.preferred);
  }

  /** Move on from an endpoint that failed, unless another request already did. */
  rotate(failed: string): void {
    if (this.preferred !== failed) return;
    const i = this.endpointList.indexOf(failed);
    // A leader learned from a redirect but not in the list: fall back to the start of the list.
    this.preferred = this.endpointList[(i + 1) % this.endpointList.length] as string;
  }

  close(): void {
    this.closed = true;
    const conns = [...this.connections.values()];
    this.connections.clear();
    for (const c of conns) c.then((conn) => conn.close(), () => {});
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private connect(endpoint: string, signal: AbortSignal): Promise<Connection> {
    if (this.closed) return Promise.reject(new KvError('Unavailable', 'the client is closed'));
    // No dial for a caller that already gave up: nobody would wait for it, and its failure would surface
    // as an unhandled rejection (which ends a Node process by default).
    if (signal.aborted) return Promise.reject(signal.reason);
    return raceAbort(this.connectionTo(endpoint), signal);
  }

  /** The open (or opening) connection to `endpoint`, dialling when there is none. */
  private async connectionTo(endpoint: string): Promise<Connection> {
    const existing = this.connections.get(endpoint);
    if (existing === undefined) return this.dial(endpoint);
    const conn = await existing;
    if (!conn.isClosed) return conn;
    // Closed but its close listener has not run yet: forget it, unless someone already replaced it.
    if (this.connections.get(endpoint) === existing) this.connections.delete(endpoint);
    return this.dial(endpoint);
  }

  private dial(endpoint: string): Promise<Connection> {
    // Concurrent callers share one dial, so no connection is opened twice (and leaked).
    const inFlight = this.connections.get(endpoint);
    if (inFlight !== undefined) return inFlight;
    this.evictIfFull();
    // Dials are shared by concurrent requests, so one request's abort must not fail the others' dial;
    // the dial itself is bounded by dialTimeoutMs.
    const dialing = Connection.open(endpoint, this.connectionOptions);
    this.connections.set(endpoint, dialing);
    dialing.then(
      (conn) => {
        if (this.closed) conn.close();
        conn.onClose(() => {
          if (this.connections.get(endpoint) === dialing) this.connections.delete(endpoint);
        });
      },
      () => {
        if (this.connections.get(endpoint) === dialing) this.connections.delete(endpoint);
      },
    );
    return dialing;
  }

  private evictIfFull(): void {
    if (this.connections.size < CONNECTIONS_MAX) return;
    // Learned leader endpoints are the only ones not in the list; drop the oldest of them.
    for (const [endpoint, conn] of this.connections) {
      if (this.endpointList.includes(endpoint) || endpoint === this.preferred) continue;
      this.connections.delete(endpoint);
      conn.then((c) => c.close('evicted'), () => {});
      return;
    }
  }

  /**
   * Runs `fn` with a signal that aborts on the caller's signal (with its reason) or when the deadline
   * passes (with a Timeout KvError naming the method, and saying a write's outcome is then unknown).
   */
  private async withDeadline<T>(method: Method | 'connect', timeoutMs: number, isWrite: boolean, outer: AbortSignal | undefined, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (outer?.aborted === true) throw outer.reason;
    const controller = new AbortController();
    const onOuterAbort = (): void => controller.abort(outer?.reason);
    outer?.addEventListener('abort', onOuterAbort, { once: true });
    const timer = setTimeout(() => {
      const outcome = isWrite ? '; the write may or may not have been applied (its outcome is unknown)' : '';
      controller.abort(new KvError('Timeout', `${method} did not complete within ${timeoutMs} ms${outcome}`));
    }, timeoutMs);
    try {
      return await fn(controller.signal);
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuterAbort);
    }
  }
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
