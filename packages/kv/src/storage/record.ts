// Framing of one LevelDB value: [format version: 1 byte][CRC-32 BE: 4 bytes][msgpack payload].
// The CRC covers the key and the payload, so a bit flip in the value *and* a value stored under the
// wrong key are both detected. LevelDB has its own block checksums, but only when paranoid checks
// are on and only for what LevelDB wrote; this one is ours, end to end.

import { crc32 } from './crc32.ts';
import { StorageCorruptError } from './errors.ts';
import { describeKey } from './keys.ts';
import { pack, unpack } from './msgpack.ts';
import { ShapeError } from './shape.ts';

export const RECORD_VERSION = 1;
const HEADER_BYTES = 5;

export function sealRecord(key: Uint8Array, value: unknown): Uint8Array {
  const payload = pack(value);
  const out = new Uint8Array(HEADER_BYTES + payload.byteLength);
  out[0] = RECORD_VERSION;
  new DataView(out.buffer).setUint32(1, crc32(payload, crc32(key)));
  out.set(payload, HEADER_BYTES);
  return out;
}

/** Check and decode a record read back from `path`; any damage is a StorageCorruptError naming the record. */
export function openRecord(path: string, key: Uint8Array, raw: Uint8Array): unknown {
  if (raw.byteLength < HEADER_BYTES) {
    throw new StorageCorruptError(path, describeKey(key), `truncated record (${raw.byteLength} bytes)`);
  }
  if (raw[0] !== RECORD_VERSION) {
    throw new StorageCorruptError(path, describeKey(key), `unknown record version ${raw[0]}`);
  }
  const payload = raw.subarray(HEADER_BYTES);
  const stored = new DataView(raw.buffer, raw.byteOffset, raw.byteLength).getUint32(1);
  const actual = crc32(payload, crc32(key));
  if (stored !== actual) {
    throw new StorageCorruptError(path, describeKey(key), `checksum mismatch (stored ${stored.toString(16)}, computed ${actual.toString(16)})`);
  }
  try {
    return unpack(payload);
  } catch (err) {
    throw new StorageCorruptError(path, describeKey(key), 'checksum ok but payload is not msgpack', { cause: err });
  }
}

/** openRecord, then `decode` the value; a shape the decoder refuses is a StorageCorruptError naming the record. */
export function decodeChecked<T>(path: string, key: Uint8Array, raw: Uint8Array, decode: (v: unknown) => T): T {
  const value = openRecord(path, key, raw);
  try {
    return decode(value);
  } catch (err) {
    if (err instanceof ShapeError) throw new StorageCorruptError(path, describeKey(key), `bad record: ${err.message}`, { cause: err });
    throw err;
  }
}
