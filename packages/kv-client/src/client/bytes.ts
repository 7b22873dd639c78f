// Keys and values cross the wire as bytes, as in etcd; callers may pass strings, which are UTF-8 encoded.
import { prefixEnd } from '../protocol/prefix.ts';
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
 * The key and rangeEnd for the options every range-shaped call accepts, as etcd's clientv3 computes them:
 * `prefix` → [key, the prefix's successor) (or [key, [0]) = "every key ≥ key" when key is all 0xff),
 * `fromKey` → [key, [0]), otherwise the explicit `rangeEnd` or none (a single key). With `prefix` or
 * `fromKey` an empty key means every key: clientv3 sends key = rangeEnd = [0] (an empty key is refused).
 */
export function keyRangeOf(key: Bytes, opts: { readonly prefix?: boolean; readonly fromKey?: boolean; readonly rangeEnd?: Bytes | undefined }): { key: Uint8Array; rangeEnd?: Uint8Array } {
  const k = toBytes(key);
  const chosen = [opts.prefix === true, opts.fromKey === true, opts.rangeEnd !== undefined].filter(Boolean).length;
  if (chosen > 1) throw new KvError('InvalidRequest', 'only one of prefix, fromKey and rangeEnd may be given');
  if ((opts.prefix === true || opts.fromKey === true) && k.length === 0) return { key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) };
  if (opts.prefix === true) return { key: k, rangeEnd: prefixEnd(k) };
  if (opts.fromKey === true) return { key: k, rangeEnd: new Uint8Array([0]) };
  return opts.rangeEnd === undefined ? { key: k } : { key: k, rangeEnd: toBytes(opts.rangeEnd) };
}

export { prefixEnd };
