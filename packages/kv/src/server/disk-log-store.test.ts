// The production log store over a real LevelDB directory: a write that needs no fsync (only the commit
// index moved) waits for the next turn, and every write still lands, and completes, in call order.

import { describe, expect, it, vi } from 'vitest';
import { DiskStorage } from '../storage/index.ts';
import { ents, hs, tempDir } from '../storage/test-helpers.ts';
import { DiskLogStore } from './disk-log-store.ts';
import type { Completion } from './seams.ts';

describe('DiskLogStore', () => {
  it('issues a commit-only write on the next turn, ahead of any later write, and keeps call order', async () => {
    const { dir, cleanup } = await tempDir('disk-log-store');
    try {
      const { storage, state } = await DiskStorage.open(dir);
      const store = new DiskLogStore(storage, state.hardState);
      const issued = vi.spyOn(storage, 'saveReady');
      const order: string[] = [];
      const done =
        (name: string): Completion =>
        (err) => {
          expect(err).toBeUndefined();
          order.push(name);
        };
      const wait = (name: string): Promise<void> => new Promise((resolve) => store.saveReady({ entries: [], hardState: hs(1, 0) }, (err) => (done(name)(err), resolve())));
      // A new term: must be synced, issued at once.
      await wait('term');
      store.saveReady({ entries: ents(1, 2, 1), hardState: hs(1, 0) }, done('entries'));
      expect(issued).toHaveBeenCalledTimes(2);
      // Only the commit index moved: held for the next turn…
      store.saveReady({ entries: [], hardState: hs(1, 2) }, done('commit'));
      expect(issued).toHaveBeenCalledTimes(2);
      // …unless a later write comes first, which issues it ahead of itself.
      await new Promise<void>((resolve) => store.saveReady({ entries: ents(3, 3, 1), hardState: hs(1, 2) }, (err) => (done('entry 3')(err), resolve())));
      expect(order).toEqual(['term', 'entries', 'commit', 'entry 3']);
      expect(issued.mock.calls.map(([w]) => w.hardState?.commit)).toEqual([0, 0, 2, 2]);
      // Alone, a commit-only write still lands (after the turn) and is on disk when the store closes.
      store.saveReady({ entries: [], hardState: hs(1, 3) }, done('commit 3'));
      expect(issued).toHaveBeenCalledTimes(4);
      await new Promise<void>((resolve) => setImmediate(resolve));
      expect(issued).toHaveBeenCalledTimes(5);
      await store.close();
      expect(order).toEqual(['term', 'entries', 'commit', 'entry 3', 'commit 3']);
      const reopened = await DiskStorage.open(dir);
      expect(reopened.state.hardState).toEqual(hs(1, 3));
      expect(reopened.state.entries.map((e) => e.index)).toEqual([1, 2, 3]);
      await reopened.storage.close();
    } finally {
      await cleanup();
    }
  });
});
