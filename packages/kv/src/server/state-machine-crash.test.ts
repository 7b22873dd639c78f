// Kill -9 of a state machine on LevelDB: its data and its applied index are one batch, so whatever index a
// reopened directory reports, the data is exactly the state after applying that many entries — never a
// batch's data without its index or the reverse — and every acknowledged commit is there.

import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { killCrashChildren, runAndKill } from '../storage/crash-harness.testutil.ts';
import { tempDir } from '../storage/test-helpers.ts';
import { StateMachineDisk } from './state-machine-disk.ts';

const CHILD = fileURLToPath(new URL('./state-machine-crash-child.ts', import.meta.url));
const ACKS_BEFORE_KILL = 100;

let cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  killCrashChildren();
  for (const c of cleanups.splice(0)) await c();
});

describe('StateMachineDisk under kill -9', () => {
  it('reopens at an index whose data is exactly that many applied puts, at or past every acknowledgement', async () => {
    const { dir, cleanup } = await tempDir('sm-crash');
    cleanups.push(cleanup);
    let previousAcked = 0;
    for (let round = 0; round < 3; round++) {
      const { started, acked } = await runAndKill(CHILD, dir, ACKS_BEFORE_KILL);
      expect(started).toBeGreaterThanOrEqual(previousAcked);
      const o = await StateMachineDisk.open(dir);
      try {
        const index = o.consistentIndex;
        expect(index).toBeGreaterThanOrEqual(acked);
        // One put per index, the store starting at revision 1.
        expect(o.mvcc.revision).toBe(index + 1);
        expect(o.dedupe.get(`i${index}`)?.ok).toBe(true);
        expect(o.dedupe.get(`i${index + 1}`)).toBeUndefined();
        const k = o.mvcc.range({ key: new TextEncoder().encode(`k${index % 50}`) }).kvs[0];
        expect(k?.modRevision).toBe(index + 1);
        expect(k?.value[0]).toBe(index & 0xff);
        o.mvcc.assertInvariants();
      } finally {
        await o.journal.close();
      }
      previousAcked = acked;
    }
  });
});
