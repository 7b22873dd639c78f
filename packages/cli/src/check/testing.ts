// A small language for writing histories by hand in tests: one line per operation, times explicit.

import type { HistoryOp, Op, Result } from './history.ts';

export const get = (key: string): Op => ({ type: 'get', key });
export const put = (key: string, value: string): Op => ({ type: 'put', key, value });
export const del = (key: string): Op => ({ type: 'delete', key });
export const cas = (key: string, expectedModRevision: number, value: string): Op => ({
  type: 'cas',
  key,
  expectedModRevision,
  value,
});
export const txn = (
  compares: readonly (readonly [string, number])[],
  puts: readonly (readonly [string, string])[],
): Op => ({
  type: 'txn',
  compares: compares.map(([key, expectedModRevision]) => ({ key, expectedModRevision })),
  puts: puts.map(([key, value]) => ({ key, value })),
});

/** A get result; value null means absent (modRevision 0). */
export const got = (value: string | null, modRevision: number, revision: number): Result => ({
  type: 'get',
  value,
  modRevision: value === null ? 0 : modRevision,
  revision,
});
export const wrote = (revision: number): Result => ({ type: 'put', revision });
export const deleted = (count: number, revision: number): Result => ({ type: 'delete', deleted: count, revision });
export const casResult = (succeeded: boolean, revision: number): Result => ({ type: 'cas', succeeded, revision });
export const txnResult = (succeeded: boolean, revision: number): Result => ({ type: 'txn', succeeded, revision });

export class HistoryBuilder {
  private readonly ops: HistoryOp[] = [];

  /** An operation by `clientId` over [invokeTime, returnTime] with a known result. */
  op(clientId: number, invokeTime: number, returnTime: number, op: Op, result: Result): this {
    this.ops.push({ id: this.ops.length, clientId, invokeTime, returnTime, op, result });
    return this;
  }

  /** An operation whose outcome is unknown (timed out, crashed): it may have taken effect or not. */
  unknown(clientId: number, invokeTime: number, op: Op): this {
    this.ops.push({ id: this.ops.length, clientId, invokeTime, returnTime: null, op, result: null });
    return this;
  }

  build(): HistoryOp[] {
    return [...this.ops];
  }
}
