// Rebuilding the in-memory part of the store (key index, event log, lease attachments) from what a
// persistent backend holds: every stored revision in revision order, plus the few numbers it stores beside
// them. etcd does the same at startup (mvcc store.restore: it reads the key bucket and rebuilds its
// treeIndex). The same compaction rule as compaction.ts applies, so revisions an interrupted incremental
// compaction had not removed yet are handed to the backend again.

import { invariant } from './errors.ts';
import type { Revision, RevisionBackend } from './backend.ts';
import { compact } from './compaction.ts';
import { EventLog } from './event-log.ts';
import { keyString, type KeyString } from './key-range.ts';
import { LeaseTable, type LeaseHeaders } from './lease.ts';
import { appendRecord, compareRevision, latestLive, type KeyRecord } from './revision.ts';
import { MvccState } from './state.ts';

/** What a backend stores of one revision, as far as the index needs it (no value). */
export interface StoredRevision extends Revision {
  readonly key: Uint8Array;
  readonly tombstone: boolean;
  /** The lease the put attached the key to (0 for none or for a tombstone). */
  readonly lease: number;
}

/** What a backend stores beside the revisions. */
export interface StoredMvccMeta {
  readonly currentRevision: number;
  readonly compactRevision: number;
  readonly leases: LeaseHeaders;
}

/** Feed it every stored revision in ascending order, then call `finish`. */
export class StateRebuilder {
  private readonly state: MvccState;
  private readonly events = new EventLog();
  private last: Revision | undefined;
  /** The lease of each key's last stored revision (0 for none or a tombstone). */
  private readonly leaseByKey = new Map<KeyString, number>();

  constructor(
    private readonly meta: StoredMvccMeta,
    backend: RevisionBackend,
  ) {
    this.state = new MvccState(backend);
  }

  add(r: StoredRevision): void {
    invariant(this.last === undefined || compareRevision(this.last, r) < 0, 'stored revisions out of order');
    // Checked before building the message: this runs once per stored revision at every start.
    if (r.main > this.meta.currentRevision) invariant(false, `stored revision ${r.main} is past the current revision ${this.meta.currentRevision}`);
    this.last = r;
    const key: KeyString = keyString(r.key);
    const history = this.state.histories.get(key);
    const prev = latestLive(history);
    const record: KeyRecord = { main: r.main, sub: r.sub, tombstone: r.tombstone };
    if (history === undefined) {
      // Exactly one element (RevisionWriter.put says why).
      this.state.histories.set(key, [record]);
      this.state.keys.insert(key);
    } else {
      appendRecord(history, record);
    }
    if (r.lease !== 0) this.leaseByKey.set(key, r.lease);
    else if (this.leaseByKey.size > 0) this.leaseByKey.delete(key);
    // The event log holds revisions from the compact revision on (event-log.ts).
    if (r.main >= this.meta.compactRevision) this.events.appendChange(r.main, r.tombstone ? 'delete' : 'put', key, r.sub, prev);
  }

  /** The rebuilt state. */
  finish(): MvccState {
    const s = this.state;
    s.currentRevision = this.meta.currentRevision;
    s.leases = LeaseTable.restore({ nextId: this.meta.leases.nextId, leases: this.meta.leases.leases.map((l) => ({ ...l, keys: [] })) });
    s.events = this.events;
    if (this.meta.compactRevision > 0) {
      // Re-running the compaction forgets (and hands to the backend for removal) whatever it had not removed.
      compact(s, this.meta.compactRevision);
    }
    for (const [key, lease] of this.leaseByKey) s.leases.attach(lease, key);
    s.leases.changes = 0;
    return s;
  }
}
