// Runs the differential test's steps on a real etcd through the etcd3 client's raw gRPC stubs, and turns
// each answer (or error) into the same plain Outcome the Halyard store's answers are turned into.

import {
  CompareResult as EtcdCompareResult,
  CompareTarget as EtcdCompareTarget,
  SortOrder as EtcdSortOrder,
  SortTarget as EtcdSortTarget,
  type Etcd3,
  type ICompare,
  type IDeleteRangeResponse,
  type IPutResponse,
  type IRangeResponse,
  type IKeyValue,
  type IRequestOp,
  type IResponseOp,
  type ITxnRequest,
  type ITxnResponse,
} from 'etcd3';
import type { MvccErrorCode } from '@halyard/kv/mvcc';
import type { PlainKv, PlainResponse, Outcome } from '../../packages/kv/src/mvcc/testing/outcome.ts';
import type { Step } from '../../packages/kv/src/mvcc/testing/ops.ts';
import type { Compare, RequestOp, SortOrder, SortTarget } from '@halyard/kv-client/protocol';

const buf = (b: Uint8Array | undefined): Buffer | undefined => (b === undefined ? undefined : Buffer.from(b));

const compareResults = {
  equal: EtcdCompareResult.Equal,
  notEqual: EtcdCompareResult.NotEqual,
  less: EtcdCompareResult.Less,
  greater: EtcdCompareResult.Greater,
} as const;
const sortOrders: Record<SortOrder, EtcdSortOrder> = { none: EtcdSortOrder.None, ascend: EtcdSortOrder.Ascend, descend: EtcdSortOrder.Descend };
const sortTargets: Record<SortTarget, EtcdSortTarget> = {
  key: EtcdSortTarget.Key,
  version: EtcdSortTarget.Version,
  createRevision: EtcdSortTarget.Create,
  modRevision: EtcdSortTarget.Mod,
  value: EtcdSortTarget.Value,
};

function toEtcdCompare(c: Compare): ICompare {
  const base: ICompare = { key: Buffer.from(c.key), range_end: buf(c.rangeEnd), result: compareResults[c.result] };
  switch (c.target) {
    case 'value':
      return { ...base, target: EtcdCompareTarget.Value, value: Buffer.from(c.value) };
    case 'version':
      return { ...base, target: EtcdCompareTarget.Version, version: c.operand };
    case 'createRevision':
      return { ...base, target: EtcdCompareTarget.Create, create_revision: c.operand };
    case 'modRevision':
      return { ...base, target: EtcdCompareTarget.Mod, mod_revision: c.operand };
    case 'lease':
      return { ...base, target: EtcdCompareTarget.Lease, lease: c.operand };
    default: {
      const unknown: never = c;
      throw new Error(`unknown compare ${JSON.stringify(unknown)}`);
    }
  }
}

function toEtcdOp(op: RequestOp): IRequestOp {
  switch (op.type) {
    case 'range':
      return {
        request_range: {
          key: Buffer.from(op.key),
          range_end: buf(op.rangeEnd),
          limit: op.limit ?? 0,
          revision: op.revision ?? 0,
          sort_order: sortOrders[op.sortOrder ?? 'none'],
          sort_target: sortTargets[op.sortTarget ?? 'key'],
          keys_only: op.keysOnly ?? false,
          count_only: op.countOnly ?? false,
        },
      };
    case 'put':
      return {
        request_put: {
          key: Buffer.from(op.key),
          value: Buffer.from(op.value),
          lease: op.lease ?? 0,
          prev_kv: op.prevKv ?? false,
          ignore_value: op.ignoreValue ?? false,
          ignore_lease: op.ignoreLease ?? false,
        },
      };
    case 'deleteRange':
      return { request_delete_range: { key: Buffer.from(op.key), range_end: buf(op.rangeEnd), prev_kv: op.prevKv ?? false } };
    case 'txn':
      return { request_txn: toEtcdTxn(op) };
    default: {
      const unknown: never = op;
      throw new Error(`unknown op ${JSON.stringify(unknown)}`);
    }
  }
}

function toEtcdTxn(txn: Extract<RequestOp, { type: 'txn' }>): ITxnRequest {
  return { compare: txn.compare.map(toEtcdCompare), success: txn.success.map(toEtcdOp), failure: txn.failure.map(toEtcdOp) };
}

function plainEtcdKv(kv: IKeyValue): PlainKv {
  return {
    key: kv.key.toString('latin1'),
    value: kv.value.toString('latin1'),
    createRevision: Number(kv.create_revision),
    modRevision: Number(kv.mod_revision),
    version: Number(kv.version),
    lease: Number(kv.lease),
  };
}

function plainEtcdRange(r: IRangeResponse): PlainResponse {
  return { type: 'range', revision: Number(r.header.revision), kvs: r.kvs.map(plainEtcdKv), more: r.more, count: Number(r.count) };
}
function plainEtcdPut(r: IPutResponse): PlainResponse {
  return { type: 'put', revision: Number(r.header.revision), prevKv: r.prev_kv ? plainEtcdKv(r.prev_kv) : null };
}
function plainEtcdDelete(r: IDeleteRangeResponse): PlainResponse {
  return { type: 'deleteRange', revision: Number(r.header.revision), deleted: Number(r.deleted), prevKvs: r.prev_kvs.map(plainEtcdKv) };
}

