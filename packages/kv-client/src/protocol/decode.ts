// Validation of everything a client sends: a decoded msgpack value is `unknown` until every field of it
// has been checked here. A bad request becomes a KvError('InvalidRequest' | 'BadFrame') naming the field;
// the connection and the member keep serving.

import type { Compare, CompareResult, DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, SortOrder, SortTarget, TxnRequest } from './kv-types.ts';
import { KvError } from './errors.ts';
import { type ClientRequest, METHODS, type Method, type WatchCreateParams } from './messages.ts';

type Obj = Record<string, unknown>;

/** Nesting bound for txn-in-txn, so a hostile frame cannot recurse us out of stack. */
export const TXN_DEPTH_MAX = 8;

function bad(path: string, what: string): never {
  throw new KvError('InvalidRequest', `${path}: ${what}`);
}

function obj(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) bad(path, 'must be a map');
  return v as Obj;
}

function bytes(v: unknown, path: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  bad(path, 'must be bytes');
}

function optBytes(o: Obj, k: string, path: string): Uint8Array | undefined {
  return o[k] === undefined || o[k] === null ? undefined : bytes(o[k], `${path}.${k}`);
}

function int(v: unknown, path: string, min = Number.MIN_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) bad(path, 'must be a safe integer');
  if (v < min) bad(path, `must be ≥ ${min}`);
  return v;
}

function optInt(o: Obj, k: string, path: string, min?: number): number | undefined {
  return o[k] === undefined || o[k] === null ? undefined : int(o[k], `${path}.${k}`, min);
}

function optBool(o: Obj, k: string, path: string): boolean | undefined {
  const v = o[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') bad(`${path}.${k}`, 'must be a boolean');
  return v;
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], path: string): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) bad(path, `must be one of ${allowed.join(', ')}`);
  return v as T;
}

function optOneOf<T extends string>(o: Obj, k: string, allowed: readonly T[], path: string): T | undefined {
  return o[k] === undefined || o[k] === null ? undefined : oneOf(o[k], allowed, `${path}.${k}`);
}

function arr(v: unknown, path: string, maxLen: number): unknown[] {
  if (!Array.isArray(v)) bad(path, 'must be an array');
  if (v.length > maxLen) bad(path, `has more than ${maxLen} elements`);
  return v;
}

/** Copy only the defined optional fields, so absent stays absent. */
function defined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

export function decodeRange(v: unknown, path: string): Omit<RangeRequest, 'type'> & { serializable?: boolean } {
  const o = obj(v, path);
  return defined({
    key: bytes(o.key, `${path}.key`),
    rangeEnd: optBytes(o, 'rangeEnd', path),
    limit: optInt(o, 'limit', path),
    revision: optInt(o, 'revision', path),
    sortOrder: optOneOf<SortOrder>(o, 'sortOrder', ['none', 'ascend', 'descend'], path),
    sortTarget: optOneOf<SortTarget>(o, 'sortTarget', ['key', 'version', 'createRevision', 'modRevision', 'value'], path),
    keysOnly: optBool(o, 'keysOnly', path),
    countOnly: optBool(o, 'countOnly', path),
    serializable: optBool(o, 'serializable', path),
  });
}

export function decodePut(v: unknown, path: string): Omit<PutRequest, 'type'> {
  const o = obj(v, path);
  return defined({
    key: bytes(o.key, `${path}.key`),
    value: o.value === undefined || o.value === null ? new Uint8Array(0) : bytes(o.value, `${path}.value`),
    lease: optInt(o, 'lease', path, 0),
    prevKv: optBool(o, 'prevKv', path),
    ignoreValue: optBool(o, 'ignoreValue', path),
    ignoreLease: optBool(o, 'ignoreLease', path),
  });
}

export function decodeDeleteRange(v: unknown, path: string): Omit<DeleteRangeRequest, 'type'> {
  const o = obj(v, path);
  return defined({ key: bytes(o.key, `${path}.key`), rangeEnd: optBytes(o, 'rangeEnd', path), prevKv: optBool(o, 'prevKv', path) });
}

