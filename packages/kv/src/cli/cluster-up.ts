// `halyard kv cluster up`: a local cluster of member processes on loopback; prints each member's client
// endpoint and status, refreshes the status while running, stops every member on Ctrl-C.
import { type Command, InvalidArgumentError, Option } from 'commander';
import { resolve } from 'node:path';
import { KvClient } from '../client/index.ts';
import { LocalCluster } from '../cluster/local-cluster.ts';
import { idToHex } from '../server/ids.ts';

export interface ClusterUpOptions {
  size: number;
  data: string;
  clientPortBase: number;
  tickMs: number;
  statusIntervalMs: number;
}

async function statusTable(cluster: LocalCluster, client: KvClient): Promise<string> {
  const rows = await Promise.all(
    cluster.members.map(async (m) => {
      if (!cluster.isRunning(m.name)) return [m.name, m.clientUrl, '-', 'stopped', '-', '-', '-'];
      try {
        const s = await client.status(m.clientUrl, { timeoutMs: 2_000 });
        return [m.name, m.clientUrl, idToHex(s.header.memberId), s.leader === s.header.memberId ? 'leader' : s.leader === 0 ? 'no leader' : 'follower', String(s.raftTerm), String(s.raftIndex), String(s.raftAppliedIndex)];
      } catch (e) {
        return [m.name, m.clientUrl, '-', `unreachable (${e instanceof Error ? e.message : String(e)})`.slice(0, 40), '-', '-', '-'];
      }
    }),
  );
  const header = ['NAME', 'CLIENT ENDPOINT', 'ID', 'ROLE', 'TERM', 'RAFT INDEX', 'APPLIED'];
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => r[c]!.length)));
  return all.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ')).join('\n');
}

export async function clusterUp(o: ClusterUpOptions, signal: AbortSignal): Promise<void> {
  const cluster = new LocalCluster({ size: o.size, dataDir: resolve(o.data), clientPortBase: o.clientPortBase, tickMs: o.tickMs, stdio: 'pipe' });
  process.stdout.write(`starting ${o.size} members (data in ${resolve(o.data)})…\n`);
  const client = new KvClient({ endpoints: cluster.endpoints() });
  try {
    await cluster.startAll();
    process.stdout.write(`endpoints: ${cluster.endpoints().join(',')}\n`);
    process.stdout.write(`try: npx -y pnpm@10.20.0 halyard kv --endpoints ${cluster.endpoints().join(',')} put hello world\n\n`);
    while (!signal.aborted) {
      process.stdout.write(`${await statusTable(cluster, client)}\n\n`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, o.statusIntervalMs);
        signal.addEventListener('abort', () => {
          clearTimeout(t);
          r();
        }, { once: true });
      });
    }
  } finally {
    process.stdout.write('stopping members…\n');
    await client.close().catch(() => undefined);
    await cluster.stopAll();
    process.stdout.write('stopped.\n');
  }
}

function intArg(flag: string, min: number, max: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${flag} must be an integer in ${min}..${max}`);
    return n;
  };
}

export function registerClusterCommand(kv: Command): void {
  const cluster = kv.command('cluster').description('local clusters of member processes');
  cluster
    .command('up')
    .description('start a local cluster on loopback, print each member and its status; Ctrl-C stops it')
    .addOption(new Option('--size <n>', 'members (3 or 5)').choices(['1', '3', '5']).default('3'))
    .option('--data <dir>', 'data directory (one subdirectory per member)', '.halyard/cluster')
    .option('--client-port-base <port>', 'client port of the first member; member i uses base + 10000·i (peer: +1)', intArg('--client-port-base', 1024, 25_000), 2379)
    .option('--tick-ms <ms>', 'Raft tick', intArg('--tick-ms', 1, 10_000), 100)
    .option('--status-interval-ms <ms>', 'how often to print the status table', intArg('--status-interval-ms', 200, 3_600_000), 5_000)
    .action(async (o: { size: string; data: string; clientPortBase: number; tickMs: number; statusIntervalMs: number }) => {
      const ac = new AbortController();
      const stop = (): void => ac.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await clusterUp({ size: Number(o.size), data: o.data, clientPortBase: o.clientPortBase, tickMs: o.tickMs, statusIntervalMs: o.statusIntervalMs }, ac.signal);
    });
}
