// Transactions (etcd applierV3backend.Txn). The order of work is etcd's and it matters:
//  1. every compare on the chosen path — nested txns included — is evaluated against the state *before*
//     the txn (compareToPath), so a nested txn's compares do not see the outer txn's writes;
//  2. every put on that path is checked (lease exists; key exists for ignoreValue/ignoreLease), then every
//     range (revision neither future nor compacted), still against the state before the txn;
//  3. only then are the ops executed in order, all under one revision. A range op sees the writes before it.
// Steps 1–2 can fail; step 3 cannot, which is what makes the txn atomic without an undo log.

import { invariant, MvccError } from './errors.ts';
import { compareBytes, keyRange, keyString, rangeContains, type KeyRange } from './key-range.ts';
import { executeRange } from './range.ts';
import type { MvccState, RevisionWriter } from './state.ts';
import type { Compare, DeleteRangeRequest, KeyValue, PutRequest, RequestOp, ResponseOp, TxnRequest, TxnResponse, DeleteRangeResponse, PutResponse } from '@halyard/kv-client/protocol';

/** The branch taken by each txn on the path, in depth-first order (etcd's txnPath). */
type TxnPath = boolean[];

export function evaluateCompare(state: MvccState, c: Compare): boolean {
  const kvs = state.kvsAt(keyRange(c.key, c.rangeEnd), state.currentRevision);
  if (kvs.length === 0) {
    // etcd: a value compare on a missing key always fails (no way to tell "missing" from ""); the other
    // targets compare against the zero KeyValue (version 0, revisions 0, lease 0).
    if (c.target === 'value') return false;
    return compareOne(c, undefined);
  }
  return kvs.every((kv) => compareOne(c, kv));
}

function compareOne(c: Compare, kv: KeyValue | undefined): boolean {
  let order: number;
  switch (c.target) {
    case 'value':
      order = compareBytes(kv?.value ?? new Uint8Array(0), c.value);
      break;
    case 'version':
      order = Math.sign((kv?.version ?? 0) - c.operand);
      break;
    case 'createRevision':
      order = Math.sign((kv?.createRevision ?? 0) - c.operand);
      break;
    case 'modRevision':
      order = Math.sign((kv?.modRevision ?? 0) - c.operand);
      break;
    case 'lease':
      order = Math.sign((kv?.lease ?? 0) - c.operand);
      break;
    default: {
      const unknown: never = c;
      throw new Error(`unknown compare target ${JSON.stringify(unknown)}`);
    }
  }
  switch (c.result) {
    case 'equal':
      return order === 0;
    case 'notEqual':
      return order !== 0;
    case 'less':
      return order < 0;
    case 'greater':
      return order > 0;
    default: {
      const unknown: never = c.result;
      throw new Error(`unknown compare result ${String(unknown)}`);
    }
  }
}

function computePath(state: MvccState, txn: TxnRequest, path: TxnPath): void {
  const succeeded = txn.compare.every((c) => evaluateCompare(state, c));
  path.push(succeeded);
  for (const op of succeeded ? txn.success : txn.failure) {
    if (op.type === 'txn') computePath(state, op, path);
  }
}

/** Walks the ops on the chosen path, depth first, in the order etcd checks them. */
function* opsOnPath(txn: TxnRequest, path: TxnPath, cursor: { i: number }): Generator<Exclude<RequestOp, TxnRequest>> {
  const succeeded = path[cursor.i++];
  invariant(succeeded !== undefined, 'txn path shorter than the txn');
  for (const op of succeeded ? txn.success : txn.failure) {
    if (op.type === 'txn') yield* opsOnPath(op, path, cursor);
    else yield op;
  }
}

/**
 * A put's preconditions: the key must exist for ignoreValue/ignoreLease; a non-zero lease must exist.
 * When both fail, etcd reports the lease first for a plain put (applierV3backend.Put) but the key first for
 * a put inside a txn (checkRequestPut); the differential test pinned both orders down.
 */
