// The MVCC state machine: what Raft-committed commands are applied to. `apply` is a pure function of
// (state, command): no clocks, no randomness, no I/O of its own; the same log gives the same state and the
// same responses on every replica. Errors are MvccErrors thrown before anything changed, so a refused command
// leaves the store exactly as it was (and every replica refuses it the same way).
//
// Persistence design (see docs/kv-mvcc.md): the key index, the event log's pointers and the leases live in
// memory; the KeyValues live in a RevisionBackend (backend.ts), keyed by revision as in etcd's bbolt key
// bucket: in memory for tests and the simulator, in LevelDB for a member (storage/mvcc-backend.ts), which
// makes each apply batch durable together with the applied index. `serialize` / `restore` carry the whole
// state for Raft snapshots and snapshot files. Each apply also hands its events to subscribers (watchers).

import { compact, checkCompaction } from './compaction.ts';
import { MvccError, invariant } from './errors.ts';
import { keyBytes, keyRange, type KeyString } from './key-range.ts';
import type { EventsSince } from './event-log.ts';
import { executeRange } from './range.ts';
import { decodeSnapshot, encodeSnapshot } from './snapshot.ts';
import { MvccState, RevisionWriter } from './state.ts';
import type { RevisionBackend } from './backend.ts';
import { StateRebuilder, type StoredMvccMeta, type StoredRevision } from './rebuild.ts';
import { executeDelete, executePut, checkPut, executeTxn } from './txn.ts';
import { validateCommand } from './validate.ts';
import type {
  Command,
  CompactionResponse,
  DeleteRangeRequest,
  LeaseCheckpointRequest,
  LeaseCheckpointResponse,
  LeaseGrantRequest,
  LeaseGrantResponse,
  LeaseInfo,
  LeaseRevokeRequest,
  LeaseRevokeResponse,
  PutRequest,
  RangeRequest,
  RangeResponse,
  Response,
  ResponseFor,
  RevisionEvents,
  TxnRequest,
  TxnResponse,
  DeleteRangeResponse,
  PutResponse,
} from '@halyard/kv-client/protocol';

export interface MvccStoreOptions {
  /**
   * Grants below this TTL are raised to it, as etcd's lessor does with its minLeaseTTL (derived from the
   * election timeout: ⌈1.5 × election timeout⌉ = 2 s with etcd's defaults), so a lease cannot expire before
   * a new leader could even be elected. Part of the replicated configuration: every member must agree.
   */
  readonly leaseTtlMinSeconds?: number;
  /** Where the KeyValues live; a fresh MemoryRevisionBackend when absent. Must hold nothing of another store. */
  readonly backend?: RevisionBackend;
}

/** Called after each applied revision with its events, in revision order. Must not throw. */
export type RevisionListener = (applied: RevisionEvents) => void;

/** Where watchers read from: events of an optional key range (`rangeEnd` as in a range request). */
export interface WatchRange {
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
}

export class MvccStore {
  private readonly listeners = new Set<RevisionListener>();
  private readonly leaseTtlMinSeconds: number;

  /** `state` is for `restore` only; callers pass options at most. */
  constructor(options: MvccStoreOptions = {}, private readonly state: MvccState = new MvccState(options.backend)) {
    this.leaseTtlMinSeconds = options.leaseTtlMinSeconds ?? 2;
    invariant(Number.isSafeInteger(this.leaseTtlMinSeconds) && this.leaseTtlMinSeconds >= 1, 'leaseTtlMinSeconds must be an integer ≥ 1');
  }

  /** The store's current revision (1 when empty). */
  get revision(): number {
    return this.state.currentRevision;
  }

  /** The last compact revision; 0 if never compacted. */
  get compactRevision(): number {
    return this.state.compactRevision;
  }

  /** Applies one committed command. Throws MvccError (and changes nothing) when the command is refused. */
  apply<C extends Command>(command: C): ResponseFor[C['type']] {
    validateCommand(command);
    const response: Response = this.dispatch(command);
    return response as ResponseFor[C['type']];
  }

  /** A read of the current state (or a historical revision); for ReadIndex / serializable reads. */
  range(request: Omit<RangeRequest, 'type'>): RangeResponse {
    const req: RangeRequest = { ...request, type: 'range' };
    validateCommand(req);
    return executeRange(this.state, req, this.state.currentRevision);
  }

