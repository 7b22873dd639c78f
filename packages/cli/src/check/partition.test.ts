import { describe, expect, it } from 'vitest';
import { partitionHistory, projectOntoKey } from './partition.ts';
import { HistoryBuilder, get, got, put, txn, txnResult, wrote } from './testing.ts';
import type { HistoryOp } from './history.ts';

describe('partitionHistory', () => {
  const h = new HistoryBuilder()
    .op(0, 0, 1, put('a', '1'), wrote(2))
    .op(0, 2, 3, put('b', '1'), wrote(3))
    .op(0, 4, 5, put('c', '1'), wrote(4))
    .op(0, 6, 7, txn([['a', 2]], [['c', '2']]), txnResult(true, 5))
    .unknown(1, 0, get('b'))
    .op(0, 8, 9, txn([], []), txnResult(true, 5))
    .build();

  it('joins keys touched by one txn and keeps other keys apart', () => {
    const { components } = partitionHistory(h);
    expect(components.map((c) => [...c.keys].sort())).toEqual([['a', 'c'], ['b']]);
    expect(components[0]!.ops.map((o) => o.id)).toEqual([0, 2, 3]);
  });

  it('leaves out unknown-outcome gets and txns without keys', () => {
    expect(partitionHistory(h).skipped.map((o) => o.id)).toEqual([4, 5]);
  });

  it('puts every key in one component when asked to search the whole history', () => {
    const { components } = partitionHistory(h, false);
    expect(components).toHaveLength(1);
    expect(components[0]!.ops).toHaveLength(4);
  });

  it('handles chains of txns that join components after they were formed', () => {
    const chain = new HistoryBuilder()
      .op(0, 0, 1, get('a'), got(null, 0, 1))
      .op(0, 2, 3, get('b'), got(null, 0, 1))
      .op(0, 4, 5, txn([['c', 0]], [['a', 'x'], ['d', 'y']]), txnResult(true, 2))
      .op(0, 6, 7, txn([['b', 0]], [['d', 'z']]), txnResult(true, 3))
      .build();
    expect(partitionHistory(chain).components).toHaveLength(1);
  });
});

describe('projectOntoKey', () => {
  const h: HistoryOp[] = new HistoryBuilder()
    .op(0, 0, 1, put('a', '1'), wrote(2))
    .op(0, 2, 3, txn([['a', 2], ['b', 0]], [['a', '2'], ['b', '3']]), txnResult(true, 3))
    .op(0, 4, 5, txn([['a', 3], ['b', 7]], [['a', '4']]), txnResult(false, 3))
    .op(0, 6, 7, txn([['b', 3]], [['c', '5']]), txnResult(true, 4))
    .build();

  it('keeps a succeeded txn’s compares and puts on the key', () => {
    expect(projectOntoKey(h, 'a').map((o) => o.op)).toEqual([
      put('a', '1'),
      txn([['a', 2]], [['a', '2']]),
      txn([], []),
    ]);
  });

  it('turns a failed txn into a bare observation of its revision: another key may have failed it', () => {
    expect(projectOntoKey(h, 'a')[2]!.result).toEqual(txnResult(true, 3));
  });

  it('drops txns that do not touch the key', () => {
    expect(projectOntoKey(h, 'c').map((o) => o.id)).toEqual([3]);
  });
});
