// Facts about single operations that several parts of the checker need: which keys an operation touches,
// whether its result says it wrote, and short human-readable descriptions for explanations and the report.

import type { HistoryOp, Op, Result } from './history.ts';

/** Every key an operation reads or writes, without duplicates, in first-mention order. */
export function keysOf(op: Op): string[] {
  switch (op.type) {
    case 'get':
    case 'put':
    case 'delete':
    case 'cas':
      return [op.key];
    case 'txn': {
      const keys = new Set<string>();
      for (const c of op.compares) keys.add(c.key);
      for (const p of op.puts) keys.add(p.key);
      return [...keys];
    }
    default:
      return assertNever(op);
  }
}

/** The keys an operation writes when it takes effect. */
export function writtenKeysOf(op: Op): string[] {
  switch (op.type) {
    case 'get':
      return [];
    case 'put':
    case 'delete':
    case 'cas':
      return [op.key];
    case 'txn':
      return [...new Set(op.puts.map((p) => p.key))];
    default:
      return assertNever(op);
  }
}

/**
 * True when the result says the operation created a new store revision. etcd semantics: a delete of an absent
 * key, a failed cas/txn and a txn without puts leave the revision alone.
 */
export function isEffectiveWrite(op: Op, result: Result): boolean {
  switch (result.type) {
    case 'get':
      return false;
    case 'put':
      return true;
    case 'delete':
      return result.deleted > 0;
    case 'cas':
      return result.succeeded;
    case 'txn':
      return result.succeeded && op.type === 'txn' && op.puts.length > 0;
    default:
      return assertNever(result);
  }
}

export function describeOp(op: Op): string {
  switch (op.type) {
    case 'get':
      return `get(${op.key})`;
    case 'put':
      return `put(${op.key}=${JSON.stringify(op.value)})`;
    case 'delete':
      return `delete(${op.key})`;
    case 'cas':
      return `cas(${op.key} if mod=${op.expectedModRevision} then =${JSON.stringify(op.value)})`;
    case 'txn': {
      const ifs = op.compares.map((c) => `${c.key}.mod=${c.expectedModRevision}`).join(' && ');
      const puts = op.puts.map((p) => `${p.key}=${JSON.stringify(p.value)}`).join(', ');
      return `txn(if ${ifs || 'true'} then ${puts || 'nothing'})`;
    }
    default:
      return assertNever(op);
  }
}

export function describeResult(result: Result | null): string {
  if (result === null) return 'unknown outcome';
  switch (result.type) {
    case 'get':
      return result.value === null
        ? `absent @rev ${result.revision}`
        : `${JSON.stringify(result.value)} mod ${result.modRevision} @rev ${result.revision}`;
    case 'put':
      return `ok @rev ${result.revision}`;
    case 'delete':
      return `deleted ${result.deleted} @rev ${result.revision}`;
    case 'cas':
    case 'txn':
      return `${result.succeeded ? 'succeeded' : 'failed'} @rev ${result.revision}`;
    default:
      return assertNever(result);
  }
}

/** One line naming an operation in explanations: id, client, op and result. */
export function describeHistoryOp(h: HistoryOp): string {
  return `#${h.id} c${h.clientId} ${describeOp(h.op)} → ${describeResult(h.result)}`;
}

export function assertNever(x: never): never {
  throw new Error(`unreachable: ${JSON.stringify(x)}`);
}
