// The production log and stable store: the member's LevelDB directory (storage/DiskStorage). Each Ready is
// one batch, fsynced when etcd's MustSync says so (DiskStorage decides); writes land in call order.

import { readdirSync, statSync } from 'node:fs';
import type { Snapshot } from '../raft/types.ts';
import type { DiskStorage } from '../storage/index.ts';
import type { Completion, DurableWrite, LogStore } from './seams.ts';

export class DiskLogStore implements LogStore {
  constructor(private readonly disk: DiskStorage) {}

  saveReady(write: DurableWrite, done: Completion): void {
    this.disk.saveReady(write).then(() => done(), done);
  }

  saveSnapshot(snapshot: Snapshot, done: Completion): void {
    this.disk.saveSnapshot(snapshot).then(() => done(), done);
  }

  compact(index: number, done: Completion): void {
    this.disk.compact(index).then(() => done(), done);
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

  close(): Promise<void> {
    return this.disk.close();
  }
}
