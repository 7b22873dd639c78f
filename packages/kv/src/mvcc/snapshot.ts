// Snapshot encoding of the whole state, for Raft snapshots (the storage layer adds its own checksum and
// framing). msgpackr with structured cloning: a KeyValue shared by a key's history and the event log (and as
// the prevKv of the next event) is written once and comes back shared, so a snapshot costs about one copy of
// the uncompacted history and restore rebuilds the same object graph.

import { Packr } from 'msgpackr';
import { invariant, MvccError } from './errors.ts';
import { EventLog } from './event-log.ts';
import type { KeyString } from './key-range.ts';
import { LeaseTable, type LeaseTableSnapshot } from './lease.ts';
import type { KeyHistory } from './revision.ts';
import { MvccState } from './state.ts';
import type { RevisionEvents } from './types.ts';

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

const packr = new Packr({ structuredClone: true, useRecords: false, moreTypes: true });

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
    decoded = packr.unpack(bytes);
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
