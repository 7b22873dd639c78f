// The follower's store of received snapshots: a stream becomes an opened state the member can take; the
// same snapshot streamed again leaves the state received first in place (the leader did not hear us);
// installing switches the directory and removes the old database.

import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SnapshotMetadata } from '../raft/types.ts';
import { MvccDisk } from '../storage/mvcc-disk.ts';
import { openMvccSnapshotSource } from '../storage/mvcc-snapshot.ts';
import { SnapshotStreamCheck, streamChunks } from '../storage/snapshot-chunks.ts';
import { tempDir } from '../storage/test-helpers.ts';
import { silentLogger } from '../transport/index.ts';
import { MVCC_POINTER_FILE, receivedDirName } from './mvcc-dirs.ts';
import { SnapshotReceiver } from './snapshot-receiver.ts';
import { KvStateMachine } from './state-machine.ts';
import { StateMachineDisk } from './state-machine-disk.ts';

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const meta = (index: number): SnapshotMetadata => ({ index, term: 1, confState: { voters: [1, 2], learners: [] } });

async function dir(): Promise<string> {
  const t = await tempDir('receiver');
  cleanups.push(t.cleanup);
  return t.dir;
}

/** A leader database with `keys` keys at consistent index `index`. */
async function leader(index: number, keys: number): Promise<MvccDisk> {
  const { disk } = await MvccDisk.open(join(await dir(), 'mvcc'));
  cleanups.push(() => disk.close());
  for (let i = 0; i < keys; i++) disk.write({ main: i + 2, sub: 0 }, { key: enc(`k${i}`), kv: { key: enc(`k${i}`), createRevision: i + 2, modRevision: i + 2, version: 1, value: enc('v'), lease: 0 } });
  disk.putMeta('mvcc', { currentRevision: keys + 1, compactRevision: 0 });
  disk.putMeta('leases', { nextId: 1, leases: [] });
  await disk.commit(index, true);
  return disk;
}

/** Stream `disk` into `receiver` as the transport does; returns the snapshot message's snapshot. */
async function stream(receiver: SnapshotReceiver, disk: MvccDisk, index: number): Promise<{ dataBytes: number }> {
  const sink = await receiver.openSink(meta(index));
  const source = await openMvccSnapshotSource(disk, meta(index), 256);
  let check: SnapshotStreamCheck | undefined;
  try {
    for await (const c of streamChunks(source)) {
      check ??= new SnapshotStreamCheck(c, 1 << 30);
      const ended = check.add(c);
      if (c.data.byteLength > 0) await sink.write(c.data);
      if (ended) return { dataBytes: (await sink.finish()).data.byteLength };
    }
  } finally {
    await source.close();
  }
  throw new Error('stream without an end');
}

const count = (sm: KvStateMachine): number => sm.mvcc.range({ key: Uint8Array.of(0), rangeEnd: Uint8Array.of(0), countOnly: true }).count;

describe('SnapshotReceiver', () => {
  it('opens a received stream for the member to take, keeps it when the same snapshot comes again, and installs it', async () => {
    const dataDir = await dir();
    const own = await StateMachineDisk.open(join(dataDir, 'mvcc'));
    const previous = new KvStateMachine(own.mvcc, own.dedupe, own.members, own.removed, own.journal);
    const receiver = new SnapshotReceiver(dataDir, 'mvcc', silentLogger);
    cleanups.push(() => receiver.close());
    const source = await leader(30, 40);
    expect(await stream(receiver, source, 30)).toEqual({ dataBytes: 0 }); // the data stays on disk
    expect(await stream(receiver, source, 30)).toEqual({ dataBytes: 0 }); // again: discarded, the first kept
    expect(receiver.take(29)).toBeUndefined();
    const taken = receiver.take(30)!;
    expect(count(taken)).toBe(40);
    expect(receiver.take(30)).toBeUndefined();
    await receiver.installed(30, previous);
    expect((await readFile(join(dataDir, MVCC_POINTER_FILE), 'utf8')).trim()).toBe(receivedDirName(30));
    await expect(access(join(dataDir, 'mvcc'))).rejects.toThrow();
    await taken.disk?.close();
  });

  it('keeps at most two received states, dropping the oldest', async () => {
    const dataDir = await dir();
    const receiver = new SnapshotReceiver(dataDir, 'mvcc', silentLogger);
    cleanups.push(() => receiver.close());
    for (const index of [10, 20, 30]) {
      const d = await leader(index, 3);
      await stream(receiver, d, index);
    }
    await expect(access(join(dataDir, receivedDirName(10)))).rejects.toThrow();
    expect(receiver.take(10)).toBeUndefined();
    const sm = receiver.take(20)!;
    expect(count(sm)).toBe(3);
    await sm.disk?.close();
  });
});
