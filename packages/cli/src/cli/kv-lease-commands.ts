// Defines `halyard kv lease grant | revoke | keep-alive | timetolive | list`; kv-lease.ts runs them.
import type { Command } from 'commander';
import { hexIdArg, intArg } from './kv-flags.ts';
import { type KvIoProvider, loadCommand } from './kv-io.ts';

const impl = loadCommand((): Promise<typeof import('./kv-lease.ts')> => import('./kv-lease.ts'));

export function defineLeaseCommands(kv: Command, io: KvIoProvider): void {
  const lease = kv.command('lease').description('grant, revoke, keep alive and inspect leases');

  lease
    .command('grant')
    .description('grant a lease of TTL seconds')
    .argument('<ttl>', 'seconds', intArg('TTL', 1))
    .option('--id <id>', 'ask for this lease id (hex)', hexIdArg('--id'))
    .action(async (ttl: number, o: { id?: number }, cmd: Command) => (await impl()).grant(cmd, await io(), ttl, o));

  lease
    .command('revoke')
    .description('revoke a lease, deleting its keys')
    .argument('<id>', 'lease id (hex)', hexIdArg('lease ID'))
    .action(async (id: number, _o: unknown, cmd: Command) => (await impl()).revoke(cmd, await io(), id));

  lease
    .command('keep-alive')
    .description('keep a lease alive until Ctrl-C (or once with --once)')
    .argument('<id>', 'lease id (hex)', hexIdArg('lease ID'))
    .option('--once', 'renew once and exit')
    .action(async (id: number, o: { once?: boolean }, cmd: Command) => (await impl()).keepAlive(cmd, await io(), id, o));

  lease
    .command('timetolive')
    .description('remaining TTL of a lease')
    .argument('<id>', 'lease id (hex)', hexIdArg('lease ID'))
    .option('--keys', 'list the keys attached to it')
    .action(async (id: number, o: { keys?: boolean }, cmd: Command) => (await impl()).timeToLive(cmd, await io(), id, o));

  lease
    .command('list')
    .description('every lease')
    .action(async (_o: unknown, cmd: Command) => (await impl()).list(cmd, await io()));
}
