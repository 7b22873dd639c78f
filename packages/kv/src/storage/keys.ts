// Key layout of the raft database. One prefix byte per kind of record, then fixed-width big-endian
// integers, so LevelDB's bytewise order is index order and a range scan of one prefix walks the log
// (or one snapshot's chunks) in sequence.

export const PREFIX_META = 0x01;
export const PREFIX_ENTRY = 0x02;
export const PREFIX_SNAPSHOT_CHUNK = 0x03;

const TWO_POW_32 = 0x1_0000_0000;

/** Format version marker, written once; a future layout change bumps it and migrates. */
export const KEY_FORMAT = Uint8Array.of(PREFIX_META, 0x00);
export const KEY_HARD_STATE = Uint8Array.of(PREFIX_META, 0x01);
export const KEY_SNAPSHOT_META = Uint8Array.of(PREFIX_META, 0x02);
export const KEY_APPLIED = Uint8Array.of(PREFIX_META, 0x03);

/** `n` as 8 bytes big-endian at `at` (bytewise order = numeric order for n < 2^53). */
export function writeU64(out: Uint8Array, at: number, n: number): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(at, Math.floor(n / TWO_POW_32));
  view.setUint32(at + 4, n >>> 0);
}

export function readU64(key: Uint8Array, at: number): number {
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
  return view.getUint32(at) * TWO_POW_32 + view.getUint32(at + 4);
}

/** Entry key: 0x02 + index as 8 bytes big-endian. */
export function entryKey(index: number): Uint8Array {
  const k = new Uint8Array(9);
  k[0] = PREFIX_ENTRY;
  writeU64(k, 1, index);
  return k;
}

export const ENTRY_KEY_LENGTH = 9;

export function entryIndexOfKey(key: Uint8Array): number {
  return readU64(key, 1);
}

/** Snapshot chunk key: 0x03 + snapshot index (8 bytes BE) + chunk number (4 bytes BE). */
export function snapshotChunkKey(snapshotIndex: number, chunk: number): Uint8Array {
  const k = new Uint8Array(13);
  k[0] = PREFIX_SNAPSHOT_CHUNK;
  writeU64(k, 1, snapshotIndex);
  new DataView(k.buffer).setUint32(9, chunk);
  return k;
}

/** Bounds for a range scan over every chunk of one snapshot. */
export function snapshotChunkRange(snapshotIndex: number): { gte: Uint8Array; lt: Uint8Array } {
  return { gte: snapshotChunkKey(snapshotIndex, 0), lt: snapshotChunkKey(snapshotIndex + 1, 0) };
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Human description of a key for error messages: what it is, then its bytes. */
export function describeKey(key: Uint8Array): string {
  const kind =
    key[0] === PREFIX_ENTRY && key.length === ENTRY_KEY_LENGTH
      ? `entry ${entryIndexOfKey(key)}`
      : key[0] === PREFIX_SNAPSHOT_CHUNK && key.length === 13
        ? `snapshot ${readU64(key, 1)} chunk ${new DataView(key.buffer, key.byteOffset).getUint32(9)}`
        : key[0] === PREFIX_META && key[1] === 0x00
          ? 'format'
          : key[0] === PREFIX_META && key[1] === 0x01
            ? 'hardState'
            : key[0] === PREFIX_META && key[1] === 0x02
              ? 'snapshotMeta'
              : key[0] === PREFIX_META && key[1] === 0x03
                ? 'appliedIndex'
                : 'unknown';
  return `${kind} (key ${hex(key)})`;
}
