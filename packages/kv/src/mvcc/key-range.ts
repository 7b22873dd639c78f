// Keys are bytes. Internally a key is held as a "latin1 string": one UTF-16 code unit per byte (0–255), so
// JavaScript's `<` on two such strings is exactly bytewise (memcmp) order — the order etcd uses — and the
// string can key a Map. Conversions happen only at the boundary (requests in, KeyValues out).

/** A key as a latin1 string (each char code is one byte). Opaque by convention: build it with `keyString`. */
export type KeyString = string;

export function keyString(bytes: Uint8Array): KeyString {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

export function keyBytes(key: KeyString): Uint8Array {
  return new Uint8Array(Buffer.from(key, 'latin1'));
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(
    Buffer.from(a.buffer, a.byteOffset, a.byteLength),
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return compareBytes(a, b) === 0;
}

/**
 * A normalised etcd key range. etcd's rules for (key, range_end):
 *  - range_end empty        → the single key `key`;
 *  - range_end == "\0"      → every key ≥ key (and key "\0" too means "all keys");
 *  - otherwise              → [key, range_end); empty when range_end ≤ key.
 */
export type KeyRange =
  | { readonly kind: 'single'; readonly key: KeyString }
  | { readonly kind: 'interval'; readonly start: KeyString; readonly end: KeyString | undefined /* unbounded */ };

export function keyRange(key: Uint8Array, rangeEnd: Uint8Array | undefined): KeyRange {
  const start = keyString(key);
  if (rangeEnd === undefined || rangeEnd.length === 0) return { kind: 'single', key: start };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { kind: 'interval', start, end: undefined };
  return { kind: 'interval', start, end: keyString(rangeEnd) };
}

export function rangeContains(range: KeyRange, key: KeyString): boolean {
  if (range.kind === 'single') return key === range.key;
  return key >= range.start && (range.end === undefined || key < range.end);
}

// etcd's prefix rule is part of the client protocol: clients compute range ends with it too.
export { prefixEnd } from '@halyard/kv-client/protocol';
