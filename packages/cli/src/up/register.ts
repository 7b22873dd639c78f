// Registers `up` and `chaos` on the `halyard` program without loading them: the full commands (and
// everything they import) load only when one of them runs; otherwise a stub with the description keeps
// `halyard --help` complete.
import type { Command } from 'commander';

const DESCRIPTIONS = {
  up: 'run the local HA control plane (KV members, apiservers behind a load balancer, elected controllers, a live dashboard)',
  chaos: 'kill and restart parts of a running `halyard up` under load; report lost writes, double leaders and availability',
} as const;

export async function registerUpCommands(program: Command, argv: readonly string[]): Promise<void> {
  const sub = argv.slice(2).find((a) => !a.startsWith('-'));
  if (sub === 'up' || sub === 'chaos') {
    const { registerUp, registerChaos } = await import('./cli.ts');
    registerUp(program);
    registerChaos(program);
    return;
  }
  for (const [name, description] of Object.entries(DESCRIPTIONS)) program.command(name).description(description).allowUnknownOption().allowExcessArguments();
}
