// Kill -9 durability: an index acknowledged by saveReady (after its fsync'd batch) survives SIGKILL.

import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { killCrashChildren, runAndKill } from './crash-harness.testutil.ts';
import { DiskStorage } from './disk-storage.ts';
import { tempDir } from './test-helpers.ts';

const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
const ACKS_BEFORE_KILL = 150;

let cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  killCrashChildren();
  for (const c of cleanups.splice(0)) await c();
});

describe('DiskStorage under kill -9', () => {
  it('every acknowledged index survives SIGKILL, over several crash/restart rounds', async () => {
    const { dir, cleanup } = await tempDir('crash');
    cleanups.push(cleanup);
    let previousAcked = 0;
    for (let round = 0; round < 3; round++) {
      const { started, acked } = await runAndKill(CHILD, dir, ACKS_BEFORE_KILL);
      expect(started).toBeGreaterThanOrEqual(previousAcked);
      const { storage, state } = await DiskStorage.open(dir);
      try {
        const last = state.entries[state.entries.length - 1]!.index;
        expect(last).toBeGreaterThanOrEqual(acked);
        expect(state.entries[0]!.index).toBe(1);
        expect(state.entries.length).toBe(last);
        for (const e of state.entries) {
          expect(e.type === 'normal' && e.data.byteLength === 1024 && e.data[0] === (e.index & 0xff)).toBe(true);
        }
        expect(state.hardState.commit).toBeLessThanOrEqual(last);
      } finally {
        await storage.close();
      }
      previousAcked = acked;
    }
  });
});
