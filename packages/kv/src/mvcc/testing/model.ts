// The reference model for the model-based test: etcd's MVCC semantics written the dumbest way that can be
// obviously right. The whole key space is a plain object per revision (`snapshots[r]` = every live key at
// revision r), every write copies the latest snapshot, every read filters one. No indexes, no histories,
// no incremental anything; quadratic and proud of it. It shares only the stateless request checks
// (validate.ts, pinned by its own tests and by the etcd differential test) and the op types with the store.

import { MvccError } from '../errors.ts';
import { validateCommand } from '../validate.ts';
import type { Command, Compare, RangeRequest, RequestOp, TxnRequest } from '@halyard/kv-client/protocol';
import type { Outcome, PlainKv, PlainResponse } from './outcome.ts';
import type { Step } from './ops.ts';

type Snapshot = Readonly<Record<string, PlainKv>>;

const latin1 = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

/** Is `key` in etcd's range (key, rangeEnd)? */
function inRange(key: string, start: string, end: Uint8Array | undefined): boolean {
  if (end === undefined || end.length === 0) return key === start;
  if (end.length === 1 && end[0] === 0) return key >= start;
  return key >= start && key < latin1(end);
}

function sortedKvs(snapshot: Snapshot): PlainKv[] {
  return Object.keys(snapshot)
    .sort()
    .map((k) => snapshot[k] as PlainKv);
}

export class ReferenceModel {
  /** snapshots[r] is the store at revision r; index 0 unused; an empty store is at revision 1. */
  readonly snapshots: Snapshot[] = [{}, {}];
  compactRevision = 0;
  private readonly leases = new Map<number, { granted: number; remaining: number }>();
  private leaseIdMax = 0;
  private readonly leaseTtlMinSeconds = 2;

  get revision(): number {
    return this.snapshots.length - 1;
  }

  private get latest(): Snapshot {
    return this.snapshots[this.revision] as Snapshot;
  }

  run(step: Step): Outcome {
    try {
      return { ok: this.dispatch(step) };
    } catch (err) {
      if (err instanceof MvccError) return { error: err.code };
      throw err;
    }
  }

  private dispatch(step: Step): PlainResponse {
    if (step.kind === 'leases') return { type: 'leases', ids: [...this.leases.keys()].sort((a, b) => a - b) };
    if (step.kind === 'leaseTimeToLive') {
      const lease = this.leases.get(step.id);
      if (lease === undefined) throw new MvccError('LeaseNotFound', 'lease not found');
      const keys = sortedKvs(this.latest).filter((kv) => kv.lease === step.id).map((kv) => kv.key);
      return { type: 'leaseTimeToLive', id: step.id, grantedTtlSeconds: lease.granted, remainingTtlSeconds: lease.remaining, keys: step.keys ? keys : null };
    }
    const cmd: Command = step.command;
    validateCommand(cmd);
    switch (cmd.type) {
      case 'range':
        return this.range(cmd, this.latest, this.revision);
      case 'put':
      case 'deleteRange':
      case 'txn':
        return this.write(cmd);
      case 'compaction':
        if (cmd.revision <= this.compactRevision) throw new MvccError('Compacted', 'compacted');
        if (cmd.revision > this.revision) throw new MvccError('FutureRevision', 'future');
        this.compactRevision = cmd.revision;
        return { type: 'compaction', revision: this.revision };
      case 'leaseGrant': {
        const id = cmd.id === 0 ? this.leaseIdMax + 1 : cmd.id;
        if (this.leases.has(id)) throw new MvccError('LeaseExists', 'exists');
        const granted = Math.max(cmd.ttlSeconds, this.leaseTtlMinSeconds);
        this.leases.set(id, { granted, remaining: 0 });
        this.leaseIdMax = Math.max(this.leaseIdMax, id);
        return { type: 'leaseGrant', revision: this.revision, id, ttlSeconds: granted };
      }
      case 'leaseRevoke': {
        if (!this.leases.has(cmd.id)) throw new MvccError('LeaseNotFound', 'not found');
        const next: Record<string, PlainKv> = { ...this.latest };
        let deleted = 0;
        for (const kv of Object.values(this.latest)) {
          if (kv.lease === cmd.id) {
            delete next[kv.key];
            deleted++;
          }
        }
        this.leases.delete(cmd.id);
        if (deleted > 0) this.snapshots.push(next);
        return { type: 'leaseRevoke', revision: this.revision };
      }
      case 'leaseCheckpoint':
        for (const c of cmd.checkpoints) {
          const lease = this.leases.get(c.id);
          if (lease !== undefined) lease.remaining = c.remainingTtlSeconds;
        }
        return { type: 'leaseCheckpoint', revision: this.revision };
      default: {
        const unknown: never = cmd;
        throw new Error(`unknown ${JSON.stringify(unknown)}`);
      }
    }
  }

