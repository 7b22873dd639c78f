// The workloads of `pnpm bench`, each against a BenchTarget so Halyard and etcd run exactly the same code.

import { randomBytes } from 'node:crypto';
import { processCpuUs } from '../proc-stat.ts';
import { type BenchTarget, type StoreClient, rssBytes, until } from './target.ts';

export interface LatencyFigures {
  readonly ops: number;
  readonly opsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** CPU (user + system) per operation, µs: this process (the client) and each member, when measured. */
  readonly cpuUsPerOp?: { readonly client: number; readonly members: readonly number[] };
}

export type Progress = (done: number, total: number) => void;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

/**
 * `total` operations from one client object with `inFlight` outstanding at a time; per-operation latency.
 * With `memberPids`, also the CPU each member and this process (the client) spent per operation: on a
 * machine whose cores the client and every member share, the figure that bounds throughput.
 */
export async function closedLoop(client: StoreClient, total: number, inFlight: number, op: (c: StoreClient, i: number) => Promise<void>, progress?: Progress, memberPids?: readonly number[]): Promise<LatencyFigures> {
  const latencies: number[] = [];
  let next = 0;
  const membersBefore = memberPids === undefined ? undefined : await Promise.all(memberPids.map((pid) => processCpuUs(pid)));
  const clientBefore = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(inFlight, total) }, async () => {
      for (let i = next++; i < total; i = next++) {
        const t = performance.now();
        await op(client, i);
        latencies.push(performance.now() - t);
        progress?.(latencies.length, total);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const clientUsed = process.cpuUsage(clientBefore);
  const membersAfter = memberPids === undefined ? undefined : await Promise.all(memberPids.map((pid) => processCpuUs(pid)));
  latencies.sort((a, b) => a - b);
  const figures = { ops: total, opsPerSecond: total / seconds, p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99) };
  if (membersBefore === undefined || membersAfter === undefined || [...membersBefore, ...membersAfter].some((x) => x === undefined)) return figures;
  const members = membersAfter.map((after, i) => (after! - membersBefore[i]!) / total);
  return { ...figures, cpuUsPerOp: { client: (clientUsed.user + clientUsed.system) / total, members } };
}

export const VALUE_256 = randomBytes(256);
export const VALUE_1K = randomBytes(1024);

export interface LoadFigures {
  readonly keys: number;
  /** Writes per second in each tenth of the load, first to last. */
  readonly writesPerSecondByTenth: readonly number[];
  /** Resident set size of each member after the load, bytes. */
  readonly memberRssBytes: readonly number[];
}

/** Write `keys` distinct keys of 1 KiB, `inFlight` at a time, and time each tenth separately. */
export async function load(target: BenchTarget, client: StoreClient, keys: number, inFlight: number, progress?: Progress): Promise<LoadFigures> {
  const tenth = Math.max(1, Math.floor(keys / 10));
  const rates: number[] = [];
  let written = 0;
  for (let part = 0; part < 10 && written < keys; part++) {
    const n = part === 9 ? keys - written : Math.min(tenth, keys - written);
    const base = written;
    const f = await closedLoop(client, n, inFlight, (c, i) => c.put(`load/${String(base + i).padStart(9, '0')}`, VALUE_1K), (d) => progress?.(base + d, keys));
    rates.push(f.opsPerSecond);
    written += n;
  }
  return { keys, writesPerSecondByTenth: rates, memberRssBytes: await Promise.all(target.pids().map(rssBytes)) };
}

/** From stopping every member to the first successful linearizable read after they restart from disk. */
export async function restartToFirstReadMs(target: BenchTarget, deadlineMs: number): Promise<number> {
  const started = performance.now();
  await target.restartAll();
  const client = await target.client();
  try {
    await until('the first read after a restart', deadlineMs, async () => {
      await client.get('load/000000000');
      return true;
    });
  } finally {
    await client.close();
  }
  return performance.now() - started;
}

/**
 * One failover trial: a writer puts continuously (one in flight); SIGKILL the leader; the figure is the time
 * from the kill to the first acknowledged put that was sent after it. The killed member is restarted after.
 */
export async function failoverMs(target: BenchTarget, deadlineMs: number): Promise<number> {
  const leader = await until('a leader', deadlineMs, () => target.leaderPid());
  const client = await target.client();
  try {
    await client.put('failover/warm', VALUE_256);
    await target.killMember(leader);
    const killedAt = performance.now();
    for (let i = 0; ; i++) {
      if (performance.now() - killedAt > deadlineMs) throw new Error(`no write acknowledged within ${deadlineMs} ms of killing the leader`);
      const sentAt = performance.now();
      try {
        await client.put(`failover/${i}`, VALUE_256);
        if (sentAt >= killedAt) return performance.now() - killedAt;
      } catch {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  } finally {
    await client.close();
    await target.restartMember(leader);
    await until('a leader after the restart', deadlineMs, () => target.leaderPid());
  }
}
