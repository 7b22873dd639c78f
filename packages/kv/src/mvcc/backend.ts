// Where the store's revisions live: the seam between the MVCC rules (key index, txn, compaction, all in this
// folder, all in memory and synchronous) and the values they point at. etcd keeps the same split: its
// in-memory treeIndex maps each key to revisions, and the bbolt "key" bucket maps each revision to the
// KeyValue written there. Two implementations share every rule: MemoryRevisionBackend below (unit tests, the
// model test, the simulator) and storage/mvcc-backend.ts's LevelDB backend (real members).
//
// Reads are synchronous on purpose: apply must stay a pure, ordered function of the log, and a txn's
// compares and reads happen in the middle of one apply. The LevelDB backend serves reads from its write-back
// cache of revisions not flushed yet, then from LevelDB's getSync.

import type { KeyValue } from '@halyard/kv-client/protocol';

/** A revision as etcd defines it: `main` is the store revision of a write request, `sub` orders its changes. */
export interface Revision {
  readonly main: number;
  readonly sub: number;
}

/** What is stored at one revision: the key and, unless the change was a delete, the KeyValue written. */
export interface RevisionRecord {
  /** The key's bytes (a tombstone has no KeyValue to carry them, and a restart rebuilds the index from these). */
  readonly key: Uint8Array;
  /** undefined = tombstone (etcd marks tombstones in the key bucket the same way, so the index can be rebuilt). */
  readonly kv: KeyValue | undefined;
}

export interface RevisionBackend {
  /** The KeyValue put at `revision`; undefined for a tombstone or a revision compaction removed. */
  read(revision: Revision): KeyValue | undefined;
  /** Records the change made at `revision` (revisions are written in increasing order). */
  write(revision: Revision, record: RevisionRecord): void;
  /**
   * Forgets revisions compaction no longer needs. The key index forgot them already, so no read reaches
   * them; a backend may therefore delete them later, a batch at a time (etcd's scheduled compaction).
   */
  remove(revisions: readonly Revision[]): void;
}

/** Revisions in a JavaScript Map, KeyValues held as they are: the backend of tests and the simulator. */
export class MemoryRevisionBackend implements RevisionBackend {
  /** main → the records of that revision, indexed by sub. */
  private readonly byMain = new Map<number, (RevisionRecord | undefined)[]>();
  private count = 0;

  /** Records held (puts and tombstones), for tests of compaction. */
  get size(): number {
    return this.count;
  }

  read(revision: Revision): KeyValue | undefined {
    return this.byMain.get(revision.main)?.[revision.sub]?.kv;
  }

  write(revision: Revision, record: RevisionRecord): void {
    let subs = this.byMain.get(revision.main);
    if (subs === undefined) {
      subs = [];
      this.byMain.set(revision.main, subs);
    }
    if (subs[revision.sub] === undefined) this.count++;
    subs[revision.sub] = record;
  }

  remove(revisions: readonly Revision[]): void {
    for (const r of revisions) {
      const subs = this.byMain.get(r.main);
      if (subs?.[r.sub] === undefined) continue;
      subs[r.sub] = undefined;
      this.count--;
      if (subs.every((s) => s === undefined)) this.byMain.delete(r.main);
    }
  }
}
