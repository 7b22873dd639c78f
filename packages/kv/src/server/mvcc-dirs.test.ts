// Installing a streamed snapshot, crash by crash: whatever moment a member dies at, it starts on either its
// old database or the complete new one — never a partial stream — and the leftovers are removed.

import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SnapshotMetadata } from '../raft/types.ts';
import { MvccDisk } from '../storage/mvcc-disk.ts';
import { MvccSnapshotSink, openMvccSnapshotSource } from '../storage/mvcc-snapshot.ts';
import { streamChunks } from '../storage/snapshot-chunks.ts';
import { tempDir } from '../storage/test-helpers.ts';
import { MVCC_POINTER_FILE, currentMvccDirName, mvccDirAtStart, partialDirName, pointMvccAt, receivedDirName } from './mvcc-dirs.ts';

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const meta = (index: number): SnapshotMetadata => ({ index, term: 1, confState: { voters: [1], learners: [] } });

async function dataDir(): Promise<string> {
  const t = await tempDir('mvcc-dirs');
  cleanups.push(t.cleanup);
  return t.dir;
}

/** An MVCC database at `path` with one revision, at consistent index `index`. */
async function database(path: string, index: number): Promise<void> {
  const { disk } = await MvccDisk.open(path);
  disk.write({ main: 2, sub: 0 }, { key: enc('k'), kv: { key: enc('k'), createRevision: 2, modRevision: 2, version: 1, value: enc(`at ${index}`), lease: 0 } });
  await disk.commit(index, true);
  await disk.close();
}

async function consistentIndexOf(path: string): Promise<number> {
  const { disk, loaded } = await MvccDisk.open(path);
  await disk.close();
  return loaded.consistentIndex;
}

const mvccEntries = async (dir: string): Promise<string[]> => (await readdir(dir)).filter((e) => e.startsWith('mvcc')).sort();

describe('the MVCC directory in use across a snapshot install', () => {
  it('a new data directory uses mvcc/', async () => {
    const dir = await dataDir();
    expect(await currentMvccDirName(dir)).toBe('mvcc');
    expect(await mvccDirAtStart(dir, 0)).toBe('mvcc');
  });

  it('crash in the middle of a stream: the old database, the partial one removed', async () => {
    const dir = await dataDir();
    await database(join(dir, 'mvcc'), 20);
    const leaderPath = join(await dataDir(), 'leader');
    await database(leaderPath, 40);
    const { disk: leader } = await MvccDisk.open(leaderPath);
    cleanups.push(() => leader.close());
    const sink = await MvccSnapshotSink.create(meta(40), join(dir, partialDirName(40)), join(dir, receivedDirName(40)));
    cleanups.push(() => sink.abort());
    const source = await openMvccSnapshotSource(leader, meta(40), 64);
    let n = 0;
    for await (const c of streamChunks(source)) if (n++ < 2) await sink.write(c.data);
    await source.close();
    // The process dies here: the Raft database never saw the snapshot (its index is still 20).
    expect(await mvccEntries(dir)).toEqual(['mvcc', partialDirName(40)]);
    expect(await mvccDirAtStart(dir, 20)).toBe('mvcc');
    expect(await mvccEntries(dir)).toEqual(['mvcc']);
    expect(await consistentIndexOf(join(dir, 'mvcc'))).toBe(20);
  });

  it('crash after the stream completed, before Raft saved the snapshot: the old database', async () => {
    const dir = await dataDir();
    await database(join(dir, 'mvcc'), 20);
    await database(join(dir, receivedDirName(40)), 40);
    expect(await mvccDirAtStart(dir, 20)).toBe('mvcc');
    expect(await mvccEntries(dir)).toEqual(['mvcc']);
  });

  it('crash after Raft saved the snapshot, before the pointer switched: the new database, switched at start', async () => {
    const dir = await dataDir();
    await database(join(dir, 'mvcc'), 20);
    await database(join(dir, receivedDirName(40)), 40);
    expect(await mvccDirAtStart(dir, 40)).toBe(receivedDirName(40));
    expect((await readFile(join(dir, MVCC_POINTER_FILE), 'utf8')).trim()).toBe(receivedDirName(40));
    expect(await mvccEntries(dir)).toEqual([MVCC_POINTER_FILE, receivedDirName(40)].sort());
    expect(await consistentIndexOf(join(dir, receivedDirName(40)))).toBe(40);
  });

  it('crash after the switch, before the old database was removed; later snapshots of its own keep it', async () => {
    const dir = await dataDir();
    await database(join(dir, 'mvcc'), 20);
    await database(join(dir, receivedDirName(40)), 55);
    await pointMvccAt(dir, receivedDirName(40));
    await writeFile(join(dir, `${MVCC_POINTER_FILE}.tmp`), 'mvcc\n'); // a switch that never happened
    expect(await mvccDirAtStart(dir, 50)).toBe(receivedDirName(40));
    expect(await mvccEntries(dir)).toEqual([MVCC_POINTER_FILE, receivedDirName(40)].sort());
  });

  it('refuses a pointer that names anything but an MVCC directory', async () => {
    const dir = await dataDir();
    await mkdir(join(dir, 'raft'));
    await writeFile(join(dir, MVCC_POINTER_FILE), 'raft\n');
    await expect(currentMvccDirName(dir)).rejects.toThrow(/not an MVCC directory/);
    await expect(pointMvccAt(dir, '../elsewhere')).rejects.toThrow(RangeError);
  });
});