  /** A range over `snapshot`, served at `servedAt` (the header revision). */
  private range(req: RangeRequest, snapshot: Snapshot, servedAt: number): PlainResponse {
    let source = snapshot;
    const asked = req.revision ?? 0;
    if (asked > servedAt) throw new MvccError('FutureRevision', 'future');
    if (asked > 0) {
      if (asked < this.compactRevision) throw new MvccError('Compacted', 'compacted');
      source = this.snapshots[asked] as Snapshot;
    }
    const start = latin1(req.key);
    const matching = sortedKvs(source).filter((kv) => inRange(kv.key, start, req.rangeEnd));
    if (req.countOnly === true) return { type: 'range', revision: servedAt, kvs: [], more: false, count: matching.length };
    const limit = (req.limit ?? 0) > 0 ? (req.limit as number) : 0;
    const orderAsked = req.sortOrder ?? 'none';
    const target = req.sortTarget ?? 'key';
    // etcd sorts everything only when an order was asked for; otherwise only the first limit + 1 keys.
    let kvs = orderAsked === 'none' && limit > 0 ? matching.slice(0, limit + 1) : matching;
    const order = orderAsked === 'none' && target !== 'key' ? 'ascend' : orderAsked;
    if (order !== 'none') {
      const field = (kv: PlainKv): string | number =>
        target === 'key' ? kv.key : target === 'value' ? kv.value : target === 'version' ? kv.version : target === 'createRevision' ? kv.createRevision : kv.modRevision;
      const ascending = (a: PlainKv, b: PlainKv): number => {
        const x = field(a);
        const y = field(b);
        return x < y ? -1 : x > y ? 1 : 0;
      };
      kvs = [...kvs].sort(order === 'ascend' ? ascending : (a, b) => ascending(b, a));
    }
    const more = limit > 0 && kvs.length > limit;
    if (limit > 0) kvs = kvs.slice(0, limit);
    if (req.keysOnly === true) kvs = kvs.map((kv) => ({ ...kv, value: '' }));
    return { type: 'range', revision: servedAt, kvs, more, count: matching.length };
  }

  private compare(c: Compare): boolean {
    const start = latin1(c.key);
    const kvs = sortedKvs(this.latest).filter((kv) => inRange(kv.key, start, c.rangeEnd));
    if (kvs.length === 0 && c.target === 'value') return false;
    const zero: PlainKv = { key: start, value: '', createRevision: 0, modRevision: 0, version: 0, lease: 0 };
    return (kvs.length === 0 ? [zero] : kvs).every((kv) => {
      const actual = c.target === 'value' ? kv.value : c.target === 'version' ? kv.version : c.target === 'lease' ? kv.lease : c.target === 'createRevision' ? kv.createRevision : kv.modRevision;
      const wanted = c.target === 'value' ? latin1(c.value) : c.operand;
      const order = actual < wanted ? -1 : actual > wanted ? 1 : 0;
      return c.result === 'equal' ? order === 0 : c.result === 'notEqual' ? order !== 0 : c.result === 'less' ? order < 0 : order > 0;
    });
  }

