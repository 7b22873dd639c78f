// `halyard elect` and `halyard lock` run in-process (the real commander program and runner) against real
// KV members in this process; CMD is a real child process (node -e) that records what it saw in a file.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToString, KvClient } from '../kv/kv-client.ts';
import { KvLeaseLock } from '../kv/kv-lease-lock.ts';
import { parseRecordJson } from '../record.ts';
import { FakeLeaseServer } from '../testing/fake-lease-server.ts';
import { RealMembers } from '../testing/kv-internals.testutil.ts';
import type { ElectionCliIo } from './cli-io.ts';
import { registerElectionCommands } from './index.ts';
import { processAlive } from '../../../../test/testing/process.ts';

let members: RealMembers;
let kv: KvClient;
let dir: string;
/** Short, whole-second lease; the rules hold: 3 s > 2 s > 1.2 × 300 ms. */
const TIMING = ['--lease-duration', '3s', '--renew-deadline', '2s', '--retry-period', '300ms'];

beforeAll(async () => {
  members = await RealMembers.start(1);
  kv = new KvClient({ endpoints: members.urls });
  dir = await mkdtemp(join(tmpdir(), 'halyard-elect-cli-'));
});
afterAll(async () => {
  await kv.close();
  await members.close();
  await rm(dir, { recursive: true, force: true });
});

class UsageExit extends Error {}

/** One in-process `halyard` run: what it printed, its exit code, and its Ctrl-C. */
class Run {
  readonly lines: string[] = [];
  stderr = '';
  stdout = '';
  exitCode: number | undefined;
  readonly ctrlC = new AbortController();
  readonly done: Promise<void>;

  constructor(args: readonly string[]) {
    const io: ElectionCliIo = {
      line: (t) => void this.lines.push(t),
      stdout: (t) => void (this.stdout += t),
      stderr: (t) => void (this.stderr += t),
      interrupted: () => this.ctrlC.signal,
      setExitCode: (c) => void (this.exitCode = c),
      exitNow: (c) => {
        this.exitCode = c;
        throw new UsageExit(`exit ${c}`);
      },
      childStdio: 'ignore',
    };
    const program = new Command().name('halyard');
    registerElectionCommands(program, io);
    this.done = program.parseAsync([...args], { from: 'user' }).then(
      () => {},
      (e: unknown) => {
        if (!(e instanceof UsageExit)) throw e;
      },
    );
  }

