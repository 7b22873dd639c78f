// The durable copy of a member's raft state in one LevelDB directory: hard state, the log since the
// last compaction, the latest snapshot and (optionally) the applied index. The Raft core reads its log
// from a MemoryStorage; this is what that MemoryStorage is rebuilt from at startup.
//
// Durability contract (Ready step 1): saveReady writes everything of one Ready in ONE LevelDB batch
// with sync: true — one fsync per Ready however many entries it holds (group commit), and no torn
// Ready: after a crash either all of it is on disk or none of it is.

import { Level } from 'level';
import { type BatchOp, type Db, writeBatch } from './level-batch.ts';
import type { ConfState, Entry, HardState, Snapshot } from '../raft/types.ts';
import { crc32 } from './crc32.ts';
import { StorageCorruptError, StorageError } from './errors.ts';
import {
  ENTRY_KEY_LENGTH,
  KEY_APPLIED,
  KEY_FORMAT,
  KEY_HARD_STATE,
  KEY_SNAPSHOT_META,
  PREFIX_ENTRY,
  describeKey,
  entryIndexOfKey,
  entryKey,
  snapshotChunkKey,
  snapshotChunkRange,
} from './keys.ts';
import { checkLoadedLog } from './log-check.ts';
import { decodeChecked, openRecord, sealRecord } from './record.ts';
import { decodeEntry, decodeHardState, decodeSnapshotMetadata, expectBytes, expectObject, expectUint } from './shape.ts';

/** Layout version stored under KEY_FORMAT; bump and migrate when the key or record layout changes. */
export const STORAGE_FORMAT_VERSION = 1;
/** Snapshot data is stored in records of this size: small enough for LevelDB's block cache, big enough to be few. */
export const SNAPSHOT_RECORD_SIZE_BYTES_DEFAULT = 512 * 1024;
/** Refuse snapshots larger than this: the whole image is held in memory on load and goes in one batch. */
export const SNAPSHOT_SIZE_BYTES_MAX_DEFAULT = 512 * 1024 * 1024;
/** compact() deletes in batches of at most this many keys, so one call never builds an unbounded batch. */
export const COMPACT_BATCH_KEYS_MAX = 10_000;

const EMPTY_HARD_STATE: HardState = { term: 0, vote: 0, commit: 0 };
const EMPTY_CONF_STATE: ConfState = { voters: [], learners: [] };

export interface DiskStorageOptions {
  readonly snapshotChunkSizeBytes?: number;
  readonly snapshotSizeBytesMax?: number;
}

/** What open() found on disk, already validated. */
export interface LoadedState {
  readonly hardState: HardState;
  /** Index 0 with empty data when no snapshot was ever saved. */
  readonly snapshot: Snapshot;
  /** The log after the snapshot: entries[0].index === snapshot.metadata.index + 1, contiguous. */
  readonly entries: readonly Entry[];
  /** Last index the state machine reported as applied through saveReady (0 if never). */
  readonly appliedIndex: number;
}

/** One Ready's worth of durable state (Ready step 1), plus the optional applied index. */
export interface ReadyWrite {
  readonly hardState?: HardState;
  readonly entries: readonly Entry[];
  /** A snapshot received from the leader: replaces the whole log, as MemoryStorage.applySnapshot does. */
  readonly snapshot?: Snapshot;
  readonly appliedIndex?: number;
}

/**
 * etcd's MustSync: entries, a snapshot, or a new term or vote must be on disk before anyone hears of them;
 * a commit index alone need not be (a lost commit index is learned again from the leader). `prev` is the
 * hard state stored before this write.
 */
export function mustSync(prev: HardState, w: ReadyWrite): boolean {
  return w.snapshot !== undefined || w.entries.length > 0 || (w.hardState !== undefined && (w.hardState.term !== prev.term || w.hardState.vote !== prev.vote));
}

