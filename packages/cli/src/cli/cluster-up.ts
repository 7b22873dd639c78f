// `halyard start` / `halyard kv cluster up`: a local cluster of member processes on loopback (defined in
// cluster-commands.ts). Prints each member (pid, endpoint, log file), a `ready: leader m1 (term 2)` line,
// and the status table whenever it changes; serves the status page; stops every member on Ctrl-C,
// SIGTERM, SIGHUP, or when the process that started it goes (cluster/lifeline.ts).
import { access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { KvClient } from '@halyard/kv-client';
import { Dashboard, type MemberRow } from '../cluster/dashboard.ts';
import { watchLifeline } from '../cluster/lifeline.ts';
import { LocalCluster } from '../cluster/local-cluster.ts';
import { StatusReporter } from '../cluster/status-report.ts';
import { ENV_FILE_NAME, type KvEnv, kvCommandHint, writeKvEnvFile } from '../cluster/env-file.ts';
import { idHex } from './kv-flags.ts';

export interface ClusterUpOptions {
  size: number;
  data: string;
  clientPortBase: number;
  tickMs: number;
  /** Port of the status page on 127.0.0.1; 0 = no page. */
  dashboardPort: number;
  /** Plain text on every port, as before certificates were the default (a warning is printed). */
  insecure?: boolean;
}

/**
 * A data folder whose members were made in plain text has http:// peer URLs in its stored membership (and
 * member ids derived from them): it cannot come back over https. Refuse clearly instead of failing later.
 */
async function assertNotPlaintextCluster(data: string): Promise<void> {
  const has = (p: string): Promise<boolean> => access(p).then(() => true, () => false);
  if ((await has(join(data, 'm1'))) && !(await has(join(data, 'pki', 'kv', 'ca.crt')))) {
    throw new Error(`${data} holds a cluster created without TLS; start it with --insecure, or use a new --data folder for a cluster with certificates`);
  }
}

/** How often members are asked for their status (the page, the plot and the printed status follow it). */
const SAMPLE_INTERVAL_MS = 1_000;
/** A member slower than this to answer its status counts as a failed sample. */
const STATUS_TIMEOUT_MS = 2_000;

async function sample(cluster: LocalCluster, client: KvClient): Promise<MemberRow[]> {
  return Promise.all(
    cluster.members.map(async (m): Promise<MemberRow> => {
      const down = (error: string): MemberRow => ({ name: m.name, endpoint: m.clientUrl, id: '-', role: 'down', term: null, raftIndex: null, appliedIndex: null, revision: null, dbSizeBytes: null, error });
      if (!cluster.isRunning(m.name)) return down('stopped');
      try {
        const s = await client.status(m.clientUrl, { timeoutMs: STATUS_TIMEOUT_MS });
        const role = s.leader === s.header.memberId ? 'leader' : s.leader === 0 ? 'no leader' : s.isLearner ? 'learner' : 'follower';
        return { name: m.name, endpoint: m.clientUrl, id: idHex(s.header.memberId), role, term: s.raftTerm, raftIndex: s.raftIndex, appliedIndex: s.raftAppliedIndex, revision: s.header.revision, dbSizeBytes: s.dbSizeBytes };
      } catch (e) {
        return down(e instanceof Error ? e.message : String(e));
      }
    }),
  );
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

export async function clusterUp(o: ClusterUpOptions, signal: AbortSignal, print: (text: string) => void = (t) => void process.stdout.write(t)): Promise<void> {
  const data = resolve(o.data);
  const tls = o.insecure !== true;
  if (tls) await assertNotPlaintextCluster(data);
  const cluster = new LocalCluster({ size: o.size, dataDir: data, clientPortBase: o.clientPortBase, tickMs: o.tickMs, stdio: 'file', tls });
  print(`starting ${o.size} members (data in ${data}; this process is pid ${process.pid})…\n`);
  const prepared = await cluster.prepare();
  if (!tls) print('warning: --insecure: peer and client ports are plain text; anything that reaches them can read the data and join the cluster\n');
  else if ((prepared.issued ?? []).length > 0) print(`security: mutual TLS on every port; wrote ${prepared.issued?.length} certificates under ${join(data, 'pki')}\n`);
  else print(`security: mutual TLS on every port, certificates from ${join(data, 'pki')}\n`);
  const clientTls = await cluster.clientTls();
  const client = new KvClient({ endpoints: cluster.endpoints(), ...(clientTls !== undefined ? { tls: clientTls } : {}) });
  const env: KvEnv = { endpoints: cluster.endpoints(), ...(prepared.client !== undefined ? { cacert: prepared.client.caFile, cert: prepared.client.certFile, key: prepared.client.keyFile } : {}) };
  const envFile = join(data, ENV_FILE_NAME);
  writeKvEnvFile(envFile, env);
  const dashboard = new Dashboard();
  const reporter = new StatusReporter();
  try {
    await cluster.startAll();
    for (const m of cluster.members) print(`  ${m.name}  pid ${cluster.pid(m.name) ?? '-'}  client ${m.clientUrl}  log ${cluster.logPath(m.name)}\n`);
    print(`endpoints: ${cluster.endpoints().join(',')}\n`);
    if (o.dashboardPort > 0) print(`status page: ${await dashboard.listen('127.0.0.1', o.dashboardPort)}\n`);
    print(`try: ${kvCommandHint(env, 'put hello world')}\n`);
    print(`  or: source ${envFile} && halyard kv put hello world\n\n`);
    while (!signal.aborted) {
      const rows = await sample(cluster, client);
      dashboard.record({ atMs: Date.now(), members: rows });
      const lines = reporter.next(rows);
      if (lines.length > 0 && !signal.aborted) print(lines.map((l) => `${l}\n`).join(''));
      await sleep(SAMPLE_INTERVAL_MS, signal);
    }
  } finally {
    print('stopping members…\n');
    await dashboard.close();
    await client.close().catch(() => undefined);
    await cluster.stopAll();
    print('stopped.\n');
  }
}

/**
 * Runs a local cluster until SIGINT, SIGTERM or SIGHUP (a closed terminal), or until the process that
 * started this one exits — `kill -TERM` of a `pnpm start` parent included (see cluster/lifeline.ts).
 */
export async function runClusterUp(o: ClusterUpOptions): Promise<void> {
  const ac = new AbortController();
  // Whoever read our output may be gone (a killed parent's pipe): a failed write must not end this
  // process before it has stopped its members.
  process.stdout.on('error', () => undefined);
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const onSignal = (): void => ac.abort();
  for (const s of signals) process.once(s, onSignal);
  const unwatch = watchLifeline((reason) => {
    process.stdout.write(`${reason}: stopping the cluster\n`);
    ac.abort();
  });
  try {
    await clusterUp(o, ac.signal);
  } finally {
    unwatch();
    for (const s of signals) process.off(s, onSignal);
  }
}
