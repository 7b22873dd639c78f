// `halyard start`: the README's main job. Until the whole HA control plane (API servers, load balancer)
// exists, it runs a local 3-member KV cluster: `halyard kv cluster up`.
import type { Command } from 'commander';
import { clusterUp } from './cluster-up.ts';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('start the local HA control plane (today: a 3-member KV cluster on loopback)')
    .option('--data <dir>', 'data directory', '.halyard/cluster')
    .action(async (o: { data: string }) => {
      const ac = new AbortController();
      process.once('SIGINT', () => ac.abort());
      process.once('SIGTERM', () => ac.abort());
      await clusterUp({ size: 3, data: o.data, clientPortBase: 2379, tickMs: 100, statusIntervalMs: 5_000 }, ac.signal);
    });
}
