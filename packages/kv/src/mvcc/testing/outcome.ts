// A plain, comparable form of what a step returned (or which error it raised), so the store, the reference
// model and a real etcd can be compared step by step with one deep-equality check.

import { isMvccError, type MvccErrorCode } from '../errors.ts';
import type { MvccStore } from '../store.ts';
import type { KeyValue, Response, ResponseOp } from '@halyard/kv-client/protocol';
import type { Step } from './ops.ts';

export interface PlainKv {
  key: string;
  value: string;
  createRevision: number;
  modRevision: number;
  version: number;
  lease: number;
}

export type PlainResponse =
  | { type: 'range'; revision: number; kvs: PlainKv[]; more: boolean; count: number }
  | { type: 'put'; revision: number; prevKv: PlainKv | null }
  | { type: 'deleteRange'; revision: number; deleted: number; prevKvs: PlainKv[] }
  | { type: 'txn'; revision: number; succeeded: boolean; responses: PlainResponse[] }
  | { type: 'compaction'; revision: number }
  | { type: 'leaseGrant'; revision: number; id: number; ttlSeconds: number }
  | { type: 'leaseRevoke'; revision: number }
  | { type: 'leaseCheckpoint'; revision: number }
  | { type: 'leaseTimeToLive'; id: number; grantedTtlSeconds: number; remainingTtlSeconds: number; keys: string[] | null }
  | { type: 'leases'; ids: number[] };

export type Outcome = { ok: PlainResponse } | { error: MvccErrorCode };

export function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

export function plainKv(kv: KeyValue): PlainKv {
  return {
    key: latin1(kv.key),
    value: latin1(kv.value),
    createRevision: kv.createRevision,
    modRevision: kv.modRevision,
    version: kv.version,
    lease: kv.lease,
  };
}

export function plainResponse(r: Response | ResponseOp): PlainResponse {
  switch (r.type) {
    case 'range':
      return { type: 'range', revision: r.header.revision, kvs: r.kvs.map(plainKv), more: r.more, count: r.count };
    case 'put':
      return { type: 'put', revision: r.header.revision, prevKv: r.prevKv ? plainKv(r.prevKv) : null };
    case 'deleteRange':
      return { type: 'deleteRange', revision: r.header.revision, deleted: r.deleted, prevKvs: r.prevKvs.map(plainKv) };
    case 'txn':
      return { type: 'txn', revision: r.header.revision, succeeded: r.succeeded, responses: r.responses.map(plainResponse) };
    case 'compaction':
      return { type: 'compaction', revision: r.header.revision };
    case 'leaseGrant':
      return { type: 'leaseGrant', revision: r.header.revision, id: r.id, ttlSeconds: r.ttlSeconds };
    case 'leaseRevoke':
      return { type: 'leaseRevoke', revision: r.header.revision };
    case 'leaseCheckpoint':
      return { type: 'leaseCheckpoint', revision: r.header.revision };
    default: {
      const unknown: never = r;
      throw new Error(`unknown response ${JSON.stringify(unknown)}`);
    }
  }
}

/** Runs one step on the store; an MvccError becomes an outcome, anything else is a bug and propagates. */
export function runOnStore(store: MvccStore, step: Step): Outcome {
  try {
    switch (step.kind) {
      case 'command':
        return { ok: plainResponse(store.apply(step.command)) };
      case 'leaseTimeToLive': {
        const info = store.leaseTimeToLive(step.id, step.keys);
        return {
          ok: {
            type: 'leaseTimeToLive',
            id: info.id,
            grantedTtlSeconds: info.grantedTtlSeconds,
            remainingTtlSeconds: info.remainingTtlSeconds,
            keys: info.keys ? info.keys.map(latin1) : null,
          },
        };
      }
      case 'leases':
        return { ok: { type: 'leases', ids: store.leases().map((l) => l.id) } };
      default: {
        const unknown: never = step;
        throw new Error(`unknown step ${JSON.stringify(unknown)}`);
      }
    }
  } catch (err) {
    if (isMvccError(err)) return { error: err.code };
    throw err;
  }
}
