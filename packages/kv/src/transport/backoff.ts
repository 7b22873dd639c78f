// Reconnect delays: exponential from backoffMsMin, capped at backoffMsMax, with "equal jitter" (half
// fixed, half random) so peers that lost a member at the same moment do not redial in lockstep, while
// the delay never collapses to zero.

export interface BackoffPolicy {
  readonly backoffMsMin: number;
  readonly backoffMsMax: number;
}

/** Delay before reconnect attempt number `attempt` (0 = first retry). `random` returns [0, 1). */
export function backoffDelayMs(policy: BackoffPolicy, attempt: number, random: () => number): number {
  // 2^30 is far past any cap; bounding the exponent keeps the arithmetic finite.
  const base = Math.min(policy.backoffMsMax, policy.backoffMsMin * 2 ** Math.min(attempt, 30));
  return Math.round(base / 2 + random() * (base / 2));
}
