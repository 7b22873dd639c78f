// `halyard fuzz cluster`: real member processes on loopback, concurrent clients, a nemesis, then the
// verdict: every acknowledged write is present, the history is linearizable, the watcher saw every
// change in order exactly once. Writes history.jsonl, report.html and summary.json to an output folder.

import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type CheckResult, type History, type HistoryOp, checkHistory, writeHtmlReport } from '../check/index.ts';
import { KvClient, bytesToString } from '@halyard/kv-client';
import { LocalCluster, type MemberPorts } from '../cluster/local-cluster.ts';
import type { Event } from '@halyard/kv-client/protocol';
import { SeededRng } from '@halyard/kv/util';
import { Nemesis, type NemesisKind } from './nemesis.ts';
import { checkLeases, type LeaseCheckResult, type LeaseRecord } from './lease-check.ts';
import { runLeaseClient } from './lease-workload.ts';
import { checkWatchEvents, type WatchCheckResult } from './watch-check.ts';
import { runClient } from './workload.ts';

export interface ClusterFuzzOptions {
  readonly durationMs: number;
  readonly nemesis: readonly NemesisKind[];
  readonly size: number;
  readonly clients: number;
  readonly keys: number;
  readonly seed: number;
  readonly outDir: string;
  readonly clientPortBase: number;
  /** Explicit ports per member (overrides clientPortBase), e.g. from a free-port probe. */
  readonly ports?: readonly MemberPorts[];
  readonly tickMs: number;
  /** The members' --snapshot-count and --catch-up-entries; small values make members catch up by snapshot. */
  readonly snapshotCount?: number;
  readonly catchUpEntries?: number;
  /** Time between faults and how long each is held. */
  readonly faultIntervalMs: number;
  readonly faultHoldMs: number;
  readonly opsPerClientMax: number;
  /**
   * Clients that grant leases, keep them alive and read their keys (lease-workload.ts); checked for early
   * expiry (lease-check.ts). Default 0.
   */
  readonly leaseClients?: number;
  /** TTL of their leases (default 8 s: longer than the members' 5 s checkpoint interval). */
  readonly leaseTtlSeconds?: number;
  /** Bound on the linearizability check (default 120 s); past it the verdict is 'unknown'. */
  readonly checkTimeBudgetMs?: number;
  /** Planted server bugs to switch on in every member (to show the checks catch them). */
  readonly plantedBugs?: readonly PlantedBug[];
  readonly onProgress?: (p: { elapsedMs: number; ops: number; faults: number }) => void;
  /** Each phase as it starts (starting, running, repairing, final read, checking …), for diagnosis. */
  readonly onPhase?: (phase: string, elapsedMs: number) => void;
}

export interface ClusterFuzzSummary {
  readonly ok: boolean;
  readonly outDir: string;
  readonly operations: number;
  readonly acknowledgedWrites: number;
  readonly unknownWrites: number;
  readonly lostWrites: readonly string[];
  readonly linearizability: CheckResult['outcome'];
  readonly linearizabilitySummary: string;
  readonly watch: WatchCheckResult;
  readonly leases: LeaseCheckResult;
  readonly nemesisLog: readonly string[];
}

const KEY_PREFIX = 'fuzz/';

export const PLANTED_BUGS = ['stale-reads'] as const;
export type PlantedBug = (typeof PLANTED_BUGS)[number];
const PLANTED_BUG_FLAGS: Record<PlantedBug, string> = { 'stale-reads': '--unsafe-bug-stale-reads' };