const COMPARE_RESULTS: readonly CompareResult[] = ['equal', 'notEqual', 'less', 'greater'];

function decodeCompare(v: unknown, path: string): Compare {
  const o = obj(v, path);
  const key = bytes(o.key, `${path}.key`);
  const rangeEnd = optBytes(o, 'rangeEnd', path);
  const result = oneOf(o.result, COMPARE_RESULTS, `${path}.result`);
  const target = oneOf(o.target, ['value', 'version', 'createRevision', 'modRevision', 'lease'] as const, `${path}.target`);
  if (target === 'value') return defined({ key, rangeEnd, result, target, value: bytes(o.value, `${path}.value`) });
  return defined({ key, rangeEnd, result, target, operand: int(o.operand, `${path}.operand`) });
}

function decodeOp(v: unknown, path: string, depth: number): RequestOp {
  const o = obj(v, path);
  const type = oneOf(o.type, ['range', 'put', 'deleteRange', 'txn'] as const, `${path}.type`);
  switch (type) {
    case 'range': {
      const { serializable: _ignored, ...r } = decodeRange(o, path);
      return { type, ...r };
    }
    case 'put':
      return { type, ...decodePut(o, path) };
    case 'deleteRange':
      return { type, ...decodeDeleteRange(o, path) };
    case 'txn':
      return { type, ...decodeTxn(o, path, depth + 1) };
  }
}

/** Element bound for the arrays of a txn before the state machine's own 128-op check runs. */
const TXN_ARRAY_LEN_MAX = 10_000;

export function decodeTxn(v: unknown, path: string, depth = 0): Omit<TxnRequest, 'type'> {
  if (depth > TXN_DEPTH_MAX) bad(path, `txn nested deeper than ${TXN_DEPTH_MAX}`);
  const o = obj(v, path);
  const list = (k: string): unknown[] => (o[k] === undefined || o[k] === null ? [] : arr(o[k], `${path}.${k}`, TXN_ARRAY_LEN_MAX));
  return {
    compare: list('compare').map((c, i) => decodeCompare(c, `${path}.compare[${i}]`)),
    success: list('success').map((c, i) => decodeOp(c, `${path}.success[${i}]`, depth)),
    failure: list('failure').map((c, i) => decodeOp(c, `${path}.failure[${i}]`, depth)),
  };
}

function decodeWatchCreate(v: unknown, path: string): WatchCreateParams {
  const o = obj(v, path);
  const filters = o.filters === undefined || o.filters === null ? undefined : arr(o.filters, `${path}.filters`, 2).map((f, i) => oneOf(f, ['noPut', 'noDelete'] as const, `${path}.filters[${i}]`));
  return defined({
    key: bytes(o.key, `${path}.key`),
    rangeEnd: optBytes(o, 'rangeEnd', path),
    startRevision: optInt(o, 'startRevision', path, 0),
    prevKv: optBool(o, 'prevKv', path),
    progressNotify: optBool(o, 'progressNotify', path),
    filters,
  });
}

function urls(v: unknown, path: string): string[] {
  return arr(v, path, 16).map((u, i) => {
    if (typeof u !== 'string') bad(`${path}[${i}]`, 'must be a string');
    try {
      const parsed = new URL(u);
      if (!['http:', 'https:', 'ws:', 'wss:'].includes(parsed.protocol)) bad(`${path}[${i}]`, 'must be an http(s) or ws(s) URL');
    } catch (e) {
      if (e instanceof KvError) throw e;
      bad(`${path}[${i}]`, `not a URL: ${u}`);
    }
    return u;
  });
}

function empty(v: unknown, path: string): Record<string, never> {
  if (v !== undefined && v !== null) obj(v, path);
  return {};
}

/** Longest requestId accepted: ids are kept in the replicated dedupe table. */
export const REQUEST_ID_LENGTH_MAX = 128;