/** With the loader's `oneofs: true`, `response` names the member of the oneof that is set. */
function plainEtcdOp(r: IResponseOp & { response?: string }): PlainResponse {
  switch (r.response) {
    case 'response_range':
      return plainEtcdRange(r.response_range);
    case 'response_put':
      return plainEtcdPut(r.response_put);
    case 'response_delete_range':
      return plainEtcdDelete(r.response_delete_range);
    case 'response_txn':
      return plainEtcdTxn(r.response_txn);
    default:
      throw new Error(`etcd returned an op response of unknown kind ${String(r.response)}`);
  }
}

function plainEtcdTxn(r: ITxnResponse): PlainResponse {
  return { type: 'txn', revision: Number(r.header.revision), succeeded: r.succeeded, responses: r.responses.map(plainEtcdOp) };
}

/** etcd's error messages (rpctypes / mvcc / lease packages) → our codes. */
const etcdErrors: readonly (readonly [string, MvccErrorCode])[] = [
  ['required revision has been compacted', 'Compacted'],
  ['required revision is a future revision', 'FutureRevision'],
  ['lease not found', 'LeaseNotFound'],
  ['lease already exists', 'LeaseExists'],
  ['too large lease TTL', 'LeaseTtlTooLarge'],
  ['too many operations in txn request', 'TooManyOps'],
  ['duplicate key given in txn request', 'DuplicateKey'],
  ['key is not provided', 'EmptyKey'],
  ['value is provided', 'ValueProvided'],
  ['lease is provided', 'LeaseProvided'],
  ['key not found', 'KeyNotFound'],
];

export function classifyEtcdError(err: unknown): MvccErrorCode {
  const message = err instanceof Error ? err.message : String(err);
  for (const [fragment, code] of etcdErrors) if (message.includes(fragment)) return code;
  throw new Error(`etcd failed in a way the differential test does not know: ${message}`, { cause: err });
}

export async function runOnEtcd(client: Etcd3, step: Step): Promise<Outcome> {
  try {
    return { ok: await runOnEtcdUnchecked(client, step) };
  } catch (err) {
    return { error: classifyEtcdError(err) };
  }
}

async function runOnEtcdUnchecked(client: Etcd3, step: Step): Promise<PlainResponse> {
  switch (step.kind) {
    case 'leaseTimeToLive': {
      const r = await client.leaseClient.leaseTimeToLive({ ID: step.id, keys: step.keys });
      // DIFFERENCE (api layer): etcd answers TTL -1 for a missing lease; our state machine raises LeaseNotFound
      // and leaves the -1 to the server's wire mapping.
      if (Number(r.TTL) === -1) throw new Error('lease not found (etcd TTL -1)');
      return {
        type: 'leaseTimeToLive',
        id: Number(r.ID),
        grantedTtlSeconds: Number(r.grantedTTL),
        // Checkpoints are internal to etcd (never taken in these short runs): ours stay 0 as well.
        remainingTtlSeconds: 0,
        // DIFFERENCE: etcd lists a lease's keys in Go map order (random); we list them ascending.
        keys: step.keys ? r.keys.map((k) => k.toString('latin1')).sort() : null,
      };
    }
    case 'leases': {
      const r = await client.leaseClient.leaseLeases({});
      return { type: 'leases', ids: r.leases.map((l) => Number(l.ID)).sort((a, b) => a - b) };
    }
    case 'command':
      break;
    default: {
      const unknown: never = step;
      throw new Error(`unknown step ${JSON.stringify(unknown)}`);
    }
  }
  const cmd = step.command;
  switch (cmd.type) {
    case 'range':
    case 'put':
    case 'deleteRange': {
      const op = toEtcdOp(cmd);
      if (op.request_range) return plainEtcdRange(await client.kv.range(op.request_range));
      if (op.request_put) return plainEtcdPut(await client.kv.put(op.request_put));
      if (op.request_delete_range) return plainEtcdDelete(await client.kv.deleteRange(op.request_delete_range));
      throw new Error('unreachable');
    }
    case 'txn':
      return plainEtcdTxn(await client.kv.txn(toEtcdTxn(cmd)));
    case 'compaction': {
      const r = await client.kv.compact({ revision: cmd.revision, physical: false });
      return { type: 'compaction', revision: Number(r.header.revision) };
    }
    case 'leaseGrant': {
      const r = await client.leaseClient.leaseGrant({ ID: cmd.id, TTL: cmd.ttlSeconds });
      if (r.error) throw new Error(r.error);
      return { type: 'leaseGrant', revision: Number(r.header.revision), id: Number(r.ID), ttlSeconds: Number(r.TTL) };
    }
    case 'leaseRevoke': {
      const r = await client.leaseClient.leaseRevoke({ ID: cmd.id });
      return { type: 'leaseRevoke', revision: Number(r.header.revision) };
    }
    case 'leaseCheckpoint':
      throw new Error('leaseCheckpoint is internal to etcd (leader → raft); not part of the differential test');
    default: {
      const unknown: never = cmd;
      throw new Error(`unknown command ${JSON.stringify(unknown)}`);
    }
  }
}