/** Snapshot metadata as stored: the raft metadata plus what is needed to find and verify its data. */
interface StoredSnapshotMeta {
  readonly index: number;
  readonly term: number;
  readonly confState: ConfState;
  readonly sizeBytes: number;
  readonly chunkCount: number;
  readonly crc32: number;
}

const NO_SNAPSHOT: StoredSnapshotMeta = { index: 0, term: 0, confState: EMPTY_CONF_STATE, sizeBytes: 0, chunkCount: 0, crc32: 0 };

export class DiskStorage {
  readonly path: string;
  private readonly db: Db;
  private readonly chunkSizeBytes: number;
  private readonly snapshotSizeBytesMax: number;
  private hardState: HardState;
  private snap: StoredSnapshotMeta;
  /** Stored entry keys span [storedFirst, storedLast]; empty when storedLast < storedFirst. */
  private storedFirst: number;
  private storedLast: number;
  /** Writes run one at a time in call order; the state above is only updated after a batch lands. */
  private tail: Promise<void> = Promise.resolve();
  private failure: unknown = undefined;
  private closed = false;

  private constructor(path: string, db: Db, options: DiskStorageOptions, hs: HardState, snap: StoredSnapshotMeta, first: number, last: number) {
    this.path = path;
    this.db = db;
    this.chunkSizeBytes = options.snapshotChunkSizeBytes ?? SNAPSHOT_RECORD_SIZE_BYTES_DEFAULT;
    this.snapshotSizeBytesMax = options.snapshotSizeBytesMax ?? SNAPSHOT_SIZE_BYTES_MAX_DEFAULT;
    if (!(this.chunkSizeBytes > 0)) throw new StorageError('Invalid', 'snapshotChunkSizeBytes must be > 0');
    this.hardState = hs;
    this.snap = snap;
    this.storedFirst = first;
    this.storedLast = last;
  }

  /**
   * Open (creating if missing) the raft database in `dir`, read and validate everything, and return
   * it. Any damage is a StorageCorruptError naming the directory and the record: a member must not
   * start on a log with a hole in it.
   */
  static async open(dir: string, options: DiskStorageOptions = {}): Promise<{ storage: DiskStorage; state: LoadedState }> {
    const db: Db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
    try {
      await db.open({ createIfMissing: true });
    } catch (err) {
      throw wrapLevelError(dir, 'leveldb files', err);
    }
    try {
      const loaded = await load(dir, db);
      const storage = new DiskStorage(dir, db, options, loaded.state.hardState, loaded.snapMeta, loaded.storedFirst, loaded.storedLast);
      return { storage, state: loaded.state };
    } catch (err) {
      await db.close().catch(() => undefined);
      throw err;
    }
  }

  /** Index of the last entry durably stored (or the snapshot index when no entry is stored after it). */
  lastIndex(): number {
    return Math.max(this.storedLast, this.snap.index);
  }

  snapshotIndex(): number {
    return this.snap.index;
  }

  /** First stored entry index; entries at or below the snapshot index may linger until compact(). */
  firstStoredIndex(): number {
    return this.storedFirst;
  }

