// A snapshot on the wire: a stream of byte chunks pulled from a source on the sender (a LevelDB view, or a
// byte array for the in-memory state machine) and pushed into a sink on the receiver (a fresh LevelDB, or a
// buffer), with every chunk checked on the way. The whole size and checksum are known only at the end, so
// they travel in a last, empty chunk (Raft §7 InstallSnapshot's `offset` and `done`, figure 13; etcd sends
// the database file over HTTP with a SHA-256 appended and the receiver checks it before using the file).
// The checks here are pure; the transport does the sending, the sink the writing.

import type { Snapshot, SnapshotMetadata } from '../raft/types.ts';
import { crc32 } from './crc32.ts';

/** Leaves room in a 1.5 MiB frame for the envelope and metadata. */
export const SNAPSHOT_CHUNK_SIZE_BYTES_DEFAULT = 512 * 1024;

/**
 * What the bytes are: `image`, the state machine's own encoding (KvStateMachine.serialize, the in-memory
 * backend's snapshots); `mvccdb`, the records of the leader's MVCC database (mvcc-snapshot.ts).
 */
export type SnapshotFormat = 'image' | 'mvccdb';
export const SNAPSHOT_FORMATS: readonly SnapshotFormat[] = ['image', 'mvccdb'];

export interface SnapshotChunk {
  /** The sender's number for this stream (per connection): acknowledgements name it, so a late one never ends a newer stream. */
  readonly streamId: number;
  readonly metadata: SnapshotMetadata;
  readonly format: SnapshotFormat;
  readonly offsetBytes: number;
  readonly data: Uint8Array;
  /** Only on the last chunk (which carries no data): the stream's size and its CRC-32, checked before use. */
  readonly end?: { readonly totalSizeBytes: number; readonly crc32: number };
}

export type SnapshotChunkErrorCode = 'OutOfOrder' | 'Mismatch' | 'TooLarge' | 'Checksum' | 'Unsupported' | 'BadData';

export class SnapshotChunkError extends Error {
  readonly code: SnapshotChunkErrorCode;
  constructor(code: SnapshotChunkErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SnapshotChunkError';
    this.code = code;
  }
}

/** Where a sender reads a snapshot from: pieces in order, bounded in size, from one consistent view. */
export interface SnapshotSource {
  /** The snapshot the bytes describe (may be newer than the message's: see member.ts). */
  readonly metadata: SnapshotMetadata;
  readonly format: SnapshotFormat;
  /** The next piece (at most the chunk size given at creation), or undefined once the stream is over. */
  next(): Promise<Uint8Array | undefined>;
  /** Release the view; idempotent, and safe while a next() is pending. */
  close(): Promise<void>;
}

/** Where a receiver writes a snapshot stream. Calls come one at a time, in order. */
export interface SnapshotSink {
  write(data: Uint8Array): Promise<void>;
  /** Every byte arrived and the stream's checksum matched: make it durable; the snapshot message to step. */
  finish(): Promise<Snapshot>;
  /** Drop what was written (a bad or interrupted stream); idempotent. */
  abort(): Promise<void>;
}

/** A source over a snapshot held in memory (the in-memory state machine's image): views, no copies. */
export function imageSource(snapshot: Snapshot, chunkSizeBytes: number): SnapshotSource {
  if (!(chunkSizeBytes > 0)) throw new RangeError('chunkSizeBytes must be > 0');
  let offset = 0;
  return {
    metadata: snapshot.metadata,
    format: 'image',
    next: () => {
      if (offset >= snapshot.data.byteLength) return Promise.resolve(undefined);
      const piece = snapshot.data.subarray(offset, offset + chunkSizeBytes);
      offset += piece.byteLength;
      return Promise.resolve(piece);
    },
    close: () => Promise.resolve(),
  };
}

/** A sink that reassembles the image in memory (bounded by the stream check's size limit). */
export class ImageSink implements SnapshotSink {
  private pieces: Uint8Array[] = [];
  private sizeBytes = 0;

  constructor(private readonly metadata: SnapshotMetadata) {}

