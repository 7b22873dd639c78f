// Downloading a member's snapshot (etcd's Maintenance.Snapshot): the member serializes its state once and
// hands it out in chunks under a token; the chunks, in order, are a snapshot file. The whole download is
// pinned to one member — chunks of two members' snapshots would not fit together — and checked against
// the SHA-256 the member announced before it is returned.
import { createHash } from 'node:crypto';
import { KvError } from '../protocol/errors.ts';
import type { SnapshotChunkResult } from '../protocol/messages.ts';

/** Largest snapshot accepted (the member's own limit on a Raft snapshot is 512 MiB). */
export const SNAPSHOT_SIZE_BYTES_MAX = 512 * 1024 * 1024;

export interface SnapshotDownload {
  readonly sizeBytes: number;
  readonly sha256: string;
  /** The member's header when the snapshot was taken (its revision is the snapshot's). */
  readonly header: SnapshotChunkResult['header'];
}

/**
 * Fetches chunk after chunk with `fetchChunk` and hands each to `onChunk` in order; resolves once the
 * bytes add up to the announced size and hash. Throws Internal when the member's chunks disagree with
 * what it announced (offsets, size, hash).
 */
export async function downloadSnapshot(fetchChunk: (token: string | undefined, offset: number) => Promise<SnapshotChunkResult>, onChunk: (chunk: Uint8Array) => Promise<void> | void): Promise<SnapshotDownload> {
  const hash = createHash('sha256');
  let first: SnapshotChunkResult | undefined;
  let offset = 0;
  for (;;) {
    const r = await fetchChunk(first?.token, offset);
    if (first === undefined) {
      if (!Number.isSafeInteger(r.sizeBytes) || r.sizeBytes < 0 || r.sizeBytes > SNAPSHOT_SIZE_BYTES_MAX) throw new KvError('Internal', `snapshot size ${r.sizeBytes} out of range`);
      first = r;
    }
    if (r.offset !== offset || r.sizeBytes !== first.sizeBytes || r.sha256 !== first.sha256) throw new KvError('Internal', `snapshot chunk at ${r.offset} does not continue the download at ${offset}`);
    if (r.chunk.byteLength === 0 && offset < first.sizeBytes) throw new KvError('Internal', `empty snapshot chunk at ${offset} of ${first.sizeBytes}`);
    hash.update(r.chunk);
    offset += r.chunk.byteLength;
    if (offset > first.sizeBytes) throw new KvError('Internal', `snapshot chunks exceed the announced ${first.sizeBytes} bytes`);
    await onChunk(r.chunk);
    if (offset === first.sizeBytes) break;
  }
  const digest = hash.digest('hex');
  if (digest !== first.sha256) throw new KvError('Internal', `snapshot SHA-256 ${digest} does not match the member's ${first.sha256}`);
  return { sizeBytes: first.sizeBytes, sha256: first.sha256, header: first.header };
}
