// The LevelDB revision backend of a member's MVCC store (mvcc/backend.ts's seam): every revision's KeyValue
// under its revision (etcd's bbolt key bucket), plus the applied index of the state they describe (etcd's
// consistent index) and a few named records of the state machine, all written in ONE batch per commit — so
// after a crash the data and the index that describes it are either both there or both not, and the member
// replays the Raft log from that index.
//
// Apply stays synchronous and ordered: writes land in a write-back cache and a staged batch; reads look in
// the cache first, then use classic-level's getSync. `commit` writes the staged batch; the cache forgets a
// revision only once its batch is in LevelDB. Compaction's removals are queued and deleted a bounded number
// per commit (etcd's scheduled compaction deletes in batches too), so a compaction never builds one huge batch.

import { Level } from 'level';
import { type BatchOp, type Db, writeBatch } from './level-batch.ts';
import type { KeyValue } from '@halyard/kv-client/protocol';
import type { Revision, RevisionBackend, RevisionRecord } from '../mvcc/backend.ts';
import type { StoredRevision } from '../mvcc/rebuild.ts';
import { StorageCorruptError, StorageError } from './errors.ts';
import { describeKey } from './keys.ts';
import {
  GENERATION_PREFIXES,
  KEY_CONSISTENT_INDEX,
  KEY_GENERATION,
  KEY_MVCC_FORMAT,
  PREFIX_APP_LOG,
  PREFIX_REVISION,
  PREFIX_REVISION_INDEX,
  REVISION_KEY_LENGTH,
  appLogKey,
  generationRange,
  metaKey,
  otherGenerationRanges,
  revisionIndexKey,
  revisionKey,
  revisionOfKey,
  seqOfAppLogKey,
} from './mvcc-keys.ts';
import { decodeChecked, openRecord, sealRecord } from './record.ts';
import { expectArray, expectBytes, expectUint } from './shape.ts';

/**
 * Layout version stored under KEY_MVCC_FORMAT. 2: every revision also has an index record (key, lease,
 * tombstone; no value) under its own prefix, which is all open() reads. Version 1 directories lack them.
 */
export const MVCC_FORMAT_VERSION = 2;
/** Compaction removals deleted per commit at most (etcd's default compaction batch limit is 1000 per 10 ms). */
export const REMOVALS_PER_COMMIT_MAX = 10_000;

/** What open() found: the state at `consistentIndex`, still to be rebuilt into a store by the caller. */
export interface MvccDiskLoaded {
  /** The applied index the stored state describes; 0 for a new directory. */
  readonly consistentIndex: number;
  /** Named records (putMeta), decoded. */
  readonly meta: ReadonlyMap<string, unknown>;
  /** The app log (appendLog), ascending by sequence number. */
  readonly appLog: readonly (readonly [number, unknown])[];
}

/** A LevelDB iterator over raw keys and values (see iterateCommitted). */
export interface CommittedIterator {
  nextv(size: number): Promise<[Uint8Array, Uint8Array][]>;
  close(): Promise<void>;
}

function cacheKey(r: Revision): string {
  return `${r.main}.${r.sub}`;
}

export class MvccDisk implements RevisionBackend {
  readonly path: string;
  private readonly db: Db;
  private generation: number;
  /** Revisions written but not yet in LevelDB (staged, or in a batch in flight). */
  private readonly cache = new Map<string, RevisionRecord>();
  private staged: BatchOp[] = [];
  /** Cache entries written by the staged ops, forgotten once their batch lands (if still the same entry). */
  private stagedCacheEntries: [string, RevisionRecord][] = [];
  private removals: Revision[] = [];
  private tail: Promise<void> = Promise.resolve();
  private failure: unknown = undefined;
  private closed = false;
  private committedIndex: number;
  /** The generation reset() left behind, cleared once the commit switching away from it lands. */
  private clearAfterNextCommit: number | undefined;
  private durableIndexValue: number;

  private readonly removalsPerCommitMax: number;

  private constructor(path: string, db: Db, generation: number, consistentIndex: number, removalsPerCommitMax: number) {
    this.path = path;
    this.removalsPerCommitMax = removalsPerCommitMax;
    this.db = db;
    this.generation = generation;
    this.committedIndex = consistentIndex;
    this.durableIndexValue = consistentIndex;
  }

