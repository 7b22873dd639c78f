// Defines `halyard kv endpoint status | health | hashkv`; kv-endpoint.ts runs them.
import type { Command } from 'commander';
import { intArg } from './kv-flags.ts';
import { type KvIoProvider, loadCommand } from './kv-io.ts';

const impl = loadCommand((): Promise<typeof import('./kv-endpoint.ts')> => import('./kv-endpoint.ts'));
const CLUSTER = 'every member in the member list instead of --endpoints';

export function defineEndpointCommands(kv: Command, io: KvIoProvider): void {
  const endpoint = kv.command('endpoint').description('status, health and KV hash of each endpoint');

  endpoint
    .command('status')
    .description('member id, version, db size, leadership and raft progress of each endpoint')
    .option('--cluster', CLUSTER)
    .action(async (o: { cluster?: boolean }, cmd: Command) => (await impl()).status(cmd, await io(), o));

  endpoint
    .command('health')
    .description("probe each endpoint's /health (healthy = the member has a leader)")
    .option('--cluster', CLUSTER)
    .action(async (o: { cluster?: boolean }, cmd: Command) => (await impl()).health(cmd, await io(), o));

  endpoint
    .command('hashkv')
    .description("each endpoint's hash of its key-value state: members that agree print the same hash at the same revision")
    .option('--cluster', CLUSTER)
    .option('--rev <n>', 'hash the state at this revision (default: each member’s latest)', intArg('--rev', 0))
    .action(async (o: { cluster?: boolean; rev?: number }, cmd: Command) => (await impl()).hashKv(cmd, await io(), o));
}
