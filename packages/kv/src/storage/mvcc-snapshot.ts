// A snapshot of the MVCC database as a stream of its own records (format `mvccdb`), as etcd sends its
// bbolt file instead of re-encoding the state: the leader reads one consistent LevelDB view record by
// record (bounded memory whatever the store's size) and the follower writes the records, unchanged, into a
// fresh database directory with batched writes. Sealed records keep their own CRCs (checked again when
// the follower opens the directory); the stream's CRC-32 is checked by the transport before finish().
//
// Stream layout: records back to back, each [key length u16 BE][value length u32 BE][key][value]; a
// record may span chunks. Only the meta records and the current generation's revisions and app log travel
// (mvcc-keys.ts), so the follower's directory is what the leader would reopen at restart.
//
// Crash safety on the follower: records go to `partialDir`; finish() fsyncs, closes and renames it to
// `finalDir` (then fsyncs the parent directory), so a directory under the final name is always complete.
// Anything else left behind by a crash is a partial stream, removed at the next start (mvcc-dirs.ts).

import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Level } from 'level';
import { type BatchOp, type Db, writeBatch } from './level-batch.ts';
import type { Snapshot, SnapshotMetadata } from '../raft/types.ts';
import { fsyncPath } from './fsync.ts';
import type { MvccDisk } from './mvcc-disk.ts';
import { GENERATION_PREFIXES, KEY_CONSISTENT_INDEX, KEY_GENERATION, KEY_MVCC_FORMAT, PREFIX_APP_LOG, PREFIX_MVCC_META, PREFIX_REVISION, PREFIX_REVISION_INDEX, REVISION_KEY_LENGTH } from './mvcc-keys.ts';
import { openRecord } from './record.ts';
import { SnapshotChunkError, type SnapshotSink, type SnapshotSource } from './snapshot-chunks.ts';

/** Longest key a stream may carry (meta names are short; revision keys are 17 bytes). */
export const MVCC_STREAM_KEY_BYTES_MAX = 1024;
/** Largest value a stream may carry (a revision holds one value, bounded by the request size). */
export const MVCC_STREAM_VALUE_BYTES_MAX = 64 * 1024 * 1024;
/** Records fetched from the iterator per call: one await per record would dominate a large stream. */
const READ_BATCH_RECORDS = 1_000;
const RECORD_HEADER_BYTES = 6;
const APP_LOG_KEY_LENGTH = 13;

/** Every record kind of an MVCC database: meta, then each generation's records (mvcc-keys.ts lists them once). */
const STREAM_PREFIXES = [PREFIX_MVCC_META, ...GENERATION_PREFIXES];
const STREAM_RANGE = { gte: Uint8Array.of(Math.min(...STREAM_PREFIXES)), lt: Uint8Array.of(Math.max(...STREAM_PREFIXES) + 1) };

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;
}

function generationOf(key: Uint8Array): number {
  return new DataView(key.buffer, key.byteOffset, key.byteLength).getUint32(1);
}

