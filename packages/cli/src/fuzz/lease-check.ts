// What lease clients saw, checked against etcd's lease guarantee: a lease lives at least its TTL after
// the last keep-alive (or the grant) that was acknowledged before. A key attached to a lease found gone, or
// a keep-alive answered LeaseNotFound, sooner than that is an early expiry: the lessor bug class (a new
// leader starting a lease from a stale checkpoint, or expiring leases it should keep).
//
// Times are one client's monotonic clock. A renewal acknowledged at or before an observation was sent took
// effect before it, so the lease's deadline is at least the renewal's send time + TTL; an observation that
// returned before that deadline and saw the lease gone proves an early expiry (sound, never a false alarm,
// whatever the network delays).

export type LeaseRecord =
  /** A grant or an acknowledged keep-alive: the lease lives at least until sentMs + ttlSeconds. */
  | { readonly kind: 'renewed'; readonly leaseId: number; readonly sentMs: number; readonly ackMs: number; readonly ttlSeconds: number }
  /** A read of the lease's key or a keep-alive that answered; `alive` false = key gone or LeaseNotFound. */
  | { readonly kind: 'observed'; readonly leaseId: number; readonly sentMs: number; readonly ackMs: number; readonly alive: boolean; readonly what: string }
  /** The client revoked the lease itself: later absences are expected. */
  | { readonly kind: 'revoked'; readonly leaseId: number; readonly sentMs: number };

export interface LeaseCheckResult {
  readonly ok: boolean;
  readonly leases: number;
  readonly renewals: number;
  readonly problems: readonly string[];
}

/** Problems reported at most (the rest are counted). */
const PROBLEMS_MAX = 50;

export function checkLeases(records: readonly LeaseRecord[]): LeaseCheckResult {
  const problems: string[] = [];
  let problemCount = 0;
  const byLease = new Map<number, LeaseRecord[]>();
  for (const r of records) {
    const list = byLease.get(r.leaseId) ?? [];
    list.push(r);
    byLease.set(r.leaseId, list);
  }
  let renewals = 0;
  for (const [leaseId, list] of byLease) {
    let latest: { sentMs: number; ackMs: number; ttlSeconds: number } | undefined;
    let revokedAtMs = Infinity;
    for (const r of [...list].sort((a, b) => a.sentMs - b.sentMs)) {
      if (r.kind === 'revoked') {
        revokedAtMs = Math.min(revokedAtMs, r.sentMs);
        continue;
      }
      if (r.kind === 'renewed') {
        renewals++;
        // Only a renewal acknowledged before later observations were sent is known to precede them; the
        // records of one client are sequential, so each renewal precedes what the client did next.
        if (latest === undefined || r.sentMs + r.ttlSeconds * 1000 > latest.sentMs + latest.ttlSeconds * 1000) latest = r;
        continue;
      }
      if (r.alive || latest === undefined || r.sentMs >= revokedAtMs || latest.ackMs > r.sentMs) continue;
      const deadlineMs = latest.sentMs + latest.ttlSeconds * 1000;
      if (r.ackMs < deadlineMs) {
        problemCount++;
        if (problems.length < PROBLEMS_MAX) {
          problems.push(`lease ${leaseId}: ${r.what} found it gone ${Math.round(r.ackMs - latest.sentMs)} ms after a renewal with TTL ${latest.ttlSeconds} s (at least ${Math.round(deadlineMs - r.ackMs)} ms early)`);
        }
      }
    }
  }
  if (problemCount > problems.length) problems.push(`… and ${problemCount - problems.length} more`);
  return { ok: problemCount === 0, leases: byLease.size, renewals, problems };
}
