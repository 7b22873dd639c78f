// The store's data and its two primitive operations: read a range at a revision, and write (put / delete) a
// key within one revision being built. Everything above (txn, compaction, leases, the apply switch) is
// expressed with these. Data structures: the key index (ordered keys) + one history of revisions per key
// (etcd's treeIndex + keyIndex), the KeyValues themselves in the RevisionBackend (etcd's bbolt key bucket),
// + the event log for watchers, + the lease table.

import { invariant, MvccError } from './errors.ts';
import { MemoryRevisionBackend, type RevisionBackend } from './backend.ts';
import { EventLog, type Change } from './event-log.ts';
import { KeyIndex } from './key-index.ts';
import { keyString, type KeyRange, type KeyString } from './key-range.ts';
import { LeaseTable } from './lease.ts';
import { appendRecord, latestLive, liveRecordAt, type KeyHistory, type KeyRecord } from './revision.ts';
import type { Event, KeyValue } from '@halyard/kv-client/protocol';

const emptyBytes = new Uint8Array(0);

export class MvccState {
  /** etcd starts an empty store at revision 1; the first write is revision 2. */
  currentRevision = 1;
  /** 0 = never compacted. Reads below it fail; reads at it succeed. */
  compactRevision = 0;
  readonly keys = new KeyIndex();
  readonly histories = new Map<KeyString, KeyHistory>();
  leases = new LeaseTable();
  events = new EventLog();
  /** True while a RevisionWriter has written records at currentRevision + 1 that are not committed yet. */
  pendingWrite = false;

  constructor(readonly backend: RevisionBackend = new MemoryRevisionBackend()) {}

  /** The current value of a key, if live. */
  latest(key: KeyString): KeyValue | undefined {
    const record = latestLive(this.histories.get(key));
    return record === undefined ? undefined : this.read(record);
  }

  /** Whether the key is live now (no backend read). */
  isLive(key: KeyString): boolean {
    return latestLive(this.histories.get(key)) !== undefined;
  }

  /** The KeyValue a live record points at; its absence is a broken store. */
  read(record: KeyRecord): KeyValue {
    const kv = this.backend.read(record);
    invariant(kv !== undefined, `revision ${record.main}.${record.sub} is in the key index but not in the backend`);
    return kv;
  }

  /** etcd's rangeKeys checks: revision ≤ 0 means current; a future or compacted revision is an error. */
  resolveReadRevision(revision: number | undefined, currentRevision = this.currentRevision): number {
    const rev = revision ?? 0;
    if (rev > currentRevision) {
      throw new MvccError('FutureRevision', `revision ${rev} is a future revision (current ${currentRevision})`, {
        currentRevision,
      });
    }
    if (rev <= 0) return currentRevision;
    if (rev < this.compactRevision) {
      throw new MvccError('Compacted', `revision ${rev} is compacted (compact revision ${this.compactRevision})`, {
        compactRevision: this.compactRevision,
        currentRevision,
      });
    }
    return rev;
  }

  /**
   * Calls `visit` with the live record of each key in `range` as of `revision` (already resolved), ascending
   * by key. Touches only the index: counts need no values.
   */
  forEachRecordAt(range: KeyRange, revision: number, visit: (record: KeyRecord) => void): void {
    if (range.kind === 'single') {
      const history = this.histories.get(range.key);
      const record = history === undefined ? undefined : liveRecordAt(history, revision);
      if (record !== undefined) visit(record);
      return;
    }
    // Reads at the head (the common case) take each key's last record without a search. The head is one
    // revision further while a txn is writing: a txn's read at the current revision must not see its writes.
    const atHead = revision >= this.currentRevision + (this.pendingWrite ? 1 : 0);
    const histories = this.histories;
    this.keys.forEachInRange(range.start, range.end, (key) => {
      const history = histories.get(key) as KeyHistory;
      const record = atHead ? latestLive(history) : liveRecordAt(history, revision);
      if (record !== undefined) visit(record);
    });
  }

  /** Calls `visit` with each live KeyValue in `range` as of `revision` (already resolved), ascending by key. */
  forEachKvAt(range: KeyRange, revision: number, visit: (kv: KeyValue) => void): void {
    this.forEachRecordAt(range, revision, (record) => visit(this.read(record)));
  }

  /** Live KeyValues in `range` as of `revision`, ascending by key. */
  kvsAt(range: KeyRange, revision: number): KeyValue[] {
    const kvs: KeyValue[] = [];
    this.forEachKvAt(range, revision, (kv) => kvs.push(kv));
    return kvs;
  }
}

