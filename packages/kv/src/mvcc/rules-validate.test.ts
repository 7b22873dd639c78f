// Txn interval rules (etcd v3rpc checkIntervals) that mutation testing of validate.ts lines 162–203
// (`pnpm mutate packages/kv/src/mvcc/validate.ts:162-203`, docs/testing.md) found no example test
// protecting: where a deleted range starts, a delete with an empty range end, and the puts of a nested
// txn's failure branch. Then, from lines 1–161 (`pnpm mutate packages/kv/src/mvcc/validate.ts:1-161`):
// the shape check of each field of a decoded command, with the message that names it, and the
// boundaries of the numeric rules.
import { describe, expect, it } from 'vitest';
import { isMvccError } from './errors.ts';
import { leaseTtlMaxSeconds, validateCommand } from './validate.ts';
import type { Command, RequestOp, TxnRequest } from '@halyard/kv-client/protocol';

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

/** 'ok', or the refusal's message (which starts with its code), for any decoded value. */
function refusal(cmd: unknown): string {
  try {
    validateCommand(cmd as Command);
    return 'ok';
  } catch (err) {
    if (isMvccError(err)) return err.message;
    throw err;
  }
}

const k = b('k');
const ranges = (n: number): unknown[] => Array.from({ length: n }, () => ({ type: 'range', key: k }));
const okRange = { type: 'range', key: k, rangeEnd: b('z'), limit: 1, revision: 0, sortOrder: 'descend', sortTarget: 'value', keysOnly: true, countOnly: false };
const okPut = { type: 'put', key: k, value: b('v'), lease: 0, prevKv: true, ignoreValue: false, ignoreLease: false };
const okDelete = { type: 'deleteRange', key: k, rangeEnd: b('z'), prevKv: false };
const okCompare = { key: k, rangeEnd: b('z'), target: 'version', result: 'less', operand: 1 };
const inTxn = (op: unknown): unknown => ({ type: 'txn', compare: [], success: [op], failure: [] });
const withCompare = (c: unknown): unknown => ({ type: 'txn', compare: [c], success: [], failure: [] });