  /**
   * Open (creating if missing) the MVCC database in `dir` and load it. Leftovers of an older generation (a
   * snapshot install interrupted after its batch landed) are cleared first. Damage is a StorageCorruptError.
   */
  static async open(dir: string, options: { readonly removalsPerCommitMax?: number } = {}): Promise<{ disk: MvccDisk; loaded: MvccDiskLoaded }> {
    const db: Db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
    try {
      await db.open({ createIfMissing: true });
    } catch (err) {
      throw new StorageError('Failed', `cannot open the MVCC database at ${dir}: ${String(err)}`, { cause: err });
    }
    try {
      const format = await db.get(KEY_MVCC_FORMAT);
      if (format === undefined) {
        await db.put(KEY_MVCC_FORMAT, sealRecord(KEY_MVCC_FORMAT, MVCC_FORMAT_VERSION), { sync: true });
      } else {
        const version = decodeChecked(dir, KEY_MVCC_FORMAT, format, (v) => expectUint(v, 'format'));
        if (version !== MVCC_FORMAT_VERSION) throw unsupportedFormat(dir, version);
      }
      const generation = await readUint(dir, db, KEY_GENERATION);
      const consistentIndex = await readUint(dir, db, KEY_CONSISTENT_INDEX);
      for (const prefix of GENERATION_PREFIXES) for (const range of otherGenerationRanges(prefix, generation)) await db.clear(range);
      const loaded = await load(dir, db, generation, consistentIndex);
      return { disk: new MvccDisk(dir, db, generation, consistentIndex, options.removalsPerCommitMax ?? REMOVALS_PER_COMMIT_MAX), loaded };
    } catch (err) {
      await db.close().catch(() => undefined);
      throw err;
    }
  }

  /**
   * Hands every stored revision to `visit`, ascending, from the index records alone (format 2): the values
   * stay on disk until a read asks for one, and nothing is collected, so rebuilding the key index of a large
   * store costs neither a read of every value nor an array of every revision. Call before the first write.
   */
  async scanRevisions(visit: (revision: StoredRevision) => void): Promise<void> {
    let visited = 0;
    await forEachInRange(this.db, generationRange(PREFIX_REVISION_INDEX, this.generation), (key, raw) => {
      if (key.byteLength !== REVISION_KEY_LENGTH) throw new StorageCorruptError(this.path, describeKey(key), 'malformed revision index key');
      const { main, sub } = revisionOfKey(key);
      visit(decodeChecked(this.path, key, raw, (v) => decodeIndexRecord(v, main, sub)));
      visited++;
    });
    // Values without a single index record: something wrote revisions around write() (a copy of the records
    // that left the index prefix out). Rebuilding from nothing would serve an empty store; refuse instead.
    if (visited === 0) {
      const [first] = await this.db.keys({ ...generationRange(PREFIX_REVISION, this.generation), limit: 1 }).all();
      if (first !== undefined) throw new StorageCorruptError(this.path, describeKey(first), 'revision values are stored but no revision index record is: the index records (format 2) are missing');
    }
  }

  /** The consistent index of the last commit issued (durable or not). */
  get consistentIndex(): number {
    return this.committedIndex;
  }

  /** The consistent index of the last commit that LevelDB completed. */
  get durableIndex(): number {
    return this.durableIndexValue;
  }

  /** Removals queued by compaction and not yet deleted. */
  get removalsPending(): number {
    return this.removals.length;
  }

  /** Whether the next commit has anything to write besides the consistent index. */
  get hasStaged(): boolean {
    return this.staged.length > 0 || this.removals.length > 0 || this.clearAfterNextCommit !== undefined;
  }

  /** Revisions held in the write-back cache (staged or in flight). */
  get cachedRevisions(): number {
    return this.cache.size;
  }

  read(revision: Revision): KeyValue | undefined {
    const cached = this.cache.get(cacheKey(revision));
    if (cached !== undefined) return cached.kv;
    const key = revisionKey(this.generation, revision.main, revision.sub);
    let raw: Uint8Array | undefined;
    try {
      raw = this.db.getSync(key);
    } catch (err) {
      throw new StorageError('Failed', `read of ${describeKey(key)} from ${this.path} failed: ${String(err)}`, { cause: err });
    }
    return raw === undefined ? undefined : decodeChecked(this.path, key, raw, (v) => decodeKv(v, revision.main));
  }