  /**
   * Persist one Ready atomically with one fsync. Entries that overwrite a conflicting tail delete the
   * stale higher indices in the same batch, so a crash can never leave an old suffix behind a new one.
   */
  saveReady(w: ReadyWrite): Promise<void> {
    return this.serial(async () => {
      if (!w.snapshot && w.entries.length === 0 && !w.hardState && w.appliedIndex === undefined) return;
      const ops: BatchOp[] = [];
      let snap = this.snap;
      let first = this.storedFirst;
      let last = this.storedLast;
      if (w.snapshot) {
        if (w.snapshot.metadata.index <= snap.index) {
          throw new StorageError('Invalid', `snapshot at ${w.snapshot.metadata.index} is not newer than ${snap.index}`);
        }
        // A snapshot from the leader replaces the whole log (MemoryStorage.applySnapshot does the same).
        for (let i = first; i <= last; i++) ops.push({ type: 'del', key: entryKey(i) });
        snap = this.snapshotOps(w.snapshot, ops);
        first = snap.index + 1;
        last = snap.index;
      }
      if (w.entries.length > 0) {
        checkBatchEntries(w.entries);
        // Entries the snapshot already covers are committed, hence identical to what is stored; skip them.
        const kept = w.entries.filter((e) => e.index > snap.index);
        if (kept.length > 0) {
          const lo = kept[0]!.index;
          const hi = kept[kept.length - 1]!.index;
          const lastNow = Math.max(last, snap.index);
          if (lo > lastNow + 1) throw new StorageError('Invalid', `append leaves a gap: first new ${lo}, last stored ${lastNow}`);
          for (const e of kept) ops.push({ type: 'put', key: entryKey(e.index), value: sealRecord(entryKey(e.index), e) });
          // Truncation: a conflicting append replaces the tail; stale higher indices go in the same batch.
          for (let i = hi + 1; i <= last; i++) ops.push({ type: 'del', key: entryKey(i) });
          if (last < first) first = lo;
          last = hi;
        }
      }
      const newLast = Math.max(last, snap.index);
      let hs = this.hardState;
      if (w.hardState) {
        checkHardStateTransition(this.hardState, w.hardState, newLast);
        hs = w.hardState;
        ops.push({ type: 'put', key: KEY_HARD_STATE, value: sealRecord(KEY_HARD_STATE, { term: hs.term, vote: hs.vote, commit: hs.commit }) });
      } else if (hs.commit > newLast) {
        throw new StorageError('Invalid', `truncation below the commit index ${hs.commit} (new last ${newLast})`);
      }
      // A member accepts an entry or snapshot only once its own term has reached the entry's term.
      const newTermMax = Math.max(w.entries.length > 0 ? w.entries[w.entries.length - 1]!.term : 0, w.snapshot?.metadata.term ?? 0);
      if (newTermMax > hs.term) throw new StorageError('Invalid', `log term ${newTermMax} above the hard state term ${hs.term}`);
      if (w.appliedIndex !== undefined) {
        ops.push({ type: 'put', key: KEY_APPLIED, value: sealRecord(KEY_APPLIED, w.appliedIndex) });
      }
      // LevelDB applies batches in order, so a later synced batch makes an unsynced one durable too.
      await this.write(ops, mustSync(this.hardState, w));
      this.snap = snap;
      this.storedFirst = first;
      this.storedLast = last;
      this.hardState = hs;
    });
  }

  /**
   * Record a snapshot this member took of its own state machine (index ≤ applied). Does not touch the
   * log; call compact() afterwards to drop the entries it covers (possibly keeping some for slow
   * followers, as etcd does).
   */
  saveSnapshot(snapshot: Snapshot): Promise<void> {
    return this.serial(async () => {
      const m = snapshot.metadata;
      if (m.index <= this.snap.index) throw new StorageError('Invalid', `snapshot at ${m.index} is not newer than ${this.snap.index}`);
      if (m.index > this.lastIndex()) throw new StorageError('Invalid', `snapshot at ${m.index} is past the last index ${this.lastIndex()}`);
      if (m.index >= this.storedFirst && m.index <= this.storedLast) {
        const stored = await this.readEntry(m.index);
        if (stored.term !== m.term) {
          throw new StorageError('Invalid', `snapshot at ${m.index} has term ${m.term} but the log has term ${stored.term}`);
        }
      }
      const ops: BatchOp[] = [];
      const snap = this.snapshotOps(snapshot, ops);
      await this.write(ops, true);
      this.snap = snap;
    });
  }

