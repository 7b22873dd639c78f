// Flow control window for one follower (etcd raft's inflights_test.go): bounded in count and in bytes;
// an acknowledgement through index i frees exactly the messages whose last entry is ≤ i, oldest first.
import { describe, expect, it } from 'vitest';
import { Inflights } from './inflights.ts';

describe('Inflights', () => {
  it('starts empty and not full', () => {
    const f = new Inflights(2, 0);
    expect(f.count()).toBe(0);
    expect(f.full()).toBe(false);
  });

  it('is full at countMax messages', () => {
    const f = new Inflights(3, 0);
    f.add(1, 10);
    f.add(2, 10);
    expect(f.full()).toBe(false);
    f.add(3, 10);
    expect(f.full()).toBe(true);
  });

  it('is full once the bytes in flight reach bytesMax, whatever the count', () => {
    const f = new Inflights(100, 50);
    f.add(1, 30);
    expect(f.full()).toBe(false);
    f.add(2, 19);
    expect(f.full()).toBe(false);
    f.add(3, 1);
    expect(f.full()).toBe(true);
  });

  it('bytesMax 0 means no byte bound', () => {
    const f = new Inflights(100, 0);
    f.add(1, 1_000_000_000);
    expect(f.full()).toBe(false);
  });

  it('freeLE frees the messages whose last index is at or below the acknowledged one, and their bytes', () => {
    const f = new Inflights(10, 100);
    f.add(5, 40);
    f.add(8, 40);
    f.add(12, 40);
    expect(f.full()).toBe(true);
    f.freeLE(4);
    expect(f.count()).toBe(3);
    f.freeLE(8);
    expect(f.count()).toBe(1);
    // 40 bytes left: below the 100-byte bound again.
    expect(f.full()).toBe(false);
    f.add(13, 59);
    expect(f.full()).toBe(false);
    f.add(14, 1);
    expect(f.full()).toBe(true);
  });

  it('freeLE stops at the first message above the index (messages are in index order)', () => {
    const f = new Inflights(10, 0);
    f.add(3, 1);
    f.add(7, 1);
    f.freeLE(5);
    expect(f.count()).toBe(1);
    f.freeLE(100);
    expect(f.count()).toBe(0);
    f.freeLE(100);
    expect(f.count()).toBe(0);
  });

  it('reset empties the window and its bytes', () => {
    const f = new Inflights(2, 10);
    f.add(1, 10);
    f.add(2, 5);
    expect(f.full()).toBe(true);
    f.reset();
    expect(f.count()).toBe(0);
    expect(f.full()).toBe(false);
    f.add(3, 9);
    expect(f.full()).toBe(false);
  });
});
