// Benchmark of the `halyard` command line end to end (not a test: it prints figures): how long one
// `halyard kv put k v` takes, process start to exit, with the compiled bin under plain node against a
// running local 3-member cluster (members from the same compiled build) — and the same for etcdctl
// against a real single-member etcd when both are installed (Debian etcd-server / etcd-client).
//
// Run: npx -y pnpm@10.20.0 run build && npx tsx packages/cli/bench/cli-bench.ts [--runs 30]
// Reports p50/p90/min/max over the runs, after 3 warm-up runs, and `node -e 0` for the floor. Data
// directories are on /dev/shm when it exists (fsync is then nearly free, for etcd as for Halyard).

import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { freePorts } from '../../kv/src/server/test-util.testutil.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '30' } } });
const runs = Number(values.runs);
if (!Number.isSafeInteger(runs) || runs < 1 || runs > 1000) throw new Error('--runs must be an integer in 1..1000');

const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const BIN = join(DIST, 'cli', 'main.js');
if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build first (npx -y pnpm@10.20.0 run build)`);
const WARM_UP_RUNS = 3;

/** Wall time of one process from spawn to exit, in ms; throws if it fails. */
function timeOnce(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err}`))));
  });
}

interface Figures {
  readonly p50: number;
  readonly p90: number;
  readonly min: number;
  readonly max: number;
}

async function measure(cmd: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<Figures> {
  for (let i = 0; i < WARM_UP_RUNS; i++) await timeOnce(cmd, args, env);
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) ms.push(await timeOnce(cmd, args, env));
  ms.sort((a, b) => a - b);
  const at = (p: number): number => ms[Math.min(ms.length - 1, Math.floor(ms.length * p))] as number;
  return { p50: at(0.5), p90: at(0.9), min: ms[0] as number, max: ms[ms.length - 1] as number };
}

const show = (f: Figures): string => `p50 ${f.p50.toFixed(1)} ms, p90 ${f.p90.toFixed(1)} ms, min ${f.min.toFixed(1)} ms, max ${f.max.toFixed(1)} ms`;

/** A real single-member etcd on loopback, or undefined when etcd/etcdctl are not installed. */
async function startEtcd(dir: string): Promise<{ url: string; stop: () => Promise<void> } | undefined> {
  if (spawnSync('etcd', ['--version']).status !== 0 || spawnSync('etcdctl', ['version'], { env: { ...process.env, ETCDCTL_API: '3' } }).status !== 0) return undefined;
  const [client, peer] = await freePorts(2);
  const url = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  const child = spawn('etcd', ['--name=bench', `--data-dir=${join(dir, 'etcd')}`, `--listen-client-urls=${url}`, `--advertise-client-urls=${url}`, `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`, `--initial-cluster=bench=${peerUrl}`, '--log-level=error', '--logger=zap'], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const body = (await (await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) })).json()) as { health?: string };
      if (body.health === 'true') break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error('etcd did not become healthy within 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    stop: async () => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
      await exited;
    },
  };
}

// Data on tmpfs when there is one, for both stores: the figure is about the command line, not the disk.
const dir = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'halyard-cli-bench-'));
const { LocalCluster } = (await import(pathToFileURL(join(DIST, 'cluster', 'index.js')).href)) as typeof import('../src/cluster/index.ts');
const free = await freePorts(6);
const cluster = new LocalCluster({ size: 3, dataDir: join(dir, 'halyard'), ports: [0, 1, 2].map((i) => ({ client: free[2 * i]!, peer: free[2 * i + 1]! })), tickMs: 100, stdio: 'ignore' });
let etcd: Awaited<ReturnType<typeof startEtcd>>;
try {
  await cluster.startAll();
  const endpoints = cluster.endpoints().join(',');
  const halyardArgs = [BIN, 'kv', '--endpoints', endpoints, 'put', 'bench-key', 'bench-value'];
  console.log(`node ${process.version}, ${runs} runs after ${WARM_UP_RUNS} warm-up runs each`);
  console.log(`node -e 0 (the floor): ${show(await measure(process.execPath, ['-e', '0']))}`);
  console.log(`halyard: node packages/cli/dist/cli/main.js kv --endpoints <3 members> put bench-key bench-value\n  ${show(await measure(process.execPath, halyardArgs))}`);
  etcd = await startEtcd(dir);
  if (etcd === undefined) console.log('etcdctl: etcd or etcdctl not installed; skipped');
  else console.log(`etcdctl: etcdctl --endpoints <1 member> put bench-key bench-value\n  ${show(await measure('etcdctl', ['--endpoints', etcd.url, 'put', 'bench-key', 'bench-value'], { ...process.env, ETCDCTL_API: '3' }))}`);
} finally {
  await etcd?.stop();
  await cluster.stopAll();
  await rm(dir, { recursive: true, force: true });
}
