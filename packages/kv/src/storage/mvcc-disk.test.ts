// MvccDisk's write-back cache: a revision is readable from the moment it is written, through its batch
// landing, and a generation reset never lets an older batch's completion evict a newer generation's entry.

import { afterEach, describe, expect, it } from 'vitest';
import type { KeyValue } from '@halyard/kv-client/protocol';
import { MvccDisk } from './mvcc-disk.ts';
import { tempDir } from './test-helpers.ts';

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function kv(value: string, main: number): KeyValue {
  const key = new TextEncoder().encode('k');
  return { key, createRevision: main, modRevision: main, version: 1, value: new TextEncoder().encode(value), lease: 0 };
}

async function open(): Promise<MvccDisk> {
  const t = await tempDir('mvcc-disk-cache');
  cleanups.push(t.cleanup);
  const { disk } = await MvccDisk.open(t.dir);
  cleanups.push(() => disk.close());
  return disk;
}

describe('MvccDisk', () => {
  it('serves a revision from the cache while its batch is in flight, and from LevelDB after', async () => {
    const disk = await open();
    disk.write({ main: 2, sub: 0 }, { key: kv('a', 2).key, kv: kv('a', 2) });
    const landed = disk.commit(2);
    expect(disk.read({ main: 2, sub: 0 })).toEqual(kv('a', 2));
    await landed;
    expect(disk.cachedRevisions).toBe(0);
    expect(disk.read({ main: 2, sub: 0 })).toEqual(kv('a', 2));
    expect(disk.durableIndex).toBe(2);
  });

  it('keeps a new generation entry in the cache when an older batch for the same revision lands', async () => {
    const disk = await open();
    disk.write({ main: 2, sub: 0 }, { key: kv('old', 2).key, kv: kv('old', 2) });
    const first = disk.commit(2);
    disk.reset();
    disk.write({ main: 2, sub: 0 }, { key: kv('new', 2).key, kv: kv('new', 2) });
    await first;
    expect(disk.read({ main: 2, sub: 0 })).toEqual(kv('new', 2));
    await disk.commit(3);
    expect(disk.read({ main: 2, sub: 0 })).toEqual(kv('new', 2));
  });

  it('reads a tombstone as absent and a removed revision as absent', async () => {
    const disk = await open();
    disk.write({ main: 2, sub: 0 }, { key: kv('a', 2).key, kv: kv('a', 2) });
    disk.write({ main: 3, sub: 0 }, { key: kv('a', 2).key, kv: undefined });
    await disk.commit(3);
    expect(disk.read({ main: 3, sub: 0 })).toBeUndefined();
    disk.remove([{ main: 2, sub: 0 }]);
    await disk.commit(3);
    expect(disk.read({ main: 2, sub: 0 })).toBeUndefined();
  });
});