function uintRecord(path: string, key: Uint8Array, raw: Uint8Array, what: string): number {
  let v: unknown;
  try {
    v = openRecord(path, key, raw);
  } catch (err) {
    throw new SnapshotChunkError('BadData', `${what} record: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new SnapshotChunkError('BadData', `${what} record is not an integer ≥ 0`);
  return v;
}

/**
 * The leader's side: a source over `disk` as of every commit issued so far. `metadata.index` must be the
 * consistent index of the last commit issued (member.ts commits before asking); the stream checks it when
 * it passes the record, so a view of another state is an error, never a wrong snapshot.
 */
export async function openMvccSnapshotSource(disk: MvccDisk, metadata: SnapshotMetadata, chunkSizeBytes: number): Promise<SnapshotSource> {
  if (!(chunkSizeBytes > 0)) throw new RangeError('chunkSizeBytes must be > 0');
  // classic-level stops a nextv() at highWaterMarkBytes (16 KiB by default: ~15 records of 1 KiB per native
  // round trip); a chunk's worth per call keeps the reads at disk speed with memory still bounded.
  const it = await disk.iterateCommitted({ ...STREAM_RANGE, highWaterMarkBytes: chunkSizeBytes });
  let generation = 0;
  let exhausted = false;
  let closed = false;
  let carry: Uint8Array = new Uint8Array(0);

  const include = (key: Uint8Array, raw: Uint8Array): boolean => {
    if (key[0] === PREFIX_MVCC_META) {
      // Meta records sort before every generation's records, so the generation is known in time.
      if (sameBytes(key, KEY_GENERATION)) generation = uintRecord(disk.path, key, raw, 'generation');
      if (sameBytes(key, KEY_CONSISTENT_INDEX)) {
        const index = uintRecord(disk.path, key, raw, 'consistentIndex');
        if (index !== metadata.index) throw new SnapshotChunkError('Mismatch', `the MVCC view is at index ${index}, the snapshot at ${metadata.index}`);
      }
      return true;
    }
    // Another generation's records are leftovers of an install, cleared in the background.
    return key.byteLength >= 5 && generationOf(key) === generation;
  };

  const encode = (entries: readonly (readonly [Uint8Array, Uint8Array])[]): Uint8Array => {
    let size = carry.byteLength;
    for (const [k, v] of entries) size += RECORD_HEADER_BYTES + k.byteLength + v.byteLength;
    const out = Buffer.allocUnsafe(size);
    out.set(carry, 0);
    let at = carry.byteLength;
    for (const [k, v] of entries) {
      out.writeUInt16BE(k.byteLength, at);
      out.writeUInt32BE(v.byteLength, at + 2);
      out.set(k, at + RECORD_HEADER_BYTES);
      out.set(v, at + RECORD_HEADER_BYTES + k.byteLength);
      at += RECORD_HEADER_BYTES + k.byteLength + v.byteLength;
    }
    return out;
  };

  // One read ahead: LevelDB fetches the next records on its thread while this chunk is sent.
  let ahead: Promise<[Uint8Array, Uint8Array][]> | undefined;
  const fetch = (): Promise<[Uint8Array, Uint8Array][]> => {
    const p = it.nextv(READ_BATCH_RECORDS);
    p.catch(() => undefined);
    return p;
  };

  const next = async (): Promise<Uint8Array | undefined> => {
    while (!exhausted && carry.byteLength < chunkSizeBytes) {
      if (closed) throw new SnapshotChunkError('BadData', 'snapshot source closed');
      const batch = await (ahead ?? fetch());
      ahead = undefined;
      if (batch.length === 0) {
        exhausted = true;
        break;
      }
      carry = encode(batch.filter(([k, v]) => include(k, v)));
    }
    if (carry.byteLength === 0) return undefined;
    const piece = carry.subarray(0, chunkSizeBytes);
    carry = carry.subarray(piece.byteLength);
    if (!exhausted && !closed && ahead === undefined) ahead = fetch();
    return piece;
  };

  return {
    metadata,
    format: 'mvccdb',
    next,
    close: async () => {
      if (closed) return;
      closed = true;
      carry = new Uint8Array(0);
      await ahead?.catch(() => undefined);
      await it.close();
    },
  };
}


/**
 * The follower's side: writes a stream into a new database at `partialDir` and, at finish(), makes it
 * `finalDir` (see the header). Each write() is one unsynced LevelDB batch; finish() syncs once.
 */
export class MvccSnapshotSink implements SnapshotSink {
  private db: Db | undefined;
  private carry: Uint8Array = new Uint8Array(0);
  private sawFormat = false;
  private consistentIndex: number | undefined;
  private done = false;
  /** The last batch issued. Every key occurs once in a stream, so batches may land in any order. */
  private inFlight: Promise<void> = Promise.resolve();

  private constructor(
    private readonly metadata: SnapshotMetadata,
    private readonly partialDir: string,
    private readonly finalDir: string,
    db: Db,
  ) {
    this.db = db;
  }

  /** A sink writing into a fresh `partialDir` (whatever was there is removed first). */
  static async create(metadata: SnapshotMetadata, partialDir: string, finalDir: string): Promise<MvccSnapshotSink> {
    await rm(partialDir, { recursive: true, force: true });
    await mkdir(dirname(partialDir), { recursive: true });
    const db: Db = new Level<Uint8Array, Uint8Array>(partialDir, { keyEncoding: 'view', valueEncoding: 'view' });
    await db.open({ createIfMissing: true, errorIfExists: true });
    return new MvccSnapshotSink(metadata, partialDir, finalDir, db);
  }

  async write(data: Uint8Array): Promise<void> {
    const db = this.open();
    const buf = this.carry.byteLength === 0 ? data : Buffer.concat([this.carry, data]);
    const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    const ops: BatchOp[] = [];
    let at = 0;
    while (view.byteLength - at >= RECORD_HEADER_BYTES) {
      const keyBytes = view.readUInt16BE(at);
      const valueBytes = view.readUInt32BE(at + 2);
      if (keyBytes === 0 || keyBytes > MVCC_STREAM_KEY_BYTES_MAX) throw new SnapshotChunkError('BadData', `record key of ${keyBytes} bytes`);
      if (valueBytes > MVCC_STREAM_VALUE_BYTES_MAX) throw new SnapshotChunkError('BadData', `record value of ${valueBytes} bytes`);
      const end = at + RECORD_HEADER_BYTES + keyBytes + valueBytes;
      if (end > view.byteLength) break;
      // Views, not copies: the batch copies them into LevelDB's own, and nothing writes to `buf` again.
      const key = view.subarray(at + RECORD_HEADER_BYTES, at + RECORD_HEADER_BYTES + keyBytes);
      const value = view.subarray(at + RECORD_HEADER_BYTES + keyBytes, end);
      this.check(key, value);
      ops.push({ type: 'put', key, value });
      at = end;
    }
    this.carry = Uint8Array.from(view.subarray(at));
    // Two batches in flight at most: LevelDB writes one while the next chunk arrives and is parsed.
    const previous = this.inFlight;
    const mine = ops.length > 0 ? writeBatch(db, ops) : Promise.resolve();
    mine.catch(() => undefined);
    this.inFlight = mine;
    await previous;
  }

  async finish(): Promise<Snapshot> {
    const db = this.open();
    await this.inFlight;
    if (this.carry.byteLength > 0) throw new SnapshotChunkError('BadData', `stream ends inside a record (${this.carry.byteLength} bytes left)`);
    if (!this.sawFormat) throw new SnapshotChunkError('BadData', 'stream has no format record');
    if (this.consistentIndex !== this.metadata.index) {
      throw new SnapshotChunkError('Mismatch', `stream's consistent index ${String(this.consistentIndex)} is not the snapshot's ${this.metadata.index}`);
    }
    // One synced write makes the whole directory durable: LevelDB syncs its log, and the tables it wrote
    // on the way were synced when written.
    await db.put(KEY_MVCC_FORMAT, (await db.get(KEY_MVCC_FORMAT))!, { sync: true });
    this.db = undefined;
    await db.close();
    await rm(this.finalDir, { recursive: true, force: true });
    await rename(this.partialDir, this.finalDir);
    await fsyncPath(dirname(this.finalDir));
    this.done = true;
    return { metadata: this.metadata, data: new Uint8Array(0) };
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    const db = this.db;
    this.db = undefined;
    await this.inFlight.catch(() => undefined);
    await db?.close().catch(() => undefined);
    await rm(this.partialDir, { recursive: true, force: true });
  }

  private open(): Db {
    if (this.db === undefined || this.done) throw new SnapshotChunkError('OutOfOrder', 'snapshot sink already finished or aborted');
    return this.db;
  }

  /** Only the record kinds of an MVCC database, with their key shapes; the format and index read on the way. */
  private check(key: Uint8Array, value: Uint8Array): void {
    switch (key[0]) {
      case PREFIX_MVCC_META:
        if (sameBytes(key, KEY_MVCC_FORMAT)) this.sawFormat = true;
        else if (sameBytes(key, KEY_CONSISTENT_INDEX)) this.consistentIndex = uintRecord(this.partialDir, key, value, 'consistentIndex');
        return;
      case PREFIX_REVISION:
        if (key.byteLength !== REVISION_KEY_LENGTH) throw new SnapshotChunkError('BadData', `revision key of ${key.byteLength} bytes`);
        return;
      case PREFIX_REVISION_INDEX:
        if (key.byteLength !== REVISION_KEY_LENGTH) throw new SnapshotChunkError('BadData', `revision index key of ${key.byteLength} bytes`);
        return;
      case PREFIX_APP_LOG:
        if (key.byteLength !== APP_LOG_KEY_LENGTH) throw new SnapshotChunkError('BadData', `app log key of ${key.byteLength} bytes`);
        return;
      default:
        throw new SnapshotChunkError('BadData', `record with unknown prefix ${String(key[0])}`);
    }
  }
}
