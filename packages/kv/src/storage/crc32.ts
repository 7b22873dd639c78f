// CRC-32 (IEEE 802.3, the zlib/gzip polynomial) over byte arrays. Node ≥ 20.15 ships a native
// zlib.crc32; older Node 20 releases do not, so a table-driven fallback keeps `engines: node>=20` honest.
// Both produce the same value, so records written by one are readable by the other.

import * as zlib from 'node:zlib';

type Crc32Fn = (data: Uint8Array, initial?: number) => number;

const TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** Table-driven CRC-32; `initial` continues a running checksum over several pieces. */
export function crc32Table(data: Uint8Array, initial = 0): number {
  let c = (initial ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const native = (zlib as unknown as { crc32?: Crc32Fn }).crc32;

/** CRC-32 of `data`, continuing from `initial` (the CRC of the preceding bytes) when given. */
export const crc32: Crc32Fn = typeof native === 'function' ? (data, initial = 0) => native(data, initial) >>> 0 : crc32Table;
