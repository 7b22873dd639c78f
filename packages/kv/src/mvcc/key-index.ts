// The ordered set of every key that has history in the store (live or deleted-but-not-yet-compacted), like
// etcd's in-memory treeIndex (a B-tree of keyIndex). Here a "chunked sorted array": a list of sorted chunks of
// at most `chunkSizeMax` keys. Lookup is two binary searches (O(log n)); an insert or delete moves at most one
// chunk's worth of entries (O(chunkSizeMax)), never the whole key space; range scans walk chunks in order.
// Simpler than a B-tree and as fast in practice for the sizes a control plane holds (10⁵–10⁶ keys).

import { invariant } from './errors.ts';
import type { KeyString } from './key-range.ts';

/** A chunk is split in two when it grows past this; chunks never hold more. */
const chunkSizeMax = 512;

export class KeyIndex {
  private readonly chunks: KeyString[][] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds `key`; returns false if it was already there. */
  insert(key: KeyString): boolean {
    if (this.chunks.length === 0) {
      this.chunks.push([key]);
      this.count = 1;
      return true;
    }
    // The first chunk whose last key is ≥ key, or the last chunk when key is beyond every key.
    const chunkIndex = Math.min(this.chunkFor(key), this.chunks.length - 1);
    const chunk = this.chunks[chunkIndex] as KeyString[];
    const i = lowerBound(chunk, key);
    if (chunk[i] === key) return false;
    chunk.splice(i, 0, key);
    this.count++;
    if (chunk.length > chunkSizeMax) {
      const upper = chunk.splice(chunk.length >> 1);
      this.chunks.splice(chunkIndex + 1, 0, upper);
    }
    return true;
  }

  /** Removes `key`; returns false if it was not there. */
  delete(key: KeyString): boolean {
    const chunkIndex = this.chunkFor(key);
    const chunk = this.chunks[chunkIndex];
    if (chunk === undefined) return false;
    const i = lowerBound(chunk, key);
    if (chunk[i] !== key) return false;
    chunk.splice(i, 1);
    this.count--;
    if (chunk.length === 0) this.chunks.splice(chunkIndex, 1);
    return true;
  }

  has(key: KeyString): boolean {
    const chunk = this.chunks[this.chunkFor(key)];
    return chunk !== undefined && chunk[lowerBound(chunk, key)] === key;
  }

  /** Keys k with start ≤ k < end (end undefined = unbounded), ascending. */
  range(start: KeyString, end: KeyString | undefined): KeyString[] {
    const out: KeyString[] = [];
    this.forEachInRange(start, end, (key) => {
      out.push(key);
    });
    return out;
  }

  /**
   * Calls `visit` for each key k with start ≤ k < end, ascending, until it returns false. The callback form
   * of `range` for the hot paths (range reads and counts): no generator frames, no allocation per key.
   */
  forEachInRange(start: KeyString, end: KeyString | undefined, visit: (key: KeyString) => boolean | void): void {
    if (end !== undefined && end <= start) return;
    let chunkIndex = this.chunkFor(start);
    let i = chunkIndex < this.chunks.length ? lowerBound(this.chunks[chunkIndex] as KeyString[], start) : 0;
    for (; chunkIndex < this.chunks.length; chunkIndex++, i = 0) {
      const chunk = this.chunks[chunkIndex] as KeyString[];
      for (; i < chunk.length; i++) {
        const key = chunk[i] as KeyString;
        if (end !== undefined && key >= end) return;
        if (visit(key) === false) return;
      }
    }
  }

  /** Every key, ascending. */
  *keys(): Generator<KeyString> {
    for (const chunk of this.chunks) yield* chunk;
  }

  /** Checks the structure's invariants; for tests and for asserting after restore. */
  assertValid(): void {
    let previous: KeyString | undefined;
    let total = 0;
    for (const chunk of this.chunks) {
      invariant(chunk.length > 0 && chunk.length <= chunkSizeMax, 'key index chunk size out of bounds');
      for (const key of chunk) {
        invariant(previous === undefined || previous < key, 'key index not strictly ascending');
        previous = key;
        total++;
      }
    }
    invariant(total === this.count, 'key index count mismatch');
  }

  /** Index of the first chunk whose last key is ≥ key (chunks.length if none). */
  private chunkFor(key: KeyString): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const chunk = this.chunks[mid] as KeyString[];
      if ((chunk[chunk.length - 1] as KeyString) < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Index of the first element ≥ key. */
function lowerBound(sorted: readonly KeyString[], key: KeyString): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as KeyString) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
