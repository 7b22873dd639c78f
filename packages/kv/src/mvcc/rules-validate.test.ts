// Txn interval rules (etcd v3rpc checkIntervals) that mutation testing of validate.ts lines 162–203
// (`pnpm mutate packages/kv/src/mvcc/validate.ts:162-203`, docs/testing.md) found no example test
// protecting: where a deleted range starts, a delete with an empty range end, and the puts of a nested
// txn's failure branch.
import { describe, expect, it } from 'vitest';
import { isMvccError } from './errors.ts';
import { validateCommand } from './validate.ts';
import type { RequestOp, TxnRequest } from '@halyard/kv-client/protocol';

const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const put = (k: string): RequestOp => ({ type: 'put', key: b(k), value: b('') });
const del = (k: string, end?: Uint8Array): RequestOp => ({ type: 'deleteRange', key: b(k), ...(end === undefined ? {} : { rangeEnd: end }) });
const txn = (success: RequestOp[], failure: RequestOp[] = []): TxnRequest => ({ type: 'txn', compare: [], success, failure });

/** 'ok', or the refusal's message (which starts with its code). */
function check(t: TxnRequest): string {
  try {
    validateCommand(t);
    return 'ok';
  } catch (err) {
    if (isMvccError(err)) return err.message;
    throw err;
  }
}

const duplicate = 'DuplicateKey: duplicate key given in txn request';

describe('txn intervals (etcd checkIntervals)', () => {
  it('a put at the first key of a deleted range [start, end) is a duplicate; a put before the start is not', () => {
    expect(check(txn([del('a', b('c')), put('a')]))).toBe(duplicate);
    expect(check(txn([del('b', b('d')), put('a')]))).toBe('ok');
  });

  it('a delete with an empty range end deletes its one key, so a put of that key is a duplicate', () => {
    expect(check(txn([del('a', new Uint8Array(0)), put('a')]))).toBe(duplicate);
    expect(check(txn([del('a', new Uint8Array(0)), put('b')]))).toBe('ok');
  });

  it('a nested txn\'s failure-branch puts count: against an earlier nested txn\'s puts and against deleted ranges', () => {
    expect(check(txn([txn([put('a')]), txn([], [put('a')])]))).toBe(duplicate);
    expect(check(txn([del('a'), txn([], [put('a')])]))).toBe(duplicate);
    expect(check(txn([txn([put('a')], [put('a')])]))).toBe('ok');
  });
});
