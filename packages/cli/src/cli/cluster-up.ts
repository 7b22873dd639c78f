// `halyard kv cluster up`: a local cluster of member processes on loopback; prints each member's client
// endpoint and status, refreshes the status while running, stops every member on Ctrl-C.
import { resolve } from 'node:path';
import { KvClient } from '@halyard/kv-client';
import { LocalCluster } from '../cluster/local-cluster.ts';
import { idToHex } from '@halyard/kv/server';
import { Dashboard, type MemberRow } from '../cluster/dashboard.ts';

export interface ClusterUpOptions {
  size: number;
  data: string;
  clientPortBase: number;
  tickMs: number;
  /** Port of the status page on 127.0.0.1; 0 = no page. */
  dashboardPort: number;
}

/** How often members are asked for their status (the page and the plot refresh at this pace). */
const SAMPLE_INTERVAL_MS = 1_000;

async function sample(cluster: LocalCluster, client: KvClient): Promise<MemberRow[]> {
  return Promise.all(
    cluster.members.map(async (m): Promise<MemberRow> => {
      const down = (error: string): MemberRow => ({ name: m.name, endpoint: m.clientUrl, id: '-', role: 'down', term: null, raftIndex: null, appliedIndex: null, revision: null, dbSizeBytes: null, error });
      if (!cluster.isRunning(m.name)) return down('stopped');
      try {
        const s = await client.status(m.clientUrl, { timeoutMs: 2_000 });
        const role = s.leader === s.header.memberId ? 'leader' : s.leader === 0 ? 'no leader' : s.isLearner ? 'learner' : 'follower';
        return { name: m.name, endpoint: m.clientUrl, id: idToHex(s.header.memberId), role, term: s.raftTerm, raftIndex: s.raftIndex, appliedIndex: s.raftAppliedIndex, revision: s.header.revision, dbSizeBytes: s.dbSizeBytes };
      } catch (e) {
        return down(e instanceof Error ? e.message : String(e));
      }
    }),
  );
}

function statusTable(rows: readonly MemberRow[]): string {
  const header = ['NAME', 'CLIENT ENDPOINT', 'ID', 'ROLE', 'TERM', 'RAFT INDEX', 'APPLIED', 'REVISION'];
  const cell = (v: number | null): string => (v === null ? '-' : String(v));
  const body = rows.map((r) => [r.name, r.endpoint, r.id, r.error !== undefined ? `unreachable (${r.error})`.slice(0, 40) : r.role, cell(r.term), cell(r.raftIndex), cell(r.appliedIndex), cell(r.revision)]);
  const all = [header, ...body];
  const widths = header.map((_, c) => Math.max(...all.map((r) => r[c]!.length)));
  return all.map((r) => r.map((v, c) => v.padEnd(widths[c]!)).join('  ')).join('\n');
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((r) => {
    const done = (): void => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      r();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

export async function clusterUp(o: ClusterUpOptions, signal: AbortSignal): Promise<void> {
  const cluster = new LocalCluster({ size: o.size, dataDir: resolve(o.data), clientPortBase: o.clientPortBase, tickMs: o.tickMs, stdio: 'pipe' });
  process.stdout.write(`starting ${o.size} members (data in ${resolve(o.data)})…\n`);
  const client = new KvClient({ endpoints: cluster.endpoints() });
  const dashboard = new Dashboard();
  try {
    await cluster.startAll();
    process.stdout.write(`endpoints: ${cluster.endpoints().join(',')}\n`);
    if (o.dashboardPort > 0) process.stdout.write(`status page: ${await dashboard.listen('127.0.0.1', o.dashboardPort)}\n`);
    process.stdout.write(`try: npx -y pnpm@10.20.0 halyard kv --endpoints ${cluster.endpoints().join(',')} put hello world\n\n`);
    let lastPrintMs = -Infinity;
    while (!signal.aborted) {
      const rows = await sample(cluster, client);
      dashboard.record({ atMs: Date.now(), members: rows });
      if (performance.now() - lastPrintMs >= 5_000) {
        lastPrintMs = performance.now();
        process.stdout.write(`${statusTable(rows)}\n\n`);
      }
      await sleep(SAMPLE_INTERVAL_MS, signal);
    }
  } finally {
    process.stdout.write('stopping members…\n');
    await dashboard.close();
    await client.close().catch(() => undefined);
    await cluster.stopAll();
    process.stdout.write('stopped.\n');
  }
}

/** Runs a local cluster until SIGINT/SIGTERM (`kv cluster up`, `start`; defined in cluster-commands.ts). */
export async function runClusterUp(o: ClusterUpOptions): Promise<void> {
  const ac = new AbortController();
  const stop = (): void => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await clusterUp(o, ac.signal);
}