  /**
   * Delete stored entries with index ≤ `index`; the snapshot must already cover them. Not fsync'd: if a
   * crash loses the deletes, the entries reappear below the snapshot index, where open() ignores them.
   */
  compact(index: number): Promise<void> {
    return this.serial(async () => {
      if (index > this.snap.index) throw new StorageError('Invalid', `compact(${index}) past the snapshot index ${this.snap.index}`);
      const hi = Math.min(index, this.storedLast);
      while (this.storedFirst <= hi) {
        const stop = Math.min(hi, this.storedFirst + COMPACT_BATCH_KEYS_MAX - 1);
        const ops: BatchOp[] = [];
        for (let i = this.storedFirst; i <= stop; i++) ops.push({ type: 'del', key: entryKey(i) });
        await this.write(ops, false);
        this.storedFirst = stop + 1;
      }
    });
  }

  close(): Promise<void> {
    if (this.closed) return this.tail;
    this.closed = true;
    // Let queued writes land first: close must not turn an acknowledged-in-flight write into a lost one.
    return this.tail.then(() => this.db.close());
  }

  private snapshotOps(snapshot: Snapshot, ops: BatchOp[]): StoredSnapshotMeta {
    const data = snapshot.data;
    if (data.byteLength > this.snapshotSizeBytesMax) {
      throw new StorageError('Invalid', `snapshot of ${data.byteLength} bytes exceeds snapshotSizeBytesMax ${this.snapshotSizeBytesMax}`);
    }
    const old = this.snap;
    for (let c = 0; c < old.chunkCount; c++) ops.push({ type: 'del', key: snapshotChunkKey(old.index, c) });
    const m = snapshot.metadata;
    const chunkCount = Math.ceil(data.byteLength / this.chunkSizeBytes);
    for (let c = 0; c < chunkCount; c++) {
      const key = snapshotChunkKey(m.index, c);
      ops.push({ type: 'put', key, value: sealRecord(key, data.subarray(c * this.chunkSizeBytes, (c + 1) * this.chunkSizeBytes)) });
    }
    const meta: StoredSnapshotMeta = {
      index: m.index,
      term: m.term,
      confState: { voters: [...m.confState.voters], learners: [...m.confState.learners] },
      sizeBytes: data.byteLength,
      chunkCount,
      crc32: crc32(data),
    };
    ops.push({ type: 'put', key: KEY_SNAPSHOT_META, value: sealRecord(KEY_SNAPSHOT_META, meta) });
    return meta;
  }

  private async readEntry(index: number): Promise<Entry> {
    const key = entryKey(index);
    const raw = await this.db.get(key);
    if (raw === undefined) throw new StorageCorruptError(this.path, describeKey(key), 'missing inside the stored range');
    return decodeChecked(this.path, key, raw, (v) => decodeEntry(v, 'entry'));
  }

