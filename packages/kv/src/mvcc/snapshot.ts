// Snapshot encoding of the whole state, for Raft snapshots and snapshot files (the storage layer adds its own
// checksum and framing). msgpackr with records (one shape definition per object shape). Each key's history
// carries the KeyValue of every put (read from the backend); the event log carries only where its changes
// are stored, so every value is written once.

import { Packr } from 'msgpackr';
import { invariant, MvccError } from './errors.ts';
import type { RevisionBackend } from './backend.ts';
import { EventLog, type Change, type RevisionChanges } from './event-log.ts';
import { keyBytes, type KeyString } from './key-range.ts';
import { LeaseTable, type LeaseTableSnapshot } from './lease.ts';
import type { KeyRecord } from './revision.ts';
import { MvccState } from './state.ts';
import type { KeyValue } from '@halyard/kv-client/protocol';

/**
 * Bumped on any change of the layout below; restore refuses formats it does not know. Format 1 (before the
 * revision backend) carried whole events; its snapshots are not read any more.
 */
const snapshotFormat = 2;

interface SnapshotRecord {
  readonly main: number;
  readonly sub: number;
  /** undefined = tombstone. */
  readonly kv: KeyValue | undefined;
}

interface SnapshotV2 {
  readonly format: 2;
  readonly currentRevision: number;
  readonly compactRevision: number;
  /** [key, history] in key order. */
  readonly histories: readonly (readonly [KeyString, readonly SnapshotRecord[]])[];
  readonly leases: LeaseTableSnapshot;
  readonly events: readonly RevisionChanges[];
}

// copyBuffers: decoded values must not be views into the snapshot (that would keep all of it alive); with a
// plain Uint8Array as input they also come back as Uint8Array rather than Buffer, like every other value.
const packr = new Packr({ useRecords: true, copyBuffers: true });

export function encodeSnapshot(state: MvccState): Uint8Array {
  const snapshot: SnapshotV2 = {
    format: snapshotFormat,
    currentRevision: state.currentRevision,
    compactRevision: state.compactRevision,
    histories: [...state.keys.keys()].map(
      (key) => [key, (state.histories.get(key) as KeyRecord[]).map((r) => ({ main: r.main, sub: r.sub, kv: r.tombstone ? undefined : state.read(r) }))] as const,
    ),
    leases: state.leases.snapshot(),
    events: state.events.all(),
  };
  return packr.pack(snapshot);
}

/** The state `bytes` describe, its KeyValues written to `backend` (which must hold nothing yet). */
export function decodeSnapshot(bytes: Uint8Array, backend?: RevisionBackend): MvccState {
  let decoded: unknown;
  try {
    decoded = packr.unpack(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (err) {
    throw new MvccError('InvalidRequest', `snapshot does not decode: ${(err as Error).message}`);
  }
  const snapshot = decoded as Partial<SnapshotV2> | null;
  if (typeof snapshot !== 'object' || snapshot === null || snapshot.format !== snapshotFormat) {
    throw new MvccError('InvalidRequest', `unknown snapshot format ${String(snapshot?.format)}`);
  }
  invariant(Array.isArray(snapshot.histories) && Array.isArray(snapshot.events) && snapshot.leases !== undefined, 'snapshot fields');
  const state = new MvccState(backend);
  state.currentRevision = snapshot.currentRevision as number;
  state.compactRevision = snapshot.compactRevision as number;
  for (const [key, records] of snapshot.histories) {
    const history: KeyRecord[] = [];
    for (const r of records) {
      const record: KeyRecord = { main: r.main, sub: r.sub, tombstone: r.kv === undefined || r.kv === null };
      history.push(record);
      state.backend.write(record, { key: r.kv?.key ?? keyBytes(key), kv: record.tombstone ? undefined : r.kv });
    }
    state.histories.set(key, history);
    state.keys.insert(key);
  }
  state.leases = LeaseTable.restore(snapshot.leases);
  state.events = EventLog.restore(snapshot.events.map((e) => ({ revision: e.revision, changes: e.changes.map((c: Change) => ({ ...c, prev: c.prev ?? undefined })) })));
  return state;
}
