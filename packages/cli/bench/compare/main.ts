// `pnpm bench`: Halyard and etcd side by side in one run, same machine, same workloads, same client shape
// (one client object, N requests in flight). Prints a table with ratios and writes a JSON file.
// Run: npx tsx packages/cli/bench/compare/main.ts [--smoke] [--keys 100000] [--trials 5] [--only halyard|etcd] [--mvcc-backend leveldb|memory]
//        [--phases latency,load,restart,failover] [--halyard-build sources|compiled] [--cpu-prof DIR] [--out FILE]
// Not a test: figures vary with the machine's load and the disk's fsync latency.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { SingleBar, Presets } from 'cli-progress';
import { startEtcd, etcdInstalled, ETCD_BIN } from './etcd-target.ts';
import { startHalyard } from './halyard-target.ts';
import { intFlag } from '../int-flag.ts';
import { type Phase, parsePhases } from './phases.ts';
import { type Row, renderTable } from './report.ts';
import type { BenchTarget } from './target.ts';
import { type LatencyFigures, type LoadFigures, VALUE_256, closedLoop, failoverMs, load, restartToFirstReadMs } from './workloads.ts';

const { values } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    keys: { type: 'string' },
    ops: { type: 'string' },
    trials: { type: 'string' },
    only: { type: 'string' },
    'mvcc-backend': { type: 'string' },
    phases: { type: 'string' },
    'halyard-build': { type: 'string' },
    'cpu-prof': { type: 'string' },
    out: { type: 'string' },
  },
});
const smoke = values.smoke === true;
const keys = intFlag('keys', values.keys, smoke ? 500 : 100_000, { min: 1, max: 10_000_000 });
const ops = intFlag('ops', values.ops, smoke ? 100 : 2_000, { min: 1, max: 1_000_000 });
const trials = intFlag('trials', values.trials, smoke ? 1 : 5, { min: 1, max: 100 });
if (values.only !== undefined && values.only !== 'halyard' && values.only !== 'etcd') throw new Error('--only takes halyard or etcd');
const mvccBackend = values['mvcc-backend'];
if (mvccBackend !== undefined && mvccBackend !== 'leveldb' && mvccBackend !== 'memory') throw new Error('--mvcc-backend takes leveldb or memory');
const phases: ReadonlySet<Phase> = parsePhases(values.phases);
const halyardBuild = values['halyard-build'] ?? 'sources';
if (halyardBuild !== 'sources' && halyardBuild !== 'compiled') throw new Error('--halyard-build takes sources or compiled');
/** --cpu-prof DIR: every Halyard member writes a V8 CPU profile into DIR when it stops. */
const cpuProfDir = values['cpu-prof'];
const wanted = (values.only === undefined ? ['halyard', 'etcd'] : [values.only]) as ('halyard' | 'etcd')[];
const DEADLINE_MS = 60_000;
/**
 * How long a restart may take, to the members' ready lines and then to the first read: a minute, plus time
 * for the open to scan what the load stored (at 1,000,000 keys on a loaded 2-core machine, minutes).
 */
const RESTART_DEADLINE_MS = DEADLINE_MS + keys * 0.3;

/** A phase left out by --phases leaves its figures undefined. */
export interface TargetResults {
  putSerial?: LatencyFigures;
  put64?: LatencyFigures;
  getSerial?: LatencyFigures;
  get64?: LatencyFigures;
  load?: LoadFigures;
  restartToFirstReadMs?: number;
  /** Each member's own account of the restart (Halyard: time loading the program, time opening its data). */
  restartNotes?: readonly string[];
  failoverMs?: number[];
}

function bar(label: string): { update: (d: number, t: number) => void; stop: () => void } {
  if (!process.stderr.isTTY) {
    process.stderr.write(`${label}…\n`);
    return { update: () => {}, stop: () => {} };
  }
  const b = new SingleBar({ format: `${label.padEnd(34)} [{bar}] {value}/{total} {eta_formatted}`, stream: process.stderr, hideCursor: true }, Presets.shades_classic);
  let started = false;
  return {
    update(d, t) {
      if (!started) {
        b.start(t, 0);
        started = true;
      }
      b.update(d);
    },
    stop: () => b.stop(),
  };
}

