// Real processes: three `halyard elect` processes (elect-main.ts, each running fenced-worker.ts as CMD)
// over a real 3-member KV cluster of `halyard kv member` processes on loopback.
//
// Each elector is started in a process group of its own (detached), so "the machine of the leader" —
// the elect process and the CMD it started — can be frozen (SIGSTOP) or killed (kill -9) together. Only
// those groups, which this file started, are ever signalled. One test file, so these run one after
// another in one worker while other files use the other core.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterHarness, waitFor } from '../kv-cluster/harness.ts';

const ELECT_MAIN = resolve(fileURLToPath(new URL('../../packages/election/src/cli/elect-main.ts', import.meta.url)));
const WORKER = resolve(fileURLToPath(new URL('./fenced-worker.ts', import.meta.url)));
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Short enough for a test, long enough for a loaded 2-core machine (and for a KV leader election). */
const LEASE_MS = 5_000;
const RENEW_DEADLINE_MS = 4_000;
const RETRY_MS = 500;
const TIMING = ['--lease-duration', `${LEASE_MS / 1000}s`, '--renew-deadline', `${RENEW_DEADLINE_MS / 1000}s`, '--retry-period', `${RETRY_MS}ms`, '--grace-period', '2s'];

interface Line {
  readonly atMs: number;
  readonly text: string;
}

/** One `halyard elect` process and what it printed, with the time each line arrived. */
class Elector {
  readonly lines: Line[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  private stopped = false;

  private constructor(
    readonly identity: string,
    readonly log: string,
    private readonly child: ChildProcess,
  ) {
    let buf = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        this.lines.push({ atMs: Date.now(), text: buf.slice(0, nl) });
        buf = buf.slice(nl + 1);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => void (this.stderr = (this.stderr + chunk.toString('utf8')).slice(-4_000)));
    this.exited = new Promise((r) => child.once('exit', (code) => r(code)));
  }

