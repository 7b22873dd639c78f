// `halyard kv lease grant | revoke | keep-alive | timetolive | list`, printing as etcdctl does.
import type { Command } from 'commander';
import { bytesToString } from '@halyard/kv-client';
import { KvError } from '@halyard/kv-client/protocol';
import { hexIdArg, intArg, withClient } from './kv-flags.ts';
import type { KvCliIo } from './kv-io.ts';
import { leaseHex, toJson } from './kv-output.ts';
import { formatTable } from './table.ts';

export function registerLeaseCommands(kv: Command, io: KvCliIo): void {
  const lease = kv.command('lease').description('grant, revoke, keep alive and inspect leases');

  lease
    .command('grant')
    .description('grant a lease of TTL seconds')
    .argument('<ttl>', 'seconds', intArg('TTL', 1))
    .option('--id <id>', 'ask for this lease id (hex)', hexIdArg('--id'))
    .action(async (ttl: number, o: { id?: number }, cmd: Command) =>
      withClient(cmd, io, async (client, flags) => {
        const r = await client.leaseGrant(ttl, o.id);
        io.stdout(flags.writeOut === 'json' ? toJson(r) : `lease ${leaseHex(r.id)} granted with TTL(${r.ttlSeconds}s)\n`);
      }),
    );

  lease
    .command('revoke')
    .description('revoke a lease, deleting its keys')
    .argument('<id>', 'lease id (hex)', hexIdArg('lease ID'))
    .action(async (id: number, _o: unknown, cmd: Command) =>
      withClient(cmd, io, async (client, flags) => {
        const r = await client.leaseRevoke(id);
        io.stdout(flags.writeOut === 'json' ? toJson(r) : `lease ${leaseHex(id)} revoked\n`);
      }),
    );

  lease
    .command('keep-alive')
    .description('keep a lease alive until Ctrl-C (or once with --once)')
    .argument('<id>', 'lease id (hex)', hexIdArg('lease ID'))
    .option('--once', 'renew once and exit')
    .action(async (id: number, o: { once?: boolean }, cmd: Command) =>
      withClient(cmd, io, async (client, flags) => {
        const print = (ttlSeconds: number, result: unknown): void => io.stdout(flags.writeOut === 'json' ? toJson(result) : `lease ${leaseHex(id)} keepalived with TTL(${ttlSeconds})\n`);
        if (o.once === true) {
          const r = await client.leaseKeepAliveOnce(id);
          print(r.ttlSeconds, r);
          return;
        }
        const keeper = client.leaseKeepAlive(id, { onRenewed: (r) => print(r.ttlSeconds, r) });
        const interrupted = io.interrupted();
        const stop = (): void => keeper.stop();
        interrupted.addEventListener('abort', stop, { once: true });
        try {
          await keeper.done;
        } catch (err) {
          if (err instanceof KvError && err.code === 'LeaseNotFound') throw new KvError('LeaseNotFound', `lease ${leaseHex(id)} expired or revoked`);
          throw err;
        } finally {
          interrupted.removeEventListener('abort', stop);
        }
      }),
    );

  lease
    .command('timetolive')
    .description('remaining TTL of a lease')
    .argument('<id>', 'lease id (hex)', hexIdArg('lease ID'))
    .option('--keys', 'list the keys attached to it')
    .action(async (id: number, o: { keys?: boolean }, cmd: Command) =>
      withClient(cmd, io, async (client, flags) => {
        let r;
        try {
          r = await client.leaseTimeToLive(id, { keys: o.keys === true });
        } catch (err) {
          // etcdctl answers an unknown lease with a line, not an error.
          if (err instanceof KvError && err.code === 'LeaseNotFound' && flags.writeOut !== 'json') {
            io.stdout(`lease ${leaseHex(id)} already expired\n`);
            return;
          }
          throw err;
        }
        if (flags.writeOut === 'json') {
          io.stdout(toJson(r));
          return;
        }
        const keys = o.keys === true ? `, attached keys([${r.keys.map(bytesToString).join(' ')}])` : '';
        io.stdout(`lease ${leaseHex(id)} granted with TTL(${r.grantedTtlSeconds}s), remaining(${r.ttlSeconds}s)${keys}\n`);
      }),
    );

  lease
    .command('list')
    .description('every lease')
    .action(async (_o: unknown, cmd: Command) =>
      withClient(cmd, io, async (client, flags) => {
        const r = await client.leases();
        if (flags.writeOut === 'json') io.stdout(toJson(r));
        else if (flags.writeOut === 'table') io.stdout(formatTable(['id'], r.leases.map((l) => [leaseHex(l.id)])));
        else io.stdout(`found ${r.leases.length} leases\n` + r.leases.map((l) => `${leaseHex(l.id)}\n`).join(''));
      }),
    );
}
