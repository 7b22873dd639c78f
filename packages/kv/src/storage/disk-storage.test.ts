import { Level } from 'level';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Snapshot } from '../raft/types.ts';
import { DiskStorage } from './disk-storage.ts';
import { StorageCorruptError, StorageError } from './errors.ts';
import { KEY_HARD_STATE, PREFIX_SNAPSHOT_CHUNK, entryKey, snapshotChunkKey } from './keys.ts';
import type { Db } from './level-batch.ts';
import { ent, ents, hs, recordBatchWrites, tempDir } from './test-helpers.ts';

let dir: string;
let cleanup: () => Promise<void>;
const open: DiskStorage[] = [];

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('storage'));
});

afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => undefined);
  await cleanup();
});

async function openStorage(options = {}) {
  const r = await DiskStorage.open(dir, options);
  open.push(r.storage);
  return r;
}

async function reopen(s: DiskStorage, options = {}) {
  await s.close();
  return openStorage(options);
}

/** Edit the raw database between two opens, as a disk fault or a careless operator would. */
async function withRawDb(fn: (db: Level<Uint8Array, Uint8Array>) => Promise<void>): Promise<void> {
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  try {
    await fn(db);
  } finally {
    await db.close();
  }
}

function snap(index: number, term: number, data: Uint8Array, voters = [1, 2, 3]): Snapshot {
  return { metadata: { index, term, confState: { voters, learners: [] } }, data };
}

function bytes(n: number, seed = 7): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

describe('DiskStorage round trip', () => {
  it('opens an empty directory as an empty log', async () => {
    const { state } = await openStorage();
    expect(state.hardState).toEqual({ term: 0, vote: 0, commit: 0 });
    expect(state.snapshot.metadata.index).toBe(0);
    expect(state.entries).toEqual([]);
    expect(state.appliedIndex).toBe(0);
  });

  it('restores hard state, entries and applied index after close', async () => {
    const { storage } = await openStorage();
    await storage.saveReady({ hardState: hs(2, 3), entries: [...ents(1, 2, 1), ...ents(3, 5, 2)], appliedIndex: 2 });
    await storage.saveReady({ entries: [ent(6, 2)] });
    const { state, storage: s2 } = await reopen(storage);
    expect(state.hardState).toEqual(hs(2, 3));
    expect(state.appliedIndex).toBe(2);
    expect(state.entries.map((e) => [e.index, e.term])).toEqual([[1, 1], [2, 1], [3, 2], [4, 2], [5, 2], [6, 2]]);
    expect(new TextDecoder().decode((state.entries[4] as { data: Uint8Array }).data)).toBe('e5t2');
    expect(s2.lastIndex()).toBe(6);
  });

  it('keeps conf change entries intact', async () => {
    const { storage } = await openStorage();
    const change = { type: 'addLearner' as const, nodeId: 4, context: Uint8Array.of(1, 2, 3) };
    await storage.saveReady({ hardState: hs(1, 0), entries: [{ type: 'confChange', index: 1, term: 1, change }] });
    const { state } = await reopen(storage);
    expect(state.entries[0]).toEqual({ type: 'confChange', index: 1, term: 1, change: { ...change, context: Buffer.from([1, 2, 3]) } });
  });

  it('writes one synced batch per Ready however many entries it holds (group commit)', async () => {
    const { storage } = await openStorage();
    const { spy, writes } = recordBatchWrites((storage as unknown as { db: Db }).db);
    await storage.saveReady({ hardState: hs(1, 0), entries: ents(1, 500, 1) });
    expect(spy).toHaveBeenCalledTimes(1);
    expect(writes).toEqual([{ sync: true }]);
    await storage.saveReady({ entries: [] });
    expect(spy).toHaveBeenCalledTimes(1); // an empty Ready costs no fsync
  });

  it('runs overlapping calls one at a time, in call order', async () => {
    const { storage } = await openStorage();
    const writes = [storage.saveReady({ hardState: hs(1, 0), entries: ents(1, 10, 1) })];
    for (let i = 11; i <= 50; i++) writes.push(storage.saveReady({ entries: [ent(i, 1)] }));
    await Promise.all(writes);
    const { state } = await reopen(storage);
    expect(state.entries.length).toBe(50);
  });
});

