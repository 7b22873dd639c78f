// Where a single put's time goes: a fresh local 3-member cluster whose members stamp each stage of a write
// (HALYARD_WRITE_TRACE=1, server/write-trace.ts), N puts one at a time, then the median of each stage.
// Run: npx tsx packages/cli/bench/put-trace/main.ts [--puts 300] [--warmup 50] [--cpu-prof DIR] [--json FILE]
// With --cpu-prof every member writes a V8 CPU profile into DIR when it stops (open it in Chrome DevTools
// or `npx speedscope`). Not a test: the figures vary with the machine's load.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { KvClient } from '@halyard/kv-client';
import { LocalCluster } from '../../src/cluster/local-cluster.ts';
import { freePorts } from '../../../kv/src/server/test-util.testutil.ts';
import { WRITE_TRACE_ENV, monotonicNs, type WriteTraceDump } from '../../../kv/src/server/write-trace.ts';
import { intFlag } from '../int-flag.ts';
import { cpuOfStat } from '../proc-stat.ts';
import { type ClientPut, analysePuts, renderPutTrace } from './analyse.ts';

const { values } = parseArgs({
  options: {
    puts: { type: 'string' },
    warmup: { type: 'string' },
    'cpu-prof': { type: 'string' },
    json: { type: 'string' },
  },
});
const puts = intFlag('puts', values.puts, 300, { min: 1, max: 100_000 });
const warmup = intFlag('warmup', values.warmup, 50, { min: 0, max: 100_000 });
const VALUE = new Uint8Array(256).fill(120);

async function fetchDump(clientUrl: string): Promise<WriteTraceDump> {
  const res = await fetch(`${clientUrl.replace(/^ws/, 'http')}/debug/write-trace`);
  if (!res.ok) throw new Error(`${clientUrl}: GET /debug/write-trace answered ${res.status} (is ${WRITE_TRACE_ENV} reaching the member?)`);
  return (await res.json()) as WriteTraceDump;
}

/** CPU time (ms, user + system) and context switches of a process so far, from /proc (Linux). */
async function processCost(pid: number): Promise<{ userMs: number; sysMs: number; switches: number }> {
  const { userUs, sysUs } = cpuOfStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
  const [userMs, sysMs] = [userUs / 1000, sysUs / 1000];
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const num = (k: string): number => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { userMs, sysMs, switches: num('voluntary_ctxt_switches') + num('nonvoluntary_ctxt_switches') };
}

/** Counters of a member that do not depend on the machine's load: peer frames and messages written, disk writes the Ready loop waited for (the fsync histogram's count). */
const COUNTERS = { frames: 'halyard_peer_frames_sent_total', messages: 'halyard_peer_messages_sent_total', durableWrites: 'halyard_disk_wal_fsync_duration_seconds_count' } as const;
type Counts = Record<keyof typeof COUNTERS, number>;

async function memberCounts(clientUrl: string): Promise<Counts> {
  const res = await fetch(`${clientUrl.replace(/^ws/, 'http')}/metrics`);
  const text = await res.text();
  const sum = (name: string): number =>
    text
      .split('\n')
      .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
      .reduce((acc, l) => acc + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  return { frames: sum(COUNTERS.frames), messages: sum(COUNTERS.messages), durableWrites: sum(COUNTERS.durableWrites) };
}

async function main(): Promise<void> {
  // Members inherit this process's environment: that is how the flag reaches them.
  process.env[WRITE_TRACE_ENV] = '1';
  const profDir = values['cpu-prof'];
  const dataDir = await mkdtemp(join(tmpdir(), 'halyard-put-trace-'));
  const free = await freePorts(6);
  const ports = Array.from({ length: 3 }, (_, i) => ({ client: free[2 * i]!, peer: free[2 * i + 1]! }));
  const cluster = new LocalCluster({
    size: 3,
    dataDir,
    ports,
    tickMs: 100,
    ...(profDir !== undefined ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${resolve(profDir)}`] } : {}),
  });
  const kv = new KvClient({ endpoints: cluster.endpoints() });
  try {
    await cluster.startAll();
    for (let i = 0; i < warmup; i++) await kv.put(`warm/${i % 100}`, VALUE);
    const pids = cluster.members.map((m) => cluster.pid(m.name)).filter((p): p is number => p !== undefined);
    const costBefore = await Promise.all(pids.map(processCost));
    const countsBefore = await Promise.all(cluster.endpoints().map(memberCounts));
    const client: ClientPut[] = [];
    for (let i = 0; i < puts; i++) {
      const sendNs = monotonicNs();
      await kv.put(`trace/${i % 1000}`, VALUE);
      client.push({ sendNs, recvNs: monotonicNs() });
    }
    const costAfter = await Promise.all(pids.map(processCost));
    const countsAfter = await Promise.all(cluster.endpoints().map(memberCounts));
    const dumps = await Promise.all(cluster.endpoints().map(fetchDump));
    const report = analysePuts(client, dumps);
    const [l1, l5] = loadavg();
    const perPut = pids.map((_, i) => ({
      userUs: ((costAfter[i]!.userMs - costBefore[i]!.userMs) * 1000) / puts,
      sysUs: ((costAfter[i]!.sysMs - costBefore[i]!.sysMs) * 1000) / puts,
      switches: (costAfter[i]!.switches - costBefore[i]!.switches) / puts,
    }));
    const counts = countsAfter
      .map((c, i) => {
        const d = (k: keyof Counts): string => ((c[k] - countsBefore[i]![k]) / puts).toFixed(2);
        return `${d('frames')} frames / ${d('messages')} messages written, ${d('durableWrites')} disk writes the Ready loop waited for`;
      })
      .join('; ');
    const cost = perPut.map((c) => `${c.userUs.toFixed(0)} µs user + ${c.sysUs.toFixed(0)} µs system CPU, ${c.switches.toFixed(1)} context switches`).join('; ');
    process.stdout.write(`load average ${l1!.toFixed(2)} / ${l5!.toFixed(2)} (1 / 5 min)\nper put, each member: ${cost}\nper put, each member: ${counts}\n${renderPutTrace(report)}\n`);
    if (values.json !== undefined) await writeFile(values.json, JSON.stringify({ client, dumps, report, perPut }));
  } finally {
    await kv.close();
    await cluster.stopAll();
    await rm(dataDir, { recursive: true, force: true });
  }
  if (profDir !== undefined) process.stdout.write(`CPU profiles: ${resolve(profDir)}\n`);
}

await main();
