// Small builders shared by the storage and transport tests.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Entry, HardState } from '../raft/types.ts';

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
