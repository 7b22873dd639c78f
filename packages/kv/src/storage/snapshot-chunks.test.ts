import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../raft/types.ts';
import { crc32, crc32Table } from './crc32.ts';
import { ImageSink, type SnapshotChunk, SnapshotChunkError, SnapshotStreamCheck, imageSource, streamChunks } from './snapshot-chunks.ts';

function snapshotOf(sizeBytes: number, index = 40): Snapshot {
  const data = new Uint8Array(sizeBytes);
  for (let i = 0; i < sizeBytes; i++) data[i] = (i * 7 + 3) & 0xff;
  return { metadata: { index, term: 3, confState: { voters: [1, 2, 3], learners: [4] } }, data };
}

async function chunksOf(s: Snapshot, chunkSizeBytes: number): Promise<SnapshotChunk[]> {
  const out: SnapshotChunk[] = [];
  for await (const c of streamChunks(imageSource(s, chunkSizeBytes))) out.push(c);
  return out;
}

/** Feeds chunks to a check and a sink as the transport does; the snapshot once the stream ends. */
async function receive(chunks: readonly SnapshotChunk[], sizeBytesMax: number): Promise<Snapshot | undefined> {
  const check = new SnapshotStreamCheck(chunks[0]!, sizeBytesMax);
  const sink = new ImageSink(chunks[0]!.metadata);
  for (const c of chunks) {
    const ended = check.add(c);
    if (c.data.byteLength > 0) await sink.write(c.data);
    if (ended) return sink.finish();
  }
  return undefined;
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SnapshotChunkError);
    return (e as SnapshotChunkError).code;
  }
  return 'none';
}

describe('crc32', () => {
  it('matches the standard check value and the table fallback', () => {
    const check = new TextEncoder().encode('123456789');
    expect(crc32(check)).toBe(0xcbf43926);
    expect(crc32Table(check)).toBe(0xcbf43926);
    expect(crc32Table(check.subarray(4), crc32Table(check.subarray(0, 4)))).toBe(0xcbf43926);
  });
});

describe('snapshot streams', () => {
  it('cuts a source into chunks plus an end chunk with the size and CRC, and reassembles the same bytes', async () => {
    const s = snapshotOf(1_300_000);
    const chunks = await chunksOf(s, 512 * 1024);
    expect(chunks.map((c) => [c.offsetBytes, c.data.byteLength])).toEqual([
      [0, 524288],
      [524288, 524288],
      [1048576, 251424],
      [1300000, 0],
    ]);
    expect(chunks[3]!.end).toEqual({ totalSizeBytes: 1_300_000, crc32: crc32(s.data) });
    const out = await receive(chunks, 10 * 1024 * 1024);
    expect(out?.metadata).toEqual(s.metadata);
    expect(Buffer.from(out!.data).equals(Buffer.from(s.data))).toBe(true);
  });

  it('an empty snapshot is just the end chunk', async () => {
    const chunks = await chunksOf(snapshotOf(0), 10);
    expect(chunks.length).toBe(1);
    expect(chunks[0]!.end).toEqual({ totalSizeBytes: 0, crc32: 0 });
    expect((await receive(chunks, 1))?.data.byteLength).toBe(0);
  });

  it('refuses out-of-order, mixed, oversize, truncated and corrupted streams', async () => {
    const s = snapshotOf(3000);
    const chunks = await chunksOf(s, 1000); // three data chunks and the end chunk
    const fresh = (max = 10_000): SnapshotStreamCheck => new SnapshotStreamCheck(chunks[0]!, max);
    expect(codeOf(() => new SnapshotStreamCheck(chunks[1]!, 10_000))).toBe('OutOfOrder');
    let c = fresh();
    c.add(chunks[0]!);
    expect(codeOf(() => c.add(chunks[2]!))).toBe('OutOfOrder');
    c = fresh();
    c.add(chunks[0]!);
    expect(codeOf(() => c.add({ ...chunks[1]!, metadata: { ...s.metadata, index: 41 } }))).toBe('Mismatch');
    expect(codeOf(() => c.add({ ...chunks[1]!, format: 'mvccdb' }))).toBe('Mismatch');
    // A stream that ends early (truncated: the end chunk claims fewer bytes than were sent, or more).
    c = fresh();
    c.add(chunks[0]!);
    expect(codeOf(() => c.add({ ...chunks[3]!, offsetBytes: 1000 }))).toBe('Mismatch');
    c = fresh();
    c.add(chunks[0]!);
    expect(codeOf(() => c.add({ ...chunks[3]!, offsetBytes: 1000, end: { totalSizeBytes: 3000, crc32: chunks[3]!.end!.crc32 } }))).toBe('Mismatch');
    // A flipped bit anywhere fails the end check.
    c = fresh();
    c.add(chunks[0]!);
    c.add(chunks[1]!);
    const bad = Uint8Array.from(chunks[2]!.data);
    bad[5] = bad[5]! ^ 1;
    c.add({ ...chunks[2]!, data: bad });
    expect(codeOf(() => c.add(chunks[3]!))).toBe('Checksum');
    c = fresh(2999);
    c.add(chunks[0]!);
    c.add(chunks[1]!);
    expect(codeOf(() => c.add(chunks[2]!))).toBe('TooLarge');
    // Nothing is accepted after the end.
    c = fresh();
    for (const x of chunks) c.add(x);
    expect(codeOf(() => c.add(chunks[3]!))).toBe('OutOfOrder');
    // The untouched stream still checks out.
    expect((await receive(chunks, 10_000))?.data.byteLength).toBe(3000);
  });
});
