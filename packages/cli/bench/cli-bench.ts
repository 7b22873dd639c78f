// Benchmark of the `halyard` command line end to end (not a test: it prints figures): how long one
// `halyard kv put k v` takes, process start to exit, with the built bin (bin/halyard.js, which runs the
// bundle with its code cache; the warm-up rounds write the cache) under plain node against a running
// local 3-member cluster (members from the same compiled build); the same command through the unbundled compiled sources (dist/cli/main.js) beside it; and the
// same for etcdctl against a real single-member etcd when both are installed (Debian etcd-server /
// etcd-client).
//
// Run: npx -y pnpm@10.20.0 run build && npx tsx packages/cli/bench/cli-bench.ts [--runs 30]
// Reports wall-time p50/p90/min/max over the runs (and CPU time with GNU time), after 3 warm-up rounds,
// and, when NODE_EXTRA_CA_CERTS is set, the floor and the bin once more without it (Node parses it at start-up),
// interleaved with `node -e 0` (the floor) so a busy machine slows every subject alike. Data
// directories are on /dev/shm when it exists (fsync is then nearly free, for etcd as for Halyard).

import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { freePorts } from '../../kv/src/server/test-util.testutil.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '30' } } });
const runs = Number(values.runs);
if (!Number.isSafeInteger(runs) || runs < 1 || runs > 1000) throw new Error('--runs must be an integer in 1..1000');

const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
/** What a user runs: the bin, which runs the bundle (dist/bundle/main.cjs) with its code cache. */
const BIN = fileURLToPath(new URL('../bin/halyard.js', import.meta.url));
const BUNDLE = join(DIST, 'bundle', 'main.cjs');
if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: build first (npx -y pnpm@10.20.0 run build)`);
const WARM_UP_RUNS = 3;

/** GNU time, when installed, also reports each run's CPU time: a figure a busy machine distorts far less. */
const GNU_TIME = existsSync('/usr/bin/time') && spawnSync('/usr/bin/time', ['-f', '%U', 'true']).status === 0 ? '/usr/bin/time' : undefined;

interface Sample {
  readonly wallMs: number;
  /** User + system CPU of the process, when GNU time is there. */
  readonly cpuMs?: number;
}

/** This process's environment without NODE_EXTRA_CA_CERTS. */
function withoutExtraCaCerts(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

/** One run of a process: wall time from spawn to exit (and its CPU time); throws if it fails. */
function timeOnce(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const [c, a] = GNU_TIME !== undefined ? [GNU_TIME, ['-f', 'CPU %U %S', cmd, ...args]] : [cmd, args];
    const t0 = performance.now();
    const child = spawn(c, a, { stdio: ['ignore', 'ignore', 'pipe'], env });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const wallMs = performance.now() - t0;
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err}`));
      const cpu = /CPU ([0-9.]+) ([0-9.]+)/.exec(err);
      resolve({ wallMs, ...(cpu !== null ? { cpuMs: (Number(cpu[1]) + Number(cpu[2])) * 1000 } : {}) });
    });
  });
}

interface Figures {
  readonly p50: number;
  readonly p90: number;
  readonly min: number;
  readonly max: number;
  /** p50 of the CPU time, when measured. */
  readonly cpuP50?: number;
}

