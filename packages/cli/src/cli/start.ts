// `halyard start`: the README's main job. Until the whole HA control plane (API servers, load balancer)
// exists, it runs a local 3-member KV cluster: `halyard kv cluster up`.
import { type Command, InvalidArgumentError } from 'commander';
import { clusterUp } from './cluster-up.ts';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('start the local HA control plane (today: a 3-member KV cluster on loopback)')
    .option('--data <dir>', 'data directory', '.halyard/cluster')
    .option('--dashboard-port <port>', 'status page on 127.0.0.1 (0 = none)', (v: string) => {
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError('--dashboard-port must be a port number');
      return n;
    }, 2378)
    .action(async (o: { data: string; dashboardPort: number }) => {
      const ac = new AbortController();
      process.once('SIGINT', () => ac.abort());
      process.once('SIGTERM', () => ac.abort());
      await clusterUp({ size: 3, data: o.data, clientPortBase: 2379, tickMs: 100, statusIntervalMs: 5_000, dashboardPort: o.dashboardPort }, ac.signal);
    });
}