export async function runClusterFuzz(o: ClusterFuzzOptions): Promise<ClusterFuzzSummary> {
  const outDir = resolve(o.outDir);
  await mkdir(outDir, { recursive: true });
  const token = `halyard-fuzz-${o.seed}`;
  const cluster = new LocalCluster({
    size: o.size,
    dataDir: join(outDir, 'data'),
    clientPortBase: o.clientPortBase,
    portStride: 2,
    ...(o.ports !== undefined ? { ports: o.ports } : {}),
    tickMs: o.tickMs,
    clusterToken: token,
    extraArgs: [
      '--unsafe-fault-injection',
      ...(o.snapshotCount !== undefined ? ['--snapshot-count', String(o.snapshotCount)] : []),
      ...(o.catchUpEntries !== undefined ? ['--catch-up-entries', String(o.catchUpEntries)] : []),
      ...(o.plantedBugs ?? []).map((b) => PLANTED_BUG_FLAGS[b]),
    ],
  });
  const rng = new SeededRng(o.seed);
  const t0 = performance.now();
  const now = (): number => performance.now() - t0;
  const history: HistoryOp[] = [];
  const keys = Array.from({ length: o.keys }, (_, i) => `${KEY_PREFIX}k${i}`);
  const clients: KvClient[] = [];
  const watchEvents: Event[] = [];
  const watchLog: string[] = [];
  const leaseRecords: LeaseRecord[] = [];
  let nextOpId = 1;
  const phase = (name: string): void => o.onPhase?.(name, Math.round(now()));
  try {
    phase('starting members');
    await cluster.startAll();
    phase('running clients and nemesis');
    const nemesis = new Nemesis(cluster, o.nemesis, rng.fork(), token, now);
    for (let i = 0; i < o.clients; i++) clients.push(new KvClient({ endpoints: cluster.endpoints(), requestTimeoutMs: 4_000 }));
    const watchClient = new KvClient({ endpoints: cluster.endpoints(), requestTimeoutMs: 10_000 });
    clients.push(watchClient);
    // The watcher starts at revision 1, so it must see every change the run makes, whatever it misses live.
    const watcher = watchClient.watch(KEY_PREFIX, { prefix: true, startRevision: 1, prevKv: true });
    const watching = (async () => {
      for await (const batch of watcher) {
        watchLog.push(JSON.stringify({ t: Math.round(now()), member: batch.header.memberId.toString(16), headerRevision: batch.header.revision, progress: batch.progress, events: batch.events.map((e) => [e.type, bytesToString(e.kv.key), e.kv.modRevision]) }));
        for (const e of batch.events) watchEvents.push(e);
      }
    })();

    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), o.durationMs);
    const progress = setInterval(() => o.onProgress?.({ elapsedMs: now(), ops: history.length, faults: nemesis.log.length }), 500);
    const endpoints = cluster.endpoints();
    const readers = Array.from({ length: o.clients }, (_, i) => new KvClient({ endpoints: [endpoints[i % endpoints.length]!], requestTimeoutMs: 4_000 }));
    clients.push(...readers);
    const workers = clients.slice(0, o.clients).map((c, i) =>
      runClient(c, {
        clientId: i + 1,
        reader: readers[i]!,
        keys,
        rng: rng.fork(),
        signal: stop.signal,
        opsMax: o.opsPerClientMax,
        now,
        nextOpId: () => nextOpId++,
        record: (op) => history.push(op),
      }),
    );
    const leaseWorkers = Array.from({ length: o.leaseClients ?? 0 }, (_, i) => {
      const c = new KvClient({ endpoints: cluster.endpoints(), requestTimeoutMs: 4_000 });
      clients.push(c);
      return runLeaseClient(c, {
        clientId: o.clients + i + 1,
        ttlSeconds: o.leaseTtlSeconds ?? 8,
        roundsPerLease: 6,
        signal: stop.signal,
        leasesMax: 1_000,
        now,
        record: (r) => leaseRecords.push(r),
      });
    });
    const faults = (async () => {
      while (!stop.signal.aborted) {
        await new Promise((r) => setTimeout(r, o.faultIntervalMs));
        if (stop.signal.aborted) break;
        await nemesis.strike(o.faultHoldMs, stop.signal);
      }
    })();
    await Promise.all([...workers, ...leaseWorkers, faults]);
    clearTimeout(timer);
    clearInterval(progress);
    phase('repairing faults');
    await nemesis.repairAll();
    phase('final read');

    // Final reads after healing: every acknowledged write must still be visible or overwritten later.
    const finalClient = new KvClient({ endpoints: cluster.endpoints(), requestTimeoutMs: 30_000 });
    clients.push(finalClient);
    const finalRead = await finalClient.get(KEY_PREFIX, { prefix: true });
    const finalRevision = finalRead.header.revision;
    phase('waiting for the watcher');
    // Let the watcher reach the final revision before judging it.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && (watchEvents[watchEvents.length - 1]?.kv.modRevision ?? 0) < lastWriteRevision(history)) {
      await new Promise((r) => setTimeout(r, 100));
    }
    watcher.cancel();
    await watching.catch(() => undefined);
    const finalValues = new Map(finalRead.kvs.map((kv) => [bytesToString(kv.key), { value: bytesToString(kv.value), modRevision: kv.modRevision }]));
    const lostWrites = findLostWrites(history, finalValues);
    phase(`checking ${history.length} operations`);
    const check = checkHistory(history, { timeBudgetMs: o.checkTimeBudgetMs ?? 120_000 });
    phase('writing the report');
    const leases = checkLeases(leaseRecords);
    const watch = checkWatchEvents(watchEvents, history, Math.min(finalRevision, watchEvents[watchEvents.length - 1]?.kv.modRevision ?? 0));
    await writeFile(join(outDir, 'history.jsonl'), history.map((h) => JSON.stringify(h)).join('\n') + '\n');
    await writeFile(join(outDir, 'watch.jsonl'), watchLog.join('\n') + '\n');
    await writeHtmlReport(history, check, join(outDir, 'report.html'), { title: `halyard fuzz cluster (seed ${o.seed})` });
    const summary: ClusterFuzzSummary = {
      ok: lostWrites.length === 0 && check.outcome === 'linearizable' && watch.ok && leases.ok,
      outDir,
      operations: history.length,
      acknowledgedWrites: history.filter((h) => h.op.type !== 'get' && h.returnTime !== null).length,
      unknownWrites: history.filter((h) => h.returnTime === null).length,
      lostWrites,
      linearizability: check.outcome,
      linearizabilitySummary: check.outcome === 'not-linearizable' ? check.summary : check.outcome === 'unknown' ? check.reason : 'linearizable',
      watch,
      leases,
      nemesisLog: nemesis.log,
    };
    await writeFile(join(outDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
    return summary;
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await cluster.stopAll();
  }
}

