// The production log and stable store: the member's LevelDB directory (storage/DiskStorage). Each Ready is
// one batch, fsynced when etcd's MustSync says so (DiskStorage decides); writes land in call order.
//
// A Ready whose only durable change is the commit index writes nothing to the disk. Raft keeps the commit
// index in volatile state (the paper's Figure 2): a member that restarts learns it again from the leader,
// and bootMember raises the stored one to the state machine's applied index (entries applied were
// committed). etcd writes it to its WAL unsynced each time; here it is only remembered, and it reaches the
// disk with the next write that goes there anyway (entries, a new term or vote, a snapshot) or when the
// store closes. Measured (docs/performance.md, "CPU per operation"): under 64 writes in flight a follower
// made such a write for most of the Readies it handled — one LevelDB batch, one hand-off to the thread pool
// and back — for nothing any reader or restart needs.

import { readdirSync, statSync } from 'node:fs';
import type { HardState, Snapshot } from '../raft/types.ts';
import { type DiskStorage, mustSync } from '../storage/index.ts';
import type { Completion, DurableWrite, LogStore } from './seams.ts';

export class DiskLogStore implements LogStore {
  private issuedHardState: HardState;
  /** A hard state newer than the disk's that differs from it only in the commit index, not yet written. */
  private unwrittenHardState: HardState | undefined;
  /** The last write issued to the disk, settled either way (writes land in call order). */
  private lastIssued: Promise<unknown> = Promise.resolve();

  /** `hardState`: what the disk holds now (the loaded state), which the first write is compared with. */
  constructor(
    private readonly disk: DiskStorage,
    hardState: HardState,
  ) {
    this.issuedHardState = hardState;
  }

  saveReady(write: DurableWrite, done: Completion): void {
    const sync = mustSync(this.issuedHardState, write);
    if (write.hardState !== undefined) this.issuedHardState = write.hardState;
    if (!sync && write.entries.length === 0 && write.snapshot === undefined) {
      // Only the commit index moved (or nothing did): nothing to make durable.
      if (write.hardState !== undefined) this.unwrittenHardState = write.hardState;
      done();
      return;
    }
    this.issue(this.disk.saveReady(this.withUnwritten(write)), done);
  }

  saveSnapshot(snapshot: Snapshot, done: Completion): void {
    this.issue(this.disk.saveSnapshot(snapshot), done);
  }

  compact(index: number, done: Completion): void {
    this.issue(this.disk.compact(index), done);
  }

  /** The commit index that waited in memory rides along with a write that goes to the disk anyway. */
  private withUnwritten(write: DurableWrite): DurableWrite {
    const pending = this.unwrittenHardState;
    this.unwrittenHardState = undefined;
    return pending === undefined || write.hardState !== undefined ? write : { ...write, hardState: pending };
  }

  private issue(write: Promise<void>, done: Completion): void {
    write.then(() => done(), done);
    this.lastIssued = write.catch(() => undefined);
  }

  /** Bytes of the database files (etcd's dbSize is its backend file's size). */
  sizeBytes(): number {
    let total = 0;
    try {
      for (const name of readdirSync(this.disk.path)) {
        try {
          total += statSync(`${this.disk.path}/${name}`).size;
        } catch {
          // A file LevelDB removed between the listing and the stat.
        }
      }
    } catch {
      return 0;
    }
    return total;
  }

  /** Writes the commit index that waited in memory, lets every issued write land, then closes the disk. */
  async close(): Promise<void> {
    const pending = this.unwrittenHardState;
    this.unwrittenHardState = undefined;
    if (pending !== undefined) this.lastIssued = this.disk.saveReady({ entries: [], hardState: pending }).catch(() => undefined);
    await this.lastIssued;
    await this.disk.close();
  }
}
