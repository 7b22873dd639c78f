// Format 2 of the MVCC database: every revision has an index record (key, lease, tombstone) beside its value
// record, open() rebuilds from the index records alone, compaction removes both, and a directory in another
// format is refused with a typed error naming the version instead of being misread.

import { Level } from 'level';
import { afterEach, describe, expect, it } from 'vitest';
import type { KeyValue } from '@halyard/kv-client/protocol';
import type { StoredRevision } from '../mvcc/rebuild.ts';
import { StorageCorruptError, StorageError } from './errors.ts';
import { MVCC_FORMAT_VERSION, MvccDisk } from './mvcc-disk.ts';
import { KEY_MVCC_FORMAT, PREFIX_REVISION, PREFIX_REVISION_INDEX, revisionIndexKey } from './mvcc-keys.ts';
import { sealRecord } from './record.ts';
import { tempDir } from './test-helpers.ts';

type Db = Level<Uint8Array, Uint8Array>;
let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function kv(key: string, main: number, lease = 0): KeyValue {
  return { key: enc(key), createRevision: main, modRevision: main, version: 1, value: enc(`value of ${key}@${main}`), lease };
}

async function dir(): Promise<string> {
  const t = await tempDir('mvcc-layout');
  cleanups.push(t.cleanup);
  return t.dir;
}

async function withDb<T>(path: string, f: (db: Db) => Promise<T>): Promise<T> {
  const db: Db = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  try {
    return await f(db);
  } finally {
    await db.close();
  }
}

async function countUnder(path: string, prefix: number): Promise<number> {
  return withDb(path, async (db) => {
    let n = 0;
    for await (const _ of db.keys({ gte: Uint8Array.of(prefix), lt: Uint8Array.of(prefix + 1) })) n++;
    return n;
  });
}

async function scan(disk: MvccDisk): Promise<{ main: number; sub: number; key: string; tombstone: boolean; lease: number }[]> {
  const out: StoredRevision[] = [];
  await disk.scanRevisions((r) => out.push(r));
  return out.map((r) => ({ main: r.main, sub: r.sub, key: new TextDecoder().decode(r.key), tombstone: r.tombstone, lease: r.lease }));
}

/** Opens `path` and scans it, which must fail as corrupt storage: the error's message. */
async function corruptScanMessage(path: string): Promise<string> {
  const { disk } = await MvccDisk.open(path);
  cleanups.push(() => disk.close());
  const err = await scan(disk).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StorageCorruptError);
  return (err as StorageCorruptError).message;
}

/** Three revisions: a put with a lease, a put without, a tombstone (two changes in one main revision). */
async function writeThree(path: string): Promise<void> {
  const { disk } = await MvccDisk.open(path);
  disk.write({ main: 2, sub: 0 }, { key: enc('a'), kv: kv('a', 2, 7) });
  disk.write({ main: 3, sub: 0 }, { key: enc('b'), kv: kv('b', 3) });
  disk.write({ main: 3, sub: 1 }, { key: enc('a'), kv: undefined });
  await disk.commit(3);
  await disk.close();
}