function lastWriteRevision(history: History): number {
  let max = 0;
  for (const h of history) {
    if (h.result !== null && h.result.type !== 'get' && 'revision' in h.result) {
      const changed = h.result.type === 'put' || (h.result.type === 'cas' && h.result.succeeded) || (h.result.type === 'delete' && h.result.deleted > 0);
      if (changed) max = Math.max(max, h.result.revision);
    }
  }
  return max;
}

/**
 * An acknowledged put is lost if its key's final modRevision is below the put's revision: nothing
 * later replaced it, yet it is gone.
 */
function findLostWrites(history: History, finalValues: ReadonlyMap<string, { value: string; modRevision: number }>): string[] {
  const lastAckedByKey = new Map<string, { value: string; revision: number }>();
  for (const h of history) {
    if (h.returnTime === null || h.result === null) continue;
    const acked = (h.op.type === 'put' && h.result.type === 'put') || (h.op.type === 'cas' && h.result.type === 'cas' && h.result.succeeded);
    if (!acked || (h.op.type !== 'put' && h.op.type !== 'cas')) continue;
    const prev = lastAckedByKey.get(h.op.key);
    if (prev === undefined || h.result.revision > prev.revision) lastAckedByKey.set(h.op.key, { value: h.op.value, revision: h.result.revision });
  }
  const lost: string[] = [];
  for (const [key, w] of lastAckedByKey) {
    const f = finalValues.get(key);
    if (f === undefined) {
      // Deleted later? A delete bumps the revision; a key absent now must have been deleted after the write.
      const deletedAfter = history.some((h) => h.op.type === 'delete' && h.op.key === key && (h.result === null || (h.result.type === 'delete' && h.result.revision > w.revision)));
      if (!deletedAfter) lost.push(`${key}=${w.value} (revision ${w.revision}) is gone`);
    } else if (f.modRevision < w.revision) {
      lost.push(`${key}=${w.value} (revision ${w.revision}) replaced by an older ${f.value} (revision ${f.modRevision})`);
    }
  }
  return lost;
}