async function measure(target: BenchTarget): Promise<TargetResults> {
  const client = await target.client();
  const phase = async <T>(label: string, f: (p: (d: number, t: number) => void) => Promise<T>): Promise<T> => {
    const b = bar(`${target.name}: ${label}`);
    try {
      return await f(b.update);
    } finally {
      b.stop();
    }
  };
  const r: TargetResults = {};
  try {
    await client.put('warm-up', VALUE_256);
    if (phases.has('latency')) {
      r.putSerial = await phase('put, 1 in flight', (p) => closedLoop(client, ops, 1, (c, i) => c.put(`put1/${i}`, VALUE_256), p));
      r.put64 = await phase('put, 64 in flight', (p) => closedLoop(client, ops * 4, 64, (c, i) => c.put(`put64/${i}`, VALUE_256), p, target.pids()));
      r.getSerial = await phase('get, 1 in flight', (p) => closedLoop(client, ops, 1, (c, i) => c.get(`put1/${i % ops}`), p));
      r.get64 = await phase('get, 64 in flight', (p) => closedLoop(client, ops * 4, 64, (c, i) => c.get(`put1/${i % ops}`), p, target.pids()));
    }
    if (phases.has('load')) r.load = await phase(`load ${keys} × 1 KiB`, (p) => load(target, client, keys, 64, p));
    await client.close();
    if (phases.has('restart')) {
      r.restartToFirstReadMs = await phase('restart all → first read', async () => restartToFirstReadMs(target, RESTART_DEADLINE_MS));
      r.restartNotes = target.startupNotes?.() ?? [];
    }
    if (phases.has('failover')) {
      const failover: number[] = [];
      await phase(`failover × ${trials}`, async (p) => {
        for (let i = 0; i < trials; i++) {
          failover.push(await failoverMs(target, DEADLINE_MS));
          p(i + 1, trials);
        }
      });
      r.failoverMs = failover;
    }
    return r;
  } finally {
    await client.close().catch(() => {});
  }
}