/** Validate a whole decoded frame. Throws KvError; `id` is recovered when possible so the error can be answered. */
export function decodeClientRequest(frame: unknown): ClientRequest {
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) throw new KvError('BadFrame', 'frame must be a map');
  const f = frame as Obj;
  const id = f.id;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) throw new KvError('BadFrame', 'frame.id must be a non-negative integer');
  if (typeof f.method !== 'string' || !(METHODS as readonly string[]).includes(f.method)) {
    throw new KvError('BadFrame', `unknown method ${JSON.stringify(f.method)}`);
  }
  const method = f.method as Method;
  let requestId: string | undefined;
  if (f.requestId !== undefined && f.requestId !== null) {
    if (typeof f.requestId !== 'string' || f.requestId.length === 0 || f.requestId.length > REQUEST_ID_LENGTH_MAX) {
      bad('requestId', `must be a string of 1..${REQUEST_ID_LENGTH_MAX} characters`);
    }
    requestId = f.requestId;
  }
  const p = f.params;
  const base = { id, ...(requestId !== undefined ? { requestId } : {}) };
  switch (method) {
    case 'range':
      return { ...base, method, params: decodeRange(p, 'params') };
    case 'put':
      return { ...base, method, params: decodePut(p, 'params') };
    case 'deleteRange':
      return { ...base, method, params: decodeDeleteRange(p, 'params') };
    case 'txn':
      return { ...base, method, params: decodeTxn(p, 'params') };
    case 'compact':
      return { ...base, method, params: { revision: int(obj(p, 'params').revision, 'params.revision', 0) } };
    case 'leaseGrant': {
      const o = obj(p, 'params');
      return { ...base, method, params: defined({ id: optInt(o, 'id', 'params', 0), ttlSeconds: int(o.ttlSeconds, 'params.ttlSeconds', 1) }) };
    }
    case 'leaseRevoke':
    case 'leaseKeepAlive':
      return { ...base, method, params: { id: int(obj(p, 'params').id, 'params.id', 1) } };
    case 'leaseTimeToLive': {
      const o = obj(p, 'params');
      return { ...base, method, params: defined({ id: int(o.id, 'params.id', 1), keys: optBool(o, 'keys', 'params') }) };
    }
    case 'watchCreate':
      return { ...base, method, params: decodeWatchCreate(p, 'params') };
    case 'watchCancel':
      return { ...base, method, params: { watchId: int(obj(p, 'params').watchId, 'params.watchId', 0) } };
    case 'memberAdd': {
      const o = obj(p, 'params');
      const name = o.name === undefined || o.name === null ? undefined : typeof o.name === 'string' && o.name.length <= 256 ? o.name : bad('params.name', 'must be a string of at most 256 characters');
      return { ...base, method, params: defined({ peerUrls: urls(o.peerUrls, 'params.peerUrls'), isLearner: optBool(o, 'isLearner', 'params'), name }) };
    }
    case 'memberRemove':
    case 'memberPromote':
      return { ...base, method, params: { id: int(obj(p, 'params').id, 'params.id', 1) } };
    case 'hashKv': {
      const o = p === undefined || p === null ? {} : obj(p, 'params');
      return { ...base, method, params: defined({ revision: optInt(o, 'revision', 'params', 0) }) };
    }
    case 'snapshot': {
      const o = obj(p, 'params');
      const token = o.token === undefined || o.token === null ? undefined : typeof o.token === 'string' && o.token.length > 0 && o.token.length <= 64 ? o.token : bad('params.token', 'must be a string of 1..64 characters');
      return { ...base, method, params: defined({ token, offset: int(o.offset, 'params.offset', 0) }) };
    }
    case 'moveLeader':
      return { ...base, method, params: { targetId: int(obj(p, 'params').targetId, 'params.targetId', 1) } };
    case 'leaseLeases':
    case 'watchProgress':
    case 'memberList':
    case 'status':
      return { ...base, method, params: empty(p, 'params') };
    default: {
      const never: never = method;
      throw new KvError('BadFrame', `unknown method ${String(never)}`);
    }
  }
}

/** Best-effort id of a frame that failed validation, so the error can be routed to its request. */
export function frameIdOf(frame: unknown): number | undefined {
  if (typeof frame !== 'object' || frame === null) return undefined;
  const id = (frame as Obj).id;
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : undefined;
}
