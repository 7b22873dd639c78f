// Lease expiry, decided only by the leader (the state machine has no clock). The leader keeps a
// deadline per lease on its monotonic clock and proposes a revoke through Raft when one passes; keys
// attached to the lease are deleted by that revoke, in one revision.
//
// After a leader change the new leader starts each lease from its checkpointed remaining TTL, or its
// full TTL if it has none (etcd's lessor.Promote): a leader change never expires a lease early. To bound
// how late it can be, the leader checkpoints remaining TTLs through Raft every checkpoint interval, so a
// lease survives a leader change with at most one interval of extra life, never an unbounded one.

import type { LeaseCheckpointRequest, LeaseInfo } from '@halyard/kv-client/protocol';

export interface LessorClock {
  nowMs(): number;
}

export const monotonicClock: LessorClock = { nowMs: () => performance.now() };

/** Revokes proposed per tick at most (etcd: leaseRevokeRate 1000/s), so a mass expiry cannot flood Raft. */
export const REVOKES_PER_TICK_MAX = 100;

export class Lessor {
  private deadlines = new Map<number, number>();
  private primary = false;

  constructor(private readonly clock: LessorClock = monotonicClock) {}

  isPrimary(): boolean {
    return this.primary;
  }

  /** Became leader: rebuild deadlines from the replicated lease table. */
  promote(leases: readonly LeaseInfo[]): void {
    this.primary = true;
    const now = this.clock.nowMs();
    this.deadlines = new Map();
    for (const l of leases) {
      const ttl = l.remainingTtlSeconds > 0 ? l.remainingTtlSeconds : l.grantedTtlSeconds;
      this.deadlines.set(l.id, now + ttl * 1000);
    }
  }

  demote(): void {
    this.primary = false;
    this.deadlines = new Map();
  }

  /** A grant was applied (on the leader it starts the clock). */
  granted(id: number, ttlSeconds: number): void {
    if (this.primary) this.deadlines.set(id, this.clock.nowMs() + ttlSeconds * 1000);
  }

  revoked(id: number): void {
    this.deadlines.delete(id);
  }

  /**
   * Keep-alive: returns false when the lease is unknown here — or already expired: its revoke may be on its
   * way through Raft, and a renewal acknowledged now would be undone by it (etcd's Renew waits for such a
   * revoke and answers LeaseNotFound).
   */
  renew(id: number, ttlSeconds: number): boolean {
    const deadline = this.deadlines.get(id);
    if (!this.primary || deadline === undefined || deadline <= this.clock.nowMs()) return false;
    this.deadlines.set(id, this.clock.nowMs() + ttlSeconds * 1000);
    return true;
  }

  /**
   * What a keep-alive must replicate besides the renewal (etcd lessor.Renew, PR #9924). The renewal moves
   * only this leader's deadline; a remaining TTL checkpointed earlier stays in the replicated lease table,
   * and the next leader would promote the lease from that old, smaller remainder and expire it early. So a
   * keep-alive of a lease with a checkpoint (`remainingTtlSeconds > 0`) proposes a checkpoint of 0, which
   * clears it: the next promotion starts from the full TTL. A lease without one needs no Raft entry, which
   * bounds the entries keep-alives write to two per lease and checkpoint interval.
   */
  static checkpointClearedByRenewal(lease: LeaseInfo): LeaseCheckpointRequest | undefined {
    if (lease.remainingTtlSeconds <= 0) return undefined;
    return { type: 'leaseCheckpoint', checkpoints: [{ id: lease.id, remainingTtlSeconds: 0 }] };
  }

  /** Remaining TTL in whole seconds (rounded up), or undefined if not tracked here. */
  remainingSeconds(id: number): number | undefined {
    const d = this.deadlines.get(id);
    if (d === undefined) return undefined;
    return Math.max(0, Math.ceil((d - this.clock.nowMs()) / 1000));
  }

  /** Leases whose deadline has passed, oldest first, at most `max`. */
  expired(max = REVOKES_PER_TICK_MAX): number[] {
    // Stryker disable next-line ConditionalExpression: equivalent, deadlines is empty whenever primary is false (promote, granted and renew guard it; demote clears it).
    if (!this.primary) return [];
    const now = this.clock.nowMs();
    const out: [number, number][] = [];
    for (const [id, d] of this.deadlines) if (d <= now) out.push([id, d]);
    out.sort((a, b) => a[1] - b[1]);
    return out.slice(0, max).map(([id]) => id);
  }

  /** Remaining TTLs to checkpoint through Raft. */
  checkpoints(): { id: number; remainingTtlSeconds: number }[] {
    // Stryker disable next-line ConditionalExpression: equivalent, as in expired().
    if (!this.primary) return [];
    return [...this.deadlines.keys()].map((id) => ({ id, remainingTtlSeconds: Math.max(1, this.remainingSeconds(id) ?? 1) }));
  }
}
