import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { SeededRng } from '@halyard/kv/util';
import type { LocalCluster } from '../cluster/local-cluster.ts';
import { Nemesis } from './nemesis.ts';

/** A cluster that records what the nemesis does to it; pause/resume only, so no process or socket is touched. */
function recordingCluster(calls: string[]): LocalCluster {
  const fake = {
    members: [{ name: 'm1' }, { name: 'm2' }, { name: 'm3' }],
    isRunning: () => true,
    pause: async (name: string) => void calls.push(`pause ${name}`),
    resume: async (name: string) => void calls.push(`resume ${name}`),
  };
  return fake as unknown as LocalCluster;
}

describe('Nemesis', () => {
  // A fuzz run lasts minutes and strikes dozens of times with the run's one stop signal: a hold that
  // ended on time must not leave its abort listener behind (it did: Node warned of a listener leak).
  it('leaves no abort listener on the run signal after holds that end on time', async () => {
    const calls: string[] = [];
    const nemesis = new Nemesis(recordingCluster(calls), ['pause'], new SeededRng(1), 'token', () => 0);
    const stop = new AbortController();
    for (let i = 0; i < 15; i++) await nemesis.strike(1, stop.signal);
    expect(calls.filter((c) => c.startsWith('pause'))).toHaveLength(15);
    expect(calls.filter((c) => c.startsWith('resume'))).toHaveLength(15);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });

  it('a hold ends at once when the run stops', async () => {
    const calls: string[] = [];
    const nemesis = new Nemesis(recordingCluster(calls), ['pause'], new SeededRng(1), 'token', () => 0);
    const stop = new AbortController();
    const struck = nemesis.strike(600_000, stop.signal);
    await new Promise((r) => setImmediate(r));
    stop.abort();
    await struck;
    expect(calls).toHaveLength(2);
    expect(calls[1]).toMatch(/^resume m\d$/);
  });
});
