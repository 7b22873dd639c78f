import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../raft/types.ts';
import { crc32, crc32Table } from './crc32.ts';
import { SnapshotAssembler, SnapshotChunkError, chunkSnapshot, snapshotChunkCount } from './snapshot-chunks.ts';

function snapshotOf(sizeBytes: number, index = 40): Snapshot {
  const data = new Uint8Array(sizeBytes);
  for (let i = 0; i < sizeBytes; i++) data[i] = (i * 7 + 3) & 0xff;
  return { metadata: { index, term: 3, confState: { voters: [1, 2, 3], learners: [4] } }, data };
}

describe('crc32', () => {
  it('matches the standard check value and the table fallback', () => {
    const check = new TextEncoder().encode('123456789');
    expect(crc32(check)).toBe(0xcbf43926);
    expect(crc32Table(check)).toBe(0xcbf43926);
    expect(crc32Table(check.subarray(4), crc32Table(check.subarray(0, 4)))).toBe(0xcbf43926);
  });
});

describe('snapshot chunks', () => {
  it('splits into fixed-size chunks and reassembles the same bytes', () => {
    const s = snapshotOf(1_300_000);
    const chunks = chunkSnapshot(s, 512 * 1024);
    expect(chunks.length).toBe(3);
    expect(chunks.map((c) => c.offsetBytes)).toEqual([0, 524288, 1048576]);
    expect(chunks.every((c) => c.totalSizeBytes === 1_300_000 && c.crc32 === crc32(s.data))).toBe(true);
    const a = new SnapshotAssembler(10 * 1024 * 1024);
    expect(a.add(chunks[0]!)).toBeUndefined();
    expect(a.add(chunks[1]!)).toBeUndefined();
    const out = a.add(chunks[2]!)!;
    expect(out.metadata).toEqual(s.metadata);
    expect(Buffer.from(out.data).equals(Buffer.from(s.data))).toBe(true);
    expect(a.pendingBytes()).toBe(0);
  });

  it('an empty snapshot is one empty chunk', () => {
    const chunks = chunkSnapshot(snapshotOf(0));
    expect(chunks.length).toBe(1);
    expect(snapshotChunkCount(0, 10)).toBe(1);
    expect(new SnapshotAssembler(1).add(chunks[0]!)?.data.byteLength).toBe(0);
  });

  it('rejects out-of-order, mixed, oversize and corrupted streams, and recovers on a new first chunk', () => {
    const s = snapshotOf(3000);
    const chunks = chunkSnapshot(s, 1000);
    const a = new SnapshotAssembler(10_000);
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(SnapshotChunkError);
        return (e as SnapshotChunkError).code;
      }
      return 'none';
    };
    expect(code(() => a.add(chunks[1]!))).toBe('OutOfOrder');
    a.add(chunks[0]!);
    expect(code(() => a.add(chunks[2]!))).toBe('OutOfOrder');
    a.add(chunks[0]!);
    expect(code(() => a.add({ ...chunks[1]!, metadata: { ...s.metadata, index: 41 } }))).toBe('Mismatch');
    a.add(chunks[0]!);
    a.add(chunks[1]!);
    const bad = Uint8Array.from(chunks[2]!.data);
    bad[5] = bad[5]! ^ 1;
    expect(code(() => a.add({ ...chunks[2]!, data: bad }))).toBe('Checksum');
    expect(code(() => new SnapshotAssembler(2999).add(chunks[0]!))).toBe('TooLarge');
    expect(code(() => a.add({ ...chunks[0]!, data: new Uint8Array(3001) }))).toBe('Mismatch');
    // Restart after all those failures still works.
    a.add(chunks[0]!);
    a.add(chunks[1]!);
    expect(a.add(chunks[2]!)?.data.byteLength).toBe(3000);
  });
});
