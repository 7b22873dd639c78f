// Validation of the log read back at startup, against the snapshot and hard state stored with it.
// Every check here is a way a damaged or half-restored directory could otherwise start a member that
// silently lost or reordered acknowledged entries.

import type { Entry, HardState } from '../raft/types.ts';
import { StorageCorruptError } from './errors.ts';
import { describeKey, entryKey, KEY_HARD_STATE } from './keys.ts';

interface SnapshotPoint {
  readonly index: number;
  readonly term: number;
}

/**
 * `stored` is every entry record in key order. Returns the entries after the snapshot (what the
 * MemoryStorage is rebuilt from); entries at or below the snapshot index are leftovers of a lazy
 * compaction and only checked for consistency.
 */
export function checkLoadedLog(path: string, stored: readonly Entry[], snap: SnapshotPoint, hs: HardState): Entry[] {
  for (let i = 1; i < stored.length; i++) {
    const a = stored[i - 1]!;
    const b = stored[i]!;
    if (b.index !== a.index + 1) throw new StorageCorruptError(path, describeKey(entryKey(a.index + 1)), `missing: the log jumps from ${a.index} to ${b.index}`);
    if (b.term < a.term) throw new StorageCorruptError(path, describeKey(entryKey(b.index)), `term ${b.term} after term ${a.term} at ${a.index}`);
  }
  const after = stored.filter((e) => e.index > snap.index);
  const atSnap = stored.find((e) => e.index === snap.index);
  if (atSnap && snap.index > 0 && atSnap.term !== snap.term) {
    throw new StorageCorruptError(path, describeKey(entryKey(snap.index)), `term ${atSnap.term} differs from the snapshot's term ${snap.term}`);
  }
  if (after.length > 0) {
    const first = after[0]!;
    if (first.index !== snap.index + 1) {
      throw new StorageCorruptError(path, describeKey(entryKey(snap.index + 1)), `missing: the log after snapshot ${snap.index} starts at ${first.index}`);
    }
    if (first.term < snap.term) {
      throw new StorageCorruptError(path, describeKey(entryKey(first.index)), `term ${first.term} below the snapshot's term ${snap.term}`);
    }
  }
  const lastIndex = after.length > 0 ? after[after.length - 1]!.index : snap.index;
  const lastTerm = after.length > 0 ? after[after.length - 1]!.term : snap.term;
  if (hs.commit > lastIndex) {
    throw new StorageCorruptError(path, describeKey(KEY_HARD_STATE), `commit ${hs.commit} past the last index ${lastIndex}: committed entries are missing`);
  }
  // An entry (or snapshot) is only ever accepted after the member's term has reached its term.
  if (lastTerm > hs.term) {
    throw new StorageCorruptError(path, describeKey(KEY_HARD_STATE), `term ${hs.term} below the last log term ${lastTerm}`);
  }
  return after;
}
