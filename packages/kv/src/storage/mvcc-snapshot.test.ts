// The MVCC database as a snapshot stream: what the follower's new directory holds is exactly what the
// leader's database held at the view's commit — not what it wrote after — however the stream was cut; and
// a stream that is cut short, corrupted or of another state leaves no directory behind.

import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { KeyValue } from '@halyard/kv-client/protocol';
import type { SnapshotMetadata } from '../raft/types.ts';
import { MvccDisk } from './mvcc-disk.ts';
import { MvccSnapshotSink, openMvccSnapshotSource } from './mvcc-snapshot.ts';
import { type SnapshotChunk, SnapshotChunkError, SnapshotStreamCheck, streamChunks } from './snapshot-chunks.ts';
import { tempDir } from './test-helpers.ts';

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function kv(key: string, value: string, main: number): KeyValue {
  return { key: enc(key), createRevision: main, modRevision: main, version: 1, value: enc(value), lease: 0 };
}

function meta(index: number): SnapshotMetadata {
  return { index, term: 2, confState: { voters: [1, 2, 3], learners: [] } };
}

async function dir(prefix: string): Promise<string> {
  const t = await tempDir(prefix);
  cleanups.push(t.cleanup);
  return t.dir;
}

/** A leader's database at consistent index 10: 50 revisions with ~1 KiB values, an app log, named records. */
async function leaderDisk(): Promise<{ disk: MvccDisk; path: string }> {
  const path = join(await dir('mvcc-snap-leader'), 'mvcc');
  const { disk } = await MvccDisk.open(path);
  for (let main = 2; main < 52; main++) disk.write({ main, sub: 0 }, { key: enc(`k${main}`), kv: kv(`k${main}`, 'v'.repeat(1000 + main), main) });
  disk.write({ main: 52, sub: 0 }, { key: enc('k2'), kv: undefined });
  for (let seq = 0; seq < 20; seq++) disk.appendLog(seq, [`req-${seq}`, { ok: true }]);
  disk.putMeta('mvcc', { currentRevision: 52, compactRevision: 0 });
  disk.putMeta('members', { members: [], removed: [] });
  await disk.commit(10, true);
  return { disk, path };
}

async function chunksOf(disk: MvccDisk, index: number, chunkSizeBytes: number): Promise<SnapshotChunk[]> {
  const source = await openMvccSnapshotSource(disk, meta(index), chunkSizeBytes);
  const out: SnapshotChunk[] = [];
  try {
    for await (const c of streamChunks(source)) out.push(c);
  } finally {
    await source.close();
  }
  return out;
}

/** Receive `chunks` as the transport does; returns the final directory. */
async function receive(chunks: readonly SnapshotChunk[], index: number): Promise<string> {
  const base = await dir('mvcc-snap-follower');
  const finalDir = join(base, 'mvcc.snap');
  const sink = await MvccSnapshotSink.create(meta(index), join(base, 'mvcc.snap.partial'), finalDir);
  const check = new SnapshotStreamCheck(chunks[0]!, 1 << 30);
  try {
    for (const c of chunks) {
      const ended = check.add(c);
      if (c.data.byteLength > 0) await sink.write(c.data);
      if (ended) await sink.finish();
    }
  } catch (err) {
    await sink.abort();
    throw err;
  }
  return finalDir;
}

/** What a member would open at `path`: meta, app log, every revision's index record and its value. */
async function loadedOf(path: string): Promise<unknown> {
  const { disk, loaded } = await MvccDisk.open(path);
  const revisions: unknown[] = [];
  await disk.scanRevisions((r) => revisions.push({ ...r, kv: disk.read({ main: r.main, sub: r.sub }) }));
  await disk.close();
  return { ...loaded, revisions, meta: [...loaded.meta.entries()].sort() };
}

async function errorCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(SnapshotChunkError);
    return (err as SnapshotChunkError).code;
  }
  return 'none';
}

