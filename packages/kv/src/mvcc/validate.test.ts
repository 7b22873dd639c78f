// etcd's stateless request checks (v3rpc/key.go), case by case.

import { describe, expect, it } from 'vitest';
import { isMvccError, type MvccErrorCode } from './errors.ts';
import type { RequestOp, TxnRequest } from '@halyard/kv-client/protocol';
import { txnOpsMax, validateCommand } from './validate.ts';

const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const put = (k: string): RequestOp => ({ type: 'put', key: b(k), value: b('') });
const del = (k: string, end?: string | Uint8Array): RequestOp => ({
  type: 'deleteRange',
  key: b(k),
  ...(end === undefined ? {} : { rangeEnd: typeof end === 'string' ? b(end) : end }),
});
const txn = (success: RequestOp[], failure: RequestOp[] = [], compares = 0): TxnRequest => ({
  type: 'txn',
  compare: Array.from({ length: compares }, () => ({ key: b('c'), target: 'version' as const, result: 'equal' as const, operand: 0 })),
  success,
  failure,
});

function check(t: TxnRequest): MvccErrorCode | 'ok' {
  try {
    validateCommand(t);
    return 'ok';
  } catch (err) {
    if (isMvccError(err)) return err.code;
    throw err;
  }
}

describe('duplicate keys in a txn (etcd checkIntervals)', () => {
  it.each([
    ['two puts of one key', txn([put('a'), put('a')]), 'DuplicateKey'],
    ['put inside a deleted range', txn([del('a', 'c'), put('b')]), 'DuplicateKey'],
    ['put then delete of the same key', txn([put('a'), del('a')]), 'DuplicateKey'],
    ['put outside the deleted range', txn([del('a', 'b'), put('b')]), 'ok'],
    ['the same key in success and failure', txn([put('a')], [put('a')]), 'ok'],
    ['overlapping deletes', txn([del('a', 'c'), del('b', 'd')]), 'ok'],
    // etcd compares range_end literally here: a "\0" end (all keys ≥ key) covers no put. Matched.
    ['put under a "\\0"-ended delete', txn([del('a', new Uint8Array([0])), put('b')]), 'ok'],
    ['nested then/else may share a key', txn([txn([put('a')], [put('a')])]), 'ok'],
    ['nested put clashes with a put of the parent', txn([txn([put('a')]), put('a')]), 'DuplicateKey'],
    ['nested put inside a delete of the parent', txn([del('a', 'z'), txn([put('b')])]), 'DuplicateKey'],
    ['nested delete covers a put of the parent', txn([put('b'), txn([del('a', 'z')])]), 'DuplicateKey'],
    ['two nested txns put the same key', txn([txn([put('a')]), txn([put('a')])]), 'DuplicateKey'],
  ])('%s', (_name, t, expected) => {
    expect(check(t)).toBe(expected);
  });
});

describe('op limits (etcd --max-txn-ops, default 128)', () => {
  const ranges = (n: number): RequestOp[] => Array.from({ length: n }, () => ({ type: 'range' as const, key: b('a') }));
  it('bounds compares, success and failure separately', () => {
    expect(check(txn(ranges(txnOpsMax), ranges(txnOpsMax), txnOpsMax))).toBe('ok');
    expect(check(txn(ranges(txnOpsMax + 1)))).toBe('TooManyOps');
    expect(check(txn([], ranges(txnOpsMax + 1)))).toBe('TooManyOps');
    expect(check(txn([], [], txnOpsMax + 1))).toBe('TooManyOps');
  });
  it('a nested txn gets what its parent leaves: max minus the parent’s largest list', () => {
    // 100 ranges + the nested txn = 101 ops at the parent: the nested txn may hold 128 - 101 = 27.
    expect(check(txn([...ranges(100), txn(ranges(27))]))).toBe('ok');
    expect(check(txn([...ranges(100), txn(ranges(28))]))).toBe('TooManyOps');
    expect(check(txn([...ranges(99), txn(ranges(28))]))).toBe('ok');
  });
  it('an empty key anywhere is EmptyKey', () => {
    expect(check(txn([put('')]))).toBe('EmptyKey');
    expect(check({ type: 'txn', compare: [{ key: b(''), target: 'lease', result: 'equal', operand: 0 }], success: [], failure: [] })).toBe('EmptyKey');
  });
});