  static start(identity: string, endpoints: readonly string[], dir: string): Elector {
    const log = join(dir, `${identity}.log`);
    const args = ['--import', TSX_LOADER, ELECT_MAIN, 'elect', 'job', '--identity', identity, '--endpoints', endpoints.join(','), ...TIMING, '--', process.execPath, '--import', TSX_LOADER, WORKER, log];
    return new Elector(identity, log, spawn(process.execPath, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  has(text: string | RegExp): boolean {
    return this.lines.some((l) => (typeof text === 'string' ? l.text === text : text.test(l.text)));
  }

  leadingLines(): Line[] {
    return this.lines.filter((l) => l.text.startsWith('leading '));
  }

  /** Freeze / thaw / kill -9 the elector and its CMD: the whole process group this test started. */
  signalGroup(signal: 'SIGSTOP' | 'SIGCONT' | 'SIGKILL'): void {
    if (this.stopped) return;
    if (signal === 'SIGKILL') this.stopped = true;
    try {
      process.kill(-this.pid, signal);
    } catch {
      // already gone
    }
  }

  async workerLog(): Promise<string[]> {
    return (await readFile(this.log, 'utf8').catch(() => '')).split('\n').filter((l) => l.length > 0);
  }

  describe(): string {
    return `--- ${this.identity}\n${this.lines.map((l) => l.text).join('\n')}\nstderr: ${this.stderr}`;
  }
}

let h: ClusterHarness | undefined;
let electors: Elector[] = [];
let dir: string | undefined;

async function setUp(): Promise<{ harness: ClusterHarness; electors: Elector[]; leader: Elector }> {
  h = await ClusterHarness.create({ size: 3 });
  await h.startAll();
  await h.waitForLeader(h.cluster.members.map((m) => m.name));
  dir = await mkdtemp(join(tmpdir(), 'halyard-elect-'));
  const endpoints = h.cluster.endpoints();
  electors = ['p1', 'p2', 'p3'].map((id) => Elector.start(id, endpoints, dir!));
  const leader = await waitFor('one elector leading, and the others seeing it', () => {
    const leaders = electors.filter((e) => e.leadingLines().length > 0);
    if (leaders.length !== 1) return undefined;
    const l = leaders[0]!;
    return electors.every((e) => e.has(`new leader: ${l.identity}`)) ? l : undefined;
  });
  return { harness: h, electors, leader };
}

afterEach(async (ctx) => {
  const failed = ctx.task.result?.state === 'fail';
  if (failed) console.error(electors.map((e) => e.describe()).join('\n'));
  for (const e of electors) {
    e.signalGroup('SIGCONT');
    e.signalGroup('SIGKILL');
  }
  await Promise.all(electors.map((e) => e.exited));
  electors = [];
  await h?.close(failed);
  h = undefined;
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('halyard elect: three processes over a real 3-member KV cluster', () => {
  it('kill -9 of the leader: another leads within leaseDuration + 1.2 × retryPeriod', async () => {
    const { leader } = await setUp();
    // Let a few renewals happen, so the candidates follow them through the watch.
    await waitFor('a few fenced writes by the leader', async () => (await leader.workerLog()).filter((l) => l.startsWith('ok')).length >= 5);
    leader.signalGroup('SIGKILL');
    const killedAtMs = Date.now();
    const others = electors.filter((e) => e !== leader);
    const next = await waitFor('another elector leading', () => others.find((e) => e.leadingLines().length > 0), 60_000);
    const tookMs = next.leadingLines()[0]!.atMs - killedAtMs;
    console.log(`takeover ${tookMs} ms after kill -9 (bound ${LEASE_MS + 1.2 * RETRY_MS} ms)`);
    expect(tookMs).toBeLessThanOrEqual(LEASE_MS + 1.2 * RETRY_MS);
    // The third one saw it too, and only one of the two leads.
    const third = others.find((e) => e !== next)!;
    await waitFor('the third elector to see the new leader', () => third.has(`new leader: ${next.identity}`));
    expect(third.leadingLines()).toHaveLength(0);
    const tokens = [leader, next].map((e) => Number(/token (\d+)$/.exec(e.leadingLines()[0]!.text)![1]));
    expect(tokens[1]!).toBeGreaterThan(tokens[0]!);
  });

  it('SIGSTOP of the leader past its lease: after SIGCONT its fenced write is refused and it reports lost leadership', async () => {
    const { leader } = await setUp();
    await waitFor('a few fenced writes by the leader', async () => (await leader.workerLog()).filter((l) => l.startsWith('ok')).length >= 3);
    leader.signalGroup('SIGSTOP');
    const others = electors.filter((e) => e !== leader);
    const next = await waitFor('another elector leading', () => others.find((e) => e.leadingLines().length > 0), 60_000);
    await waitFor('the new leader’s first fenced write', async () => (await next.workerLog()).some((l) => l.startsWith('ok')));
    leader.signalGroup('SIGCONT');
    await waitFor('the old leader to report it stopped leading', () => leader.has('stopped leading'));
    // Its CMD was told to stop (SIGTERM) and made its final checkpoint write with the old token: refused by the store.
    const log = await waitFor('the old leader’s final write', async () => {
      const l = await leader.workerLog();
      return l.some((x) => x.includes(' final ')) ? l : undefined;
    });
    expect(log.find((x) => x.includes(' final '))).toMatch(/^refused final /);
    // And never did a write of the old token land after the new leader's token: the last value is the new leader's.
    const client = h!.client();
    const last = await client.get('work/last');
    expect(Buffer.from(last.kvs[0]!.value).toString('utf8')).toMatch(new RegExp(`^${next.identity} `));
    // The old leader campaigns again and sees the new leader.
    await waitFor('the old leader to see the new one', () => leader.has(`new leader: ${next.identity}`));
  });

  it('kill -9 of the KV leader: the elected process keeps leading and keeps writing', async () => {
    const { harness, leader } = await setUp();
    const kvLeader = await harness.waitForLeader(harness.cluster.members.map((m) => m.name));
    await harness.cluster.kill(kvLeader.name);
    const survivors = harness.cluster.members.map((m) => m.name).filter((n) => n !== kvLeader.name);
    await harness.waitForLeader(survivors, 'a new KV leader');
    const okBefore = (await leader.workerLog()).filter((l) => l.startsWith('ok')).length;
    await waitFor('fenced writes after the KV failover', async () => (await leader.workerLog()).filter((l) => l.startsWith('ok')).length >= okBefore + 10);
    expect(leader.has('stopped leading')).toBe(false);
    expect(leader.leadingLines()).toHaveLength(1);
    for (const e of electors.filter((x) => x !== leader)) expect(e.leadingLines()).toHaveLength(0);
  });
});
