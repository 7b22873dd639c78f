// A short `halyard fuzz cluster` run in CI: real member processes, concurrent clients, kill -9, pause
// and partition faults; then every acknowledged write is present, the history is linearizable and the
// watcher saw every change in order exactly once, with snapshots frequent enough that members catch up by them. (Long runs are a CLI command, not a test.)
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runClusterFuzz } from '@halyard/cli/fuzz';
import { freePorts } from '../../packages/kv/src/server/test-util.testutil.ts';

let outDir = '';
afterAll(async () => {
  if (outDir !== '') await rm(outDir, { recursive: true, force: true });
});

describe('fuzz cluster (short run)', () => {
  it('finds no lost write, no linearizability violation and no watch gap under kill, pause and partition', async () => {
    outDir = await mkdtemp(join(tmpdir(), 'halyard-fuzz-'));
    const free = await freePorts(6);
    const ports = [0, 1, 2].map((i) => ({ client: free[2 * i]!, peer: free[2 * i + 1]! }));
    const summary = await runClusterFuzz({
      durationMs: 12_000,
      nemesis: ['kill', 'pause', 'partition'],
      size: 3,
      clients: 3,
      keys: 4,
      seed: 7,
      outDir,
      clientPortBase: 0,
      ports,
      tickMs: 50,
      // Snapshots and log compaction every few dozen writes, so a member back from kill -9 or a partition
      // is likely to catch up by a streamed snapshot of the leader's database, not only from the log.
      snapshotCount: 50,
      catchUpEntries: 10,
      faultIntervalMs: 2_000,
      faultHoldMs: 1_500,
      opsPerClientMax: 20_000,
      checkTimeBudgetMs: 60_000,
      // Printed with the test's output if it fails: which phase took the time.
      onPhase: (name, elapsedMs) => console.log(`fuzz cluster: ${elapsedMs} ms: ${name}`),
    });
    expect(summary.lostWrites).toEqual([]);
    expect(summary.linearizability).toBe('linearizable');
    expect(summary.watch.problems).toEqual([]);
    expect(summary.acknowledgedWrites).toBeGreaterThan(20);
    expect(summary.nemesisLog.length).toBeGreaterThan(0);
    expect(summary.ok).toBe(true);
    const html = await readFile(join(outDir, 'report.html'), 'utf8');
    expect(html).toContain('<html');
  }, 300_000);
});
