// Key range rules that mutation testing of key-range.ts (`pnpm mutate packages/kv/src/mvcc/key-range.ts`,
// docs/testing.md) found no example test protecting: only the one-byte range end "\0" means "every key ≥
// key" (etcd's rule), a longer end that starts with a zero byte is an ordinary bound; the normalised range
// says which kind it is; and byte equality of two keys held as views into larger buffers.
import { describe, expect, it } from 'vitest';
import { bytesEqual, keyRange, rangeContains } from './key-range.ts';

const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

describe('key ranges (etcd range_end rules)', () => {
  it('a range end of the single byte "\\0" is an unbounded interval; any other end is a bounded one', () => {
    expect(keyRange(b('b'), new Uint8Array([0]))).toEqual({ kind: 'interval', start: 'b', end: undefined });
    expect(keyRange(b('a'), b('c'))).toEqual({ kind: 'interval', start: 'a', end: 'c' });
  });

  it('a range end that starts with a zero byte but is longer is an ordinary bound, not "every key"', () => {
    const range = keyRange(new Uint8Array([0]), new Uint8Array([0, 5]));
    expect(range).toEqual({ kind: 'interval', start: '\x00', end: '\x00\x05' });
    expect(['\x00', '\x00\x04', '\x00\x05', 'a'].map((k) => rangeContains(range, k))).toEqual([true, true, false, false]);
  });

  it('bytesEqual compares the bytes a view shows, not the buffer behind it', () => {
    const buffer = b('xaby');
    expect(bytesEqual(buffer.subarray(1, 3), b('ab'))).toBe(true);
    expect(bytesEqual(buffer.subarray(1, 3), b('ac'))).toBe(false);
    expect(bytesEqual(buffer.subarray(1, 3), b('abx'))).toBe(false);
  });
});