describe('MVCC database snapshot streams', () => {
  it('copies the database as of the view, records split across chunks, and not what was written after', async () => {
    const { disk, path } = await leaderDisk();
    // The view is taken before this commit lands: the stream must not carry revision 53 or index 11.
    const source = await openMvccSnapshotSource(disk, meta(10), 700);
    disk.write({ main: 53, sub: 0 }, { key: enc('late'), kv: kv('late', 'x', 53) });
    await disk.commit(11);
    const chunks: SnapshotChunk[] = [];
    for await (const c of streamChunks(source)) chunks.push(c);
    await source.close();
    expect(chunks.length).toBeGreaterThan(70); // ~50 KiB in 700-byte chunks: records span chunks
    expect(chunks.slice(0, -1).every((c) => c.data.byteLength === 700 || c === chunks[chunks.length - 2])).toBe(true);
    const received = await receive(chunks, 10);
    const got = (await loadedOf(received)) as { consistentIndex: number; revisions: { main: number }[] };
    expect(got.consistentIndex).toBe(10);
    expect(got.revisions.map((r) => r.main)).not.toContain(53);
    // Equal to the leader's database had it stopped at index 10: reopen it without the late commit's data.
    await disk.close();
    const leader = (await loadedOf(path)) as { consistentIndex: number; revisions: { main: number }[]; meta: [string, unknown][] };
    expect(leader.consistentIndex).toBe(11);
    const atTen = {
      ...leader,
      consistentIndex: 10,
      revisions: leader.revisions.filter((r) => r.main !== 53),
      meta: leader.meta.map(([name, v]) => [name, name === 'consistentIndex' ? 10 : v]),
    };
    expect(got).toEqual(atTen);
    expect(await readdir(join(received, '..'))).toEqual(['mvcc.snap']);
  });

  it('refuses a view whose consistent index is not the snapshot index', async () => {
    const { disk } = await leaderDisk();
    cleanups.push(() => disk.close());
    expect(await errorCode(chunksOf(disk, 9, 4096))).toBe('Mismatch');
  });

  it('refuses a stream cut inside a record, of another index, or with foreign records, and leaves no directory', async () => {
    const { disk } = await leaderDisk();
    cleanups.push(() => disk.close());
    const chunks = await chunksOf(disk, 10, 1000);
    const dataChunks = chunks.slice(0, -1);
    // Truncated inside a record: the bytes so far check out (the end chunk matches them), the records do not.
    const cut = dataChunks.slice(0, 5).map((c, i) => (i === 4 ? { ...c, data: c.data.subarray(0, 333) } : c));
    const truncated = [...cut, ...(await endOf(cut))];
    await expectRefused(truncated, 10, 'BadData');
    // The stream of the state at 10 offered as the snapshot at 12.
    await expectRefused(chunks.map((c) => ({ ...c, metadata: meta(12) })), 12, 'Mismatch');
    // A record under a prefix an MVCC database does not have.
    const foreign = Uint8Array.from(dataChunks[0]!.data);
    foreign[6] = 0x01; // the first record's key prefix (after its 6-byte header)
    const withForeign = [{ ...dataChunks[0]!, data: foreign }, ...dataChunks.slice(1)];
    await expectRefused([...withForeign, ...(await endOf(withForeign))], 10, 'BadData');
  });

  it('a corrupted chunk fails the stream checksum before anything is made durable', async () => {
    const { disk } = await leaderDisk();
    cleanups.push(() => disk.close());
    const chunks = await chunksOf(disk, 10, 1000);
    const bad = Uint8Array.from(chunks[3]!.data);
    bad[500] = bad[500]! ^ 0x40;
    await expectRefused(chunks.map((c, i) => (i === 3 ? { ...c, data: bad } : c)), 10, 'Checksum');
  });
});

/** An end chunk that matches `chunks` (a sender that cut its own stream short). */
async function endOf(chunks: readonly SnapshotChunk[]): Promise<SnapshotChunk[]> {
  const { crc32 } = await import('./crc32.ts');
  let crc = 0;
  let size = 0;
  for (const c of chunks) {
    crc = crc32(c.data, crc);
    size += c.data.byteLength;
  }
  return [{ streamId: chunks[0]!.streamId, metadata: chunks[0]!.metadata, format: 'mvccdb', offsetBytes: size, data: new Uint8Array(0), end: { totalSizeBytes: size, crc32: crc } }];
}

async function expectRefused(chunks: readonly SnapshotChunk[], index: number, code: string): Promise<void> {
  const base = await dir('mvcc-snap-refused');
  const finalDir = join(base, 'mvcc.snap');
  const partialDir = join(base, 'mvcc.snap.partial');
  const sink = await MvccSnapshotSink.create(meta(index), partialDir, finalDir);
  const check = new SnapshotStreamCheck(chunks[0]!, 1 << 30);
  const run = async (): Promise<void> => {
    for (const c of chunks) {
      const ended = check.add(c);
      if (c.data.byteLength > 0) await sink.write(c.data);
      if (ended) await sink.finish();
    }
  };
  const got = await errorCode(run());
  await sink.abort();
  expect(got).toBe(code);
  await expect(access(finalDir)).rejects.toThrow();
  await expect(access(partialDir)).rejects.toThrow();
}