  write(data: Uint8Array): Promise<void> {
    // Copied: the frame's buffer may be reused or large.
    this.pieces.push(Uint8Array.from(data));
    this.sizeBytes += data.byteLength;
    return Promise.resolve();
  }

  finish(): Promise<Snapshot> {
    const data = new Uint8Array(this.sizeBytes);
    let at = 0;
    for (const p of this.pieces) {
      data.set(p, at);
      at += p.byteLength;
    }
    this.pieces = [];
    return Promise.resolve({ metadata: this.metadata, data });
  }

  abort(): Promise<void> {
    this.pieces = [];
    return Promise.resolve();
  }
}

/** The chunks of a stream, as a sender cuts them: data chunks in order, then the end chunk. */
export async function* streamChunks(source: SnapshotSource, streamId = 0): AsyncGenerator<SnapshotChunk> {
  let offsetBytes = 0;
  let crc = 0;
  for (;;) {
    const data = await source.next();
    if (data === undefined) break;
    yield { streamId, metadata: source.metadata, format: source.format, offsetBytes, data };
    crc = crc32(data, crc);
    offsetBytes += data.byteLength;
  }
  yield { streamId, metadata: source.metadata, format: source.format, offsetBytes, data: new Uint8Array(0), end: { totalSizeBytes: offsetBytes, crc32: crc } };
}

/**
 * The receiver's check of one stream: chunks contiguous from offset 0, all of the same snapshot and format,
 * no more than `sizeBytesMax` in all, and a running CRC-32 that must equal the end chunk's. A chunk at offset
 * 0 starts a new stream (the caller drops the old one). Throws SnapshotChunkError; the caller then drops
 * the partial stream, so a bad stream costs a retry, never a wrong snapshot.
 */
export class SnapshotStreamCheck {
  private receivedBytes = 0;
  private crc = 0;
  private ended = false;

  constructor(
    readonly first: SnapshotChunk,
    private readonly sizeBytesMax: number,
  ) {
    if (first.offsetBytes !== 0) throw new SnapshotChunkError('OutOfOrder', `a stream starts at offset 0, not ${first.offsetBytes}`);
  }

  /** Check `chunk` (the first one too); returns true when it ended the stream and everything matched. */
  add(chunk: SnapshotChunk): boolean {
    const f = this.first;
    if (this.ended) throw new SnapshotChunkError('OutOfOrder', 'chunk after the end of the stream');
    if (chunk.streamId !== f.streamId || chunk.metadata.index !== f.metadata.index || chunk.metadata.term !== f.metadata.term || chunk.format !== f.format) {
      throw new SnapshotChunkError('Mismatch', `chunk of snapshot ${chunk.metadata.index}/${chunk.metadata.term} (${chunk.format}) inside snapshot ${f.metadata.index}/${f.metadata.term} (${f.format})`);
    }
    if (chunk.offsetBytes !== this.receivedBytes) throw new SnapshotChunkError('OutOfOrder', `chunk at offset ${chunk.offsetBytes}, expected ${this.receivedBytes}`);
    if (chunk.end !== undefined) {
      this.ended = true;
      if (chunk.data.byteLength > 0) throw new SnapshotChunkError('Mismatch', 'the end chunk carries data');
      if (chunk.end.totalSizeBytes !== this.receivedBytes) throw new SnapshotChunkError('Mismatch', `stream of ${this.receivedBytes} bytes ends claiming ${chunk.end.totalSizeBytes}`);
      if (chunk.end.crc32 !== this.crc) throw new SnapshotChunkError('Checksum', `snapshot ${f.metadata.index} stream checksum mismatch (sent ${chunk.end.crc32.toString(16)}, received ${this.crc.toString(16)})`);
      return true;
    }
    if (chunk.data.byteLength === 0) throw new SnapshotChunkError('Mismatch', 'empty data chunk');
    if (this.receivedBytes + chunk.data.byteLength > this.sizeBytesMax) throw new SnapshotChunkError('TooLarge', `snapshot stream exceeds ${this.sizeBytesMax} bytes`);
    this.receivedBytes += chunk.data.byteLength;
    this.crc = crc32(chunk.data, this.crc);
    return false;
  }
}
