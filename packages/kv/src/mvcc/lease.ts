// The lease table: which leases exist, their granted TTL, their last checkpointed remaining TTL and which keys
// are attached. No clocks here (the state machine must be a pure function of the log): expiry is decided by
// the leader, which keeps deadlines in memory and proposes a `leaseRevoke` when one passes.
//
// After a leader change the new leader rebuilds deadlines from this table, as etcd's lessor.Promote does:
// each lease gets now + (checkpointed remaining TTL if there is one, else the full granted TTL). A lease is
// therefore never expired early by a leader change, only possibly late (by at most one TTL). The leader
// proposes `leaseCheckpoint` periodically for long leases (etcd: --experimental-enable-lease-checkpoint) so
// that "late" stays bounded; a keep-alive that renews a checkpointed lease proposes a checkpoint of 0, which
// clears it (etcd does the same), so the renewed lease restarts from its full TTL on the next promotion.

import { invariant, MvccError } from './errors.ts';
import type { KeyString } from './key-range.ts';

export interface Lease {
  readonly id: number;
  readonly grantedTtlSeconds: number;
  /** 0 = no checkpoint. */
  remainingTtlSeconds: number;
  readonly keys: Set<KeyString>;
}

export interface LeaseTableSnapshot {
  readonly nextId: number;
  readonly leases: readonly { id: number; grantedTtlSeconds: number; remainingTtlSeconds: number; keys: KeyString[] }[];
}

/** A lease without its keys: what a persistent backend stores (the keys are known from the keys' own leases). */
export interface LeaseHeader {
  readonly id: number;
  readonly grantedTtlSeconds: number;
  readonly remainingTtlSeconds: number;
}

export interface LeaseHeaders {
  readonly nextId: number;
  readonly leases: readonly LeaseHeader[];
}

export class LeaseTable {
  private readonly leases = new Map<number, Lease>();
  /** Next candidate for an allocated id; ids are handed out in increasing order, skipping taken ones. */
  private nextId = 1;
  /** Bumped by every grant, removal and checkpoint (not by attach/detach): a persistent backend rewrites the headers when it moved. */
  changes = 0;

  get(id: number): Lease | undefined {
    return this.leases.get(id);
  }

  has(id: number): boolean {
    return this.leases.has(id);
  }

  /** Ids of every lease, ascending. */
  ids(): number[] {
    return [...this.leases.keys()].sort((a, b) => a - b);
  }

  get size(): number {
    return this.leases.size;
  }

  /** Picks the id for a grant of id 0: deterministic, so every replica picks the same. */
  allocateId(): number {
    while (this.leases.has(this.nextId)) this.nextId++;
    return this.nextId;
  }

  grant(id: number, grantedTtlSeconds: number): Lease {
    invariant(id > 0, 'lease id must be positive');
    // etcd lessor.Grant: ErrLeaseExists for a taken id.
    if (this.leases.has(id)) throw new MvccError('LeaseExists', 'lease already exists');
    const lease: Lease = { id, grantedTtlSeconds, remainingTtlSeconds: 0, keys: new Set() };
    this.leases.set(id, lease);
    this.changes++;
    if (id >= this.nextId) this.nextId = id + 1;
    return lease;
  }

  /** Removes the lease; the caller has already deleted its keys. */
  remove(id: number): void {
    const lease = this.leases.get(id);
    invariant(lease !== undefined && lease.keys.size === 0, 'lease removed while keys are attached');
    this.leases.delete(id);
    this.changes++;
  }

  attach(id: number, key: KeyString): void {
    const lease = this.leases.get(id);
    invariant(lease !== undefined, `attach to missing lease ${id}`);
    lease.keys.add(key);
  }

  /** Detaching from a lease that is gone is fine: the lease may have been revoked while the key lived on. */
  detach(id: number, key: KeyString): void {
    this.leases.get(id)?.keys.delete(key);
  }

  /** etcd lessor.Checkpoint: unknown ids are ignored (the lease may have been revoked meanwhile). */
  checkpoint(id: number, remainingTtlSeconds: number): void {
    const lease = this.leases.get(id);
    if (lease !== undefined) lease.remainingTtlSeconds = remainingTtlSeconds;
    this.changes++;
  }

  /** Every lease without its keys, ascending by id, and the next id to allocate. */
  headers(): LeaseHeaders {
    return {
      nextId: this.nextId,
      leases: this.ids().map((id) => {
        const l = this.leases.get(id) as Lease;
        return { id, grantedTtlSeconds: l.grantedTtlSeconds, remainingTtlSeconds: l.remainingTtlSeconds };
      }),
    };
  }

  snapshot(): LeaseTableSnapshot {
    return {
      nextId: this.nextId,
      leases: this.ids().map((id) => {
        const l = this.leases.get(id) as Lease;
        return { id, grantedTtlSeconds: l.grantedTtlSeconds, remainingTtlSeconds: l.remainingTtlSeconds, keys: [...l.keys].sort() };
      }),
    };
  }

  static restore(snapshot: LeaseTableSnapshot): LeaseTable {
    const table = new LeaseTable();
    for (const l of snapshot.leases) {
      table.leases.set(l.id, { id: l.id, grantedTtlSeconds: l.grantedTtlSeconds, remainingTtlSeconds: l.remainingTtlSeconds, keys: new Set(l.keys) });
    }
    table.nextId = snapshot.nextId;
    return table;
  }
}
