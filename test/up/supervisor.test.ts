// The supervisor against real processes: log files, kill and restart by pid, stop of everything, and
// components that stop by themselves when the process that started them is killed.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeCommand } from '../../packages/cli/src/up/process/entrypoints.ts';
import { Supervisor, type SupervisorEvent } from '../../packages/cli/src/up/process/supervisor.ts';
import { waitFor } from './fake-backend.testutil.ts';
import { processAlive } from '../testing/process.ts';

const IDLE = fileURLToPath(new URL('./fixtures/idle-component.mjs', import.meta.url));
const PARENT = fileURLToPath(new URL('./fixtures/supervising-parent.ts', import.meta.url));

describe('Supervisor', () => {
  let dir = '';
  let supervisor: Supervisor;
  const events: SupervisorEvent[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'halyard-supervisor-'));
    events.length = 0;
    supervisor = new Supervisor({ logDir: join(dir, 'logs'), onEvent: (e) => events.push(e) });
  });

  afterEach(async () => {
    await supervisor.stopAll(2_000);
    await rm(dir, { recursive: true, force: true });
  });

  it('starts, kills and restarts a component by pid, logging to its file', async () => {
    supervisor.define({ id: 'idle', ...nodeCommand(IDLE, [], true) });
    await supervisor.start('idle');
    const first = supervisor.pid('idle')!;
    expect(processAlive(first)).toBe(true);
    expect(supervisor.status('idle').state).toBe('running');
    await waitFor('the component logs its start', async () => (await readFile(supervisor.logFile('idle'), 'utf8')).includes(`idle component ${first} up`));

    await supervisor.kill('idle');
    expect(processAlive(first)).toBe(false);
    expect(supervisor.status('idle')).toMatchObject({ state: 'exited', lastExit: 'signal SIGKILL', pid: undefined });
    expect(events).toContainEqual({ type: 'exited', id: 'idle', pid: first, how: 'signal SIGKILL', expected: true });

    await supervisor.start('idle');
    const second = supervisor.pid('idle')!;
    expect(second).not.toBe(first);
    expect(supervisor.status('idle').starts).toBe(2);
    await waitFor('both runs in one log', async () => (await readFile(supervisor.logFile('idle'), 'utf8')).includes(`idle component ${second} up`));

    await supervisor.stopAll(5_000);
    expect(processAlive(second)).toBe(false);
    expect(supervisor.status('idle').lastExit).toBe('code 0'); // SIGTERM first: it shut down by itself
  });

  it('reports a component that dies before it is ready', async () => {
    supervisor.define({ id: 'broken', command: process.execPath, args: ['-e', 'process.exit(3)'], ready: async () => false });
    await expect(supervisor.start('broken')).rejects.toMatchObject({ code: 'NotReady' });
    expect(supervisor.status('broken').lastExit).toBe('code 3');
  });

  it('a guarded component stops when its parent is killed with SIGKILL', async () => {
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const parent = spawn(process.execPath, ['--import', tsx, PARENT, join(dir, 'parent-logs')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    parent.stdout.on('data', (c: Buffer) => (out += c.toString()));
    try {
      await waitFor('the parent reports its child', () => /child \d+/.test(out), 60_000);
      const child = Number(/child (\d+)/.exec(out)![1]);
      expect(processAlive(child)).toBe(true);
      parent.kill('SIGKILL');
      await waitFor('the orphaned child exits', () => !processAlive(child), 30_000);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