/**
 * One revision under construction: every change of one write request (a put, a delete, a txn, a lease
 * revoke) gets main = current + 1 and a growing sub. `finish` bumps the store revision only if something
 * changed (etcd: a delete of nothing, or a txn of reads only, leaves the revision alone).
 */
export class RevisionWriter {
  readonly main: number;
  private sub = 0;
  private readonly events: Event[] = [];
  private readonly changes: Change[] = [];
  private finished = false;

  constructor(private readonly state: MvccState) {
    this.main = state.currentRevision + 1;
  }

  get changed(): boolean {
    return this.changes.length > 0;
  }

  /** The revision a read inside this write sees: etcd storeTxnWrite.Range reads at main once a change exists. */
  get readRevision(): number {
    return this.changed ? this.main : this.main - 1;
  }

  /** Puts `key`. Preconditions (lease exists; key exists for ignoreValue/ignoreLease) are the caller's. */
  put(
    keyBytes: Uint8Array,
    value: Uint8Array | undefined /* undefined = keep (ignoreValue) */,
    lease: number | undefined /* undefined = keep (ignoreLease) */,
  ): { kv: KeyValue; prevKv: KeyValue | undefined } {
    invariant(!this.finished, 'write after finish');
    const key = keyString(keyBytes);
    const history = this.state.histories.get(key);
    const prev = latestLive(history);
    const prevKv = prev === undefined ? undefined : this.state.read(prev);
    invariant(value !== undefined || prevKv !== undefined, 'ignoreValue on a missing key');
    invariant(lease !== undefined || prevKv !== undefined, 'ignoreLease on a missing key');
    const newLease = lease ?? (prevKv as KeyValue).lease;
    const kv: KeyValue = {
      key: prevKv?.key ?? Uint8Array.from(keyBytes),
      createRevision: prevKv?.createRevision ?? this.main,
      modRevision: this.main,
      version: (prevKv?.version ?? 0) + 1,
      // Copy: the command's buffer belongs to the caller (and may be a view into a Raft entry).
      value: value === undefined ? (prevKv as KeyValue).value : Uint8Array.from(value),
      lease: newLease,
    };
    const record: KeyRecord = { main: this.main, sub: this.sub++, tombstone: false };
    if (history === undefined) {
      // A literal holds exactly one element; `[]` then push reserves 17 (V8's growth), ~130 bytes per key
      // that most keys never use (a compacted history is one record).
      this.state.histories.set(key, [record]);
      this.state.keys.insert(key);
    } else {
      appendRecord(history, record);
    }
    this.state.backend.write(record, { key: kv.key, kv });
    this.state.pendingWrite = true;
    if (prevKv !== undefined && prevKv.lease !== 0 && prevKv.lease !== newLease) this.state.leases.detach(prevKv.lease, key);
    if (newLease !== 0) this.state.leases.attach(newLease, key);
    this.events.push({ type: 'put', kv, prevKv });
    this.changes.push({ type: 'put', key, sub: record.sub, prev });
    return { kv, prevKv };
  }

  /** Deletes every live key in `range`; returns the deleted KeyValues, ascending by key. */
  deleteRange(range: KeyRange): KeyValue[] {
    invariant(!this.finished, 'write after finish');
    // Collected first: deleting while walking the index would be walking a structure we change.
    const victims: KeyRecord[] = [];
    this.state.forEachRecordAt(range, Number.MAX_SAFE_INTEGER, (record) => victims.push(record));
    const deleted: KeyValue[] = [];
    for (const prev of victims) {
      const prevKv = this.state.read(prev);
      const key = keyString(prevKv.key);
      const record: KeyRecord = { main: this.main, sub: this.sub++, tombstone: true };
      appendRecord(this.state.histories.get(key) as KeyHistory, record);
      this.state.backend.write(record, { key: prevKv.key, kv: undefined });
      this.state.pendingWrite = true;
      if (prevKv.lease !== 0) this.state.leases.detach(prevKv.lease, key);
      const kv: KeyValue = { key: prevKv.key, createRevision: 0, modRevision: this.main, version: 0, value: emptyBytes, lease: 0 };
      this.events.push({ type: 'delete', kv, prevKv });
      this.changes.push({ type: 'delete', key, sub: record.sub, prev });
      deleted.push(prevKv);
    }
    return deleted;
  }

  /** Commits the revision if anything changed; returns its events (empty if nothing changed). */
  finish(): readonly Event[] {
    invariant(!this.finished, 'finish twice');
    this.finished = true;
    this.state.pendingWrite = false;
    if (this.changes.length === 0) return this.events;
    invariant(this.state.currentRevision === this.main - 1, 'concurrent writers');
    this.state.currentRevision = this.main;
    this.state.events.append({ revision: this.main, changes: this.changes });
    return this.events;
  }
}
