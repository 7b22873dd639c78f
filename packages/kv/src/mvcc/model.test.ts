// Model-based test: random operation sequences applied to the store and to the reference model
// (testing/model.ts: a list of full snapshots, one per revision).
//
// Invariant, in words: after every step, the store and the model gave the same answer (same response or same
// error code), are at the same revision with the same compact revision; at the end of the sequence, a read of
// the whole key space at every revision from the compact revision up equals the model's snapshot of that
// revision; replaying the store's events from the compact revision onto the model's snapshot there yields
// the model's snapshot at every later revision, each event's prevKv being the key's value just before it;
// the store's internal invariants hold; a second store fed the same commands serializes to the same bytes
// (replicas agree byte for byte); and a store restored from a snapshot serializes to the same bytes, answers
// every read the same and takes the next write the same way.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MvccStore } from './store.ts';
import { ReferenceModel } from './testing/model.ts';
import { opSpecArb, resolveStep, type OpSpec, type Step } from './testing/ops.ts';
import { plainKv, runOnStore, type PlainKv } from './testing/outcome.ts';

const all = { key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) };
const numRuns = Number(process.env['HALYARD_MODEL_RUNS'] ?? 150);

function readAll(store: MvccStore, revision: number): PlainKv[] {
  return store.range({ ...all, revision }).kvs.map(plainKv);
}

function modelAt(model: ReferenceModel, revision: number): PlainKv[] {
  const snapshot = model.snapshots[revision] ?? {};
  return Object.keys(snapshot)
    .sort()
    .map((k) => snapshot[k] as PlainKv);
}

function describeStep(step: Step): string {
  return JSON.stringify(step, (_k, v: unknown) => (v instanceof Uint8Array ? `b'${Buffer.from(v).toString('latin1')}'` : v));
}

function runSequence(specs: readonly OpSpec[]): void {
  const store = new MvccStore();
  const model = new ReferenceModel();
  const steps: Step[] = [];
  for (const [i, spec] of specs.entries()) {
    const step = resolveStep(spec, { currentRevision: store.revision, compactRevision: store.compactRevision });
    steps.push(step);
    const ours = runOnStore(store, step);
    const expected = model.run(step);
    expect(ours, `step ${i}: ${describeStep(step)}`).toEqual(expected);
    expect(store.revision).toBe(model.revision);
    expect(store.compactRevision).toBe(model.compactRevision);
  }
  const from = Math.max(1, store.compactRevision);
  for (let rev = from; rev <= store.revision; rev++) expect(readAll(store, rev), `revision ${rev}`).toEqual(modelAt(model, rev));

  // Events replayed onto the snapshot at the compact revision rebuild every later snapshot.
  const state = new Map(modelAt(model, from).map((kv) => [kv.key, kv]));
  const events = store.eventsSince(from + 1).events;
  let cursor = 0;
  for (let rev = from + 1; rev <= store.revision; rev++) {
    for (; cursor < events.length && (events[cursor]?.kv.modRevision ?? 0) === rev; cursor++) {
      const e = events[cursor]!;
      const key = Buffer.from(e.kv.key).toString('latin1');
      expect(e.prevKv ? plainKv(e.prevKv) : undefined, `prevKv of ${e.type} ${key}@${rev}`).toEqual(state.get(key));
      if (e.type === 'put') state.set(key, plainKv(e.kv));
      else state.delete(key);
    }
    expect([...state.values()].sort((a, b) => (a.key < b.key ? -1 : 1)), `replay to ${rev}`).toEqual(modelAt(model, rev));
  }
  expect(cursor).toBe(events.length);
  store.assertInvariants();

  const replica = new MvccStore();
  for (const step of steps) runOnStore(replica, step);
  expect(replica.serialize()).toEqual(store.serialize());

  const restored = MvccStore.restore(store.serialize());
  expect(restored.serialize()).toEqual(store.serialize());
  for (let rev = from; rev <= store.revision; rev++) expect(readAll(restored, rev)).toEqual(readAll(store, rev));
  const next: Step = { kind: 'command', command: { type: 'put', key: new Uint8Array([0x61]), value: new Uint8Array([0x7a]), prevKv: true } };
  expect(runOnStore(restored, next)).toEqual(runOnStore(store, next));
  expect(restored.leases()).toEqual(store.leases());
}

describe('MVCC store vs the reference model', () => {
  it('agrees on every step of random sequences', () => {
    fc.assert(
      fc.property(fc.array(opSpecArb({ leases: true, bigTxn: true, stateMachineOnly: true }), { minLength: 1, maxLength: 60, size: 'max' }), runSequence),
      { seed: 0x6d766363, numRuns },
    );
  });
});
