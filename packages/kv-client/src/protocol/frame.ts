// msgpackr framing shared by the client port (and usable by the peer port): one frame = one msgpack
// value. Decoding never throws anything but KvError, so a bad frame is answered, not fatal.

import { Packr } from 'msgpackr';
import { KvError } from './errors.ts';

/** Default largest frame accepted, as etcd's --max-request-bytes (1.5 MiB). */
export const FRAME_SIZE_BYTES_MAX_DEFAULT = 1.5 * 1024 * 1024;

// Plain maps and arrays only (no msgpackr record extension), so other languages can speak the protocol.
const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false, int64AsType: 'number' });

export function encodeFrame(value: unknown): Uint8Array {
  return packr.pack(value);
}

export function decodeFrame(data: Uint8Array, sizeBytesMax = FRAME_SIZE_BYTES_MAX_DEFAULT): unknown {
  if (data.byteLength > sizeBytesMax) throw new KvError('TooLarge', `frame of ${data.byteLength} bytes exceeds the limit of ${sizeBytesMax}`);
  try {
    return packr.unpack(data);
  } catch (e) {
    throw new KvError('BadFrame', `not a msgpack frame: ${e instanceof Error ? e.message : String(e)}`);
  }
}
