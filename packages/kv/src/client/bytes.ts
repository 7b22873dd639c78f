// Keys and values cross the wire as bytes, as in etcd; callers may pass strings, which are UTF-8 encoded.
import { prefixEnd } from '../mvcc/key-range.ts';
import { KvError } from '../protocol/errors.ts';

export type Bytes = string | Uint8Array;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function toBytes(value: Bytes): Uint8Array {
  return typeof value === 'string' ? encoder.encode(value) : value;
}

/** UTF-8 decoding for display; invalid sequences become U+FFFD rather than throwing. */
export function bytesToString(value: Uint8Array): string {
  return decoder.decode(value);
}

/**
 * The rangeEnd for the options every range-shaped call accepts, as etcd's clientv3 computes it:
 * `prefix` → the prefix's successor (or [0] = "every key ≥ key" when the key is all 0xff / empty),
 * `fromKey` → [0], otherwise the explicit `rangeEnd` or none (a single key).
 */
export function rangeEndOf(key: Uint8Array, opts: { readonly prefix?: boolean; readonly fromKey?: boolean; readonly rangeEnd?: Bytes | undefined }): Uint8Array | undefined {
  const chosen = [opts.prefix === true, opts.fromKey === true, opts.rangeEnd !== undefined].filter(Boolean).length;
  if (chosen > 1) throw new KvError('InvalidRequest', 'only one of prefix, fromKey and rangeEnd may be given');
  if (opts.prefix === true) return key.length === 0 ? new Uint8Array([0]) : prefixEnd(key);
  if (opts.fromKey === true) return new Uint8Array([0]);
  return opts.rangeEnd === undefined ? undefined : toBytes(opts.rangeEnd);
}

export { prefixEnd };
