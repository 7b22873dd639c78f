// The one msgpackr configuration used on disk and on the wire. Plain maps, no record extension
// (records share structure definitions between encoder and decoder, which a log written by one process
// and read by another, or a peer on another version, must not depend on); buffers copied out of the
// frame or LevelDB value so a stored entry does not pin the whole 1.5 MiB frame it arrived in.

import { Packr } from 'msgpackr';

const packr = new Packr({
  useRecords: false,
  mapsAsObjects: true,
  copyBuffers: true,
  moreTypes: false,
  // 64-bit integers decode to numbers; the shape checks then reject anything beyond 2^53 - 1.
  int64AsType: 'number',
});

export function pack(value: unknown): Uint8Array {
  return packr.pack(value);
}

/** Decode one msgpack value; throws on malformed input (the caller maps it to its typed error). */
export function unpack(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}
