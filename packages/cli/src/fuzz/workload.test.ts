// The cluster workload's read-after-write rule: some acknowledged writes are followed at once by a read of
// the same key through the follower-pinned reader (the ReadIndex barrier bug class), recorded like any op.
import { describe, expect, it } from 'vitest';
import type { KvClient } from '@halyard/kv-client';
import { SeededRng } from '@halyard/kv/util';
import type { HistoryOp } from '../check/history.ts';
import { runClient } from './workload.ts';

/** Just enough of a KvClient: every write acknowledged at revision 2, every read answers nothing. */
function fakeClient(log: string[], name: string): KvClient {
  const header = { revision: 2, clusterId: 1, memberId: 1, raftTerm: 1 };
  return {
    get: async (key: string) => {
      log.push(`${name} get ${key}`);
      return { header, kvs: [], more: false, count: 0 };
    },
    put: async (key: string) => {
      log.push(`${name} put ${key}`);
      return { header };
    },
    delete: async (key: string) => {
      log.push(`${name} delete ${key}`);
      return { header, deleted: 0 };
    },
    txn: async () => {
      log.push(`${name} txn`);
      return { header, succeeded: true, responses: [] };
    },
  } as unknown as KvClient;
}

describe('runClient', () => {
  it('follows some acknowledged writes at once with a read of the same key through the reader', async () => {
    const log: string[] = [];
    const history: HistoryOp[] = [];
    let id = 1;
    let t = 0;
    await runClient(fakeClient(log, 'writer'), {
      clientId: 1,
      reader: fakeClient(log, 'reader'),
      keys: ['k0', 'k1', 'k2'],
      rng: new SeededRng(5),
      signal: new AbortController().signal,
      opsMax: 200,
      now: () => t++,
      nextOpId: () => id++,
      record: (op) => history.push(op),
    });
    // Reads only ever go through the reader; writes only through the writer.
    expect(log.every((l) => (l.includes(' get ') ? l.startsWith('reader') : l.startsWith('writer')))).toBe(true);
    const chained = log.filter((l, i) => i > 0 && l.startsWith('reader get') && !log[i - 1]!.startsWith('reader') && log[i - 1]!.split(' ').at(-1) === l.split(' ').at(-1));
    const writes = log.filter((l) => l.startsWith('writer')).length;
    expect(chained.length).toBeGreaterThan(writes / 4);
    expect(chained.length).toBeLessThan(writes);
    // Every operation is recorded, with distinct ids, the chained reads included.
    expect(history).toHaveLength(log.length);
    expect(new Set(history.map((h) => h.id)).size).toBe(history.length);
  });
});
