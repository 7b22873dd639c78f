// A member's simulated disk: the member's LogStore seam with fsync latency and crash semantics. The
// durable image is what survives a crash: hard state, log entries and the latest snapshot. A write becomes
// durable when its fsync completes; with etcd's MustSync (storage/mustSync, the rule DiskStorage applies)
// a write that only moves the commit index is not fsynced: it completes at once and becomes durable only
// with the next fsynced write (LevelDB applies batches in order). A crash loses every write not yet
// durable, and the completion of an fsync in flight never comes.

import { MemoryStorage, type Snapshot } from '@halyard/kv/raft';
import type { Completion, DurableState, DurableWrite, LogStore } from '@halyard/kv/server';
import { mustSync } from '@halyard/kv/storage';
import type { Rng } from '@halyard/kv/util';

export interface DiskConfig {
  readonly fsyncDelayMsMin: number;
  readonly fsyncDelayMsMax: number;
  /** Sometimes an fsync is slow (a busy device): with this probability it takes up to fsyncSlowMsMax. */
  readonly fsyncSlowProbability: number;
  readonly fsyncSlowMsMax: number;
}

/** What the simulator provides to a disk. */
export interface DiskEnv {
  nowMs(): number;
  /** Call `disk.completed(token)` at `atMs` (unless the member crashed meanwhile). */
  scheduleCompletion(atMs: number, token: number): void;
  /** A write is about to be issued (the invariant checker looks at it against the log it extends). */
  beforeWrite(write: DurableWrite): void;
}

/** Apply a write to a storage image: snapshot first (it replaces the log), then entries, then hard state. */
export function applyWrite(storage: MemoryStorage, w: DurableWrite): void {
  if (w.snapshot !== undefined) storage.applySnapshot(w.snapshot);
  storage.append(w.entries);
  if (w.hardState !== undefined) storage.setHardState(w.hardState);
}

interface Pending {
  readonly token: number;
  readonly write: DurableWrite;
  readonly sync: boolean;
  readonly done: Completion;
  /** Snapshot saves and compactions issued after this write: they land right after it, in order. */
  readonly then: (() => void)[];
}

export class SimDisk {
  private readonly image = new MemoryStorage();
  private readonly cfg: DiskConfig;
  private readonly rng: Rng;
  private env: DiskEnv | undefined;
  /** Writes issued and not yet completed, in order. */
  private pending: Pending[] = [];
  /** Completed but not fsynced (MustSync said no): lost on a crash unless a later fsync covers them. */
  private unsynced: DurableWrite[] = [];
  /** The hard state of the last write issued, against which MustSync is judged (as DiskStorage does). */
  private lastHardState = this.image.initialState().hardState;
  private tokenNext = 1;
  /** A slow period (the slowdisk fault): until then, each fsync takes up to slowFsyncMsMax. */
  private slow: { untilMs: number; fsyncMsMax: number } | undefined;
  /** Statistics. */
  writes = 0;
  unsyncedWrites = 0;

  constructor(cfg: DiskConfig, rng: Rng) {
    this.cfg = cfg;
    this.rng = rng;
  }

  /** Read-only view of what would survive a crash now. */
  get durable(): MemoryStorage {
    return this.image;
  }

  /** A process (re)starts on this disk: what it reads back, and the store it writes through. */
  open(env: DiskEnv): { state: DurableState; store: LogStore } {
    this.env = env;
    const s = this.image;
    const first = s.firstIndex();
    const last = s.lastIndex();
    const state: DurableState = {
      hardState: s.initialState().hardState,
      snapshot: s.snapshot(),
      entries: last >= first ? s.entries(first, last + 1, Number.MAX_SAFE_INTEGER) : [],
    };
    this.lastHardState = state.hardState;
    const store: LogStore = {
      saveReady: (write, done) => this.saveReady(write, done),
      saveSnapshot: (snapshot, done) => this.saveSnapshot(snapshot, done),
      compact: (index, done) => this.compact(index, done),
      sizeBytes: () => 64 * (this.image.lastIndex() - this.image.firstIndex() + 1) + this.image.snapshot().data.byteLength,
      close: () => Promise.resolve(),
    };
    return { state, store };
  }