  /**
   * Events at revisions ≥ startRevision (optionally only for a key range), in order, at most `revisionsMax`
   * revisions' worth. 'Compacted' (with `compactRevision`) when startRevision < the compact revision.
   */
  eventsSince(startRevision: number, range?: WatchRange, revisionsMax?: number): EventsSince {
    const keys = range === undefined ? undefined : keyRange(range.key, range.rangeEnd);
    return this.state.events.eventsSince(this.state.backend, startRevision, keys, this.state.compactRevision, this.state.currentRevision, revisionsMax);
  }

  /** Subscribes to newly applied revisions; returns the unsubscribe function. */
  subscribe(listener: RevisionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** etcd LeaseTimeToLive, minus the clock: the server adds the remaining TTL from the leader's deadline. */
  leaseTimeToLive(id: number, withKeys = false): LeaseInfo {
    const lease = this.state.leases.get(id);
    if (lease === undefined) throw new MvccError('LeaseNotFound', 'lease not found');
    const info = { id, grantedTtlSeconds: lease.grantedTtlSeconds, remainingTtlSeconds: lease.remainingTtlSeconds };
    return withKeys ? { ...info, keys: [...lease.keys].sort().map(keyBytes) } : info;
  }

  /** etcd LeaseLeases: every lease, ascending by id. */
  leases(): LeaseInfo[] {
    return this.state.leases.ids().map((id) => this.leaseTimeToLive(id));
  }

  serialize(): Uint8Array {
    return encodeSnapshot(this.state);
  }

  static restore(bytes: Uint8Array, options: MvccStoreOptions = {}): MvccStore {
    const store = new MvccStore(options, decodeSnapshot(bytes, options.backend));
    store.assertInvariants();
    return store;
  }

  /**
   * The store a persistent backend holds: `revisions` are every revision it stores, ascending, and `meta`
   * what persistentMeta() returned when they were written. The backend is `options.backend`.
   */
  static rebuild(meta: StoredMvccMeta, revisions: Iterable<StoredRevision>, options: MvccStoreOptions & { readonly backend: RevisionBackend }): MvccStore {
    const rebuilder = new StateRebuilder(meta, options.backend);
    for (const r of revisions) rebuilder.add(r);
    return new MvccStore(options, rebuilder.finish());
  }

  /**
   * rebuild, fed by a scan that hands over the stored revisions one at a time (ascending) as it reads them,
   * so a large store is never held as one array of revisions.
   */
  static async rebuildFromScan(
    meta: StoredMvccMeta,
    scan: (visit: (r: StoredRevision) => void) => Promise<void>,
    options: MvccStoreOptions & { readonly backend: RevisionBackend },
  ): Promise<MvccStore> {
    const rebuilder = new StateRebuilder(meta, options.backend);
    await scan((r) => rebuilder.add(r));
    return new MvccStore(options, rebuilder.finish());
  }

  /** What a persistent backend stores beside the revisions (see rebuild). */
  persistentMeta(): StoredMvccMeta {
    return { currentRevision: this.state.currentRevision, compactRevision: this.state.compactRevision, leases: this.state.leases.headers() };
  }

  /** Revisions and compaction bounds only: what changes with every write (the lease headers change rarely). */
  revisionMeta(): { readonly currentRevision: number; readonly compactRevision: number } {
    return { currentRevision: this.state.currentRevision, compactRevision: this.state.compactRevision };
  }

  /** Counter that moves whenever the lease headers change. */
  get leaseChanges(): number {
    return this.state.leases.changes;
  }

  /** Checks the relationships between the store's structures. O(size): for tests and after restore. */
  assertInvariants(): void {
    const s = this.state;
    invariant(s.currentRevision >= 1 && s.compactRevision <= s.currentRevision, 'revision bounds');
    s.keys.assertValid();
    invariant(s.keys.size === s.histories.size, 'key index and histories disagree');
    const attached = new Map<number, Set<KeyString>>();
    for (const key of s.keys.keys()) {
      const history = s.histories.get(key);
      invariant(history !== undefined && history.length > 0, 'indexed key without history');
      let previous: { main: number; sub: number } | undefined;
      for (const r of history) {
        invariant(r.main <= s.currentRevision, 'record from the future');
        invariant(previous === undefined || r.main > previous.main || (r.main === previous.main && r.sub > previous.sub), 'history order');
        previous = r;
      }
      for (const r of history) if (!r.tombstone) invariant(s.backend.read(r) !== undefined, `revision ${r.main}.${r.sub} missing from the backend`);
      const lease = s.latest(key)?.lease ?? 0;
      if (lease !== 0) {
        const set = attached.get(lease) ?? new Set<KeyString>();
        set.add(key);
        attached.set(lease, set);
      }
    }
    for (const id of s.leases.ids()) {
      const lease = s.leases.get(id);
      invariant(lease !== undefined, 'lease id without lease');
      const expected = attached.get(id) ?? new Set<KeyString>();
      invariant(lease.keys.size === expected.size && [...lease.keys].every((k) => expected.has(k)), `lease ${id} keys disagree with the keys`);
      attached.delete(id);
    }
    invariant(attached.size === 0, 'a live key is attached to a lease that does not exist');
  }

  private dispatch(command: Command): Response {
    switch (command.type) {
      case 'range':
        return executeRange(this.state, command, this.state.currentRevision);
      case 'put':
        return this.put(command);
      case 'deleteRange':
        return this.deleteRange(command);
      case 'txn':
        return this.txn(command);
      case 'compaction':
        return this.compaction(command.revision);
      case 'leaseGrant':
        return this.leaseGrant(command);
      case 'leaseRevoke':
        return this.leaseRevoke(command);
      case 'leaseCheckpoint':
        return this.leaseCheckpoint(command);
      default: {
        const unknown: never = command;
        throw new MvccError('InvalidRequest', `unknown command ${JSON.stringify(unknown)}`);
      }
    }
  }

  private put(put: PutRequest): PutResponse {
    checkPut(this.state, put);
    return this.write((writer) => executePut(writer, put));
  }

  private deleteRange(del: DeleteRangeRequest): DeleteRangeResponse {
    return this.write((writer) => executeDelete(writer, del));
  }

  private txn(txn: TxnRequest): TxnResponse {
    // A read-only txn goes through the same path: a writer that writes nothing commits no revision.
    return this.write((writer) => executeTxn(this.state, writer, txn));
  }

  private compaction(revision: number): CompactionResponse {
    checkCompaction(this.state, revision);
    compact(this.state, revision);
    return { type: 'compaction', header: { revision: this.state.currentRevision } };
  }

  private leaseGrant(grant: LeaseGrantRequest): LeaseGrantResponse {
    const id = grant.id === 0 ? this.state.leases.allocateId() : grant.id;
    const ttlSeconds = Math.max(grant.ttlSeconds, this.leaseTtlMinSeconds);
    this.state.leases.grant(id, ttlSeconds);
    return { type: 'leaseGrant', header: { revision: this.state.currentRevision }, id, ttlSeconds };
  }

  /** etcd lessor.Revoke: deletes the attached keys, in key order, in one revision; then drops the lease. */
  private leaseRevoke(revoke: LeaseRevokeRequest): LeaseRevokeResponse {
    const lease = this.state.leases.get(revoke.id);
    if (lease === undefined) throw new MvccError('LeaseNotFound', 'lease not found');
    const keys = [...lease.keys].sort();
    return this.write((writer) => {
      for (const key of keys) writer.deleteRange({ kind: 'single', key });
      this.state.leases.remove(revoke.id);
      return { type: 'leaseRevoke', header: { revision: writer.readRevision } };
    });
  }

  private leaseCheckpoint(cp: LeaseCheckpointRequest): LeaseCheckpointResponse {
    for (const c of cp.checkpoints) this.state.leases.checkpoint(c.id, c.remainingTtlSeconds);
    return { type: 'leaseCheckpoint', header: { revision: this.state.currentRevision } };
  }

  /** Runs `body` in one revision; commits it if anything changed, then tells subscribers. */
  private write<R>(body: (writer: RevisionWriter) => R): R {
    const writer = new RevisionWriter(this.state);
    let result: R;
    try {
      result = body(writer);
    } catch (err) {
      // Refusals happen before the first write (that is what makes commands atomic). A throw after one
      // means the store is half-changed: a bug; stop rather than serve a corrupt state.
      invariant(!writer.changed, `a command failed after writing: ${(err as Error).message}`);
      writer.finish();
      throw err;
    }
    const events = writer.finish();
    if (events.length > 0) {
      const applied: RevisionEvents = { revision: writer.main, events };
      for (const listener of this.listeners) listener(applied);
    }
    return result;
  }
}
