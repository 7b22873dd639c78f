import { describe, expect, it } from 'vitest';
import { keyBytes, keyRange, keyString, prefixEnd, rangeContains } from './key-range.ts';

const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

describe('key ranges (etcd rules)', () => {
  it('latin1 strings order exactly like bytes', () => {
    const keys = ['\xff', 'a', '\x00', 'a\xff', 'a\x00', 'b'];
    const byBytes = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x, 'latin1'), Buffer.from(y, 'latin1')));
    expect([...keys].sort()).toEqual(byBytes);
    expect(keyString(keyBytes('a\xff\x00'))).toBe('a\xff\x00');
  });

  it('empty rangeEnd = one key; "\\0" = every key ≥ key; otherwise [key, end)', () => {
    expect(keyRange(b('a'), undefined)).toEqual({ kind: 'single', key: 'a' });
    expect(keyRange(b('a'), new Uint8Array())).toEqual({ kind: 'single', key: 'a' });
    const all = keyRange(b('b'), new Uint8Array([0]));
    expect(rangeContains(all, 'a')).toBe(false);
    expect(rangeContains(all, '\xff\xff')).toBe(true);
    const interval = keyRange(b('a'), b('c'));
    expect(['a', 'b\xff', 'c'].map((k) => rangeContains(interval, k))).toEqual([true, true, false]);
    const inverted = keyRange(b('c'), b('a'));
    expect(rangeContains(inverted, 'b')).toBe(false);
  });

  it('prefix end: last byte + 1, trailing 0xff dropped, "\\0" when nothing is left', () => {
    expect(keyString(prefixEnd(b('ab')))).toBe('ac');
    expect(keyString(prefixEnd(b('a\xff')))).toBe('b');
    expect(prefixEnd(b('\xff\xff'))).toEqual(new Uint8Array([0]));
  });
});
