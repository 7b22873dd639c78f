// `halyard up` as a process, the way a person runs it: Ctrl-C (SIGINT) stops everything and exits 0;
// a SIGKILLed `up` leaves nothing behind either — every component notices its parent is gone and stops.
// A small cluster (1 member, 1 apiserver, no controllers) keeps it light; the full shape is up.test.ts.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClusterView } from '../../packages/cli/src/up/dashboard/view.ts';
import { waitFor } from './fake-backend.testutil.ts';
import { processAlive } from '../testing/process.ts';

const MAIN = resolve(fileURLToPath(new URL('../../packages/cli/src/cli/main.ts', import.meta.url)));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const DEADLINE_MS = 120_000;

describe('halyard up (the command)', () => {
  let dir = '';
  let up: ChildProcess | undefined;
  let out = '';
  let exited: Promise<number | null> = Promise.resolve(null);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'halyard-up-cli-'));
    out = '';
    up = spawn(process.execPath, ['--import', TSX, MAIN, 'up', '--data', dir, '--kv', '1', '--apiservers', '1', '--controller-replicas', '0', '--port', '0', '--dashboard-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    up.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    up.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    exited = new Promise((r) => up!.once('exit', (code) => r(code)));
    await waitFor('up prints its dashboard', () => /dashboard: (http\S+)/.test(out) || up!.exitCode !== null, DEADLINE_MS, 200);
    expect(out).toMatch(/dashboard: /);
  }, DEADLINE_MS + 10_000);

  afterEach(async () => {
    up?.kill('SIGKILL');
    await exited;
    await rm(dir, { recursive: true, force: true });
  }, 60_000);

  async function componentPids(): Promise<number[]> {
    const url = /dashboard: (http\S+)/.exec(out)![1]!;
    let v: ClusterView | undefined;
    await waitFor('the dashboard has a view', async () => {
      const res = await fetch(new URL('/api/state', url));
      if (res.ok) v = (await res.json()) as ClusterView;
      return v !== undefined;
    }, DEADLINE_MS, 200);
    return [...v!.kv, ...v!.apiservers, v!.loadBalancer].map((c) => c.pid).filter((p): p is number => p !== null);
  }

  it('stops every component on SIGINT and exits 0', async () => {
    const pids = await componentPids();
    // HAProxy too, when it is installed (its own process).
    expect(pids.length).toBe(existsSync('/usr/sbin/haproxy') ? 3 : 2);
    up!.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toContain('stopped.');
    for (const pid of pids) expect(processAlive(pid), `pid ${pid}`).toBe(false);
  }, DEADLINE_MS);

  it('leaves no component running when it is killed with SIGKILL', async () => {
    const pids = await componentPids();
    up!.kill('SIGKILL');
    await exited;
    await waitFor('every component stopped by itself', () => pids.every((p) => !processAlive(p)), 60_000, 200);
  }, DEADLINE_MS);
});
