// Small builders shared by the storage and transport tests.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type MockInstance, vi } from 'vitest';
import type { Entry, HardState } from '../raft/types.ts';
import type { Db } from './level-batch.ts';

export function ent(index: number, term: number, payload = `e${index}t${term}`): Entry {
  return { type: 'normal', index, term, data: new TextEncoder().encode(payload) };
}

export function ents(lo: number, hi: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = lo; i <= hi; i++) out.push(ent(i, term));
  return out;
}

export function hs(term: number, commit: number, vote = 1): HardState {
  return { term, vote, commit };
}

/** A fresh temporary directory and its cleanup. */
export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `halyard-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Spies on `db`'s batches (every writer goes through LevelDB's chained batch: level-batch.ts): `spy` counts
 * the batches made, `writes` holds the options each one was written with, in order.
 */
export function recordBatchWrites(db: Db): { spy: MockInstance; writes: unknown[] } {
  const writes: unknown[] = [];
  const original = db.batch.bind(db);
  const spy = vi.spyOn(db, 'batch').mockImplementation(() => {
    const batch = original();
    const write = batch.write.bind(batch);
    batch.write = ((options: { sync?: boolean }) => {
      writes.push(options);
      return write(options);
    }) as typeof batch.write;
    return batch;
  });
  return { spy, writes };
}