describe('DiskStorage truncation', () => {
  it('a conflicting append replaces the stale tail in the same batch', async () => {
    const { storage } = await openStorage();
    await storage.saveReady({ hardState: hs(1, 2), entries: ents(1, 5, 1) });
    await storage.saveReady({ hardState: hs(2, 2), entries: ents(3, 4, 2) });
    expect(storage.lastIndex()).toBe(4);
    const { state } = await reopen(storage);
    expect(state.entries.map((e) => [e.index, e.term])).toEqual([[1, 1], [2, 1], [3, 2], [4, 2]]);
    await withRawDbAfter(async (db) => expect(await db.get(entryKey(5))).toBeUndefined());
  });

  it('refuses a gap, a term going back, a second vote in a term, and commit past the log', async () => {
    const { storage } = await openStorage();
    await storage.saveReady({ hardState: hs(2, 1, 1), entries: ents(1, 3, 1) });
    await expect(storage.saveReady({ entries: [ent(5, 2)] })).rejects.toMatchObject({ code: 'Invalid' });
    await expect(storage.saveReady({ hardState: hs(1, 1), entries: [] })).rejects.toMatchObject({ code: 'Invalid' });
    await expect(storage.saveReady({ hardState: hs(2, 1, 3), entries: [] })).rejects.toMatchObject({ code: 'Invalid' });
    await expect(storage.saveReady({ hardState: hs(2, 9), entries: [] })).rejects.toMatchObject({ code: 'Invalid' });
    await expect(storage.saveReady({ entries: [ent(4, 3)] })).rejects.toMatchObject({ code: 'Invalid' }); // term above hard state
    // Nothing of the refused writes landed, and the storage still works.
    await storage.saveReady({ entries: [ent(4, 2)] });
    const { state } = await reopen(storage);
    expect(state.entries.length).toBe(4);
    expect(state.hardState).toEqual(hs(2, 1, 1));
  });
});

/** withRawDb needs the storage closed; the truncation test already reopened, so close everything first. */
async function withRawDbAfter(fn: (db: Level<Uint8Array, Uint8Array>) => Promise<void>): Promise<void> {
  for (const s of open.splice(0)) await s.close();
  await withRawDb(fn);
}

