// Key layout of a member's MVCC database (its own LevelDB directory beside the raft one, as etcd keeps its
// bbolt db beside its WAL). Prefixes differ from the raft database's so a record read from the wrong
// directory fails its checksum-and-key check instead of decoding as something else.
//
//   0x10 name            meta records: format, consistent (applied) index, generation, named app records
//   0x11 gen main sub    one revision: the key, and the KeyValue unless a tombstone (etcd's key bucket)
//   0x12 gen seq         an append-only log of app records (the dedupe table), trimmed from the front
//   0x13 gen main sub    the same revision's index record: the key, its lease, whether a tombstone — no value
//
// The index records (format 2) exist so a restart can rebuild the key index by scanning them alone: LevelDB
// keeps a prefix's records together in its sorted tables, so that scan reads tens of bytes per revision instead
// of every stored value (~1 GB at 1,000,000 keys of 1 KiB). etcd reads its whole key bucket at startup; this
// is the cheaper half of it.
//
// `gen` (4 bytes) is the generation: a snapshot from the leader replaces the whole state by starting a new
// generation in one batch; the old one is cleared afterwards, in the background.

export const PREFIX_MVCC_META = 0x10;
export const PREFIX_REVISION = 0x11;
export const PREFIX_APP_LOG = 0x12;
export const PREFIX_REVISION_INDEX = 0x13;
/** Every prefix whose records belong to one generation. */
export const GENERATION_PREFIXES: readonly number[] = [PREFIX_REVISION, PREFIX_APP_LOG, PREFIX_REVISION_INDEX];

import { readU64, writeU64 } from './keys.ts';

export const KEY_MVCC_FORMAT = metaKey('format');
export const KEY_CONSISTENT_INDEX = metaKey('consistentIndex');
export const KEY_GENERATION = metaKey('generation');

/** A meta record's key: the prefix, then the name's UTF-8 bytes. */
export function metaKey(name: string): Uint8Array {
  const bytes = Buffer.from(name, 'utf8');
  const k = new Uint8Array(1 + bytes.byteLength);
  k[0] = PREFIX_MVCC_META;
  k.set(bytes, 1);
  return k;
}

/** prefix + generation (4 BE) + n (8 BE) + `tail` extra zero bytes for the caller to fill. */
function generationKey(prefix: number, generation: number, n: number, tailBytes: number): Uint8Array {
  const k = new Uint8Array(13 + tailBytes);
  k[0] = prefix;
  new DataView(k.buffer).setUint32(1, generation);
  writeU64(k, 5, n);
  return k;
}

/** 0x11 + generation (4 BE) + main (8 BE) + sub (4 BE): bytewise order is revision order. */
export function revisionKey(generation: number, main: number, sub: number): Uint8Array {
  return revisionKeyUnder(PREFIX_REVISION, generation, main, sub);
}

/** 0x13 + generation (4 BE) + main (8 BE) + sub (4 BE): the index record of revisionKey's revision. */
export function revisionIndexKey(generation: number, main: number, sub: number): Uint8Array {
  return revisionKeyUnder(PREFIX_REVISION_INDEX, generation, main, sub);
}

function revisionKeyUnder(prefix: number, generation: number, main: number, sub: number): Uint8Array {
  const k = generationKey(prefix, generation, main, 4);
  new DataView(k.buffer).setUint32(13, sub);
  return k;
}

export const REVISION_KEY_LENGTH = 17;

export function revisionOfKey(key: Uint8Array): { main: number; sub: number } {
  return { main: readU64(key, 5), sub: new DataView(key.buffer, key.byteOffset, key.byteLength).getUint32(13) };
}

/** 0x12 + generation (4 BE) + seq (8 BE). */
export function appLogKey(generation: number, seq: number): Uint8Array {
  return generationKey(PREFIX_APP_LOG, generation, seq, 0);
}

export function seqOfAppLogKey(key: Uint8Array): number {
  return readU64(key, 5);
}

/** Bounds of one generation's keys under `prefix`. */
export function generationRange(prefix: number, generation: number): { gte: Uint8Array; lt: Uint8Array } {
  const lo = new Uint8Array(5);
  lo[0] = prefix;
  new DataView(lo.buffer).setUint32(1, generation);
  const hi = new Uint8Array(5);
  hi[0] = prefix;
  new DataView(hi.buffer).setUint32(1, generation + 1);
  return { gte: lo, lt: hi };
}

/** Everything under `prefix` except one generation: [prefix, gen) and [gen + 1, prefix + 1). */
export function otherGenerationRanges(prefix: number, generation: number): { gte: Uint8Array; lt: Uint8Array }[] {
  const own = generationRange(prefix, generation);
  return [
    { gte: Uint8Array.of(prefix), lt: own.gte },
    { gte: own.lt, lt: Uint8Array.of(prefix + 1) },
  ];
}
