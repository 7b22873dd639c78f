// The production log store over a real LevelDB directory: a write that only moves the commit index goes
// to no disk on its own; it rides with the next write that does, or is written when the store closes.

import { describe, expect, it, vi } from 'vitest';
import { DiskStorage } from '../storage/index.ts';
import { ents, hs, tempDir } from '../storage/test-helpers.ts';
import { DiskLogStore } from './disk-log-store.ts';
import type { Completion } from './seams.ts';

describe('DiskLogStore', () => {
  it('keeps a commit-only hard state in memory until a write that goes to the disk anyway, in call order', async () => {
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
      const wait = (name: string, w: Parameters<DiskLogStore['saveReady']>[0]): Promise<void> => new Promise((resolve) => store.saveReady(w, (err) => (done(name)(err), resolve())));
      // A new term: must be synced, issued at once.
      await wait('term', { entries: [], hardState: hs(1, 0) });
      await wait('entries', { entries: ents(1, 2, 1), hardState: hs(1, 0) });
      expect(issued).toHaveBeenCalledTimes(2);
      // Only the commit index moved: complete at once, nothing issued…
      store.saveReady({ entries: [], hardState: hs(1, 2) }, done('commit'));
      expect(order).toEqual(['term', 'entries', 'commit']);
      expect(issued).toHaveBeenCalledTimes(2);
      // …and the next write that goes to the disk carries it (it has no hard state of its own).
      await wait('entry 3', { entries: ents(3, 3, 1) });
      expect(issued).toHaveBeenCalledTimes(3);
      expect(issued.mock.calls.map(([w]) => w.hardState?.commit)).toEqual([0, 0, 2]);
      // A write with its own hard state keeps its own.
      store.saveReady({ entries: [], hardState: hs(1, 3) }, done('commit 3'));
      await wait('entry 4', { entries: ents(4, 4, 1), hardState: hs(1, 3) });
      expect(issued.mock.calls.map(([w]) => w.hardState?.commit)).toEqual([0, 0, 2, 3]);
      // Alone, the last commit-only hard state is written when the store closes.
      store.saveReady({ entries: [], hardState: hs(1, 4) }, done('commit 4'));
      expect(issued).toHaveBeenCalledTimes(4);
      await store.close();
      expect(issued).toHaveBeenCalledTimes(5);
      expect(order).toEqual(['term', 'entries', 'commit', 'entry 3', 'commit 3', 'entry 4', 'commit 4']);
      const reopened = await DiskStorage.open(dir);
      expect(reopened.state.hardState).toEqual(hs(1, 4));
      expect(reopened.state.entries.map((e) => e.index)).toEqual([1, 2, 3, 4]);
      await reopened.storage.close();
    } finally {
      await cleanup();
    }
  });

  it('a commit index lost with the process is the disk\'s older one, never ahead of the log', async () => {
    const { dir, cleanup } = await tempDir('disk-log-store-crash');
    try {
      const { storage, state } = await DiskStorage.open(dir);
      const store = new DiskLogStore(storage, state.hardState);
      await new Promise<void>((resolve) => store.saveReady({ entries: ents(1, 3, 1), hardState: hs(1, 1) }, () => resolve()));
      store.saveReady({ entries: [], hardState: hs(1, 3) }, () => undefined);
      // The process dies here: the disk is closed without the store's close().
      await storage.close();
      const reopened = await DiskStorage.open(dir);
      expect(reopened.state.hardState).toEqual(hs(1, 1));
      expect(reopened.state.entries.map((e) => e.index)).toEqual([1, 2, 3]);
      await reopened.storage.close();
    } finally {
      await cleanup();
    }
  });
});