describe('DiskStorage snapshots and compaction', () => {
  it('saveSnapshot then compact drops covered entries; restart returns the log after the snapshot', async () => {
    const { storage } = await openStorage();
    await storage.saveReady({ hardState: hs(1, 8), entries: ents(1, 10, 1) });
    await storage.saveSnapshot(snap(8, 1, bytes(1000)));
    await storage.compact(6); // keep 7..8 for slow followers, as etcd does
    expect(storage.firstStoredIndex()).toBe(7);
    let { state, storage: s2 } = await reopen(storage);
    expect(state.snapshot.metadata).toEqual({ index: 8, term: 1, confState: { voters: [1, 2, 3], learners: [] } });
    expect(Buffer.from(state.snapshot.data).equals(Buffer.from(bytes(1000)))).toBe(true);
    expect(state.entries.map((e) => e.index)).toEqual([9, 10]);
    expect(s2.firstStoredIndex()).toBe(7);
    await s2.compact(8);
    ({ state, storage: s2 } = await reopen(s2));
    expect(s2.firstStoredIndex()).toBe(9);
    expect(state.entries.map((e) => e.index)).toEqual([9, 10]);
    await expect(s2.compact(9)).rejects.toMatchObject({ code: 'Invalid' });
  });

  it('refuses a snapshot whose term disagrees with the log', async () => {
    const { storage } = await openStorage();
    await storage.saveReady({ hardState: hs(2, 3), entries: ents(1, 3, 2) });
    await expect(storage.saveSnapshot(snap(3, 1, bytes(10)))).rejects.toMatchObject({ code: 'Invalid' });
    await expect(storage.saveSnapshot(snap(4, 2, bytes(10)))).rejects.toMatchObject({ code: 'Invalid' });
  });

  it('stores a large snapshot in chunks, and a newer snapshot deletes the old chunks in the same batch', async () => {
    const { storage } = await openStorage({ snapshotChunkSizeBytes: 64 * 1024 });
    await storage.saveReady({ hardState: hs(1, 20), entries: ents(1, 20, 1) });
    const big = bytes(300 * 1024 + 17);
    await storage.saveSnapshot(snap(10, 1, big));
    await storage.saveSnapshot(snap(20, 1, bytes(5, 3)));
    const { state } = await reopen(storage);
    expect(state.snapshot.metadata.index).toBe(20);
    expect(Array.from(state.snapshot.data)).toEqual(Array.from(bytes(5, 3)));
    await withRawDbAfter(async (db) => {
      const chunkKeys = [];
      for await (const k of db.keys({ gte: Uint8Array.of(PREFIX_SNAPSHOT_CHUNK), lt: Uint8Array.of(PREFIX_SNAPSHOT_CHUNK + 1) })) chunkKeys.push(k);
      expect(chunkKeys.length).toBe(1);
    });
  });

  it('a snapshot from the leader in a Ready replaces the whole log, followed by entries of the same Ready', async () => {
    const { storage } = await openStorage();
    await storage.saveReady({ hardState: hs(1, 2), entries: ents(1, 5, 1) });
    const big = bytes(2 * 1024 * 1024 + 3);
    await storage.saveReady({ hardState: hs(3, 100), snapshot: snap(100, 3, big), entries: [ent(101, 3)] });
    const { state, storage: s2 } = await reopen(storage);
    expect(state.snapshot.metadata.index).toBe(100);
    expect(state.snapshot.data.byteLength).toBe(big.byteLength);
    expect(Buffer.from(state.snapshot.data).equals(Buffer.from(big))).toBe(true);
    expect(state.entries.map((e) => e.index)).toEqual([101]);
    expect(s2.firstStoredIndex()).toBe(101);
    await expect(s2.saveReady({ snapshot: snap(50, 3, big), entries: [] })).rejects.toMatchObject({ code: 'Invalid' });
  });
});

