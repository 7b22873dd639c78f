// Concurrent clients against a real cluster, each recording a history (check/history.ts) of what it
// asked, when, and what it got. Every written value is unique, so a read names the write it saw. A
// write whose call failed is recorded with an unknown outcome: it may or may not have applied.

import { type KvClient, bytesToString } from '@halyard/kv-client';
import type { HistoryOp, Op, Result } from '../check/history.ts';
import type { Rng } from '@halyard/kv/util';

export interface WorkloadOptions {
  readonly clientId: number;
  /**
   * Reads go through this client, pinned to one member, so linearizable reads are served by followers
   * too (forwarded ReadIndex), not only by the leader that writes find.
   */
  readonly reader: KvClient;
  readonly keys: readonly string[];
  readonly rng: Rng;
  /** Stop issuing operations once this signal fires (in-flight ones finish or time out). */
  readonly signal: AbortSignal;
  /** Bound on operations per client. */
  readonly opsMax: number;
  readonly now: () => number;
  readonly nextOpId: () => number;
  readonly record: (op: HistoryOp) => void;
}

async function execute(client: KvClient, reader: KvClient, op: Op): Promise<Result> {
  switch (op.type) {
    case 'get': {
      const r = await reader.get(op.key);
      const kv = r.kvs[0];
      return { type: 'get', value: kv === undefined ? null : bytesToString(kv.value), modRevision: kv?.modRevision ?? 0, revision: r.header.revision };
    }
    case 'put': {
      const r = await client.put(op.key, op.value);
      return { type: 'put', revision: r.header.revision };
    }
    case 'delete': {
      const r = await client.delete(op.key);
      return { type: 'delete', deleted: r.deleted, revision: r.header.revision };
    }
    case 'cas': {
      const r = await client.txn({
        compare: [{ key: op.key, target: 'modRevision', result: 'equal', operand: op.expectedModRevision }],
        success: [{ type: 'put', key: op.key, value: op.value }],
        failure: [],
      });
      return { type: 'cas', succeeded: r.succeeded, revision: r.header.revision };
    }
    case 'txn':
      throw new Error('multi-key txn is not part of the cluster workload');
  }
}

/**
 * One client's loop: random get / put / delete / cas on a small key set, until the signal or the bound;
 * half the acknowledged writes are followed at once by a read of the same key through the pinned reader.
 */
export async function runClient(client: KvClient, o: WorkloadOptions): Promise<void> {
  const lastModRevision = new Map<string, number>();
  for (let n = 0; n < o.opsMax && !o.signal.aborted; n++) {
    const key = o.keys[o.rng.int(o.keys.length)]!;
    const dice = o.rng.int(100);
    const id = o.nextOpId();
    const value = `c${o.clientId}-${id}`;
    const op: Op =
      dice < 45
        ? { type: 'get', key }
        : dice < 80
          ? { type: 'put', key, value }
          : dice < 88
            ? { type: 'delete', key }
            : { type: 'cas', key, expectedModRevision: lastModRevision.get(key) ?? 0, value };
    const acked = await step(client, o, key, id, op, lastModRevision);
    // Read-after-write through a follower (the ReadIndex barrier bug class of issue 13): the write went
    // through the leader; the read goes at once to the member this client's reader is pinned to, racing
    // the write's commit there. A barrier that served it from a round already in flight would return the
    // older value after the write was acknowledged, which the linearizability check rejects.
    if (acked && op.type !== 'get' && o.rng.int(2) === 0 && !o.signal.aborted) {
      await step(client, o, key, o.nextOpId(), { type: 'get', key }, lastModRevision);
    }
  }
}

/** Runs and records one operation; returns whether it was acknowledged. */
async function step(client: KvClient, o: WorkloadOptions, key: string, id: number, op: Op, lastModRevision: Map<string, number>): Promise<boolean> {
  const invokeTime = o.now();
  try {
    const result = await execute(client, o.reader, op);
    if (result.type === 'get') lastModRevision.set(key, result.modRevision);
    o.record({ id, clientId: o.clientId, invokeTime, returnTime: o.now(), op, result });
    return true;
  } catch {
    // A failed read changed nothing: leave it out. A failed write may have applied: unknown outcome.
    if (op.type !== 'get') o.record({ id, clientId: o.clientId, invokeTime, returnTime: null, op, result: null });
    return false;
  }
}