describe('command shapes: a decoded entry is checked field by field, and the refusal names the field (etcd v3rpc checks)', () => {
  it.each<[string, unknown, string]>([
    ['a well-formed range with every field', okRange, 'ok'],
    ['a well-formed put with every field', okPut, 'ok'],
    ['a well-formed delete with every field', okDelete, 'ok'],
    ['a txn of well-formed ops and compares', { type: 'txn', compare: [okCompare, { key: k, target: 'value', result: 'equal', value: b('') }], success: [okRange, okPut], failure: [okDelete] }, 'ok'],
    ['a command that is not an object', 'put', 'InvalidRequest: command must be an object'],
    ['a null command', null, 'InvalidRequest: command must be an object'],
    ['an unknown command type, named', { type: 'rename' }, 'InvalidRequest: unknown command type "rename"'],
    ['an op that is not an object', inTxn(7), 'InvalidRequest: op must be an object'],
    ['a null op', inTxn(null), 'InvalidRequest: op must be an object'],
    ['an unknown op type, named', inTxn({ type: 'compaction', revision: 1 }), 'InvalidRequest: unknown op type "compaction"'],
    ['a key that is not bytes', { ...okRange, key: 'k' }, 'InvalidRequest: key must be bytes'],
    ['a range end that is not bytes', { ...okRange, rangeEnd: 'z' }, 'InvalidRequest: rangeEnd must be bytes'],
    ['a fractional limit', { ...okRange, limit: 1.5 }, 'InvalidRequest: limit must be a safe integer'],
    ['a limit that is a string', { ...okRange, limit: '1' }, 'InvalidRequest: limit must be a safe integer'],
    ['a range revision beyond the safe integers', { ...okRange, revision: 2 ** 53 }, 'InvalidRequest: revision must be a safe integer'],
    ['an unknown sort order', { ...okRange, sortOrder: 'random' }, 'InvalidRequest: invalid sort option'],
    ['an unknown sort target', { ...okRange, sortTarget: 'colour' }, 'InvalidRequest: invalid sort option'],
    ['keysOnly that is not a boolean', { ...okRange, keysOnly: 1 }, 'InvalidRequest: keysOnly must be a boolean'],
    ['countOnly that is not a boolean', { ...okRange, countOnly: 'yes' }, 'InvalidRequest: countOnly must be a boolean'],
    ['a put value that is not bytes', { ...okPut, value: 'v' }, 'InvalidRequest: value must be bytes'],
    ['a put without a value', { type: 'put', key: k }, 'InvalidRequest: value must be bytes'],
    ['a fractional lease', { ...okPut, lease: 0.5 }, 'InvalidRequest: lease must be a safe integer'],
    ['a put prevKv that is not a boolean', { ...okPut, prevKv: 0 }, 'InvalidRequest: prevKv must be a boolean'],
    ['ignoreValue that is not a boolean', { ...okPut, ignoreValue: 'true' }, 'InvalidRequest: ignoreValue must be a boolean'],
    ['ignoreLease that is not a boolean', { ...okPut, ignoreLease: null }, 'InvalidRequest: ignoreLease must be a boolean'],
    ['a delete key that is not bytes', { ...okDelete, key: [1] }, 'InvalidRequest: key must be bytes'],
    ['an empty delete key', { ...okDelete, key: new Uint8Array(0) }, 'EmptyKey: key is not provided'],
    ['a delete range end that is not bytes', { ...okDelete, rangeEnd: 5 }, 'InvalidRequest: rangeEnd must be bytes'],
    ['a delete prevKv that is not a boolean', { ...okDelete, prevKv: 'no' }, 'InvalidRequest: prevKv must be a boolean'],
    ['txn lists that are not arrays', { type: 'txn', compare: [], success: {}, failure: [] }, 'InvalidRequest: txn compare, success and failure must be arrays'],
    ['a txn without compares', { type: 'txn', success: [], failure: [] }, 'InvalidRequest: txn compare, success and failure must be arrays'],
    ['a txn without a failure list', { type: 'txn', compare: [], success: [] }, 'InvalidRequest: txn compare, success and failure must be arrays'],
    ['a compare that is not an object', withCompare('c'), 'InvalidRequest: compare must be an object'],
    ['a null compare', withCompare(null), 'InvalidRequest: compare must be an object'],
    ['a compare key that is not bytes', withCompare({ ...okCompare, key: 'k' }), 'InvalidRequest: key must be bytes'],
    ['a compare range end that is not bytes', withCompare({ ...okCompare, rangeEnd: 'z' }), 'InvalidRequest: compare rangeEnd must be bytes'],
    ['an unknown compare result', withCompare({ ...okCompare, result: 'similar' }), 'InvalidRequest: invalid compare result'],
    ['a value compare without bytes', withCompare({ key: k, target: 'value', result: 'equal', value: 'v' }), 'InvalidRequest: compare value must be bytes'],
    ['a number compare with a fractional operand', withCompare({ ...okCompare, operand: 0.5 }), 'InvalidRequest: compare operand must be a safe integer'],
    ['an unknown compare target', withCompare({ ...okCompare, target: 'size' }), 'InvalidRequest: invalid compare target'],
    ['a compaction revision that is not an integer', { type: 'compaction', revision: '3' }, 'InvalidRequest: revision must be a safe integer'],
    ['a lease grant id that is not an integer', { type: 'leaseGrant', id: 1.5, ttlSeconds: 5 }, 'InvalidRequest: id must be a safe integer'],
    ['a lease grant TTL that is not an integer', { type: 'leaseGrant', id: 1, ttlSeconds: '5' }, 'InvalidRequest: ttlSeconds must be a safe integer'],
    ['a negative lease grant id', { type: 'leaseGrant', id: -1, ttlSeconds: 5 }, 'InvalidRequest: lease id must be ≥ 0 (0 = allocate)'],
    ['a lease revoke id that is not an integer', { type: 'leaseRevoke', id: 'x' }, 'InvalidRequest: id must be a safe integer'],
    ['checkpoints that are not an array', { type: 'leaseCheckpoint', checkpoints: { id: 1 } }, 'InvalidRequest: checkpoints must be an array'],
    ['a checkpoint that is not an object', { type: 'leaseCheckpoint', checkpoints: [1] }, 'InvalidRequest: checkpoint must be an object'],
    ['a null checkpoint', { type: 'leaseCheckpoint', checkpoints: [null] }, 'InvalidRequest: checkpoint must be an object'],
    ['a checkpoint id that is not an integer', { type: 'leaseCheckpoint', checkpoints: [{ id: '1', remainingTtlSeconds: 1 }] }, 'InvalidRequest: checkpoint id must be a safe integer'],
    ['a checkpoint TTL that is not an integer', { type: 'leaseCheckpoint', checkpoints: [{ id: 1, remainingTtlSeconds: 0.5 }] }, 'InvalidRequest: remainingTtlSeconds must be a safe integer'],
    ['a later checkpoint is checked too', { type: 'leaseCheckpoint', checkpoints: [{ id: 1, remainingTtlSeconds: 1 }, { id: 2, remainingTtlSeconds: -1 }] }, 'InvalidRequest: remainingTtlSeconds must be ≥ 0'],
  ])('%s', (_name, cmd, expected) => {
    expect(refusal(cmd)).toBe(expected);
  });
});

