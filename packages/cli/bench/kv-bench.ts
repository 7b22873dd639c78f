// Benchmark of the KV store on a local 3-member cluster of real processes (not a test: it prints figures).
// Run: npx tsx packages/cli/bench/kv-bench.ts [--clients 64] [--writes-per-client 50] [--sequential 300]
// Measures: one client's sequential put latency (p50/p99) and throughput with N concurrent clients.
// Figures depend on the disk's fsync latency: every acknowledged write waits for an fsync on a majority.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KvClient } from '@halyard/kv-client';
import { LocalCluster } from '../src/cluster/local-cluster.ts';
import { freePorts } from '../../kv/src/server/test-util.testutil.ts';

const { values } = parseArgs({
  options: { clients: { type: 'string', default: '64' }, 'writes-per-client': { type: 'string', default: '50' }, sequential: { type: 'string', default: '300' } },
});
const clientsN = Number(values.clients);
const perClient = Number(values['writes-per-client']);
const sequentialN = Number(values.sequential);
for (const [name, v] of [['clients', clientsN], ['writes-per-client', perClient], ['sequential', sequentialN]] as const) {
  if (!Number.isSafeInteger(v) || v <= 0 || v > 100_000) throw new Error(`--${name} must be an integer in 1..100000`);
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

const dir = await mkdtemp(join(tmpdir(), 'halyard-bench-'));
const free = await freePorts(6);
const ports = [0, 1, 2].map((i) => ({ client: free[2 * i]!, peer: free[2 * i + 1]! }));
const cluster = new LocalCluster({ size: 3, dataDir: dir, ports, tickMs: 100 });
await cluster.startAll();
const clients: KvClient[] = [];
try {
  const kv = new KvClient({ endpoints: cluster.endpoints() });
  clients.push(kv);
  await kv.put('warm-up', 'x');
  const lat: number[] = [];
  let t = performance.now();
  for (let i = 0; i < sequentialN; i++) {
    const s = performance.now();
    await kv.put(`seq/${i}`, 'v');
    lat.push(performance.now() - s);
  }
  const seqSeconds = (performance.now() - t) / 1000;
  lat.sort((a, b) => a - b);
  console.log(`1 client, ${sequentialN} sequential puts: p50 ${percentile(lat, 0.5).toFixed(2)} ms, p99 ${percentile(lat, 0.99).toFixed(2)} ms, ${(sequentialN / seqSeconds).toFixed(0)} writes/s`);
  const many = Array.from({ length: clientsN }, () => new KvClient({ endpoints: cluster.endpoints() }));
  clients.push(...many);
  await Promise.all(many.map((c) => c.put('warm-up', 'y')));
  t = performance.now();
  await Promise.all(many.map(async (c, j) => {
    for (let i = 0; i < perClient; i++) await c.put(`par/${j}/${i}`, 'v');
  }));
  const parSeconds = (performance.now() - t) / 1000;
  console.log(`${clientsN} clients × ${perClient} puts: ${((clientsN * perClient) / parSeconds).toFixed(0)} writes/s`);
  const rlat: number[] = [];
  for (let i = 0; i < sequentialN; i++) {
    const s = performance.now();
    await kv.get(`seq/${i}`);
    rlat.push(performance.now() - s);
  }
  rlat.sort((a, b) => a - b);
  console.log(`1 client, ${sequentialN} linearizable gets: p50 ${percentile(rlat, 0.5).toFixed(2)} ms, p99 ${percentile(rlat, 0.99).toFixed(2)} ms`);
} finally {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await cluster.stopAll();
  await rm(dir, { recursive: true, force: true });
}
