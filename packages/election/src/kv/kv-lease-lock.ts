// A LeaseLock on the Halyard KV store: the record is JSON in one key, every write a txn conditioned on its
// mod revision (etcd's optimistic concurrency: the loser of a race sees its compare fail). Acquisitions and
// releases also write the fence key in the same txn, so the fence key's mod revision is the fencing token:
// a store revision, strictly increasing, and never reused even if both keys are deleted.
import { ElectionError, isElectionError } from '../errors.ts';
import type { LeaseLock, LockCallOptions, LockWriteKind, LockWriteResult, ObservedLease } from '../lock.ts';
import type { LeadingLease } from '../elector/leading-term.ts';
import { parseRecordJson, recordJson, type LeaseRecord } from '../record.ts';
import { fencedTxn } from './fenced-txn.ts';
import { bytesToString, compare, KvError, op, type Bytes, type CallOptions, type KeyValue, type RangeResult, type TxnInput, type TxnResult, type WatchBatch, type WatchOptions } from './kv-client.ts';
import { lockKeys, type LockKeys } from './lock-keys.ts';

/** The calls of KvClient the lock uses; KvClient has them, and so can a test double of the store's network. */
export interface LeaseKv {
  txn(txn: TxnInput, options?: CallOptions): Promise<TxnResult>;
  watch(key: Bytes, options?: WatchOptions): AsyncIterable<WatchBatch>;
}

export interface KvLeaseLockOptions {
  readonly kv: LeaseKv;
  /** The election's name: letters, digits, '.', '_', '-'. */
  readonly name: string;
  /** Default `/halyard/elections/`. */
  readonly keyPrefix?: string;
}

export class KvLeaseLock implements LeaseLock {
  readonly keys: LockKeys;
  readonly description: string;
  private readonly kv: LeaseKv;

  constructor(options: KvLeaseLockOptions) {
    this.kv = options.kv;
    this.keys = lockKeys(options.name, options.keyPrefix);
    this.description = `kv ${this.keys.record}`;
  }

  async get(options: LockCallOptions = {}): Promise<ObservedLease | undefined> {
    return (await this.read(options)).lease;
  }

  async create(record: LeaseRecord, options: LockCallOptions = {}): Promise<LockWriteResult> {
    const r = await this.txn(
      {
        compare: [compare.modRevision(this.keys.record, '=', 0)],
        success: [op.put(this.keys.record, recordJson(record)), op.put(this.keys.fence, record.holderIdentity)],
      },
      options,
    );
    if (!r.succeeded) throw new ElectionError('Conflict', `${this.description} already exists`);
    return { version: String(r.header.revision), fencingToken: r.header.revision };
  }

  async update(record: LeaseRecord, previous: ObservedLease, kind: LockWriteKind, options: LockCallOptions = {}): Promise<LockWriteResult> {
    const modRevision = Number(previous.version);
    if (!Number.isSafeInteger(modRevision) || modRevision <= 0) throw new ElectionError('Conflict', `${this.description}: ${JSON.stringify(previous.version)} is not a version of this lock`);
    // A renewal leaves the fence key alone (the token stays) and reads it back, so the elector can tell if
    // someone else's acquisition happened under the same identity.
    const fenceOp = kind === 'renew' ? op.get(this.keys.fence) : op.put(this.keys.fence, record.holderIdentity);
    const r = await this.txn(
      {
        compare: [compare.modRevision(this.keys.record, '=', modRevision)],
        success: [op.put(this.keys.record, recordJson(record)), fenceOp],
        failure: [op.get(this.keys.record, { keysOnly: true })],
      },
      options,
    );
    if (!r.succeeded) {
      const exists = (r.responses[0] as RangeResult | undefined)?.kvs.length === 1;
      throw exists ? new ElectionError('Conflict', `${this.description} changed since revision ${modRevision}`) : new ElectionError('NotFound', `${this.description} does not exist`);
    }
    const version = String(r.header.revision);
    switch (kind) {
      case 'acquire':
        return { version, fencingToken: r.header.revision };
      case 'renew': {
        const fence = (r.responses[1] as RangeResult | undefined)?.kvs[0];
        return fence === undefined ? { version } : { version, fencingToken: fence.modRevision };
      }
      case 'release':
        return { version };
      default: {
        const never: never = kind;
        throw new ElectionError('InvalidConfig', `unknown write kind ${String(never)}`);
      }
    }
  }

