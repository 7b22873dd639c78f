// `halyard kv cluster up` as real processes: members come up with their logs in files under the data folder, a
// `ready: leader …` line is printed, and when the process that started `halyard kv cluster up` is killed with
// SIGTERM (as `kill -TERM` of a `pnpm start` parent), every member process goes too.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../../kv/src/server/test-util.testutil.ts';
import { processAlive } from '../../../../test/testing/process.ts';
import { freeClusterPortBase } from '../cluster/port-base.testutil.ts';

const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
/** Generous: three members start through tsx on a loaded two-core machine. */
const READY_DEADLINE_MS = 100_000;

let wrapper: ChildProcess | undefined;
let pids: number[] = [];
let dir: string | undefined;

afterEach(async () => {
  // Whatever the test left running (it failed): the processes it started, directly or below its shell.
  for (const pid of pids) if (processAlive(pid)) process.kill(pid, 'SIGKILL');
  if (wrapper?.pid !== undefined && processAlive(wrapper.pid)) process.kill(wrapper.pid, 'SIGKILL');
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  pids = [];
  wrapper = undefined;
  dir = undefined;
});

describe('halyard kv cluster up (real processes)', () => {
  it('logs to files, says ready, and takes its members down when its starting parent gets SIGTERM', async () => {
    dir = await mkdtemp(join(tmpdir(), 'halyard-start-'));
    const base = await freeClusterPortBase();
    const data = join(dir, 'cluster');
    // The shell stands for `pnpm start`: it runs halyard as a child (the `; echo` keeps it from exec'ing
    // node) and, killed with SIGTERM, dies without passing the signal on.
    const command = `"${process.execPath}" --import ${TSX_LOADER} "${MAIN}" kv cluster up --data "${data}" --client-port-base ${base} --tick-ms 50 --dashboard-port 0; echo halyard-exited`;
    wrapper = spawn('/bin/sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    wrapper.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    wrapper.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => /^ready: leader m\d \(term \d+\)$/m.test(out), READY_DEADLINE_MS, `the ready line; output so far:\n${out}`);

    const self = Number(/this process is pid (\d+)/.exec(out)?.[1]);
    const members = [...out.matchAll(/^ {2}(m\d) {2}pid (\d+) {2}client (\S+) {2}log (\S+)$/gm)].map((m) => ({ name: m[1], pid: Number(m[2]), log: m[4] as string }));
    pids = [self, ...members.map((m) => m.pid)];
    expect(members.map((m) => m.name)).toEqual(['m1', 'm2', 'm3']);
    for (const m of members) {
      expect(m.log).toBe(join(data, m.name as string, 'member.log'));
      expect(existsSync(m.log)).toBe(true);
      // The member's own output is in its file, not in halyard's.
      expect(readFileSync(m.log, 'utf8')).toContain(`member ${m.name} ready:`);
      expect(out).not.toContain(`member ${m.name} ready:`);
    }
    for (const pid of pids) expect(processAlive(pid)).toBe(true);
    // The table was printed when the leader appeared, once, not again while nothing changes.
    expect(out.match(/^NAME {2}/gm)?.length ?? 0).toBeGreaterThanOrEqual(1);

    process.kill(wrapper.pid as number, 'SIGTERM');
    await waitFor(() => pids.every((pid) => !processAlive(pid)), 30_000, `every member and halyard (pids ${pids.join(', ')}) to exit`);
    expect(out).toMatch(/process \d+, which started this one, exited: stopping the cluster/);
    expect(out).toContain('stopped.');
  });
});