  /** A put, delete or txn: everything is worked out on a copy, then committed as one revision if it changed. */
  private write(cmd: RequestOp): PlainResponse {
    const next: Record<string, PlainKv> = { ...this.latest };
    const rev = this.revision + 1;
    let changed = false;
    const checkPut = (op: Extract<RequestOp, { type: 'put' }>, leaseFirst: boolean): void => {
      const leaseMissing = (op.lease ?? 0) !== 0 && !this.leases.has(op.lease as number);
      const keyMissing = (op.ignoreValue === true || op.ignoreLease === true) && this.latest[latin1(op.key)] === undefined;
      if (leaseFirst && leaseMissing) throw new MvccError('LeaseNotFound', 'lease');
      if (keyMissing) throw new MvccError('KeyNotFound', 'key');
      if (leaseMissing) throw new MvccError('LeaseNotFound', 'lease');
    };
    // Branches are chosen against the state before the txn (nested ones too), then checked, then run.
    const branches = new Map<TxnRequest, boolean>();
    const choose = (t: TxnRequest): void => {
      const ok = t.compare.every((c) => this.compare(c));
      branches.set(t, ok);
      for (const op of ok ? t.success : t.failure) if (op.type === 'txn') choose(op);
    };
    const flat = (t: TxnRequest): RequestOp[] => (branches.get(t) ? t.success : t.failure).flatMap((op) => (op.type === 'txn' ? flat(op) : [op]));
    if (cmd.type === 'txn') {
      choose(cmd);
      for (const op of flat(cmd)) if (op.type === 'put') checkPut(op, false);
      for (const op of flat(cmd)) {
        if (op.type !== 'range' || (op.revision ?? 0) <= 0) continue;
        if (op.revision! > this.revision) throw new MvccError('FutureRevision', 'future');
        if (op.revision! < this.compactRevision) throw new MvccError('Compacted', 'compacted');
      }
      // D8 (etcd 3.4 panics here): an ignoreValue/ignoreLease put of a key an earlier op deleted.
      const ops = flat(cmd);
      for (const [i, op] of ops.entries()) {
        if (op.type !== 'put' || (op.ignoreValue !== true && op.ignoreLease !== true)) continue;
        const key = latin1(op.key);
        if (ops.slice(0, i).some((d) => d.type === 'deleteRange' && inRange(key, latin1(d.key), d.rangeEnd))) {
          throw new MvccError('KeyNotFound', 'deleted earlier in the txn');
        }
      }
    } else if (cmd.type === 'put') {
      checkPut(cmd, true);
    }
    const run = (op: RequestOp): PlainResponse => {
      switch (op.type) {
        case 'put': {
          const key = latin1(op.key);
          const prev = next[key];
          next[key] = {
            key,
            value: op.ignoreValue === true ? (prev as PlainKv).value : latin1(op.value),
            createRevision: prev?.createRevision ?? rev,
            modRevision: rev,
            version: (prev?.version ?? 0) + 1,
            lease: op.ignoreLease === true ? (prev as PlainKv).lease : (op.lease ?? 0),
          };
          changed = true;
          return { type: 'put', revision: rev, prevKv: op.prevKv === true && prev !== undefined ? prev : null };
        }
        case 'deleteRange': {
          const start = latin1(op.key);
          const victims = sortedKvs(next).filter((kv) => inRange(kv.key, start, op.rangeEnd));
          for (const kv of victims) delete next[kv.key];
          if (victims.length > 0) changed = true;
          return { type: 'deleteRange', revision: changed ? rev : rev - 1, deleted: victims.length, prevKvs: op.prevKv === true ? victims : [] };
        }
        case 'range':
          return this.range(op, next, changed ? rev : rev - 1);
        case 'txn': {
          const ok = branches.get(op) as boolean;
          const responses = (ok ? op.success : op.failure).map(run);
          // etcd leaves nested txn headers zeroed.
          return { type: 'txn', revision: op === cmd ? (changed ? rev : rev - 1) : 0, succeeded: ok, responses };
        }
        default: {
          const unknown: never = op;
          throw new Error(`unknown ${JSON.stringify(unknown)}`);
        }
      }
    };
    const response = run(cmd);
    if (changed) this.snapshots.push(next);
    // The top-level txn header is the revision after all ops ran.
    return response.type === 'txn' ? { ...response, revision: changed ? rev : rev - 1 } : response;
  }
}
