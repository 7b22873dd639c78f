// LeaderElector's options and their validation: client-go's NewLeaderElector rules (leaseDuration >
// renewDeadline > JitterFactor × retryPeriod, all > 0, both leading callbacks and a non-empty identity),
// plus ours (whole-second lease, bounded identity, a lock that has the three calls).
import { realClock, type ElectionClock } from '../clock.ts';
import { ElectionError } from '../errors.ts';
import type { LeaseLock } from '../lock.ts';
import { silentLogger, type ElectionLogger } from '../logger.ts';
import { noMetrics, type ElectionMetrics } from '../metrics/metrics.ts';
import { IDENTITY_LENGTH_MAX, LEASE_DURATION_SECONDS_MAX } from '../record.ts';
import type { LeadingLease } from './leading-term.ts';

/** client-go's JitterFactor: acquire retries wait retryPeriod × (1 + random·1.2). */
export const JITTER_FACTOR = 1.2;

/** Kubernetes' defaults for kube-controller-manager and kube-scheduler (--leader-elect-*). */
export const LEASE_DURATION_MS_DEFAULT = 15_000;
export const RENEW_DEADLINE_MS_DEFAULT = 10_000;
export const RETRY_PERIOD_MS_DEFAULT = 2_000;

export interface LeaderCallbacks {
  /**
   * This instance leads. Do the leader's work until `signal` aborts (the returned promise, if any, is
   * awaited before a release on cancel). Called at most once per term; a throw or rejection is logged and
   * does not end the term.
   */
  onStartedLeading(signal: AbortSignal, lease: LeadingLease): void | Promise<void>;
  /**
   * A term ended (called right after its signal aborted). As in client-go, also called once when run()
   * ends without ever having led; so every call closes one onStartedLeading except possibly the last.
   */
  onStoppedLeading(): void;
  /** The observed holder changed to `identity` (non-empty; ourselves included): once per change. */
  onNewLeader?(identity: string): void;
}

export interface LeaderElectorOptions {
  readonly lock: LeaseLock;
  /** This candidate's identity, unique among the candidates of this election (a pod name, host + pid, …). */
  readonly identity: string;
  /** How long candidates wait after their last observed change of the record before taking over. Whole seconds. */
  readonly leaseDurationMs?: number;
  /** The leader steps down (its signal aborts) when no renewal sent within this long has succeeded. */
  readonly renewDeadlineMs?: number;
  /** Period of acquire attempts (with jitter ×1.2) and of renewals. */
  readonly retryPeriodMs?: number;
  /**
   * On cancel of run(): once the leading work has finished, write an empty holder (leaseDurationSeconds 1)
   * so another candidate takes over at once instead of after leaseDuration. Default false, as client-go.
   */
  readonly releaseOnCancel?: boolean;
  /** After losing the lease, campaign again instead of returning from run(). Default false (client-go's one-shot). */
  readonly reCampaign?: boolean;
  readonly callbacks: LeaderCallbacks;
  /** Name for metrics and logs; default the lock's description. */
  readonly name?: string;
  readonly clock?: ElectionClock;
  /** Uniform in [0, 1); for the acquire jitter. Default Math.random. */
  readonly random?: () => number;
  readonly metrics?: ElectionMetrics;
  readonly logger?: ElectionLogger;
}

export interface ElectorConfig {
  readonly lock: LeaseLock;
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  readonly releaseOnCancel: boolean;
  readonly reCampaign: boolean;
  readonly callbacks: LeaderCallbacks;
  readonly name: string;
  readonly clock: ElectionClock;
  readonly random: () => number;
  readonly metrics: ElectionMetrics;
  readonly logger: ElectionLogger;
}

/** Validates options (ElectionError('InvalidConfig') naming the rule) and fills in the defaults. */
export function electorConfig(o: LeaderElectorOptions): ElectorConfig {
  const bad = (why: string): never => {
    throw new ElectionError('InvalidConfig', why);
  };
  const leaseDurationMs = o.leaseDurationMs ?? LEASE_DURATION_MS_DEFAULT;
  const renewDeadlineMs = o.renewDeadlineMs ?? RENEW_DEADLINE_MS_DEFAULT;
  const retryPeriodMs = o.retryPeriodMs ?? RETRY_PERIOD_MS_DEFAULT;
  for (const [name, v] of [['leaseDurationMs', leaseDurationMs], ['renewDeadlineMs', renewDeadlineMs], ['retryPeriodMs', retryPeriodMs]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) bad(`${name} must be greater than zero, got ${String(v)}`);
  }
  if (leaseDurationMs <= renewDeadlineMs) bad(`leaseDurationMs (${leaseDurationMs}) must be greater than renewDeadlineMs (${renewDeadlineMs})`);
  if (renewDeadlineMs <= JITTER_FACTOR * retryPeriodMs) bad(`renewDeadlineMs (${renewDeadlineMs}) must be greater than retryPeriodMs × ${JITTER_FACTOR} (${JITTER_FACTOR * retryPeriodMs})`);
  // The record carries whole seconds (leaseDurationSeconds); candidates wait what the record says, so a
  // fraction would silently change the lease (client-go truncates; a truncated lease can end before our deadline).
  if (!Number.isSafeInteger(leaseDurationMs / 1000) || leaseDurationMs / 1000 > LEASE_DURATION_SECONDS_MAX) bad(`leaseDurationMs must be a whole number of seconds up to ${LEASE_DURATION_SECONDS_MAX} s, got ${leaseDurationMs}`);
  if (typeof o.identity !== 'string' || o.identity.length === 0) bad('identity must not be empty');
  if (o.identity.length > IDENTITY_LENGTH_MAX) bad(`identity must be at most ${IDENTITY_LENGTH_MAX} characters`);
  const lock = o.lock as Partial<LeaseLock> | undefined;
  if (lock === undefined || lock === null || typeof lock.get !== 'function' || typeof lock.create !== 'function' || typeof lock.update !== 'function') bad('lock must be a LeaseLock');
  const cb = o.callbacks as Partial<LeaderCallbacks> | undefined;
  if (cb === undefined || cb === null || typeof cb.onStartedLeading !== 'function') bad('callbacks.onStartedLeading must be a function');
  if (typeof cb?.onStoppedLeading !== 'function') bad('callbacks.onStoppedLeading must be a function');
  if (cb?.onNewLeader !== undefined && typeof cb.onNewLeader !== 'function') bad('callbacks.onNewLeader must be a function when given');
  return {
    lock: o.lock,
    identity: o.identity,
    leaseDurationMs,
    renewDeadlineMs,
    retryPeriodMs,
    releaseOnCancel: o.releaseOnCancel ?? false,
    reCampaign: o.reCampaign ?? false,
    callbacks: o.callbacks,
    name: o.name ?? o.lock.description,
    clock: o.clock ?? realClock,
    random: o.random ?? Math.random,
    metrics: o.metrics ?? noMetrics,
    logger: o.logger ?? silentLogger,
  };
}

/** client-go's wait.Jitter(retryPeriod, 1.2): uniform in [retryPeriod, 2.2 × retryPeriod). */
export function jitteredMs(periodMs: number, random: () => number): number {
  return periodMs * (1 + random() * JITTER_FACTOR);
}
