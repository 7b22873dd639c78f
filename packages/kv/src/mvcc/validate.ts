// Request validation that needs no state: the shape checks a decoded Raft entry must pass (it came off the
// wire as msgpack, so types are not to be trusted) and etcd's request checks from its gRPC layer
// (v3rpc/key.go: checkRangeRequest, checkPutRequest, checkTxnRequest, checkIntervals), which etcd runs before
// a request is even proposed. We run them at apply time too, so the state machine is safe on its own: a bad
// command becomes a typed error and the store keeps working.

import { MvccError } from './errors.ts';
import { keyString, type KeyString } from './key-range.ts';
import type { Command, Compare, RequestOp, TxnRequest } from '@halyard/kv-client/protocol';

/** etcd's default --max-txn-ops: the bound on compares, on success ops and on failure ops of one txn. */
export const txnOpsMax = 128;
/** etcd's MaxLeaseTTL (lease/lessor.go): 9,000,000,000 seconds. */
export const leaseTtlMaxSeconds = 9_000_000_000;

const sortOrders: ReadonlySet<string> = new Set(['none', 'ascend', 'descend']);
const sortTargets: ReadonlySet<string> = new Set(['key', 'version', 'createRevision', 'modRevision', 'value']);
const compareResults: ReadonlySet<string> = new Set(['equal', 'notEqual', 'less', 'greater']);
const compareNumberTargets: ReadonlySet<string> = new Set(['version', 'createRevision', 'modRevision', 'lease']);

function invalid(message: string): MvccError {
  return new MvccError('InvalidRequest', message);
}

function checkBytes(value: unknown, field: string): void {
  if (!(value instanceof Uint8Array)) throw invalid(`${field} must be bytes`);
}
function checkOptionalBytes(value: unknown, field: string): void {
  if (value !== undefined) checkBytes(value, field);
}
function checkInteger(value: unknown, field: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw invalid(`${field} must be a safe integer`);
}
function checkOptionalInteger(value: unknown, field: string): void {
  if (value !== undefined) checkInteger(value, field);
}
function checkOptionalBoolean(value: unknown, field: string): void {
  if (value !== undefined && typeof value !== 'boolean') throw invalid(`${field} must be a boolean`);
}
function checkKey(key: unknown, field = 'key'): void {
  checkBytes(key, field);
  // etcd ErrGRPCEmptyKey: every range, put, delete and compare names a key.
  if ((key as Uint8Array).length === 0) throw new MvccError('EmptyKey', 'key is not provided');
}

/**
 * Checks one command's shape and etcd's stateless rules. Throws MvccError; returns nothing.
 * Order of checks follows etcd's, so the first error reported is the one etcd reports.
 */
export function validateCommand(cmd: Command): void {
  if (typeof cmd !== 'object' || cmd === null) throw invalid('command must be an object');
  switch (cmd.type) {
    case 'range':
    case 'put':
    case 'deleteRange':
      validateOp(cmd, txnOpsMax);
      return;
    case 'txn':
      validateOp(cmd, txnOpsMax);
      // etcd checks the success and failure branches separately: they are mutually exclusive.
      checkIntervals(cmd.success);
      checkIntervals(cmd.failure);
      return;
    case 'compaction':
      checkInteger(cmd.revision, 'revision');
      // etcd accepts 0 and negative revisions here (and answers oddly); we refuse them.
      if (cmd.revision < 1) throw invalid('compaction revision must be ≥ 1');
      return;
    case 'leaseGrant':
      checkInteger(cmd.id, 'id');
      checkInteger(cmd.ttlSeconds, 'ttlSeconds');
      if (cmd.id < 0) throw invalid('lease id must be ≥ 0 (0 = allocate)');
      if (cmd.ttlSeconds > leaseTtlMaxSeconds) throw new MvccError('LeaseTtlTooLarge', 'too large lease TTL');
      return;
    case 'leaseRevoke':
      checkInteger(cmd.id, 'id');
      return;
    case 'leaseCheckpoint':
      if (!Array.isArray(cmd.checkpoints)) throw invalid('checkpoints must be an array');
      for (const c of cmd.checkpoints) {
        if (typeof c !== 'object' || c === null) throw invalid('checkpoint must be an object');
        checkInteger(c.id, 'checkpoint id');
        checkInteger(c.remainingTtlSeconds, 'remainingTtlSeconds');
        if (c.remainingTtlSeconds < 0) throw invalid('remainingTtlSeconds must be ≥ 0');
      }
      return;
    default: {
      const unknownType: never = cmd;
      throw invalid(`unknown command type ${JSON.stringify((unknownType as { type?: unknown }).type)}`);
    }
  }
}