  write(revision: Revision, record: RevisionRecord): void {
    const k = cacheKey(revision);
    this.cache.set(k, record);
    this.stagedCacheEntries.push([k, record]);
    const key = revisionKey(this.generation, revision.main, revision.sub);
    const indexKey = revisionIndexKey(this.generation, revision.main, revision.sub);
    this.staged.push({ type: 'put', key, value: sealRecord(key, encodeRecord(record)) }, { type: 'put', key: indexKey, value: sealRecord(indexKey, encodeIndexRecord(record)) });
  }

  remove(revisions: readonly Revision[]): void {
    for (const r of revisions) this.removals.push(r);
  }

  /** Stages a named record (read back by open() under `meta`). */
  putMeta(name: string, value: unknown): void {
    const key = metaKey(name);
    this.staged.push({ type: 'put', key, value: sealRecord(key, value) });
  }

  /** Stages an app log record at `seq` (sequence numbers increase). */
  appendLog(seq: number, value: unknown): void {
    const key = appLogKey(this.generation, seq);
    this.staged.push({ type: 'put', key, value: sealRecord(key, value) });
  }

  /** Stages the deletion of app log records with from ≤ seq < to. */
  trimLog(from: number, to: number): void {
    for (let seq = from; seq < to; seq++) this.staged.push({ type: 'del', key: appLogKey(this.generation, seq) });
  }

  /**
   * Starts over empty (a snapshot from the leader replaces the state): a new generation, whose first commit
   * switches to it atomically; the old generation's records are cleared after that commit lands.
   */
  reset(): void {
    const old = this.generation;
    this.generation = old + 1;
    this.cache.clear();
    this.staged = [];
    this.stagedCacheEntries = [];
    this.removals = [];
    this.putMeta('generation', this.generation);
    this.clearAfterNextCommit = old;
  }

