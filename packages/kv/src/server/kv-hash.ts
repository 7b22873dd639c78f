// A hash of the key-value state at a revision (etcd's HashKV), for telling whether members agree: every
// member that applied the same log computes the same value at the same revision, whatever its own
// history of snapshots and restarts. Also what `snapshot status` prints for a snapshot file, so a file
// can be matched to the members it came from.
import { KvError } from '@halyard/kv-client/protocol';
import type { MvccStore } from '../mvcc/store.ts';
import { crc32 } from '../storage/crc32.ts';

export interface KvHash {
  /** CRC-32 of every key-value at hashRevision, in key order. */
  readonly hash: number;
  readonly compactRevision: number;
  readonly hashRevision: number;
}

const EVERY_KEY = new Uint8Array([0]);

/**
 * Hashes every key alive at `revision` (0 = the store's current revision): key, value, create and mod
 * revision, version and lease of each, lengths included so no two different states run together.
 * Throws Compacted below the compact revision and FutureRevision above the current one (the store's
 * own range checks).
 */
export function hashKv(mvcc: MvccStore, revision: number): KvHash {
  if (!Number.isSafeInteger(revision) || revision < 0) throw new KvError('InvalidRequest', `revision must be an integer ≥ 0, got ${revision}`);
  const hashRevision = revision === 0 ? mvcc.revision : revision;
  const { kvs } = mvcc.range({ key: EVERY_KEY, rangeEnd: EVERY_KEY, revision: hashRevision });
  let crc = 0;
  const numbers = new DataView(new ArrayBuffer(8 * 6));
  for (const kv of kvs) {
    numbers.setFloat64(0, kv.key.byteLength);
    numbers.setFloat64(8, kv.value.byteLength);
    numbers.setFloat64(16, kv.createRevision);
    numbers.setFloat64(24, kv.modRevision);
    numbers.setFloat64(32, kv.version);
    numbers.setFloat64(40, kv.lease);
    crc = crc32(new Uint8Array(numbers.buffer), crc);
    crc = crc32(kv.key, crc);
    crc = crc32(kv.value, crc);
  }
  return { hash: crc >>> 0, compactRevision: mvcc.compactRevision, hashRevision };
}
