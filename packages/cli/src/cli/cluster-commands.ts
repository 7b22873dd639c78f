// Defines `halyard kv cluster up`: a local cluster of member processes on loopback
// (cluster-up.ts runs it).
import { type Command, Option } from 'commander';
import { intArg } from './kv-flags.ts';

const impl = (): Promise<typeof import('./cluster-up.ts')> => import('./cluster-up.ts');

interface ClusterFlags {
  size?: string;
  data: string;
  clientPortBase: number;
  tickMs: number;
  dashboardPort: number;
  insecure: boolean;
}

function commonOptions(cmd: Command): Command {
  return cmd
    .option('--data <dir>', 'data directory (one subdirectory and one log file per member)', '.halyard/cluster')
    .option('--client-port-base <port>', 'client port of the first member; member i uses base + 10000·i (peer: +1)', intArg('--client-port-base', 1024, 25_000), 2379)
    .option('--tick-ms <ms>', 'Raft tick', intArg('--tick-ms', 1, 10_000), 100)
    .option('--dashboard-port <port>', 'status page on 127.0.0.1 (0 = none)', intArg('--dashboard-port', 0, 65_535), 2378)
    .option('--insecure', 'plain text on every port instead of mutual TLS with certificates made under <data>/pki (not recommended)', false);
}

export function defineClusterCommands(kv: Command): void {
  const cluster = kv.command('cluster').description('local clusters of member processes');
  commonOptions(cluster.command('up').description('start a local cluster on loopback and print its status as it changes; Ctrl-C stops it'))
    .addOption(new Option('--size <n>', 'members').choices(['1', '3', '5']).default('3'))
    .action(async (o: ClusterFlags) => (await impl()).runClusterUp({ size: Number(o.size ?? '3'), data: o.data, clientPortBase: o.clientPortBase, tickMs: o.tickMs, dashboardPort: o.dashboardPort, insecure: o.insecure }));
}
