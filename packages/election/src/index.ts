// @halyard/election's public surface. Everything else is internal.
export { LeaderElector, RELEASE_ATTEMPTS_MAX, type CheckResult } from './elector/leader-elector.ts';
export type { LeadingLease, TermEnd } from './elector/leading-term.ts';
export {
  JITTER_FACTOR,
  LEASE_DURATION_MS_DEFAULT,
  RENEW_DEADLINE_MS_DEFAULT,
  RETRY_PERIOD_MS_DEFAULT,
  type LeaderCallbacks,
  type LeaderElectorOptions,
} from './elector/options.ts';
export type { LeaseLock, LockCallOptions, LockWriteKind, LockWriteResult, ObservedLease } from './lock.ts';
export { IDENTITY_LENGTH_MAX, type LeaseRecord } from './record.ts';
export { formatMicroTime } from './micro-time.ts';
export { observeLeader, type LeaderChange } from './observe.ts';
export { realClock, type CancelTimer, type ElectionClock } from './clock.ts';
export { ElectionError, isElectionError, type ElectionErrorCode } from './errors.ts';
export { silentLogger, type ElectionLogger } from './logger.ts';
export { noMetrics, type ElectionMetrics } from './metrics/metrics.ts';
export { promElectionMetrics, type PromClientLike, type PromElectionMetricsOptions } from './metrics/prom-metrics.ts';
export { KvLeaseLock, type KvLeaseLockOptions, type LeaseKv } from './kv/kv-lease-lock.ts';
export { KEY_PREFIX_DEFAULT, lockKeys, type LockKeys } from './kv/lock-keys.ts';
export { FakeClock } from './fake-clock.ts';
export { ApiserverLeaseLock, type ApiserverLeaseLockOptions } from './apiserver/apiserver-lease-lock.ts';
export { registerElectionCommands, processIo as electionCliProcessIo, type ElectionCliIo } from './cli/index.ts';
export { fencedTxn, fencedTxnWithToken } from './kv/fenced-txn.ts';
// The KV client the KV lock runs on, so an embedding service needs one import.
export { KvClient, type KvClientOptions } from './kv/kv-client.ts';
