// Snapshot encoding of the whole state, for Raft snapshots (the storage layer adds its own checksum and
// framing). msgpackr with records (one shape definition per object shape: KeyValue, record, event), without
// structured cloning: a KeyValue shared in memory by a key's history and the event log is written once per
// use and comes back as separate equal objects. That costs snapshot bytes for the uncompacted history only
// (the server compacts regularly) and buys speed: with 100k keys, 200k versions, encode ≈ 0.5 s and decode
// ≈ 0.2 s, against 1.3 s and 1.2 s with structured cloning. Nothing relies on object identity.

import { Packr } from 'msgpackr';
import { invariant, MvccError } from './errors.ts';
import { EventLog } from './event-log.ts';
import type { KeyString } from './key-range.ts';
import { LeaseTable, type LeaseTableSnapshot } from './lease.ts';
import type { KeyHistory } from './revision.ts';
import { MvccState } from './state.ts';
import type { RevisionEvents } from '@halyard/kv-client/protocol';

/** Bumped on any change of the layout below; restore refuses formats it does not know. */
const snapshotFormat = 1;

interface SnapshotV1 {
  readonly format: 1;
  readonly currentRevision: number;
  readonly compactRevision: number;
  /** [key, history] in key order. */
  readonly histories: readonly (readonly [KeyString, KeyHistory])[];
  readonly leases: LeaseTableSnapshot;
  readonly events: readonly RevisionEvents[];
}

// copyBuffers: decoded values must not be views into the snapshot (that would keep all of it alive); with a
// plain Uint8Array as input they also come back as Uint8Array rather than Buffer, like every other value.
const packr = new Packr({ useRecords: true, copyBuffers: true });

export function encodeSnapshot(state: MvccState): Uint8Array {
  const snapshot: SnapshotV1 = {
    format: snapshotFormat,
    currentRevision: state.currentRevision,
    compactRevision: state.compactRevision,
    histories: [...state.keys.keys()].map((key) => [key, state.histories.get(key) as KeyHistory] as const),
    leases: state.leases.snapshot(),
    events: state.events.all(),
  };
  return packr.pack(snapshot);
}

export function decodeSnapshot(bytes: Uint8Array): MvccState {
  let decoded: unknown;
  try {
    decoded = packr.unpack(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (err) {
    throw new MvccError('InvalidRequest', `snapshot does not decode: ${(err as Error).message}`);
  }
  const snapshot = decoded as Partial<SnapshotV1> | null;
  if (typeof snapshot !== 'object' || snapshot === null || snapshot.format !== snapshotFormat) {
    throw new MvccError('InvalidRequest', `unknown snapshot format ${String(snapshot?.format)}`);
  }
  invariant(Array.isArray(snapshot.histories) && Array.isArray(snapshot.events) && snapshot.leases !== undefined, 'snapshot fields');
  const state = new MvccState();
  state.currentRevision = snapshot.currentRevision as number;
  state.compactRevision = snapshot.compactRevision as number;
  for (const [key, history] of snapshot.histories) {
    state.histories.set(key, history);
    state.keys.insert(key);
  }
  state.leases = LeaseTable.restore(snapshot.leases);
  state.events = EventLog.restore(snapshot.events);
  return state;
}