describe('DiskStorage corruption detection', () => {
  async function seed(): Promise<void> {
    const { storage } = await openStorage({ snapshotChunkSizeBytes: 1024 });
    await storage.saveReady({ hardState: hs(1, 3), entries: ents(1, 6, 1) });
    await storage.saveSnapshot(snap(2, 1, bytes(4000)));
    await storage.close();
    open.splice(0);
  }

  async function expectCorrupt(record: RegExp): Promise<StorageCorruptError> {
    const err = await DiskStorage.open(dir).then(
      (r) => {
        open.push(r.storage);
        throw new Error('open should have failed');
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StorageCorruptError);
    const c = err as StorageCorruptError;
    expect(c.code).toBe('Corrupt');
    expect(c.path).toBe(dir);
    expect(c.record).toMatch(record);
    expect(c.message).toContain(dir);
    return c;
  }

  it('a flipped byte in an entry value names the entry', async () => {
    await seed();
    await withRawDb(async (db) => {
      const v = Buffer.from((await db.get(entryKey(4)))!);
      v[v.length - 1] = v[v.length - 1]! ^ 0x40;
      await db.put(entryKey(4), v);
    });
    const err = await expectCorrupt(/^entry 4 \(key 020{15}4\)$/);
    expect(err.message).toContain('checksum mismatch');
  });

  it('a truncated record is detected', async () => {
    await seed();
    await withRawDb((db) => db.put(entryKey(5), Uint8Array.of(1, 0, 0)));
    const err = await expectCorrupt(/^entry 5/);
    expect(err.message).toContain('truncated');
  });

  it('a record moved under another key fails its checksum (the key is covered)', async () => {
    await seed();
    await withRawDb(async (db) => db.put(entryKey(5), (await db.get(entryKey(6)))!));
    await expectCorrupt(/^entry 5/);
  });

  it('a missing entry in the middle of the log is a gap, named', async () => {
    await seed();
    await withRawDb((db) => db.del(entryKey(4)));
    const err = await expectCorrupt(/^entry 4/);
    expect(err.message).toContain('missing');
  });

  it('lost committed entries at the tail are detected through the hard state', async () => {
    await seed();
    await withRawDb(async (db) => {
      for (const i of [3, 4, 5, 6]) await db.del(entryKey(i));
    });
    const err = await expectCorrupt(/^hardState/);
    expect(err.message).toContain('commit 3 past the last index 2');
  });

  it('a damaged or missing snapshot chunk is detected', async () => {
    await seed();
    await withRawDb(async (db) => {
      const v = Buffer.from((await db.get(snapshotChunkKey(2, 1)))!);
      v[10] = v[10]! ^ 1;
      await db.put(snapshotChunkKey(2, 1), v);
    });
    await expectCorrupt(/^snapshot 2 chunk 1/);
    await withRawDb((db) => db.del(snapshotChunkKey(2, 1)));
    await expectCorrupt(/^snapshot 2 chunk 2/);
  });

  it('a corrupt hard state record is detected', async () => {
    await seed();
    await withRawDb(async (db) => {
      const v = Buffer.from((await db.get(KEY_HARD_STATE))!);
      v[6] = v[6]! ^ 0xff;
      await db.put(KEY_HARD_STATE, v);
    });
    await expectCorrupt(/^hardState/);
  });

  it('a well-formed record of the wrong shape is reported with the field', async () => {
    await seed();
    const { sealRecord } = await import('./record.ts');
    await withRawDb((db) => db.put(entryKey(3), sealRecord(entryKey(3), { type: 'normal', index: 3, term: -1, data: new Uint8Array(0) })));
    const err = await expectCorrupt(/^entry 3/);
    expect(err.message).toContain('entry.term');
  });

  /** Enough incompressible data that LevelDB flushes it into a table file (.ldb). */
  async function seedTable(): Promise<string> {
    const { storage } = await openStorage();
    const entries = [];
    for (let i = 1; i <= 1500; i++) entries.push({ type: 'normal' as const, index: i, term: 1, data: bytes(4096, i * 7) });
    await storage.saveReady({ hardState: hs(1, 1500), entries });
    await storage.close();
    open.splice(0);
    await (await openStorage()).storage.close(); // the reopen flushes the write-ahead log into a table
    open.splice(0);
    const { readdir } = await import('node:fs/promises');
    const tables = (await readdir(dir)).filter((f) => f.endsWith('.ldb'));
    expect(tables.length).toBeGreaterThan(0);
    return tables[0]!;
  }

  it('a truncated LevelDB table file is reported as corrupt, naming the file', async () => {
    const table = await seedTable();
    const { stat, truncate } = await import('node:fs/promises');
    const file = `${dir}/${table}`;
    await truncate(file, Math.floor((await stat(file)).size / 2));
    const err = await expectCorrupt(new RegExp(`^file ${table.replace('.', '\\.')}$`));
    expect(err.message).toContain(table);
  });

  it('flipped bytes inside a LevelDB table file are reported as corrupt', async () => {
    const table = await seedTable();
    const { readFile, writeFile } = await import('node:fs/promises');
    const file = `${dir}/${table}`;
    const b = await readFile(file);
    for (const at of [0.2, 0.6]) b[Math.floor(b.length * at)] = b[Math.floor(b.length * at)]! ^ 0xff;
    await writeFile(file, b);
    await expectCorrupt(/./);
  });

  it('a directory already open elsewhere is refused with a clear error', async () => {
    await openStorage();
    const err = await DiskStorage.open(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect(err).toMatchObject({ code: 'Failed' });
    expect((err as Error).message).toContain('locked');
  });

  it('closed storage refuses writes with a typed error', async () => {
    const { storage } = await openStorage();
    await storage.close();
    open.splice(0);
    await expect(storage.saveReady({ hardState: hs(1, 0), entries: [] })).rejects.toBeInstanceOf(StorageError);
    await expect(storage.saveReady({ hardState: hs(1, 0), entries: [] })).rejects.toMatchObject({ code: 'Closed' });
  });
});
