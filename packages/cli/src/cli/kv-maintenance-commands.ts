// Defines `halyard kv snapshot save | status | restore`, `move-leader`, `defrag` and `version`
// (etcdctl's maintenance commands); kv-maintenance.ts runs them.
import type { Command } from 'commander';
import { MEMBER_DEFAULTS } from '@halyard/kv/config';
import { hexIdArg } from './kv-flags.ts';
import { type KvIoProvider, loadCommand } from './kv-io.ts';
import type { RestoreFlags } from './kv-maintenance.ts';
import { versionText } from './version.ts';

const impl = loadCommand((): Promise<typeof import('./kv-maintenance.ts')> => import('./kv-maintenance.ts'));

export function defineMaintenanceCommands(kv: Command, io: KvIoProvider): void {
  const snapshot = kv.command('snapshot').description("save a member's state to a file, describe such a file, or start a new cluster from it");

  snapshot
    .command('save')
    .description('save a snapshot of the one member in --endpoints to FILE')
    .argument('<file>')
    .action(async (file: string, _o: unknown, cmd: Command) => (await impl()).snapshotSave(cmd, await io(), file));

  snapshot
    .command('status')
    .description('check a snapshot file and print its hash, revision, number of keys, size and version')
    .argument('<file>')
    .action(async (file: string, _o: unknown, cmd: Command) => (await impl()).snapshotStatus(cmd, await io(), file));

  snapshot
    .command('restore')
    .description('make the data directory of one member of a NEW cluster from a snapshot file (run it for each member)')
    .argument('<file>')
    .requiredOption('--name <name>', 'this member’s name, as in --initial-cluster')
    .requiredOption('--data-dir <dir>', 'the new data directory (must not hold a member)')
    .requiredOption('--initial-cluster <list>', 'name=peerURL,… for every member of the new cluster')
    .option('--initial-cluster-token <token>', 'the new cluster’s token (its id derives from it)', MEMBER_DEFAULTS.clusterToken)
    .action(async (file: string, o: RestoreFlags, cmd: Command) => (await impl()).snapshotRestore(cmd, await io(), file, o));

  kv.command('move-leader')
    .description('make the voting member ID the leader')
    .argument('<id>', 'member id (hex)', hexIdArg('member ID'))
    .action(async (id: number, _o: unknown, cmd: Command) => (await impl()).moveLeader(cmd, await io(), id));

  kv.command('defrag')
    .description('not needed here (LevelDB compacts itself); checks each member answers, for etcdctl scripts')
    .option('--cluster', 'every member in the member list instead of --endpoints')
    .action(async (o: { cluster?: boolean }, cmd: Command) => (await impl()).defrag(cmd, await io(), o));

  kv.command('version')
    .description('print the version of halyard and of its API')
    .action(async () => (await io()).stdout(versionText()));
}
