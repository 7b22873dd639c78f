// `halyard start`: the README's main job. The local HA control plane (KV members, API servers, load
// balancer) is not built yet; until it is, this says so and points at what runs today.
import type { Command } from 'commander';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('start the local HA control plane (placeholder until the KV store exists)')
    .action(() => {
      process.stdout.write(
        [
          'halyard start: the local HA control plane is not built yet.',
          'What exists today: the Raft core and its deterministic simulator.',
          '  npx -y pnpm@10.20.0 fuzz -- --seeds 200     # simulated clusters with faults, checked step by step',
          '  npx -y pnpm@10.20.0 test                    # every test',
          '',
        ].join('\n'),
      );
    });
}