export function checkPut(state: MvccState, put: PutRequest, order: 'leaseFirst' | 'keyFirst' = 'leaseFirst'): void {
  const lease = put.lease ?? 0;
  const leaseMissing = lease !== 0 && !state.leases.has(lease);
  const keyMissing = (put.ignoreValue === true || put.ignoreLease === true) && !state.isLive(keyString(put.key));
  const leaseError = (): MvccError => new MvccError('LeaseNotFound', 'lease not found');
  const keyError = (): MvccError => new MvccError('KeyNotFound', 'key not found');
  if (order === 'leaseFirst') {
    if (leaseMissing) throw leaseError();
    if (keyMissing) throw keyError();
  } else {
    if (keyMissing) throw keyError();
    if (leaseMissing) throw leaseError();
  }
}

/**
 * DIFFERENCE D8: a put with ignoreValue/ignoreLease whose key an earlier delete of the same txn removed.
 * etcd's duplicate-key check misses it when the delete's range_end is "\0" (compared literally), and etcd
 * 3.4 then dereferences the missing previous value and panics — the whole server goes down. We refuse the
 * txn with KeyNotFound (the key is indeed gone when the put runs), before anything is written.
 */
function checkIgnoredPutsAfterDeletes(txn: TxnRequest, path: TxnPath): void {
  const deleted: KeyRange[] = [];
  for (const op of opsOnPath(txn, path, { i: 0 })) {
    if (op.type === 'deleteRange') deleted.push(keyRange(op.key, op.rangeEnd));
    if (op.type !== 'put' || (op.ignoreValue !== true && op.ignoreLease !== true)) continue;
    const key = keyString(op.key);
    if (deleted.some((range) => rangeContains(range, key))) {
      throw new MvccError('KeyNotFound', 'key not found: deleted earlier in the same txn');
    }
  }
}

/** Runs a validated txn. Throws only before anything has been written. */
export function executeTxn(state: MvccState, writer: RevisionWriter, txn: TxnRequest): TxnResponse {
  const path: TxnPath = [];
  computePath(state, txn, path);
  // etcd checks puts only for a write txn, then ranges; a read-only txn has no puts anyway.
  for (const op of opsOnPath(txn, path, { i: 0 })) if (op.type === 'put') checkPut(state, op, 'keyFirst');
  for (const op of opsOnPath(txn, path, { i: 0 })) {
    if (op.type === 'range') state.resolveReadRevision(op.revision);
  }
  checkIgnoredPutsAfterDeletes(txn, path);
  const response = runTxn(state, writer, txn, path, { i: 0 });
  return { ...response, header: { revision: writer.readRevision } };
}

function runTxn(state: MvccState, writer: RevisionWriter, txn: TxnRequest, path: TxnPath, cursor: { i: number }): TxnResponse {
  const succeeded = path[cursor.i++];
  invariant(succeeded !== undefined, 'txn path shorter than the txn');
  const responses: ResponseOp[] = [];
  for (const op of succeeded ? txn.success : txn.failure) {
    switch (op.type) {
      case 'range':
        responses.push(executeRange(state, op, writer.readRevision));
        break;
      case 'put':
        responses.push(executePut(writer, op));
        break;
      case 'deleteRange':
        responses.push(executeDelete(writer, op));
        break;
      case 'txn':
        responses.push(runTxn(state, writer, op, path, cursor));
        break;
      default: {
        const unknown: never = op;
        throw new Error(`unknown op ${JSON.stringify(unknown)}`);
      }
    }
  }
  // etcd leaves a nested txn's response header zeroed (newTxnResp never fills it); the top-level header is
  // set by executeTxn once all ops ran. We match it rather than invent a revision no client reads.
  return { type: 'txn', header: { revision: 0 }, succeeded, responses };
}

/** A checked put. etcd's PutResponse header carries the write's revision. */
export function executePut(writer: RevisionWriter, put: PutRequest): PutResponse {
  const { prevKv } = writer.put(put.key, put.ignoreValue === true ? undefined : put.value, put.ignoreLease === true ? undefined : (put.lease ?? 0));
  const header = { revision: writer.main };
  return put.prevKv === true && prevKv !== undefined ? { type: 'put', header, prevKv } : { type: 'put', header };
}

export function executeDelete(writer: RevisionWriter, del: DeleteRangeRequest): DeleteRangeResponse {
  const deleted = writer.deleteRange(keyRange(del.key, del.rangeEnd));
  return {
    type: 'deleteRange',
    header: { revision: writer.readRevision },
    deleted: deleted.length,
    prevKvs: del.prevKv === true ? deleted : [],
  };
}
