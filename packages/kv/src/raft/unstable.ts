// The tail of the log that the core has accepted but the caller has not yet persisted, plus a snapshot
// received from the leader that is waiting to be installed. Entries leave it once the caller reports
// them durable through advance().

import { type Entry, type Snapshot, invariant } from './types.ts';

export class Unstable {
  snapshot: Snapshot | undefined;
  entries: Entry[] = [];
  /** Index of entries[0] (or where it would be). */
  offset: number;

  constructor(offset: number) {
    this.offset = offset;
  }

  lastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot?.metadata.index;
  }

  term(i: number): number | undefined {
    if (i >= this.offset) {
      return this.entries[i - this.offset]?.term;
    }
    if (this.snapshot !== undefined && this.snapshot.metadata.index === i) return this.snapshot.metadata.term;
    return undefined;
  }

  /** Entries up to `index` with `term` are now durable; a mismatch means they were replaced meanwhile. */
  stableTo(index: number, term: number): void {
    if (index < this.offset) return;
    const t = this.term(index);
    if (t !== term) return;
    this.entries = this.entries.slice(index + 1 - this.offset);
    this.offset = index + 1;
  }

  stableSnapTo(index: number): void {
    if (this.snapshot !== undefined && this.snapshot.metadata.index === index) this.snapshot = undefined;
  }

  restore(snap: Snapshot): void {
    this.offset = snap.metadata.index + 1;
    this.entries = [];
    this.snapshot = snap;
  }

  /** Append, replacing any conflicting suffix (only ever on a follower: a leader never truncates). */
  truncateAndAppend(ents: readonly Entry[]): void {
    if (ents.length === 0) return;
    const after = ents[0]!.index;
    if (after === this.offset + this.entries.length) {
      for (const e of ents) this.entries.push(e);
    } else if (after <= this.offset) {
      // Replaces entries the caller may already have persisted; its storage truncates them on append.
      this.offset = after;
      this.entries = [...ents];
    } else {
      this.entries = this.entries.slice(0, after - this.offset);
      for (const e of ents) this.entries.push(e);
    }
    for (let i = 1; i < this.entries.length; i++) {
      invariant(this.entries[i]!.index === this.entries[i - 1]!.index + 1, 'unstable entries are contiguous');
    }
  }

  slice(lo: number, hi: number): Entry[] {
    invariant(lo >= this.offset && hi <= this.offset + this.entries.length, `unstable.slice(${lo}, ${hi}) out of bounds`);
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}
