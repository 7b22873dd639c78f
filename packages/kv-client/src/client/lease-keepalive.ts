// Keeps a lease alive until stopped: renews every TTL/3 (as etcd's clientv3 does), and on a failed renewal
// keeps retrying with backoff until the lease would have expired by our own clock. Renewals are safe to
// repeat (a keep-alive only resets the TTL), so every failure short of LeaseNotFound is retried.
import { KvError } from '../protocol/errors.ts';
import { backoffMs, sleep } from './retry.ts';
import type { CallOptions, LeaseKeepAliveResult } from './types.ts';

/** Shortest pause between renewals, so a 1-second TTL does not turn into a busy loop. */
export const KEEP_ALIVE_INTERVAL_MS_MIN = 200;

export type KeepAliveOnce = (id: number, opts: CallOptions) => Promise<LeaseKeepAliveResult>;

export interface LeaseKeepAliveOptions {
  /** Called after each successful renewal. */
  readonly onRenewed?: (result: LeaseKeepAliveResult) => void;
  /** Deadline of one renewal attempt; default the client's request timeout. */
  readonly requestTimeoutMs?: number;
}

export class LeaseKeepAlive {
  private readonly stopper = new AbortController();
  private lastRenewedAtMs: number | undefined;
  private ttlSeconds: number | undefined;
  /** Resolves when stopped; rejects with KvError('LeaseNotFound') when the lease expired or was revoked. */
  readonly done: Promise<void>;

  constructor(
    readonly id: number,
    private readonly keepAliveOnce: KeepAliveOnce,
    private readonly options: LeaseKeepAliveOptions & { readonly requestTimeoutMs: number },
  ) {
    this.done = this.run();
    this.done.catch(() => {});
  }

  /** TTL granted by the last renewal, undefined before the first. */
  get lastTtlSeconds(): number | undefined {
    return this.ttlSeconds;
  }

  stop(): void {
    this.stopper.abort(new KvError('Unavailable', 'keep-alive stopped'));
  }

  private async run(): Promise<void> {
    const signal = this.stopper.signal;
    let failures = 0;
    while (!signal.aborted) {
      const expiresAtMs = this.lastRenewedAtMs === undefined || this.ttlSeconds === undefined ? undefined : this.lastRenewedAtMs + this.ttlSeconds * 1000;
      const remainingMs = expiresAtMs === undefined ? this.options.requestTimeoutMs : expiresAtMs - Date.now();
      if (remainingMs <= 0) throw new KvError('LeaseNotFound', `lease ${this.id.toString(16)} expired: no renewal succeeded within its TTL of ${this.ttlSeconds ?? 0}s`);
      const sentAtMs = Date.now();
      try {
        const result = await this.keepAliveOnce(this.id, { signal, timeoutMs: Math.max(1, Math.min(this.options.requestTimeoutMs, remainingMs)) });
        if (result.ttlSeconds <= 0) throw new KvError('LeaseNotFound', `lease ${this.id.toString(16)} not found`);
        // The TTL counts from when the leader renewed, which is after we sent: measuring from the send is the safe side.
        this.lastRenewedAtMs = sentAtMs;
        this.ttlSeconds = result.ttlSeconds;
        failures = 0;
        this.options.onRenewed?.(result);
        await sleep(Math.max(KEEP_ALIVE_INTERVAL_MS_MIN, (result.ttlSeconds * 1000) / 3), signal);
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof KvError && err.code === 'LeaseNotFound') throw err;
        // The first renewal has nothing to fall back on: a lease we never renewed may not exist.
        if (this.lastRenewedAtMs === undefined) throw err;
        failures++;
        await sleep(backoffMs(failures), signal).catch(() => {});
      }
    }
  }
}
