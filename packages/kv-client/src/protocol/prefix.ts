// The range end that selects every key with a given prefix; clients and the store must agree on it.

/** etcd's prefix rule (clientv3.GetPrefixRangeEnd): drop trailing 0xff bytes, add one to the last byte; "\0" if none is left. */
export function prefixEnd(prefix: Uint8Array): Uint8Array {
  const end = Uint8Array.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    const b = end[i] as number;
    if (b < 0xff) {
      end[i] = b + 1;
      return end.subarray(0, i + 1);
    }
  }
  return new Uint8Array([0]);
}
