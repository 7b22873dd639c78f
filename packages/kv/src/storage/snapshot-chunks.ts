// Splitting a snapshot into chunks that each fit in one network frame, and putting it back together
// on the receiving side with every piece checked. Pure: the transport does the sending. A follower far
// behind gets the leader's whole state machine image this way (Raft §7 InstallSnapshot, with `offset`
// and `done` as in figure 13; we send the total size instead of `done`, and a CRC of the whole).

import type { Snapshot, SnapshotMetadata } from '../raft/types.ts';
import { crc32 } from './crc32.ts';

/** Leaves room in a 1.5 MiB frame for the envelope and metadata. */
export const SNAPSHOT_CHUNK_SIZE_BYTES_DEFAULT = 512 * 1024;

export interface SnapshotChunk {
  readonly metadata: SnapshotMetadata;
  readonly offsetBytes: number;
  readonly totalSizeBytes: number;
  /** CRC-32 of the whole snapshot data, checked once the last chunk is in. */
  readonly crc32: number;
  readonly data: Uint8Array;
}

export type SnapshotChunkErrorCode = 'OutOfOrder' | 'Mismatch' | 'TooLarge' | 'Checksum';

export class SnapshotChunkError extends Error {
  readonly code: SnapshotChunkErrorCode;
  constructor(code: SnapshotChunkErrorCode, message: string) {
    super(message);
    this.name = 'SnapshotChunkError';
    this.code = code;
  }
}

/** Number of chunks for `totalSizeBytes`; an empty snapshot still travels as one (empty) chunk. */
export function snapshotChunkCount(totalSizeBytes: number, chunkSizeBytes: number): number {
  return Math.max(1, Math.ceil(totalSizeBytes / chunkSizeBytes));
}

/** Chunk number `n` of `snapshot`, a view into its data (no copy). `wholeCrc32` is crc32(snapshot.data). */
export function snapshotChunkAt(snapshot: Snapshot, n: number, chunkSizeBytes: number, wholeCrc32: number): SnapshotChunk {
  const offsetBytes = n * chunkSizeBytes;
  return {
    metadata: snapshot.metadata,
    offsetBytes,
    totalSizeBytes: snapshot.data.byteLength,
    crc32: wholeCrc32,
    data: snapshot.data.subarray(offsetBytes, offsetBytes + chunkSizeBytes),
  };
}

export function chunkSnapshot(snapshot: Snapshot, chunkSizeBytes: number = SNAPSHOT_CHUNK_SIZE_BYTES_DEFAULT): SnapshotChunk[] {
  if (!(chunkSizeBytes > 0)) throw new RangeError('chunkSizeBytes must be > 0');
  const whole = crc32(snapshot.data);
  const count = snapshotChunkCount(snapshot.data.byteLength, chunkSizeBytes);
  return Array.from({ length: count }, (_, n) => snapshotChunkAt(snapshot, n, chunkSizeBytes, whole));
}

interface Assembly {
  readonly first: SnapshotChunk;
  readonly data: Uint8Array;
  receivedBytes: number;
}

/**
 * Reassembles one snapshot at a time from chunks arriving in order. A chunk at offset 0 always starts
 * over (the sender restarted, e.g. after a reconnect); anything else out of place is an error and
 * drops the partial image, so a bad stream costs a retry, never a wrong snapshot.
 */
export class SnapshotAssembler {
  private readonly sizeBytesMax: number;
  private current: Assembly | undefined;

  constructor(sizeBytesMax: number) {
    this.sizeBytesMax = sizeBytesMax;
  }

  /** Feed one chunk; returns the snapshot when it completes and checks out. Throws SnapshotChunkError. */
  add(chunk: SnapshotChunk): Snapshot | undefined {
    try {
      return this.addUnchecked(chunk);
    } catch (err) {
      this.current = undefined;
      throw err;
    }
  }

  /** Bytes held for a partial snapshot (for tests and metrics). */
  pendingBytes(): number {
    return this.current?.data.byteLength ?? 0;
  }

  reset(): void {
    this.current = undefined;
  }

  private addUnchecked(chunk: SnapshotChunk): Snapshot | undefined {
    if (chunk.offsetBytes === 0) {
      if (chunk.totalSizeBytes > this.sizeBytesMax) {
        throw new SnapshotChunkError('TooLarge', `snapshot of ${chunk.totalSizeBytes} bytes exceeds ${this.sizeBytesMax}`);
      }
      this.current = { first: chunk, data: new Uint8Array(chunk.totalSizeBytes), receivedBytes: 0 };
    }
    const a = this.current;
    if (!a) throw new SnapshotChunkError('OutOfOrder', `chunk at offset ${chunk.offsetBytes} without a first chunk`);
    const f = a.first;
    if (chunk.metadata.index !== f.metadata.index || chunk.metadata.term !== f.metadata.term || chunk.totalSizeBytes !== f.totalSizeBytes || chunk.crc32 !== f.crc32) {
      throw new SnapshotChunkError('Mismatch', `chunk of snapshot ${chunk.metadata.index}/${chunk.metadata.term} inside snapshot ${f.metadata.index}/${f.metadata.term}`);
    }
    if (chunk.offsetBytes !== a.receivedBytes) {
      throw new SnapshotChunkError('OutOfOrder', `chunk at offset ${chunk.offsetBytes}, expected ${a.receivedBytes}`);
    }
    if (a.receivedBytes + chunk.data.byteLength > f.totalSizeBytes) {
      throw new SnapshotChunkError('Mismatch', `chunk runs past the total size ${f.totalSizeBytes}`);
    }
    if (chunk.data.byteLength === 0 && f.totalSizeBytes > 0) throw new SnapshotChunkError('Mismatch', 'empty chunk in a non-empty snapshot');
    a.data.set(chunk.data, a.receivedBytes);
    a.receivedBytes += chunk.data.byteLength;
    if (a.receivedBytes < f.totalSizeBytes) return undefined;
    this.current = undefined;
    if (crc32(a.data) !== f.crc32) throw new SnapshotChunkError('Checksum', `snapshot ${f.metadata.index} data checksum mismatch`);
    return { metadata: f.metadata, data: a.data };
  }
}