const root = await mkdtemp(join(tmpdir(), 'halyard-bench-'));
const results: Partial<Record<'halyard' | 'etcd', TargetResults>> = {};
try {
  for (const name of wanted) {
    if (name === 'etcd' && !etcdInstalled()) {
      process.stderr.write(`etcd: not installed at ${ETCD_BIN} (apt-get install etcd-server); measuring Halyard alone\n`);
      continue;
    }
    const dir = join(root, name);
    await mkdir(dir, { recursive: true });
    const target = name === 'halyard' ? await startHalyard(dir, 3, mvccBackend === undefined ? [] : ['--mvcc-backend', mvccBackend], RESTART_DEADLINE_MS, halyardBuild === 'compiled' ? 'compiled' : 'same', cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`]) : await startEtcd(dir, 3);
    try {
      results[name] = await measure(target);
    } finally {
      await target.stop();
    }
  }
} finally {
  await rm(root, { recursive: true, force: true });
}

const rows: Row[] = renderRows(results);
process.stdout.write(`\n3 members on loopback each, fsync on; 256-byte values (1 KiB for the load); one client object.\n${renderTable(rows)}\n`);
for (const [name, r] of Object.entries(results)) for (const note of r.restartNotes ?? []) process.stdout.write(`${name} restart: ${note}\n`);
for (const [name, r] of Object.entries(results)) {
  for (const [what, f] of [['put', r.put64], ['get', r.get64]] as const) {
    const c = f?.cpuUsPerOp;
    if (c !== undefined) process.stdout.write(`${name}: CPU per ${what} at 64 in flight: client ${c.client.toFixed(0)} µs, members ${c.members.map((m) => m.toFixed(0)).join(' / ')} µs\n`);
  }
}
const out = values.out ?? join('bench-results', `compare-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
await mkdir(dirname(out), { recursive: true });
await writeFile(out, JSON.stringify({ date: new Date().toISOString(), smoke, keys, ops, trials, phases: [...phases], halyardBuild, results }, null, 2));
process.stdout.write(`JSON: ${out}\n`);

function renderRows(r: typeof results): Row[] {
  const h = r.halyard;
  const e = r.etcd;
  const tenths = (l: LoadFigures | undefined): string => (l === undefined ? '–' : `${l.writesPerSecondByTenth[0]!.toFixed(0)} → ${l.writesPerSecondByTenth.at(-1)!.toFixed(0)} /s`);
  const mb = (l: LoadFigures | undefined): string => (l === undefined ? '–' : l.memberRssBytes.map((b) => `${(b / 2 ** 20).toFixed(0)}`).join('/') + ' MB');
  // All of the machine's CPU that one operation took: the client's and every member's.
  const cpu = (f: LatencyFigures | undefined): number | undefined => (f?.cpuUsPerOp === undefined ? undefined : f.cpuUsPerOp.client + f.cpuUsPerOp.members.reduce((a, b) => a + b, 0));
  const flatness = (l: LoadFigures | undefined): number | undefined => (l === undefined ? undefined : l.writesPerSecondByTenth.at(-1)! / l.writesPerSecondByTenth[0]!);
  const med = (xs: readonly number[] | undefined): number | undefined => {
    if (xs === undefined || xs.length === 0) return undefined;
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
  };
  return [
    { what: 'put, 1 in flight (writes/s)', etcd: e?.putSerial?.opsPerSecond, halyard: h?.putSerial?.opsPerSecond, higherIsBetter: true },
    { what: 'put, 1 in flight p50 (ms)', etcd: e?.putSerial?.p50Ms, halyard: h?.putSerial?.p50Ms, higherIsBetter: false },
    { what: 'put, 1 in flight p99 (ms)', etcd: e?.putSerial?.p99Ms, halyard: h?.putSerial?.p99Ms, higherIsBetter: false },
    { what: 'put, 64 in flight (writes/s)', etcd: e?.put64?.opsPerSecond, halyard: h?.put64?.opsPerSecond, higherIsBetter: true },
    { what: 'put, 64 in flight: CPU per put (µs, client + members)', etcd: cpu(e?.put64), halyard: cpu(h?.put64), higherIsBetter: false },
    { what: 'linearizable get, 1 in flight (/s)', etcd: e?.getSerial?.opsPerSecond, halyard: h?.getSerial?.opsPerSecond, higherIsBetter: true },
    { what: 'linearizable get, 1 in flight p50 (ms)', etcd: e?.getSerial?.p50Ms, halyard: h?.getSerial?.p50Ms, higherIsBetter: false },
    { what: 'linearizable get, 64 in flight (/s)', etcd: e?.get64?.opsPerSecond, halyard: h?.get64?.opsPerSecond, higherIsBetter: true },
    { what: 'get, 64 in flight: CPU per get (µs, client + members)', etcd: cpu(e?.get64), halyard: cpu(h?.get64), higherIsBetter: false },
    { what: `load ${keys} keys: first → last tenth`, etcd: tenths(e?.load), halyard: tenths(h?.load) },
    { what: 'load: last tenth / first tenth', etcd: flatness(e?.load), halyard: flatness(h?.load), higherIsBetter: true },
    { what: 'member RSS after the load', etcd: mb(e?.load), halyard: mb(h?.load) },
    { what: 'restart all → first read (ms)', etcd: e?.restartToFirstReadMs, halyard: h?.restartToFirstReadMs, higherIsBetter: false },
    { what: `kill -9 leader → first write (ms, median of ${trials})`, etcd: med(e?.failoverMs), halyard: med(h?.failoverMs), higherIsBetter: false },
  ];
}
