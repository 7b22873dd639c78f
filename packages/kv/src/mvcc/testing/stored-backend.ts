// A memory backend that also keeps what a persistent backend stores of each revision (key, tombstone flag,
// lease: a StoredRevision), so a test can restart a store the way a member does (MvccStore.rebuild over the
// same backend, as storage/mvcc-disk.ts loads it) without LevelDB. Removal can be deferred, as a persistent
// backend's incremental compaction defers it (a restart between compaction and removal finds them still there).

import { MemoryRevisionBackend, type Revision, type RevisionRecord } from '../backend.ts';
import { compareRevision } from '../revision.ts';
import type { StoredRevision } from '../rebuild.ts';

export class StoringBackend extends MemoryRevisionBackend {
  private readonly stored = new Map<string, StoredRevision>();
  /** Every revision handed to `remove`, in the order handed. */
  readonly removeCalls: Revision[] = [];

  /** `deferRemoval`: remove() forgets nothing (an incremental compaction interrupted before its batches ran). */
  constructor(private readonly deferRemoval = false) {
    super();
  }

  override write(revision: Revision, record: RevisionRecord): void {
    super.write(revision, record);
    this.stored.set(`${revision.main}.${revision.sub}`, {
      main: revision.main,
      sub: revision.sub,
      key: record.key,
      tombstone: record.kv === undefined,
      lease: record.kv?.lease ?? 0,
    });
  }

  override remove(revisions: readonly Revision[]): void {
    this.removeCalls.push(...revisions);
    if (this.deferRemoval) return;
    super.remove(revisions);
    for (const r of revisions) this.stored.delete(`${r.main}.${r.sub}`);
  }

  /** What a restart loads: every stored revision, ascending. */
  storedRevisions(): StoredRevision[] {
    return [...this.stored.values()].sort((x, y) => compareRevision(x, y));
  }
}
