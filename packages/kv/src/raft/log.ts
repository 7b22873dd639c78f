// The node's view of its log: the durable part (read through RaftStorage) followed by the unstable tail.
// Tracks commit (known replicated on a majority) and applied (handed to and acknowledged by the app).
// Invariant: firstIndex-1 ≤ applied ≤ committed ≤ lastIndex.

import type { RaftStorage } from './storage.ts';
import { Unstable } from './unstable.ts';
import { type Entry, type Snapshot, RaftError, entrySizeBytes, invariant } from './types.ts';

export class RaftLog {
  readonly storage: RaftStorage;
  readonly unstable: Unstable;
  committed: number;
  applied: number;

  constructor(storage: RaftStorage, applied: number) {
    this.storage = storage;
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new Unstable(last + 1);
    const hs = storage.initialState().hardState;
    this.committed = Math.max(hs.commit, first - 1);
    this.applied = Math.max(applied, first - 1);
    invariant(this.committed <= last, `restored commit ${this.committed} beyond last index ${last}`);
    invariant(this.applied <= this.committed, `applied ${this.applied} beyond commit ${this.committed}`);
  }

  firstIndex(): number {
    const s = this.unstable.snapshot;
    return s !== undefined ? s.metadata.index + 1 : this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.lastIndex() ?? this.storage.lastIndex();
  }

  /**
   * Term of entry i. Returns 0 past the last index; throws Compacted below the first retained index
   * (firstIndex-1 is still answerable: it is the snapshot's term).
   */
  term(i: number): number {
    const dummy = this.firstIndex() - 1;
    if (i < dummy) throw new RaftError('Compacted', `term(${i}): compacted below ${dummy + 1}`);
    if (i > this.lastIndex()) return 0;
    const u = this.unstable.term(i);
    if (u !== undefined) return u;
    return this.storage.term(i);
  }

  /** Term of i, or undefined when i is compacted: callers that can fall back to a snapshot use this. */
  termOrUndefined(i: number): number | undefined {
    try {
      return this.term(i);
    } catch (e) {
      if (e instanceof RaftError && e.code === 'Compacted') return undefined;
      throw e;
    }
  }

  lastTerm(): number {
    return this.term(this.lastIndex());
  }

  matchTerm(i: number, t: number): boolean {
    const term = this.termOrUndefined(i);
    return term !== undefined && term === t && i <= this.lastIndex();
  }

  /** §5.4.1: a candidate's log is at least as up-to-date as ours. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const myTerm = this.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex());
  }

  /** The first index where `ents` disagree with the log (or extend it); 0 if all already present. */
  findConflict(ents: readonly Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * Fast backtracking: the largest index ≤ `index` whose term is ≤ `term`. Everything after it
   * cannot match an entry of term `term`, so a leader can skip it in one round trip.
   */
  findConflictByTerm(index: number, term: number): number {
    for (let i = Math.min(index, this.lastIndex()); i > 0; i--) {
      const t = this.termOrUndefined(i);
      if (t === undefined) return i; // compacted: below here everything matches committed history
      if (t <= term) return i;
    }
    return 0;
  }

  /** Follower append (§5.3). Returns the index of the last new entry, or undefined on a mismatch. */
  maybeAppend(prevIndex: number, prevTerm: number, commit: number, ents: readonly Entry[]): number | undefined {
    if (!this.matchTerm(prevIndex, prevTerm)) return undefined;
    const lastNew = prevIndex + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      invariant(ci > this.committed, `append would overwrite committed entry ${ci} (commit ${this.committed})`);
      this.append(ents.slice(ci - (prevIndex + 1)));
    }
    this.commitTo(Math.min(commit, lastNew));
    return lastNew;
  }

  append(ents: readonly Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    invariant(ents[0]!.index - 1 >= this.committed, `append at ${ents[0]!.index} below commit ${this.committed}`);
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  commitTo(c: number): void {
    if (c <= this.committed) return;
    invariant(c <= this.lastIndex(), `commit ${c} beyond last index ${this.lastIndex()}`);
    this.committed = c;
  }

  /** Entries in [lo, hi), at least one if any, then up to maxSizeBytes. */
  slice(lo: number, hi: number, maxSizeBytes: number): Entry[] {
    if (lo >= hi) return [];
    const first = this.firstIndex();
    if (lo < first) throw new RaftError('Compacted', `slice(${lo}): compacted below ${first}`);
    invariant(hi <= this.lastIndex() + 1, `slice(${lo}, ${hi}) beyond last ${this.lastIndex()}`);
    const out: Entry[] = [];
    const uoff = this.unstable.offset;
    if (lo < uoff) {
      const stable = this.storage.entries(lo, Math.min(hi, uoff), maxSizeBytes);
      for (const e of stable) out.push(e);
      if (out.length < Math.min(hi, uoff) - lo) return out; // size limit reached inside storage
    }
    if (hi > uoff) {
      let size = out.reduce((s, e) => s + entrySizeBytes(e), 0);
      for (const e of this.unstable.slice(Math.max(lo, uoff), hi)) {
        size += entrySizeBytes(e);
        if (out.length > 0 && size > maxSizeBytes) break;
        out.push(e);
      }
    }
    return out;
  }

  /** Committed entries not yet handed to the app, starting after `from`. */
  nextCommittedEntries(from: number, maxSizeBytes: number): Entry[] {
    if (this.unstable.snapshot !== undefined) return []; // install the snapshot first
    const lo = Math.max(from + 1, this.firstIndex());
    return this.slice(lo, this.committed + 1, maxSizeBytes);
  }

  restore(snap: Snapshot): void {
    this.committed = snap.metadata.index;
    this.unstable.restore(snap);
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }
}
