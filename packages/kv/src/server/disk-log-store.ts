// The production log and stable store: the member's LevelDB directory (storage/DiskStorage). Each Ready is
// one batch, fsynced when etcd's MustSync says so (DiskStorage decides); writes land in call order.
//
// A write that needs no fsync (only the commit index moved) is issued on the next turn of the event loop
// rather than at once: the Ready that carries it also applied committed writes, and the replies to them
// (promise callbacks, run before the next turn) should reach their sockets before LevelDB's batch call
// and its thread-pool hand-off take the CPU. Order is kept: any later write first issues those deferred.

import { readdirSync, statSync } from 'node:fs';
import type { HardState, Snapshot } from '../raft/types.ts';
import { type DiskStorage, mustSync } from '../storage/index.ts';
import type { Completion, DurableWrite, LogStore } from './seams.ts';

/** Unsynced writes waiting for the next turn; past it they are issued at once (a bound on memory). */
export const DEFERRED_WRITES_MAX = 1024;

export class DiskLogStore implements LogStore {
  private issuedHardState: HardState;
  private deferred: { write: DurableWrite; done: Completion }[] = [];
  private deferTimer: NodeJS.Immediate | undefined;
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
    if (!sync && this.deferred.length < DEFERRED_WRITES_MAX) {
      this.deferred.push({ write, done });
      this.deferTimer ??= setImmediate(() => this.issueDeferred());
      return;
    }
    this.issueDeferred();
    this.issue(this.disk.saveReady(write), done);
  }

  saveSnapshot(snapshot: Snapshot, done: Completion): void {
    this.issueDeferred();
    this.issue(this.disk.saveSnapshot(snapshot), done);
  }

  compact(index: number, done: Completion): void {
    this.issueDeferred();
    this.issue(this.disk.compact(index), done);
  }

  private issue(write: Promise<void>, done: Completion): void {
    write.then(() => done(), done);
    this.lastIssued = write.catch(() => undefined);
  }

  private issueDeferred(): void {
    if (this.deferTimer !== undefined) clearImmediate(this.deferTimer);
    this.deferTimer = undefined;
    const writes = this.deferred;
    if (writes.length === 0) return;
    this.deferred = [];
    for (const { write, done } of writes) this.issue(this.disk.saveReady(write), done);
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

  /** Issues what waits for the next turn, lets every issued write land, then closes the disk. */
  async close(): Promise<void> {
    this.issueDeferred();
    await this.lastIssued;
    await this.disk.close();
  }
}