  async until(cond: (lines: readonly string[]) => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond(this.lines)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; printed: ${JSON.stringify(this.lines)} stderr: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** A CMD that appends `start <pid> <token> <fenceKey>` to `file`, then runs until signalled (or ignores SIGTERM). */
function childScript(file: string, opts: { ignoreTerm?: boolean; exitCode?: number } = {}): string[] {
  const body = [
    `const fs = require('node:fs');`,
    `fs.appendFileSync(${JSON.stringify(file)}, 'start ' + process.pid + ' ' + process.env.HALYARD_FENCING_TOKEN + ' ' + process.env.HALYARD_FENCE_KEY + '\\n');`,
    opts.exitCode !== undefined ? `process.exit(${opts.exitCode});` : '',
    opts.ignoreTerm === true ? `process.on('SIGTERM', () => fs.appendFileSync(${JSON.stringify(file)}, 'ignored SIGTERM\\n'));` : `process.on('SIGTERM', () => { fs.appendFileSync(${JSON.stringify(file)}, 'SIGTERM\\n'); process.exit(0); });`,
    `setInterval(() => {}, 1000);`,
  ].join(' ');
  return [process.execPath, '-e', body];
}

async function lines(file: string): Promise<string[]> {
  return (await readFile(file, 'utf8').catch(() => '')).split('\n').filter((l) => l.length > 0);
}

async function record(name: string): Promise<ReturnType<typeof parseRecordJson> | undefined> {
  const lock = new KvLeaseLock({ kv, name });
  const r = await kv.get(lock.keys.record);
  return r.kvs[0] === undefined ? undefined : parseRecordJson(bytesToString(r.kvs[0].value), 'test');
}

async function waitFor(cond: () => Promise<boolean> | boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('halyard elect (in-process, real members)', () => {
  it('leads, runs CMD with the fencing token, and on Ctrl-C stops CMD, then releases', async () => {
    const file = join(dir, 'one.log');
    const a = new Run(['elect', 'one', '--identity', 'a', '--endpoints', members.urls.join(','), ...TIMING, '--', ...childScript(file)]);
    await a.until((l) => l.some((x) => x.startsWith('leading ')), 'leading');
    expect(a.lines[0]).toBe('new leader: a');
    const m = /^leading one as a token (\d+)$/.exec(a.lines[1]!);
    expect(m).not.toBeNull();
    await waitFor(async () => (await lines(file)).length > 0, 'CMD to start');
    expect((await lines(file))[0]).toMatch(new RegExp(`^start \\d+ ${m![1]} /halyard/elections/one/fence$`));
    a.ctrlC.abort();
    await a.done;
    expect(a.exitCode).toBe(0);
    expect(a.lines.slice(2)).toEqual(['stopped leading']);
    expect(await lines(file)).toContain('SIGTERM');
    expect(await record('one')).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
  });

  it('a standby announces the leader and takes over once the leader is interrupted', async () => {
    const a = new Run(['elect', 'two', '--identity', 'a', '--endpoints', members.urls.join(','), ...TIMING]);
    await a.until((l) => l.includes('leading two as a token ' + (l.find((x) => x.startsWith('leading'))?.split(' ').pop() ?? '')), 'a leading');
    const b = new Run(['elect', 'two', '--identity', 'b', '--endpoints', members.urls.join(','), ...TIMING]);
    await b.until((l) => l.includes('new leader: a'), 'b to see a');
    const listener = new Run(['elect', 'two', '--listen', '--endpoints', members.urls.join(',')]);
    await listener.until((l) => l.includes('new leader: a'), 'the listener to see a');
    a.ctrlC.abort();
    await a.done;
    await b.until((l) => l.some((x) => x.startsWith('leading two as b token ')), 'b leading');
    expect(b.lines.filter((x) => x.startsWith('new leader'))).toEqual(['new leader: a', 'new leader: b']);
    await listener.until((l) => l.includes('new leader: b'), 'the listener to see b');
    expect(listener.lines).toEqual(['new leader: a', 'new leader: b']);
    b.ctrlC.abort();
    listener.ctrlC.abort();
    await Promise.all([b.done, listener.done]);
    expect([a.exitCode, b.exitCode, listener.exitCode]).toEqual([0, 0, 0]);
  });

  it('when CMD exits by itself, releases and exits with its code', async () => {
    const file = join(dir, 'three.log');
    const a = new Run(['elect', 'three', '--identity', 'a', '--endpoints', members.urls.join(','), ...TIMING, '--', ...childScript(file, { exitCode: 3 })]);
    await a.done;
    expect(a.exitCode).toBe(3);
    expect(a.lines).toEqual(['new leader: a', expect.stringMatching(/^leading three as a token \d+$/), 'stopped leading']);
    expect(await record('three')).toMatchObject({ holderIdentity: '' });
  });

  it('when leadership is lost, SIGTERMs CMD, SIGKILLs it after the grace period, and campaigns again', async () => {
    const file = join(dir, 'four.log');
    const a = new Run(['elect', 'four', '--identity', 'a', '--endpoints', members.urls.join(','), ...TIMING, '--grace-period', '500ms', '--', ...childScript(file, { ignoreTerm: true })]);
    await a.until((l) => l.some((x) => x.startsWith('leading ')), 'leading');
    await waitFor(async () => (await lines(file)).length > 0, 'CMD to start');
    const pid = Number((await lines(file))[0]!.split(' ')[1]);
    // An operator hands the lease to someone else: a finds out at its next renewal.
    const lock = new KvLeaseLock({ kv, name: 'four' });
    const current = (await lock.get())!;
    await lock.update({ ...current.record, holderIdentity: 'z', leaseTransitions: current.record.leaseTransitions + 1 }, current, 'acquire');
    await a.until((l) => l.includes('stopped leading'), 'stopped leading');
    await waitFor(() => !processAlive(pid), 'CMD to be killed');
    expect(await lines(file)).toContain('ignored SIGTERM');
    // z never renews, so after its lease a takes over again and starts CMD anew.
    await a.until((l) => l.filter((x) => x.startsWith('leading ')).length === 2, 'leading again');
    expect(a.lines.filter((x) => x.startsWith('new leader'))).toEqual(['new leader: a', 'new leader: z', 'new leader: a']);
    await waitFor(async () => (await lines(file)).filter((l) => l.startsWith('start')).length === 2, 'CMD to start again');
    a.ctrlC.abort();
    await a.done;
    const started = (await lines(file)).filter((l) => l.startsWith('start'));
    expect(started).toHaveLength(2);
    expect(Number(started[1]!.split(' ')[2])).toBeGreaterThan(Number(started[0]!.split(' ')[2]));
  });

  it.each<[string, string[], RegExp]>([
    ['a duration without a unit', ['--lease-duration', '15'], /--lease-duration must be a duration/],
    ['lease not above renew deadline', ['--lease-duration', '2s', '--renew-deadline', '2s'], /must be greater than renewDeadlineMs/],
    ['a fractional lease', ['--lease-duration', '2500ms', '--renew-deadline', '2s', '--retry-period', '300ms'], /whole number of seconds/],
    ['a lease lock without a server', ['--lock', 'lease'], /--server/],
    ['an unknown lock kind', ['--lock', 'zk'], /Allowed choices are kv, lease/],
    ['an unknown flag', ['--bogus'], /unknown option/],
  ])('exit code 2 for %s', async (_what, args, message) => {
    const r = new Run(['elect', 'bad', '--endpoints', members.urls.join(','), ...args]);
    await r.done;
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('exit code 2 for an election name that is not allowed', async () => {
    const r = new Run(['elect', 'a/b', '--endpoints', members.urls.join(',')]);
    await r.done;
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/election name/);
  });
});

describe('halyard elect --lock lease (in-process, fake apiserver)', () => {
  it('leads through a Lease and releases it on Ctrl-C', async () => {
    const server = await new FakeLeaseServer().start();
    try {
      const a = new Run(['elect', 'sched', '--identity', 'a', '--lock', 'lease', '--server', server.url, '--namespace', 'kube-system', ...TIMING]);
      await a.until((l) => l.some((x) => x.startsWith('leading ')), 'leading');
      expect(a.lines[1]).toMatch(/^leading sched as a token \d+$/);
      expect(server.lease('kube-system', 'sched')?.['spec']).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 3 });
      a.ctrlC.abort();
      await a.done;
      expect(a.exitCode).toBe(0);
      expect(server.lease('kube-system', 'sched')?.['spec']).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
    } finally {
      await server.stop();
    }
  });
});

describe('halyard lock (in-process, real members)', () => {
  it('prints the fencing token, runs CMD with it, releases when CMD exits and exits with its code', async () => {
    const file = join(dir, 'lock.log');
    const r = new Run(['lock', 'mutex', '--identity', 'me', '--endpoints', members.urls.join(','), ...TIMING, '--', ...childScript(file, { exitCode: 0 })]);
    await r.done;
    expect(r.exitCode).toBe(0);
    expect(r.lines).toHaveLength(1);
    const token = /^locked mutex as me token (\d+)$/.exec(r.lines[0]!)?.[1];
    expect(token).toBeDefined();
    expect((await lines(file))[0]).toMatch(new RegExp(` ${token} /halyard/elections/mutex/fence$`));
    expect(await record('mutex')).toMatchObject({ holderIdentity: '' });
  });

  it('a second locker waits until the first releases', async () => {
    const first = new Run(['lock', 'mutex2', '--identity', 'one', '--endpoints', members.urls.join(','), ...TIMING]);
    await first.until((l) => l.length === 1, 'first lock');
    const second = new Run(['lock', 'mutex2', '--identity', 'two', '--endpoints', members.urls.join(','), ...TIMING]);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(second.lines).toEqual([]);
    first.ctrlC.abort();
    await first.done;
    await second.until((l) => l.length === 1, 'second lock');
    expect(Number(second.lines[0]!.split(' ').pop())).toBeGreaterThan(Number(first.lines[0]!.split(' ').pop()));
    second.ctrlC.abort();
    await second.done;
    expect([first.exitCode, second.exitCode]).toEqual([0, 0]);
  });
});

describe('help', () => {
  it('goes to standard output with exit code 0', async () => {
    const r = new Run(['elect', '--help']);
    await r.done;
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('--lease-duration <duration>');
    expect(r.stderr).toBe('');
  });
});
