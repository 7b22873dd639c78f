// Turns the client's friendly inputs (strings or bytes, range selectors, operator symbols) into the wire
// request shapes of protocol/messages.ts. Pure functions, so the CLI's txn parser reuses them.
import type { Compare, CompareResult, DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, TxnRequest } from '../protocol/kv-types.ts';
import { KvError } from '../protocol/errors.ts';
import { keyRangeOf, toBytes, type Bytes } from './bytes.ts';
import type { CompareInput, CompareOperator, DeleteOptions, GetOptions, OpInput, PutOptions, TxnInput } from './types.ts';

const OPERATORS: Readonly<Record<CompareOperator, CompareResult>> = {
  equal: 'equal',
  notEqual: 'notEqual',
  less: 'less',
  greater: 'greater',
  '=': 'equal',
  '!=': 'notEqual',
  '<': 'less',
  '>': 'greater',
};

/** Drops undefined fields: the wire format keeps "absent" distinct from a value. */
function defined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

export function rangeParams(key: Bytes, opts: Omit<GetOptions, 'signal' | 'timeoutMs'> = {}): Omit<RangeRequest, 'type'> & { serializable?: boolean } {
  return defined({
    ...keyRangeOf(key, opts),
    limit: opts.limit,
    revision: opts.revision,
    sortOrder: opts.sortOrder,
    sortTarget: opts.sortTarget,
    keysOnly: opts.keysOnly,
    countOnly: opts.countOnly,
    serializable: opts.serializable,
  });
}

export function putParams(key: Bytes, value: Bytes, opts: Omit<PutOptions, 'signal' | 'timeoutMs'> = {}): Omit<PutRequest, 'type'> {
  return defined({
    key: toBytes(key),
    value: toBytes(value),
    lease: opts.lease,
    prevKv: opts.prevKv,
    ignoreValue: opts.ignoreValue,
    ignoreLease: opts.ignoreLease,
  });
}

export function deleteParams(key: Bytes, opts: Omit<DeleteOptions, 'signal' | 'timeoutMs'> = {}): Omit<DeleteRangeRequest, 'type'> {
  return defined({ ...keyRangeOf(key, opts), prevKv: opts.prevKv });
}

export function compareParams(c: CompareInput): Compare {
  const result = OPERATORS[c.result];
  if (result === undefined) throw new KvError('InvalidRequest', `unknown compare operator ${JSON.stringify(c.result)}`);
  const key = toBytes(c.key);
  const rangeEnd = c.rangeEnd === undefined ? undefined : toBytes(c.rangeEnd);
  if (c.target === 'value') return defined({ key, rangeEnd, result, target: c.target, value: toBytes(c.value) });
  return defined({ key, rangeEnd, result, target: c.target, operand: c.operand });
}

export function opParams(op: OpInput): RequestOp {
  switch (op.type) {
    case 'range': {
      const { type, key, ...opts } = op;
      return { type, ...rangeParams(key, opts) };
    }
    case 'put': {
      const { type, key, value, ...opts } = op;
      return { type, ...putParams(key, value, opts) };
    }
    case 'deleteRange': {
      const { type, key, ...opts } = op;
      return { type, ...deleteParams(key, opts) };
    }
    case 'txn':
      return { type: 'txn', ...txnParams(op) };
    default: {
      const never: never = op;
      throw new KvError('InvalidRequest', `unknown txn op ${JSON.stringify((never as { type: unknown }).type)}`);
    }
  }
}

export function txnParams(txn: TxnInput): Omit<TxnRequest, 'type'> {
  return {
    compare: (txn.compare ?? []).map(compareParams),
    success: (txn.success ?? []).map(opParams),
    failure: (txn.failure ?? []).map(opParams),
  };
}

/** Builders for txn compares, as clientv3's Compare(Value(k), "=", v). */
export const compare = {
  value: (key: Bytes, result: CompareOperator, value: Bytes): CompareInput => ({ key, result, target: 'value', value }),
  version: (key: Bytes, result: CompareOperator, operand: number): CompareInput => ({ key, result, target: 'version', operand }),
  createRevision: (key: Bytes, result: CompareOperator, operand: number): CompareInput => ({ key, result, target: 'createRevision', operand }),
  modRevision: (key: Bytes, result: CompareOperator, operand: number): CompareInput => ({ key, result, target: 'modRevision', operand }),
  lease: (key: Bytes, result: CompareOperator, operand: number): CompareInput => ({ key, result, target: 'lease', operand }),
};

/** Builders for txn ops, as clientv3's OpGet/OpPut/OpDelete/OpTxn. */
export const op = {
  get: (key: Bytes, opts: Omit<GetOptions, 'serializable' | 'signal' | 'timeoutMs'> = {}): OpInput => ({ type: 'range', key, ...opts }),
  put: (key: Bytes, value: Bytes, opts: Omit<PutOptions, 'signal' | 'timeoutMs'> = {}): OpInput => ({ type: 'put', key, value, ...opts }),
  delete: (key: Bytes, opts: Omit<DeleteOptions, 'signal' | 'timeoutMs'> = {}): OpInput => ({ type: 'deleteRange', key, ...opts }),
  txn: (txn: TxnInput): OpInput => ({ type: 'txn', ...txn }),
};