  /**
   * Writes everything staged, up to REMOVALS_PER_COMMIT_MAX queued removals and `consistentIndex` in one
   * batch (sync: fsync'd). Commits land in call order. Rejects, and refuses every later commit, if LevelDB fails.
   */
  commit(consistentIndex: number, sync = false): Promise<void> {
    const ops = this.staged;
    const entries = this.stagedCacheEntries;
    this.staged = [];
    this.stagedCacheEntries = [];
    for (const r of this.removals.splice(0, this.removalsPerCommitMax)) {
      ops.push({ type: 'del', key: revisionKey(this.generation, r.main, r.sub) }, { type: 'del', key: revisionIndexKey(this.generation, r.main, r.sub) });
      this.cache.delete(cacheKey(r));
    }
    ops.push({ type: 'put', key: KEY_CONSISTENT_INDEX, value: sealRecord(KEY_CONSISTENT_INDEX, consistentIndex) });
    this.committedIndex = consistentIndex;
    const clear = this.clearAfterNextCommit;
    this.clearAfterNextCommit = undefined;
    const run = this.tail.then(async () => {
      if (this.closed) throw new StorageError('Closed', `MVCC database at ${this.path} is closed`);
      if (this.failure !== undefined) throw new StorageError('Failed', `an earlier write to ${this.path} failed`, { cause: this.failure });
      try {
        await writeBatch(this.db, ops, { sync });
        if (clear !== undefined) for (const prefix of GENERATION_PREFIXES) await this.db.clear(generationRange(prefix, clear));
      } catch (err) {
        this.failure = err;
        throw new StorageError('Failed', `write to ${this.path} failed: ${String(err)}`, { cause: err });
      }
      // Only the entry this batch wrote: after a reset() the same revision may hold a newer generation's.
      for (const [k, record] of entries) if (this.cache.get(k) === record) this.cache.delete(k);
      this.durableIndexValue = Math.max(this.durableIndexValue, consistentIndex);
    });
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * An iterator over `range` of the database as it stands once every commit issued so far has landed, and
   * before any later one does: classic-level iterators read from an implicit snapshot taken when they are
   * created, so the caller reads one consistent state however long it takes (a snapshot stream to a
   * follower, mvcc-snapshot.ts). The caller must close it.
   */
  iterateCommitted(range: { gte: Uint8Array; lt: Uint8Array; highWaterMarkBytes?: number }): Promise<CommittedIterator> {
    const run = this.tail.then(() => {
      if (this.closed) throw new StorageError('Closed', `MVCC database at ${this.path} is closed`);
      if (this.failure !== undefined) throw new StorageError('Failed', `an earlier write to ${this.path} failed`, { cause: this.failure });
      return this.db.iterator(range);
    });
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Waits for commits issued so far, then closes the database. */
  close(): Promise<void> {
    if (this.closed) return this.tail;
    this.closed = true;
    return this.tail.then(() => this.db.close());
  }
}

/** [key, lease, createRevision, version, value] for a put; [key] for a tombstone. modRevision is the key's main. */
function encodeRecord(record: RevisionRecord): unknown[] {
  const kv = record.kv;
  return kv === undefined ? [record.key] : [kv.key, kv.lease, kv.createRevision, kv.version, kv.value];
}

/** [key, lease] for a put, [key] for a tombstone: what rebuilding the key index needs, without the value. */
function encodeIndexRecord(record: RevisionRecord): unknown[] {
  return record.kv === undefined ? [record.key] : [record.key, record.kv.lease];
}

function decodeIndexRecord(v: unknown, main: number, sub: number): StoredRevision {
  const a = expectArray(v, 'revision index', 2);
  const key = expectBytes(a[0], 'revision index.key');
  if (a.length === 1) return { main, sub, key, tombstone: true, lease: 0 };
  return { main, sub, key, tombstone: false, lease: expectUint(a[1], 'revision index.lease') };
}

function unsupportedFormat(dir: string, version: number): StorageError {
  const hint =
    version < MVCC_FORMAT_VERSION
      ? 'it was written by an earlier build, before revision index records (format 2). This build does not convert it: start the member with the build that wrote it, or empty the member\'s data directory and add it to the cluster again so it receives the data from the leader'
      : 'it was written by a newer build';
  return new StorageError('Unsupported', `the MVCC database at ${dir} has format version ${version}; this build reads version ${MVCC_FORMAT_VERSION}: ${hint}`);
}

/** A plain Uint8Array over the same memory: KeyValues look the same whichever backend served them. */
function plain(b: Uint8Array): Uint8Array {
  return b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function decodeKv(v: unknown, main: number): KeyValue | undefined {
  const a = expectArray(v, 'revision', 5);
  const key = plain(expectBytes(a[0], 'revision.key'));
  if (a.length === 1) return undefined;
  // Field order as RevisionWriter builds a KeyValue: snapshots encode objects field by field.
  return {
    key,
    createRevision: expectUint(a[2], 'revision.createRevision'),
    modRevision: main,
    version: expectUint(a[3], 'revision.version'),
    value: plain(expectBytes(a[4], 'revision.value')),
    lease: expectUint(a[1], 'revision.lease'),
  };
}

async function readUint(path: string, db: Db, key: Uint8Array): Promise<number> {
  const raw = await db.get(key);
  return raw === undefined ? 0 : decodeChecked(path, key, raw, (v) => expectUint(v, describeKey(key)));
}

async function load(path: string, db: Db, generation: number, consistentIndex: number): Promise<MvccDiskLoaded> {
  const meta = new Map<string, unknown>();
  const metaPrefix = metaKey('');
  for await (const [key, raw] of db.iterator({ gte: metaPrefix, lt: Uint8Array.of(metaPrefix[0]! + 1) })) {
    meta.set(Buffer.from(key.subarray(1)).toString('utf8'), openRecord(path, key, raw));
  }
  const appLog: [number, unknown][] = [];
  await forEachInRange(db, generationRange(PREFIX_APP_LOG, generation), (key, raw) => appLog.push([seqOfAppLogKey(key), openRecord(path, key, raw)]));
  return { consistentIndex, meta, appLog };
}

/** Entries fetched this many at a time at startup: one await per entry would dominate a large load. */
const LOAD_BATCH_ENTRIES = 1_000;

async function forEachInRange(db: Db, range: { gte: Uint8Array; lt: Uint8Array }, visit: (key: Uint8Array, raw: Uint8Array) => void): Promise<void> {
  const it = db.iterator(range);
  try {
    for (;;) {
      const entries = await it.nextv(LOAD_BATCH_ENTRIES);
      if (entries.length === 0) return;
      for (const [key, raw] of entries) visit(key, raw);
    }
  } finally {
    await it.close();
  }
}
