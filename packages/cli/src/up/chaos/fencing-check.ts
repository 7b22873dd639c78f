// Double leadership, judged from the store's own order. Every write an active controller replica makes
// goes to its fence ConfigMap and names its holder; every change of a controller's Lease names the new
// holder. Both get resourceVersions from one KV revision counter, so they are totally ordered: a fence
// write at revision r by replica H is a double leadership when the Lease's newest version before r names
// someone other than H — H acted while another replica held the lease (or while nobody did). A deposed
// replica whose write the fence refused left a stale marker instead; each (controller, replica, token)
// among both is one episode of two replicas active at once.

export interface LeaseVersion {
  readonly controller: string;
  readonly revision: number;
  /** '' when released or not held. */
  readonly holder: string;
}

export interface FenceWrite {
  readonly controller: string;
  readonly revision: number;
  readonly holder: string;
  readonly token: number;
}

export interface StaleMarker {
  readonly controller: string;
  readonly identity: string;
  readonly token: number;
}

export interface DoubleLeadership {
  readonly controller: string;
  /** The replica that acted without holding the lease. */
  readonly replica: string;
  readonly token: number;
  /** 'accepted write' (it reached the store), or 'refused write' (the fence stopped it). */
  readonly evidence: 'accepted write' | 'refused write';
  /** For accepted writes: revision of the write and the holder at that time. */
  readonly revision?: number;
  readonly leaseHolder?: string;
}

/**
 * Episodes of double leadership: one per (controller, replica, token) with any evidence. `leases` must
 * include, for each controller, its version current at the start of the observed window (or none).
 */
export function findDoubleLeadership(leases: readonly LeaseVersion[], writes: readonly FenceWrite[], stale: readonly StaleMarker[]): DoubleLeadership[] {
  const byController = new Map<string, LeaseVersion[]>();
  for (const l of leases) {
    const list = byController.get(l.controller) ?? [];
    list.push(l);
    byController.set(l.controller, list);
  }
  for (const list of byController.values()) list.sort((a, b) => a.revision - b.revision);

  const episodes = new Map<string, DoubleLeadership>();
  for (const w of writes) {
    const holder = holderBefore(byController.get(w.controller) ?? [], w.revision);
    // No lease version known before the write: the window started after it; nothing to judge it by.
    if (holder === undefined || holder === w.holder) continue;
    const key = `${w.controller}\u0000${w.holder}\u0000${w.token}`;
    if (!episodes.has(key)) episodes.set(key, { controller: w.controller, replica: w.holder, token: w.token, evidence: 'accepted write', revision: w.revision, leaseHolder: holder });
  }
  for (const s of stale) {
    const key = `${s.controller}\u0000${s.identity}\u0000${s.token}`;
    if (!episodes.has(key)) episodes.set(key, { controller: s.controller, replica: s.identity, token: s.token, evidence: 'refused write' });
  }
  return [...episodes.values()];
}

/** Holder in the newest version strictly before `revision` (binary search over versions sorted by revision). */
function holderBefore(versions: readonly LeaseVersion[], revision: number): string | undefined {
  let lo = 0;
  let hi = versions.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (versions[mid]!.revision < revision) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? undefined : versions[lo - 1]!.holder;
}
