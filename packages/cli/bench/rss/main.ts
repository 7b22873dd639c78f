// What a member's memory is made of after a load: a fresh local cluster of real member processes, `--keys`
// distinct keys of 1 KiB written 64 in flight, then for each member its resident set from /proc (anonymous
// vs file-backed) beside what Node reports on its /metrics (V8 heap used and total, per heap space, external
// memory such as Buffers). What is resident but neither V8's heap nor external is native: LevelDB's caches
// and memtables, the allocator's arenas, code. During the load it prints, per tenth, what each put cost each
// member in CPU (main thread apart from the others) and in bytes written to disk: figures that say whether a
// write's cost grows with the data, which do not depend on how loaded the machine is as rates do.
// Run: npx tsx packages/cli/bench/rss/main.ts [--keys 100000] [--members 1] [--extra "--snapshot-count 5000"] [--idle-s 20]
//        [--heap-snapshot DIR]   (each member writes a V8 heap snapshot there after the load; open it in
//                                 Chrome DevTools' Memory tab, or summarise it with heap-summary.ts)
// Not a test: the figures depend on the machine and on when V8 last collected.

import { mkdir, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { KvClient } from '@halyard/kv-client';
import { LocalCluster } from '../../src/cluster/local-cluster.ts';
import { freePorts } from '../../../kv/src/server/test-util.testutil.ts';
import { intFlag } from '../int-flag.ts';
import { VALUE_1K, closedLoop } from '../compare/workloads.ts';
import { cpuOfStat } from '../proc-stat.ts';

const { values } = parseArgs({ options: { keys: { type: 'string' }, members: { type: 'string' }, extra: { type: 'string' }, 'heap-snapshot': { type: 'string' }, 'idle-s': { type: 'string' } } });
const keys = intFlag('keys', values.keys, 100_000, { min: 1, max: 10_000_000 });
const size = intFlag('members', values.members, 1, { min: 1, max: 5 });
const idleS = intFlag('idle-s', values['idle-s'], 0, { min: 0, max: 600 });
const extraArgs = values.extra === undefined ? [] : values.extra.split(/\s+/).filter((a) => a !== '');
const snapshotDir = values['heap-snapshot'] === undefined ? undefined : resolve(values['heap-snapshot']);
if (snapshotDir !== undefined) await mkdir(snapshotDir, { recursive: true });
const nodeArgs = snapshotDir === undefined ? [] : ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${snapshotDir}`];

const MB = 2 ** 20;

async function procStatus(pid: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  for (const name of ['VmRSS', 'RssAnon', 'RssFile', 'VmHWM']) {
    const m = text.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'));
    if (m !== null) out[name] = Number(m[1]) * 1024;
  }
  return out;
}

/** The unlabelled gauges and the heap spaces of a Prometheus text exposition. */
function parseMetrics(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = line.match(/^(nodejs_heap_size_total_bytes|nodejs_heap_size_used_bytes|nodejs_external_memory_bytes|process_resident_memory_bytes|nodejs_heap_space_size_used_bytes\{space="(\w+)"\}) (\S+)$/);
    if (m === null) continue;
    out[m[2] === undefined ? m[1]! : `heap_used.${m[2]}`] = Number(m[3]);
  }
  return out;
}

async function report(label: string, cluster: LocalCluster): Promise<void> {
  process.stdout.write(`\n${label}\n`);
  for (const m of cluster.members) {
    const pid = cluster.pid(m.name);
    if (pid === undefined) continue;
    const st = await procStatus(pid);
    const metrics = parseMetrics(await (await fetch(`${m.clientUrl}/metrics`)).text());
    const f = (b: number | undefined): string => (b === undefined ? '–' : `${(b / MB).toFixed(1)}`);
    const heapTotal = metrics['nodejs_heap_size_total_bytes'];
    const external = metrics['nodejs_external_memory_bytes'];
    const rest = st['VmRSS']! - (heapTotal ?? 0) - (external ?? 0);
    process.stdout.write(
      `  ${m.name}: RSS ${f(st['VmRSS'])} MB (anon ${f(st['RssAnon'])}, file ${f(st['RssFile'])}, peak ${f(st['VmHWM'])}); V8 heap used ${f(metrics['nodejs_heap_size_used_bytes'])} of ${f(heapTotal)}; external ${f(external)}; rest (native: LevelDB, allocator, code) ${f(rest)}\n`,
    );
    const spaces = Object.entries(metrics).filter(([k]) => k.startsWith('heap_used.'));
    process.stdout.write(`    heap used by space: ${spaces.map(([k, v]) => `${k.slice(10)} ${f(v)}`).join(', ')}\n`);
  }
}

interface ProcessCost {
  readonly mainCpuUs: number;
  readonly totalCpuUs: number;
  readonly writeBytes: number;
}

/** utime + stime of a /proc stat line, in µs. */
function cpuUsOfStat(stat: string): number {
  const { userUs, sysUs } = cpuOfStat(stat);
  return userUs + sysUs;
}

/** CPU time of the main thread (tid = pid) and of the whole process, and bytes it caused to be written to disk. */
async function processCost(pid: number): Promise<ProcessCost> {
  const io = await readFile(`/proc/${pid}/io`, 'utf8');
  const m = io.match(/^write_bytes:\s+(\d+)/m);
  return {
    mainCpuUs: cpuUsOfStat(await readFile(`/proc/${pid}/task/${pid}/stat`, 'utf8')),
    totalCpuUs: cpuUsOfStat(await readFile(`/proc/${pid}/stat`, 'utf8')),
    writeBytes: m === null ? 0 : Number(m[1]),
  };
}

/** SIGUSR2 to each member (started with --heapsnapshot-signal), then wait until its file is complete. */
async function heapSnapshots(dir: string, cluster: LocalCluster): Promise<void> {
  for (const m of cluster.members) {
    const pid = cluster.pid(m.name);
    if (pid === undefined) continue;
    process.kill(pid, 'SIGUSR2');
    // The member writes the snapshot on its main thread once the signal is handled: wait for the file, then
    // until its size stops changing and the member answers again.
    let last = -1;
    for (;;) {
      await new Promise((r) => setTimeout(r, 1_000));
      const file = (await readdir(dir)).find((f) => f.includes(`.${pid}.`));
      if (file === undefined) continue;
      const size = (await stat(join(dir, file))).size;
      if (size > 0 && size === last) {
        await fetch(`${m.clientUrl}/metrics`);
        process.stdout.write(`  ${m.name}: heap snapshot ${join(dir, file)}\n`);
        break;
      }
      last = size;
    }
  }
}

const dataDir = await mkdtemp(join(tmpdir(), 'halyard-rss-'));
const free = await freePorts(2 * size);
const cluster = new LocalCluster({ size, dataDir, ports: Array.from({ length: size }, (_, i) => ({ client: free[2 * i]!, peer: free[2 * i + 1]! })), tickMs: 100, extraArgs, nodeArgs, stdio: 'ignore' });
try {
  await cluster.startAll();
  const kv = new KvClient({ endpoints: cluster.endpoints() });
  try {
    await kv.put('warm-up', VALUE_1K);
    await report('after start', cluster);
    const started = performance.now();
    const tenth = Math.max(1, Math.floor(keys / 10));
    const pids = cluster.members.map((m) => cluster.pid(m.name)).filter((p): p is number => p !== undefined);
    process.stdout.write(`\nper tenth of the load, per put, each member: CPU of the main (JS) thread, CPU of every other thread (LevelDB, libuv pool, GC helpers), bytes written to disk\n`);
    for (let part = 0, written = 0; part < 10 && written < keys; part++) {
      const n = part === 9 ? keys - written : Math.min(tenth, keys - written);
      const base = written;
      const before = await Promise.all(pids.map(processCost));
      const f = await closedLoop(
        { put: async (k, v) => void (await kv.put(k, v)), get: async () => {}, close: async () => {} },
        n,
        64,
        (c, i) => c.put(`load/${String(base + i).padStart(9, '0')}`, VALUE_1K),
      );
      const after = await Promise.all(pids.map(processCost));
      const cells = pids.map((_, i) => {
        const d = (k: keyof ProcessCost): number => (after[i]![k] - before[i]![k]) / n;
        return `main ${(d('mainCpuUs')).toFixed(0)} µs, other ${(d('totalCpuUs') - d('mainCpuUs')).toFixed(0)} µs, disk ${(d('writeBytes') / 1024).toFixed(1)} KiB`;
      });
      written += n;
      process.stdout.write(`  ${String(written).padStart(8)} keys: ${f.opsPerSecond.toFixed(0).padStart(5)} writes/s | ${cells.join(' | ')}\n`);
    }
    await report(`after ${keys} keys of 1 KiB (${((performance.now() - started) / 1000).toFixed(0)} s)`, cluster);
    if (idleS > 0) {
      // V8's memory reducer and LevelDB's compactions act once writes stop: what stays is the steady state.
      await new Promise((r) => setTimeout(r, idleS * 1_000));
      await report(`after ${idleS} s idle`, cluster);
    }
    if (snapshotDir !== undefined) await heapSnapshots(snapshotDir, cluster);
  } finally {
    await kv.close();
  }
} finally {
  await cluster.stopAll();
  await rm(dataDir, { recursive: true, force: true });
}