describe('boundaries of the numeric rules', () => {
  it.each<[string, unknown, string]>([
    ['compaction at revision 1 is allowed', { type: 'compaction', revision: 1 }, 'ok'],
    ['compaction at revision 0 is refused (etcd accepts it and answers oddly)', { type: 'compaction', revision: 0 }, 'InvalidRequest: compaction revision must be ≥ 1'],
    ['a grant of id 0 asks the store to allocate one', { type: 'leaseGrant', id: 0, ttlSeconds: 5 }, 'ok'],
    ['a nested txn in the failure branch gets what its parent leaves too (128 − 101 = 27 ops)', { type: 'txn', compare: [], success: [], failure: [...ranges(100), { type: 'txn', compare: [], success: ranges(27), failure: [] }] }, 'ok'],
    ['a nested txn in the failure branch over what its parent leaves is TooManyOps', { type: 'txn', compare: [], success: [], failure: [...ranges(100), { type: 'txn', compare: [], success: ranges(28), failure: [] }] }, 'TooManyOps: too many operations in txn request'],
    ['a TTL of exactly etcd\'s MaxLeaseTTL is allowed', { type: 'leaseGrant', id: 1, ttlSeconds: leaseTtlMaxSeconds }, 'ok'],
    ['a TTL above MaxLeaseTTL is LeaseTtlTooLarge (etcd ErrLeaseTTLTooLarge)', { type: 'leaseGrant', id: 1, ttlSeconds: leaseTtlMaxSeconds + 1 }, 'LeaseTtlTooLarge: too large lease TTL'],
    ['a checkpoint of 0 (clear it) is allowed', { type: 'leaseCheckpoint', checkpoints: [{ id: 1, remainingTtlSeconds: 0 }] }, 'ok'],
    ['ignoreValue with an empty value is allowed', { ...okPut, value: new Uint8Array(0), ignoreValue: true }, 'ok'],
    ['ignoreValue with a value is ValueProvided (etcd ErrGRPCValueProvided)', { ...okPut, ignoreValue: true }, 'ValueProvided: value is provided'],
    ['ignoreLease with lease 0 or none is allowed', { type: 'put', key: k, value: b('v'), ignoreLease: true }, 'ok'],
    ['ignoreLease with a lease is LeaseProvided (etcd ErrGRPCLeaseProvided)', { ...okPut, lease: 5, ignoreLease: true }, 'LeaseProvided: lease is provided'],
  ])('%s', (_name, cmd, expected) => {
    expect(refusal(cmd)).toBe(expected);
  });
});