describe('MvccDisk format 2', () => {
  it('writes one index record per revision beside its value record', async () => {
    const path = await dir();
    await writeThree(path);
    expect(await countUnder(path, PREFIX_REVISION_INDEX)).toBe(3);
    expect(await countUnder(path, PREFIX_REVISION)).toBe(3);
  });

  it('rebuilds from the index records alone: every revision, its key, lease and tombstone, with the values gone', async () => {
    const path = await dir();
    await writeThree(path);
    // Delete every value record: if open or the scan needed a value, it would now fail or lose a revision.
    await withDb(path, (db) => db.clear({ gte: Uint8Array.of(PREFIX_REVISION), lt: Uint8Array.of(PREFIX_REVISION + 1) }));
    const { disk } = await MvccDisk.open(path);
    cleanups.push(() => disk.close());
    expect(await scan(disk)).toEqual([
      { main: 2, sub: 0, key: 'a', tombstone: false, lease: 7 },
      { main: 3, sub: 0, key: 'b', tombstone: false, lease: 0 },
      { main: 3, sub: 1, key: 'a', tombstone: true, lease: 0 },
    ]);
    // The values are read only on demand, from the value records (gone here).
    expect(disk.read({ main: 3, sub: 0 })).toBeUndefined();
  });

  it('reads a value from its value record after a reopen', async () => {
    const path = await dir();
    await writeThree(path);
    const { disk } = await MvccDisk.open(path);
    cleanups.push(() => disk.close());
    expect(disk.read({ main: 2, sub: 0 })).toEqual(kv('a', 2, 7));
    expect(disk.read({ main: 3, sub: 1 })).toBeUndefined();
  });

  it('removes the index record with the value record when compaction removes a revision', async () => {
    const path = await dir();
    await writeThree(path);
    const { disk } = await MvccDisk.open(path);
    disk.remove([{ main: 2, sub: 0 }]);
    await disk.commit(4);
    expect(await scan(disk)).toEqual([
      { main: 3, sub: 0, key: 'b', tombstone: false, lease: 0 },
      { main: 3, sub: 1, key: 'a', tombstone: true, lease: 0 },
    ]);
    await disk.close();
    expect(await countUnder(path, PREFIX_REVISION_INDEX)).toBe(2);
    expect(await countUnder(path, PREFIX_REVISION)).toBe(2);
  });

  it('clears the old generation\'s index records after a reset lands', async () => {
    const path = await dir();
    await writeThree(path);
    const { disk } = await MvccDisk.open(path);
    disk.reset();
    disk.write({ main: 9, sub: 0 }, { key: enc('z'), kv: kv('z', 9) });
    await disk.commit(10);
    await disk.close();
    expect(await countUnder(path, PREFIX_REVISION_INDEX)).toBe(1);
    const reopened = await MvccDisk.open(path);
    cleanups.push(() => reopened.disk.close());
    expect(await scan(reopened.disk)).toEqual([{ main: 9, sub: 0, key: 'z', tombstone: false, lease: 0 }]);
  });

  it('refuses a format 1 directory with an Unsupported error naming both versions', async () => {
    const path = await dir();
    await writeThree(path);
    await withDb(path, (db) => db.put(KEY_MVCC_FORMAT, sealRecord(KEY_MVCC_FORMAT, 1)));
    const err = await MvccDisk.open(path).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).code).toBe('Unsupported');
    expect((err as StorageError).message).toContain('format version 1');
    expect((err as StorageError).message).toContain(`reads version ${MVCC_FORMAT_VERSION}`);
    expect((err as StorageError).message).toContain('earlier build');
  });

  it('refuses a directory from a newer format', async () => {
    const path = await dir();
    await writeThree(path);
    await withDb(path, (db) => db.put(KEY_MVCC_FORMAT, sealRecord(KEY_MVCC_FORMAT, MVCC_FORMAT_VERSION + 1)));
    await expect(MvccDisk.open(path)).rejects.toMatchObject({ code: 'Unsupported', message: expect.stringContaining('newer build') });
  });

  it('reports a damaged index record as corrupt, naming the record', async () => {
    const path = await dir();
    await writeThree(path);
    const key = revisionIndexKey(0, 3, 0);
    // A record sealed under another key fails its checksum (the CRC covers the key).
    await withDb(path, (db) => db.put(key, sealRecord(revisionIndexKey(0, 2, 0), [enc('b'), 0])));
    expect(await corruptScanMessage(path)).toContain('checksum mismatch');
  });

  it('refuses revision values with no index record at all instead of rebuilding an empty store', async () => {
    const path = await dir();
    await writeThree(path);
    await withDb(path, (db) => db.clear({ gte: Uint8Array.of(PREFIX_REVISION_INDEX), lt: Uint8Array.of(PREFIX_REVISION_INDEX + 1) }));
    expect(await corruptScanMessage(path)).toContain('index records (format 2) are missing');
  });

  it('scans an empty store as empty', async () => {
    const { disk } = await MvccDisk.open(await dir());
    cleanups.push(() => disk.close());
    expect(await scan(disk)).toEqual([]);
  });

  it('reports an index record of the wrong shape as corrupt', async () => {
    const path = await dir();
    await writeThree(path);
    const key = revisionIndexKey(0, 3, 0);
    await withDb(path, (db) => db.put(key, sealRecord(key, [enc('b'), 'not a lease'])));
    const { disk } = await MvccDisk.open(path);
    cleanups.push(() => disk.close());
    await expect(scan(disk)).rejects.toBeInstanceOf(StorageCorruptError);
  });
});
