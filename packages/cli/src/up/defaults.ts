// Defaults of `halyard up` and `halyard chaos`, apart from the code that runs them so the command
// definitions load nothing heavy.

/** Kubernetes' --leader-elect-* defaults (kube-controller-manager, kube-scheduler). */
export const ELECTION_TIMING_DEFAULT = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 } as const;

export const UP_DEFAULTS = {
  dataDir: '.halyard/up',
  loadBalancerPort: 6443,
  dashboardPort: 2378,
  election: ELECTION_TIMING_DEFAULT,
  workIntervalMs: 1_000,
  kvTickMs: 100,
  readyTimeoutMs: 120_000,
} as const;

export const CHAOS_DEFAULTS = { durationMs: 60_000, writers: 4, faultIntervalMs: 4_000, downMinMs: 1_000, downMaxMs: 6_000, settleTimeoutMs: 120_000 } as const;
