// A member's simulated disk. The durable image is what survives a crash: hard state, log entries and
// the latest snapshot, each written only when an fsync completes. Writes handed to the disk but not
// yet fsynced are lost on a crash; that is the window where a buggy "send before persist" shows.

import { MemoryStorage, type ConfState, type Entry, type HardState, type NodeId, type Snapshot } from '@halyard/kv/raft';
import type { Rng } from '@halyard/kv/util';

/**
 * What a member's disk holds before it first starts.
 * - `log`: the initial voters as addVoter entries 1..n of term 1, committed, as the server bootstraps
 *   (etcd's way): a member that later receives the log from index 1 learns the configuration from it.
 * - `snapshot`: the configuration in the bootstrap snapshot at index 0 (MemoryStorage's constructor).
 * - `empty`: a joiner with the `log` bootstrap: nothing at all.
 */
export type InitialDisk =
  | { readonly kind: 'log'; readonly voters: readonly NodeId[] }
  | { readonly kind: 'snapshot'; readonly conf: ConfState }
  | { readonly kind: 'empty' };

/** One Ready's worth of state to persist, in the order the Ready contract prescribes. */
export interface DiskWrite {
  readonly snapshot: Snapshot | undefined;
  readonly entries: readonly Entry[];
  readonly hardState: HardState | undefined;
}

export interface DiskConfig {
  readonly fsyncDelayMsMin: number;
  readonly fsyncDelayMsMax: number;
}

/** Apply a write to a storage image: snapshot first (it replaces the log), then entries, then hard state. */
export function applyWrite(storage: MemoryStorage, w: DiskWrite): void {
  if (w.snapshot !== undefined) storage.applySnapshot(w.snapshot);
  storage.append(w.entries);
  if (w.hardState !== undefined) storage.setHardState(w.hardState);
}

export function isEmptyWrite(w: DiskWrite): boolean {
  return w.snapshot === undefined && w.entries.length === 0 && w.hardState === undefined;
}

/** A deep-enough copy: entries and snapshots are immutable, so sharing them is safe. */
export function cloneStorage(src: MemoryStorage): MemoryStorage {
  const snap = src.snapshot();
  const dst = new MemoryStorage(snap.metadata.confState);
  if (snap.metadata.index > 0) dst.applySnapshot(snap);
  const first = src.firstIndex();
  const last = src.lastIndex();
  if (last >= first) dst.append(src.entries(first, last + 1, Number.MAX_SAFE_INTEGER));
  dst.setHardState(src.initialState().hardState);
  return dst;
}

export class Disk {
  private readonly durableImage: MemoryStorage;
  private readonly cfg: DiskConfig;
  private readonly rng: Rng;

  constructor(initial: InitialDisk, cfg: DiskConfig, rng: Rng) {
    switch (initial.kind) {
      case 'log': {
        this.durableImage = new MemoryStorage();
        const entries: Entry[] = initial.voters.map((nodeId, i) => ({ type: 'confChange', term: 1, index: i + 1, change: { type: 'addVoter', nodeId } }));
        this.durableImage.append(entries);
        this.durableImage.setHardState({ term: 1, vote: 0, commit: entries.length });
        break;
      }
      case 'snapshot':
        this.durableImage = new MemoryStorage(initial.conf);
        break;
      case 'empty':
        this.durableImage = new MemoryStorage();
        break;
      default: {
        const never: never = initial;
        throw new Error(`unknown initial disk ${JSON.stringify(never)}`);
      }
    }
    this.cfg = cfg;
    this.rng = rng;
  }

  /** Read-only view for the invariant checker. */
  get durable(): MemoryStorage {
    return this.durableImage;
  }

  /** How long the fsync of this write takes; an empty write needs no fsync. */
  fsyncDelayMs(w: DiskWrite): number {
    if (isEmptyWrite(w)) return 0;
    return this.cfg.fsyncDelayMsMin + this.rng.int(this.cfg.fsyncDelayMsMax - this.cfg.fsyncDelayMsMin + 1);
  }

  /** The fsync completed: the write is now durable. */
  commitWrite(w: DiskWrite): void {
    applyWrite(this.durableImage, w);
  }

  /**
   * The application saved a snapshot and compacted its log. Modelled as atomic and durable at once
   * (write to a temporary file, fsync, rename), as a real snapshot store does.
   */
  saveSnapshot(index: number, confState: ConfState, data: Uint8Array, compactIndex: number): void {
    this.durableImage.createSnapshot(index, confState, data);
    this.durableImage.compact(compactIndex);
  }

  /** What a restarted process reads back: a fresh storage holding only durable state. */
  load(): MemoryStorage {
    return cloneStorage(this.durableImage);
  }
}