  private async write(ops: BatchOp[], sync: boolean): Promise<void> {
    if (ops.length === 0) return;
    try {
      await writeBatch(this.db, ops, { sync });
    } catch (err) {
      // The batch may or may not be on disk; this process no longer knows its own state. Fail-stop.
      this.failure = err;
      throw new StorageError('Failed', `write to ${this.path} failed: ${String(err)}`, { cause: err });
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(() => {
      if (this.closed) throw new StorageError('Closed', `storage at ${this.path} is closed`);
      if (this.failure !== undefined) throw new StorageError('Failed', `an earlier write to ${this.path} failed`, { cause: this.failure });
      return fn();
    });
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}

/** Entries of one Ready must be contiguous with non-decreasing terms (Raft's Log Matching shape). */
function checkBatchEntries(entries: readonly Entry[]): void {
  for (let i = 1; i < entries.length; i++) {
    const a = entries[i - 1]!;
    const b = entries[i]!;
    if (b.index !== a.index + 1) throw new StorageError('Invalid', `entries not contiguous: ${a.index} then ${b.index}`);
    if (b.term < a.term) throw new StorageError('Invalid', `entry terms decrease: ${a.term} at ${a.index}, ${b.term} at ${b.index}`);
  }
}

/** Raft §5 figure 2: currentTerm never goes back, one vote per term, and commit only advances within the log. */
function checkHardStateTransition(prev: HardState, next: HardState, lastIndex: number): void {
  if (next.term < prev.term) throw new StorageError('Invalid', `term goes back from ${prev.term} to ${next.term}`);
  if (next.term === prev.term && prev.vote !== 0 && next.vote !== prev.vote) {
    throw new StorageError('Invalid', `vote changes within term ${next.term}: ${prev.vote} then ${next.vote}`);
  }
  if (next.commit < prev.commit) throw new StorageError('Invalid', `commit goes back from ${prev.commit} to ${next.commit}`);
  if (next.commit > lastIndex) throw new StorageError('Invalid', `commit ${next.commit} past the last index ${lastIndex}`);
}

/**
 * Map a LevelDB failure to our typed errors. LevelDB reports a damaged table either as "Corruption"
 * or, for a table cut short, as an I/O error "Invalid argument" on that file; both mean the directory
 * is damaged, and the file (when LevelDB names it) becomes the `record` of the StorageCorruptError.
 */
function wrapLevelError(path: string, what: string, err: unknown): Error {
  const e = err as { code?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } } | null;
  const detail = String(e?.cause?.message ?? e?.message ?? err);
  const fileMatch = /([^/\\\s:]+\.(?:ldb|sst|log)|MANIFEST-\d+|CURRENT)\b/.exec(detail);
  const corrupt = e?.code === 'LEVEL_CORRUPTION' || e?.cause?.code === 'LEVEL_CORRUPTION' || /Corruption|Invalid argument/.test(detail);
  if (e?.code === 'LEVEL_LOCKED' || e?.cause?.code === 'LEVEL_LOCKED' || /\bLOCK\b.*(temporarily unavailable|lock hold)/.test(detail)) {
    return new StorageError('Failed', `raft storage at ${path} is locked: another process (or another DiskStorage) has it open`, { cause: err });
  }
  if (corrupt) {
    const record = fileMatch ? `file ${fileMatch[1]}` : what;
    return new StorageCorruptError(path, record, `leveldb cannot read it: ${detail}`, { cause: err });
  }
  return new StorageError('Failed', `cannot open raft storage at ${path}: ${detail}`, { cause: err });
}

interface Loaded {
  readonly state: LoadedState;
  readonly snapMeta: StoredSnapshotMeta;
  readonly storedFirst: number;
  readonly storedLast: number;
}

async function load(path: string, db: Db): Promise<Loaded> {
  try {
    return await loadUnwrapped(path, db);
  } catch (err) {
    if (err instanceof StorageError) throw err;
    throw wrapLevelError(path, 'leveldb files', err);
  }
}

async function loadUnwrapped(path: string, db: Db): Promise<Loaded> {
  const format = await db.get(KEY_FORMAT);
  if (format === undefined) {
    // A fresh directory gets the marker; one that has raft records but no marker was damaged or is foreign.
    for await (const key of db.keys({ limit: 1 })) {
      throw new StorageCorruptError(path, describeKey(KEY_FORMAT), `missing, but the database holds ${describeKey(key)}`);
    }
    await db.put(KEY_FORMAT, sealRecord(KEY_FORMAT, STORAGE_FORMAT_VERSION), { sync: true });
  } else {
    const version = decodeChecked(path, KEY_FORMAT, format, (v) => expectUint(v, 'format'));
    if (version !== STORAGE_FORMAT_VERSION) {
      throw new StorageCorruptError(path, describeKey(KEY_FORMAT), `unsupported format version ${version} (this build reads ${STORAGE_FORMAT_VERSION})`);
    }
  }

  const hsRaw = await db.get(KEY_HARD_STATE);
  const hardState = hsRaw === undefined ? EMPTY_HARD_STATE : decodeChecked(path, KEY_HARD_STATE, hsRaw, (v) => decodeHardState(v, 'hardState'));
  const appliedRaw = await db.get(KEY_APPLIED);
  const appliedIndex = appliedRaw === undefined ? 0 : decodeChecked(path, KEY_APPLIED, appliedRaw, (v) => expectUint(v, 'appliedIndex'));

  const metaRaw = await db.get(KEY_SNAPSHOT_META);
  const snapMeta = metaRaw === undefined ? NO_SNAPSHOT : decodeChecked(path, KEY_SNAPSHOT_META, metaRaw, decodeStoredSnapshotMeta);
  const data = await loadSnapshotData(path, db, snapMeta);

  const stored: Entry[] = [];
  for await (const [key, raw] of db.iterator({ gte: Uint8Array.of(PREFIX_ENTRY), lt: Uint8Array.of(PREFIX_ENTRY + 1) })) {
    if (key.byteLength !== ENTRY_KEY_LENGTH) throw new StorageCorruptError(path, describeKey(key), 'malformed entry key');
    const e = decodeChecked(path, key, raw, (v) => decodeEntry(v, 'entry'));
    if (e.index !== entryIndexOfKey(key)) throw new StorageCorruptError(path, describeKey(key), `holds entry ${e.index}`);
    stored.push(e);
  }
  const entries = checkLoadedLog(path, stored, snapMeta, hardState);
  const storedFirst = stored.length > 0 ? stored[0]!.index : snapMeta.index + 1;
  const storedLast = stored.length > 0 ? stored[stored.length - 1]!.index : snapMeta.index;
  const snapshot: Snapshot = { metadata: { index: snapMeta.index, term: snapMeta.term, confState: snapMeta.confState }, data };
  return { state: { hardState, snapshot, entries, appliedIndex }, snapMeta, storedFirst, storedLast };
}

function decodeStoredSnapshotMeta(v: unknown): StoredSnapshotMeta {
  const o = expectObject(v, 'snapshotMeta');
  const m = decodeSnapshotMetadata(o, 'snapshotMeta');
  return {
    ...m,
    sizeBytes: expectUint(o['sizeBytes'], 'snapshotMeta.sizeBytes'),
    chunkCount: expectUint(o['chunkCount'], 'snapshotMeta.chunkCount'),
    crc32: expectUint(o['crc32'], 'snapshotMeta.crc32'),
  };
}

async function loadSnapshotData(path: string, db: Db, meta: StoredSnapshotMeta): Promise<Uint8Array> {
  const data = new Uint8Array(meta.sizeBytes);
  let offset = 0;
  let expected = 0;
  for await (const [key, raw] of db.iterator(snapshotChunkRange(meta.index))) {
    const chunkNo = new DataView(key.buffer, key.byteOffset, key.byteLength).getUint32(9);
    if (chunkNo !== expected) throw new StorageCorruptError(path, describeKey(key), `expected chunk ${expected}`);
    const bytes = decodeChecked(path, key, raw, (v) => expectBytes(v, 'chunk'));
    if (offset + bytes.byteLength > meta.sizeBytes) throw new StorageCorruptError(path, describeKey(key), 'snapshot data longer than recorded');
    data.set(bytes, offset);
    offset += bytes.byteLength;
    expected++;
  }
  const where = describeKey(snapshotChunkKey(meta.index, expected));
  if (expected !== meta.chunkCount) throw new StorageCorruptError(path, where, `found ${expected} of ${meta.chunkCount} snapshot chunks`);
  if (offset !== meta.sizeBytes) throw new StorageCorruptError(path, where, `snapshot data is ${offset} of ${meta.sizeBytes} bytes`);
  if (crc32(data) !== meta.crc32) throw new StorageCorruptError(path, describeKey(KEY_SNAPSHOT_META), 'snapshot data checksum mismatch');
  return data;
}