  /**
   * The current record, then each new version, from a KV watch on this election's prefix resumed from the
   * read's revision (so nothing between the read and the watch is missed). After a compaction overtook the
   * watch it reads again and goes on.
   */
  async *watch(options: { readonly signal: AbortSignal }): AsyncGenerator<ObservedLease | undefined, void, undefined> {
    const { signal } = options;
    while (!signal.aborted) {
      const snapshot = await this.read({ signal });
      let recordKv = snapshot.recordKv;
      let fenceKv = snapshot.fenceKv;
      yield snapshot.lease;
      try {
        for await (const batch of this.kv.watch(this.keys.prefix, { prefix: true, startRevision: snapshot.revision + 1, signal })) {
          let changed = false;
          for (const e of batch.events) {
            const key = bytesToString(e.kv.key);
            const kv = e.type === 'put' ? e.kv : undefined;
            if (key === this.keys.record) {
              recordKv = kv;
              changed = true;
            } else if (key === this.keys.fence) {
              fenceKv = kv;
            }
          }
          // A batch ends at a revision boundary; the acquisition txn's two puts arrive together.
          if (changed) yield this.observed(recordKv, fenceKv);
        }
      } catch (e) {
        if (!(e instanceof KvError && e.code === 'Compacted')) throw signal.aborted ? e : this.mapError(e);
      }
    }
  }

  /**
   * Runs `txn` only while `lease` holds on our clock AND its fencing token is still this lock's in the
   * store: a txn whose outer compare is the fence key's mod revision. A deposed leader's write — sent late
   * after a stall, or delayed in the network — is refused by the store itself: ElectionError('Deposed').
   * Returns the inner txn's result (its `succeeded` says whether the caller's own compares held).
   */
  fencedTxn(lease: LeadingLease, txn: TxnInput, options: CallOptions = {}): Promise<TxnResult> {
    return fencedTxn(this.kv, this.keys.fence, lease, txn, options);
  }

  private async read(options: LockCallOptions): Promise<{ lease: ObservedLease | undefined; recordKv: KeyValue | undefined; fenceKv: KeyValue | undefined; revision: number }> {
    // One txn of two reads: both keys at the same revision.
    const r = await this.txn({ success: [op.get(this.keys.record), op.get(this.keys.fence)] }, options);
    const recordKv = (r.responses[0] as RangeResult | undefined)?.kvs[0];
    const fenceKv = (r.responses[1] as RangeResult | undefined)?.kvs[0];
    return { lease: this.observed(recordKv, fenceKv), recordKv, fenceKv, revision: r.header.revision };
  }

  private observed(recordKv: KeyValue | undefined, fenceKv: KeyValue | undefined): ObservedLease | undefined {
    if (recordKv === undefined) return undefined;
    const record = parseRecordJson(bytesToString(recordKv.value), this.description);
    return { record, version: String(recordKv.modRevision), ...(fenceKv !== undefined ? { fencingToken: fenceKv.modRevision } : {}) };
  }

  private async txn(txn: TxnInput, options: LockCallOptions): Promise<TxnResult> {
    try {
      return await this.kv.txn(txn, options.signal !== undefined ? { signal: options.signal } : {});
    } catch (e) {
      throw options.signal?.aborted === true ? e : this.mapError(e);
    }
  }

  private mapError(e: unknown): unknown {
    if (isElectionError(e)) return e;
    return new ElectionError('Unavailable', `${this.description}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