interface Subject {
  readonly label: string;
  readonly cmd: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Runs every subject once per round, round after round (after warm-up rounds), so that a busy machine
 * slows all of them alike; returns each one's figures in the same order.
 */
async function measure(subjects: readonly Subject[]): Promise<Figures[]> {
  for (let i = 0; i < WARM_UP_RUNS; i++) for (const s of subjects) await timeOnce(s.cmd, s.args, s.env);
  const samples: Sample[][] = subjects.map(() => []);
  for (let i = 0; i < runs; i++) for (const [k, s] of subjects.entries()) samples[k]!.push(await timeOnce(s.cmd, s.args, s.env));
  return samples.map((list) => {
    const m = list.map((x) => x.wallMs).sort((a, b) => a - b);
    const cpu = list.flatMap((x) => (x.cpuMs !== undefined ? [x.cpuMs] : [])).sort((a, b) => a - b);
    const at = (p: number): number => m[Math.min(m.length - 1, Math.floor(m.length * p))] as number;
    return { p50: at(0.5), p90: at(0.9), min: m[0] as number, max: m[m.length - 1] as number, ...(cpu.length > 0 ? { cpuP50: cpu[Math.floor(cpu.length / 2)] as number } : {}) };
  });
}

const show = (f: Figures): string => `wall p50 ${f.p50.toFixed(1)} ms, p90 ${f.p90.toFixed(1)} ms, min ${f.min.toFixed(1)} ms, max ${f.max.toFixed(1)} ms${f.cpuP50 !== undefined ? `; CPU (user+sys) p50 ${f.cpuP50.toFixed(0)} ms` : ''}`;

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
  etcd = await startEtcd(dir);
  const subjects: Subject[] = [
    { label: 'node -e 0 (the floor: node starting and exiting)', cmd: process.execPath, args: ['-e', '0'] },
    { label: 'halyard: node packages/cli/bin/halyard.js kv --endpoints <3 members> put bench-key bench-value', cmd: process.execPath, args: [BIN, 'kv', '--endpoints', endpoints, 'put', 'bench-key', 'bench-value'] },
    { label: 'halyard unbundled: node packages/cli/dist/cli/main.js kv --endpoints <3 members> put bench-key bench-value', cmd: process.execPath, args: [join(DIST, 'cli', 'main.js'), 'kv', '--endpoints', endpoints, 'put', 'bench-key', 'bench-value'] },
    ...(etcd !== undefined ? [{ label: 'etcdctl: etcdctl --endpoints <1 member> put bench-key bench-value', cmd: 'etcdctl', args: ['--endpoints', etcd.url, 'put', 'bench-key', 'bench-value'], env: { ...process.env, ETCDCTL_API: '3' } }] : []),
    // Node reads and parses every certificate of NODE_EXTRA_CA_CERTS as it starts, before any JavaScript
    // runs, whether or not the process ever opens a TLS connection; some machines set it for every process
    // (ours points it at the system's whole CA bundle). The floor and the bin again without it show how
    // much of both is that.
    ...(process.env.NODE_EXTRA_CA_CERTS !== undefined
      ? [
          { label: 'node -e 0, without NODE_EXTRA_CA_CERTS', cmd: process.execPath, args: ['-e', '0'], env: withoutExtraCaCerts() },
          { label: 'halyard (the bin, as above), without NODE_EXTRA_CA_CERTS', cmd: process.execPath, args: [BIN, 'kv', '--endpoints', endpoints, 'put', 'bench-key', 'bench-value'], env: withoutExtraCaCerts() },
        ]
      : []),
  ];
  console.log(`node ${process.version}, ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; ${runs} interleaved rounds after ${WARM_UP_RUNS} warm-up rounds`);
  const figures = await measure(subjects);
  for (const [k, s] of subjects.entries()) console.log(`${s.label}\n  ${show(figures[k]!)}`);
  if (etcd === undefined) console.log('etcdctl: etcd or etcdctl not installed; skipped');
  console.log(`halyard above the floor (p50): ${(figures[1]!.p50 - figures[0]!.p50).toFixed(1)} ms; load average now ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  if (process.env.NODE_EXTRA_CA_CERTS !== undefined) {
    const [floor, bin] = [figures[subjects.length - 2]!, figures[subjects.length - 1]!];
    console.log(`without NODE_EXTRA_CA_CERTS (${process.env.NODE_EXTRA_CA_CERTS}): floor ${floor.p50.toFixed(1)} ms, halyard ${bin.p50.toFixed(1)} ms, ${(bin.p50 - floor.p50).toFixed(1)} ms above it`);
  }
} finally {
  await etcd?.stop();
  await cluster.stopAll();
  await rm(dir, { recursive: true, force: true });
}
