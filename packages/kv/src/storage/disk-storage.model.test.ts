// Model-based test: random sequences of Readies (appends that overwrite uncommitted tails, commits,
// term changes, snapshots from a leader), local snapshots, compactions and restarts, applied both to
// DiskStorage and to the core's MemoryStorage. After every restart the state loaded from disk must be
// exactly what the MemoryStorage model holds.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../raft/storage.ts';
import type { Entry, HardState } from '../raft/types.ts';
import { DiskStorage, type LoadedState } from './disk-storage.ts';
import { tempDir } from './test-helpers.ts';

type Op =
  | { readonly kind: 'append'; readonly back: number; readonly count: number; readonly newTerm: boolean; readonly commitTo: number }
  | { readonly kind: 'localSnapshot'; readonly at: number }
  | { readonly kind: 'compact'; readonly at: number }
  | { readonly kind: 'leaderSnapshot'; readonly ahead: number; readonly sizeBytes: number }
  | { readonly kind: 'restart' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('append' as const), back: fc.nat(4), count: fc.integer({ min: 1, max: 6 }), newTerm: fc.boolean(), commitTo: fc.nat(100) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('localSnapshot' as const), at: fc.nat(100) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('compact' as const), at: fc.nat(100) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('leaderSnapshot' as const), ahead: fc.integer({ min: 1, max: 5 }), sizeBytes: fc.nat(3000) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('restart' as const) }) },
);

const CONF = { voters: [1, 2, 3], learners: [] };

function dataOf(index: number, term: number): Uint8Array {
  return new TextEncoder().encode(`${index}/${term}`);
}

/** The model's view in the shape open() returns. */
function expected(mem: MemoryStorage, hs: HardState): { hardState: HardState; snapIndex: number; snapTerm: number; entries: Array<[number, number, string]> } {
  const snap = mem.snapshot();
  const lo = snap.metadata.index + 1;
  const entries = lo <= mem.lastIndex() ? mem.entries(lo, mem.lastIndex() + 1, Number.MAX_SAFE_INTEGER) : [];
  return { hardState: hs, snapIndex: snap.metadata.index, snapTerm: snap.metadata.term, entries: entries.map(summary) };
}

function summary(e: Entry): [number, number, string] {
  return [e.index, e.term, e.type === 'normal' ? new TextDecoder().decode(e.data) : 'conf'];
}

function actual(s: LoadedState): ReturnType<typeof expected> {
  return {
    hardState: s.hardState,
    snapIndex: s.snapshot.metadata.index,
    snapTerm: s.snapshot.metadata.term,
    entries: s.entries.map(summary),
  };
}


async function run(ops: readonly Op[]): Promise<void> {
  const { dir, cleanup } = await tempDir('model');
  let { storage } = await DiskStorage.open(dir, { snapshotChunkSizeBytes: 1000 });
  try {
    let mem = new MemoryStorage(CONF);
    let hs: HardState = { term: 1, vote: 1, commit: 0 };
    await storage.saveReady({ hardState: hs, entries: [] });
    mem.setHardState(hs);
    let snapData = new Uint8Array(0);
    for (const op of ops) {
      const last = mem.lastIndex();
      const snapIndex = mem.snapshot().metadata.index;
      switch (op.kind) {
        case 'append': {
          // Overwrite at most the uncommitted tail (Raft never truncates committed entries).
          const start = Math.max(hs.commit + 1, snapIndex + 1, last + 1 - op.back);
          const term = op.newTerm ? hs.term + 1 : hs.term;
          const entries: Entry[] = [];
          for (let i = 0; i < op.count; i++) entries.push({ type: 'normal', index: start + i, term, data: dataOf(start + i, term) });
          const newLast = start + op.count - 1;
          const commit = Math.max(hs.commit, Math.min(op.commitTo, newLast));
          const next: HardState = { term, vote: op.newTerm ? 2 : hs.vote, commit };
          await storage.saveReady({ hardState: next, entries });
          mem.append(entries);
          mem.setHardState(next);
          hs = next;
          break;
        }
        case 'localSnapshot': {
          const at = Math.min(op.at, hs.commit);
          if (at <= snapIndex) break;
          snapData = new TextEncoder().encode(`image@${at}`.repeat(50));
          const snap = mem.createSnapshot(at, CONF, snapData);
          await storage.saveSnapshot(snap);
          break;
        }
        case 'compact': {
          const at = Math.min(op.at, snapIndex);
          if (at < mem.firstIndex()) break;
          mem.compact(at);
          await storage.compact(at);
          break;
        }
        case 'leaderSnapshot': {
          const index = Math.max(last, hs.commit) + op.ahead;
          const term = hs.term;
          snapData = new Uint8Array(op.sizeBytes).fill(index & 0xff);
          const snap = { metadata: { index, term, confState: CONF }, data: snapData };
          const next: HardState = { ...hs, commit: index };
          await storage.saveReady({ hardState: next, snapshot: snap, entries: [] });
          mem.applySnapshot(snap);
          mem.setHardState(next);
          hs = next;
          break;
        }
        case 'restart': {
          await storage.close();
          const reopened = await DiskStorage.open(dir, { snapshotChunkSizeBytes: 1000 });
          storage = reopened.storage;
          expect(actual(reopened.state)).toEqual(expected(mem, hs));
          expect(Buffer.from(reopened.state.snapshot.data).equals(Buffer.from(mem.snapshot().data))).toBe(true);
          // Continue from a MemoryStorage rebuilt the way the server does, so the model cannot drift.
          mem = new MemoryStorage(CONF);
          if (reopened.state.snapshot.metadata.index > 0) mem.applySnapshot(reopened.state.snapshot);
          mem.append(reopened.state.entries);
          mem.setHardState(reopened.state.hardState);
          break;
        }
        default: {
          const unhandled: never = op;
          throw new Error(`unhandled op ${JSON.stringify(unhandled)}`);
        }
      }
      expect(storage.lastIndex()).toBe(mem.lastIndex());
    }
    await storage.close();
    const final = await DiskStorage.open(dir, { snapshotChunkSizeBytes: 1000 });
    storage = final.storage;
    expect(actual(final.state)).toEqual(expected(mem, hs));
  } finally {
    await storage.close().catch(() => undefined);
    await cleanup();
  }
}

describe('DiskStorage against the MemoryStorage model', () => {
  it('loads exactly what the model holds after any sequence of Readies, snapshots, compactions and restarts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), (ops) => run(ops)),
      { numRuns: 40 },
    );
  });
});