/** etcd's checkRequestOp / checkTxnRequest. `opsMax` shrinks as txns nest, exactly as etcd computes it. */
function validateOp(op: RequestOp, opsMax: number): void {
  if (typeof op !== 'object' || op === null) throw invalid('op must be an object');
  switch (op.type) {
    case 'range':
      checkKey(op.key);
      checkOptionalBytes(op.rangeEnd, 'rangeEnd');
      checkOptionalInteger(op.limit, 'limit');
      checkOptionalInteger(op.revision, 'revision');
      if (op.sortOrder !== undefined && !sortOrders.has(op.sortOrder)) throw invalid('invalid sort option');
      if (op.sortTarget !== undefined && !sortTargets.has(op.sortTarget)) throw invalid('invalid sort option');
      checkOptionalBoolean(op.keysOnly, 'keysOnly');
      checkOptionalBoolean(op.countOnly, 'countOnly');
      return;
    case 'put':
      checkKey(op.key);
      checkBytes(op.value, 'value');
      checkOptionalInteger(op.lease, 'lease');
      checkOptionalBoolean(op.prevKv, 'prevKv');
      checkOptionalBoolean(op.ignoreValue, 'ignoreValue');
      checkOptionalBoolean(op.ignoreLease, 'ignoreLease');
      if (op.ignoreValue === true && op.value.length !== 0) throw new MvccError('ValueProvided', 'value is provided');
      if (op.ignoreLease === true && (op.lease ?? 0) !== 0) throw new MvccError('LeaseProvided', 'lease is provided');
      return;
    case 'deleteRange':
      checkKey(op.key);
      checkOptionalBytes(op.rangeEnd, 'rangeEnd');
      checkOptionalBoolean(op.prevKv, 'prevKv');
      return;
    case 'txn':
      validateTxn(op, opsMax);
      return;
    default: {
      const unknownOp: never = op;
      throw invalid(`unknown op type ${JSON.stringify((unknownOp as { type?: unknown }).type)}`);
    }
  }
}

function validateTxn(txn: TxnRequest, opsMax: number): void {
  if (!Array.isArray(txn.compare) || !Array.isArray(txn.success) || !Array.isArray(txn.failure)) {
    throw invalid('txn compare, success and failure must be arrays');
  }
  // etcd: the largest of the three lists must fit; nested txns get what the parent leaves (opsMax - opc).
  const opc = Math.max(txn.compare.length, txn.success.length, txn.failure.length);
  if (opc > opsMax) throw new MvccError('TooManyOps', 'too many operations in txn request');
  for (const c of txn.compare) validateCompare(c);
  for (const op of txn.success) validateOp(op, opsMax - opc);
  for (const op of txn.failure) validateOp(op, opsMax - opc);
}

function validateCompare(c: Compare): void {
  if (typeof c !== 'object' || c === null) throw invalid('compare must be an object');
  checkKey(c.key);
  checkOptionalBytes(c.rangeEnd, 'compare rangeEnd');
  if (!compareResults.has(c.result)) throw invalid('invalid compare result');
  if (c.target === 'value') checkBytes(c.value, 'compare value');
  else if (compareNumberTargets.has(c.target)) checkInteger(c.operand, 'compare operand');
  else throw invalid('invalid compare target');
}

/** A delete's interval as etcd's checkIntervals sees it: [start, end) compared literally, or one key. */
interface DeleteInterval {
  readonly start: KeyString;
  /** undefined = the single key `start`. */
  readonly end: KeyString | undefined;
}

function intersects(dels: readonly DeleteInterval[], key: KeyString): boolean {
  // etcd compares range_end literally here, so a "\0" range_end (all keys ≥ key) overlaps no put, and an
  // inverted interval overlaps nothing. We match it: the same txns are accepted and refused.
  return dels.some((d) => (d.end === undefined ? key === d.start : d.start <= key && key < d.end));
}

/**
 * etcd's checkIntervals: in one branch, no key may be put twice, and no put may fall in a deleted range,
 * counting nested txns (a nested txn's then/else puts may share keys with each other, as only one runs).
 * Returns this level's puts and deletes for the parent's check.
 */
function checkIntervals(ops: readonly RequestOp[]): { puts: Set<KeyString>; dels: DeleteInterval[] } {
  const dels: DeleteInterval[] = [];
  for (const op of ops) {
    if (op.type !== 'deleteRange') continue;
    const end = op.rangeEnd !== undefined && op.rangeEnd.length > 0 ? keyString(op.rangeEnd) : undefined;
    dels.push({ start: keyString(op.key), end });
  }
  const duplicate = (): MvccError => new MvccError('DuplicateKey', 'duplicate key given in txn request');
  const puts = new Set<KeyString>();
  for (const op of ops) {
    if (op.type !== 'txn') continue;
    const then = checkIntervals(op.success);
    const otherwise = checkIntervals(op.failure);
    for (const k of then.puts) {
      if (puts.has(k) || intersects(dels, k)) throw duplicate();
      puts.add(k);
    }
    for (const k of otherwise.puts) {
      if ((puts.has(k) && !then.puts.has(k)) || intersects(dels, k)) throw duplicate();
      puts.add(k);
    }
    dels.push(...then.dels, ...otherwise.dels);
  }
  for (const op of ops) {
    if (op.type !== 'put') continue;
    const k = keyString(op.key);
    if (puts.has(k) || intersects(dels, k)) throw duplicate();
    puts.add(k);
  }
  return { puts, dels };
}