  /** The member's first start wrote its bootstrap with one fsync before anything else happened. */
  writeDurable(write: DurableWrite): void {
    applyWrite(this.image, write);
    if (write.hardState !== undefined) this.lastHardState = write.hardState;
  }

  /** Power loss: the process is gone with every write not yet durable. */
  crash(): void {
    this.pending = [];
    this.unsynced = [];
    this.env = undefined;
  }

  /** The device is slow until `untilMs`: fsyncs take up to fsyncMsMax. */
  slowDown(fsyncMsMax: number, untilMs: number): void {
    this.slow = { untilMs, fsyncMsMax };
  }

  /** How long the next fsync takes. */
  private fsyncDelayMs(nowMs: number): number {
    const c = this.cfg;
    if (this.slow !== undefined && nowMs < this.slow.untilMs) return c.fsyncDelayMsMin + this.rng.int(Math.max(1, this.slow.fsyncMsMax - c.fsyncDelayMsMin) + 1);
    if (c.fsyncSlowProbability > 0 && this.rng.float() < c.fsyncSlowProbability) return c.fsyncDelayMsMax + this.rng.int(Math.max(1, c.fsyncSlowMsMax - c.fsyncDelayMsMax) + 1);
    return c.fsyncDelayMsMin + this.rng.int(c.fsyncDelayMsMax - c.fsyncDelayMsMin + 1);
  }

  private saveReady(write: DurableWrite, done: Completion): void {
    const env = this.env!;
    env.beforeWrite(write);
    const sync = mustSync(this.lastHardState, write);
    if (write.hardState !== undefined) this.lastHardState = write.hardState;
    const token = this.tokenNext++;
    this.pending.push({ token, write, sync, done, then: [] });
    this.writes++;
    if (!sync) this.unsyncedWrites++;
    // An unsynced batch returns once the OS has it: no device latency. Completions keep issue order.
    env.scheduleCompletion(env.nowMs() + (sync ? this.fsyncDelayMs(env.nowMs()) : 0), token);
  }

  /** The write with this token completed (the simulator calls this at its completion time). */
  completed(token: number): void {
    const i = this.pending.findIndex((p) => p.token === token);
    if (i < 0) return; // lost in a crash
    // Writes complete in issue order: one that finishes early waits for those before it (LevelDB's queue).
    const ready = this.pending.splice(0, i + 1);
    for (const p of ready) {
      if (p.sync) {
        this.flushUnsynced();
        applyWrite(this.image, p.write);
      } else {
        this.unsynced.push(p.write);
      }
      for (const t of p.then) t();
    }
    for (const p of ready) p.done();
  }

  /**
   * The member saved a snapshot of its state machine. Modelled as atomic and durable at once (written to
   * a temporary file, fsynced, renamed, as a snapshot store does); it follows every earlier write.
   */
  private saveSnapshot(snapshot: Snapshot, done: Completion): void {
    this.afterPending(() => {
      this.flushUnsynced();
      const m = snapshot.metadata;
      if (m.index > this.image.snapshot().metadata.index) this.image.createSnapshot(m.index, m.confState, snapshot.data);
      done();
    });
  }

  /** Dropping entries a snapshot covers (not fsynced in production: harmless if a crash undoes it). */
  private compact(index: number, done: Completion): void {
    this.afterPending(() => {
      if (index <= this.image.lastIndex()) this.image.compact(index);
      done();
    });
  }

  /** Run `fn` once every write issued so far has landed (at once if none is pending). */
  private afterPending(fn: () => void): void {
    const last = this.pending[this.pending.length - 1];
    if (last === undefined) fn();
    else last.then.push(fn);
  }

  private flushUnsynced(): void {
    for (const u of this.unsynced) applyWrite(this.image, u);
    this.unsynced = [];
  }
}
