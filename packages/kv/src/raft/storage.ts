// The core reads its stable log through this synchronous interface (the shape of etcd raft's Storage).
// The server keeps the log since the last compaction in memory (MemoryStorage) and makes it durable on
// disk itself; the core never does I/O.

import {
  type ConfState,
  type Entry,
  type HardState,
  type Snapshot,
  RaftError,
  entrySizeBytes,
  invariant,
} from './types.ts';

export interface RaftStorage {
  initialState(): { hardState: HardState; confState: ConfState };
  /** Entries in [lo, hi), at least one if lo < hi, then up to maxSizeBytes in total. Throws Compacted / Unavailable. */
  entries(lo: number, hi: number, maxSizeBytes: number): Entry[];
  /** Term of the entry at index i; i may be firstIndex()-1 (the snapshot's term). Throws Compacted / Unavailable. */
  term(i: number): number;
  /** Index of the first entry still in the log (snapshot index + 1). */
  firstIndex(): number;
  lastIndex(): number;
  snapshot(): Snapshot;
}

export const EMPTY_HARD_STATE: HardState = { term: 0, vote: 0, commit: 0 };

export class MemoryStorage implements RaftStorage {
  private hardState: HardState = EMPTY_HARD_STATE;
  private snap: Snapshot;
  /** ents[0] is a dummy at the snapshot index carrying its term, so index arithmetic has no special case. */
  private ents: Entry[];

  constructor(confState: ConfState = { voters: [], learners: [] }) {
    this.snap = { metadata: { index: 0, term: 0, confState }, data: new Uint8Array(0) };
    this.ents = [{ type: 'normal', term: 0, index: 0, data: new Uint8Array(0) }];
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.hardState, confState: this.snap.metadata.confState };
  }

  setHardState(hs: HardState): void {
    this.hardState = hs;
  }

  private offset(): number {
    return this.ents[0]!.index;
  }

  firstIndex(): number {
    return this.offset() + 1;
  }

  lastIndex(): number {
    return this.offset() + this.ents.length - 1;
  }

  term(i: number): number {
    const off = this.offset();
    if (i < off) throw new RaftError('Compacted', `index ${i} is compacted (first ${off + 1})`);
    if (i - off >= this.ents.length) throw new RaftError('Unavailable', `index ${i} is past the last index ${this.lastIndex()}`);
    return this.ents[i - off]!.term;
  }

  entries(lo: number, hi: number, maxSizeBytes: number): Entry[] {
    const off = this.offset();
    if (lo <= off) throw new RaftError('Compacted', `index ${lo} is compacted (first ${off + 1})`);
    invariant(hi <= this.lastIndex() + 1, `entries(${lo}, ${hi}) past last index ${this.lastIndex()}`);
    const out: Entry[] = [];
    let size = 0;
    for (let i = lo; i < hi; i++) {
      const e = this.ents[i - off]!;
      size += entrySizeBytes(e);
      if (out.length > 0 && size > maxSizeBytes) break;
      out.push(e);
    }
    return out;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** Replace everything with a snapshot received from the leader. */
  applySnapshot(snap: Snapshot): void {
    if (snap.metadata.index <= this.snap.metadata.index) {
      throw new RaftError('SnapshotOutOfDate', `snapshot at ${snap.metadata.index} is not newer than ${this.snap.metadata.index}`);
    }
    this.snap = snap;
    this.ents = [{ type: 'normal', term: snap.metadata.term, index: snap.metadata.index, data: new Uint8Array(0) }];
  }

  /** Record the application's image at `index` (≤ applied) so the log before it can be compacted. */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    if (index <= this.snap.metadata.index) throw new RaftError('SnapshotOutOfDate', `snapshot index ${index} is not newer`);
    invariant(index <= this.lastIndex(), `snapshot index ${index} past last index ${this.lastIndex()}`);
    this.snap = { metadata: { index, term: this.term(index), confState }, data };
    return this.snap;
  }

  /** Discard entries up to and including `index` (they must be covered by a snapshot the caller keeps). */
  compact(index: number): void {
    const off = this.offset();
    if (index <= off) return;
    invariant(index <= this.lastIndex(), `compact(${index}) past last index ${this.lastIndex()}`);
    const dummy: Entry = { type: 'normal', term: this.ents[index - off]!.term, index, data: new Uint8Array(0) };
    this.ents = [dummy, ...this.ents.slice(index - off + 1)];
  }

  /** Append entries from a Ready; entries that conflict with what is stored replace the stored tail. */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const lastNew = entries[entries.length - 1]!.index;
    if (lastNew < first) return; // all already compacted
    const trimmed = entries[0]!.index < first ? entries.slice(first - entries[0]!.index) : entries;
    const off = this.offset();
    const at = trimmed[0]!.index - off;
    invariant(at <= this.ents.length, `append leaves a gap: first new ${trimmed[0]!.index}, last ${this.lastIndex()}`);
    this.ents.length = at;
    for (const e of trimmed) this.ents.push(e);
  }
}
