import { describe, expect, it } from 'vitest';
import type { HistoryOp } from '../check/history.ts';
import { findStaleReads } from './history-checks.ts';
import { runSimulation } from './simulator.ts';

const put = (id: number, invokeTime: number, returnTime: number | null, key: string, revision: number): HistoryOp => ({
  id,
  clientId: id,
  invokeTime,
  returnTime,
  op: { type: 'put', key, value: `v${id}` },
  result: returnTime === null ? null : { type: 'put', revision },
});
const get = (id: number, invokeTime: number, returnTime: number, key: string, modRevision: number, revision: number): HistoryOp => ({
  id,
  clientId: id,
  invokeTime,
  returnTime,
  op: { type: 'get', key },
  result: { type: 'get', value: modRevision === 0 ? null : 'x', modRevision, revision },
});

describe('findStaleReads', () => {
  it('flags a read that missed a write acknowledged before it began', () => {
    const h = [put(1, 0, 10, 'a', 1), get(2, 11, 12, 'a', 0, 0)];
    expect(findStaleReads(h).map((s) => s.readOpId)).toEqual([2]);
  });

  it('accepts reads concurrent with the write, and unknown writes', () => {
    const h = [put(1, 0, 10, 'a', 1), get(2, 5, 12, 'a', 0, 0), put(3, 20, null, 'a', 0), get(4, 30, 31, 'a', 1, 1)];
    expect(findStaleReads(h)).toEqual([]);
  });

  it('flags a read whose store revision is behind a write to another key', () => {
    const h = [put(1, 0, 10, 'a', 1), put(2, 11, 20, 'b', 2), get(3, 21, 22, 'a', 1, 1)];
    expect(findStaleReads(h).map((s) => s.missedWriteOpId)).toEqual([2]);
  });

  it('agrees with the simulator: no stale reads in a correct run, some with the planted bug', async () => {
    expect(findStaleReads((await runSimulation({ seed: 5, ticks: 800 })).history)).toEqual([]);
    for (let seed = 0; seed < 40; seed++) {
      const r = await runSimulation({ seed, ticks: 1500, clients: 8, faults: 'pause,reorder,drop,dup,transfer', bugs: { readIndexWithoutHeartbeat: true } });
      if (r.ok) continue;
      expect(r.violations[0]!.kind).toBe('StaleRead');
      expect(findStaleReads(r.history).length).toBeGreaterThan(0);
      return;
    }
    throw new Error('no stale read found with the planted bug');
  });
});
