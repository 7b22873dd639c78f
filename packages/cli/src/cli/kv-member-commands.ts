// Defines `halyard kv member run | list | add | remove | promote`. `run` starts a member in this
// process (kv-member-run.ts); the others are etcdctl's membership commands (kv-members.ts). Flag
// defaults come from @halyard/kv/config, which does not load the server.
import { type Command, Option } from 'commander';
import { MEMBER_DEFAULTS } from '@halyard/kv/config';
import { hexIdArg, intArg } from './kv-flags.ts';
import { type KvIoProvider, loadCommand } from './kv-io.ts';
import type { MemberRunFlags } from './kv-member-run.ts';

const admin = loadCommand((): Promise<typeof import('./kv-members.ts')> => import('./kv-members.ts'));

export function defineMemberCommands(kv: Command, io: KvIoProvider): void {
  const member = kv.command('member').description('run a member; list, add, remove and promote members');
  defineMemberRun(member);

  member
    .command('list')
    .description('list the members of the cluster')
    .action(async (_o: unknown, cmd: Command) => (await admin()).list(cmd, await io()));

  member
    .command('add')
    .description('add a member (then start it with `member run … --initial-cluster-state existing`)')
    .argument('<name>')
    .requiredOption('--peer-urls <urls>', 'comma-separated peer URLs of the new member')
    .option('--learner', 'add as a non-voting learner')
    .action(async (name: string, o: { peerUrls: string; learner?: boolean }, cmd: Command) => (await admin()).add(cmd, await io(), name, o));

  member
    .command('remove')
    .description('remove a member')
    .argument('<id>', 'member id (hex)', hexIdArg('member ID'))
    .action(async (id: number, _o: unknown, cmd: Command) => (await admin()).remove(cmd, await io(), id));

  member
    .command('promote')
    .description('promote a learner to a voting member')
    .argument('<id>', 'member id (hex)', hexIdArg('member ID'))
    .action(async (id: number, _o: unknown, cmd: Command) => (await admin()).promote(cmd, await io(), id));

  // Set last, so the subcommands keep the usual hint: `kv member --name …` ran a member before
  // `member run` existed; say where it went.
  member.showHelpAfterError('(a member runs with `halyard kv member run --name …`; run with --help for usage)');
}

function defineMemberRun(member: Command): void {
  member
    .command('run')
    .description('run one KV member in this process (a Raft peer with LevelDB storage and a client port) until SIGINT/SIGTERM')
    .requiredOption('--name <name>', 'member name, unique in the cluster')
    .requiredOption('--data-dir <dir>', 'where the Raft log, hard state and snapshots live')
    .requiredOption('--listen-peer-url <url>', 'peer URL, e.g. http://127.0.0.1:2380 (also advertised)')
    .requiredOption('--listen-client-url <url>', 'client URL, e.g. http://127.0.0.1:2379 (also advertised)')
    .requiredOption('--initial-cluster <list>', 'name=peerURL,… for every member of the initial cluster')
    .addOption(new Option('--initial-cluster-state <state>', 'new to bootstrap, existing to join').choices(['new', 'existing']).default(MEMBER_DEFAULTS.initialClusterState))
    .option('--initial-cluster-token <token>', 'distinguishes clusters; the cluster id derives from it', MEMBER_DEFAULTS.clusterToken)
    .option('--member-id <hex>', 'the id `member add` printed, when it differs from the derived one (a re-added member); pass it on every start', hexIdArg('--member-id'))
    .option('--tick-ms <ms>', 'real time per Raft tick', intArg('--tick-ms', 1), MEMBER_DEFAULTS.tickMs)
    .option('--election-ticks <n>', 'election timeout in ticks', intArg('--election-ticks', 1), MEMBER_DEFAULTS.electionTicks)
    .option('--snapshot-count <n>', 'applied entries between snapshots', intArg('--snapshot-count', 1), MEMBER_DEFAULTS.snapshotCount)
    .option('--catch-up-entries <n>', 'entries kept in the log behind a snapshot for followers a little behind (etcd --experimental-snapshot-catchup-entries); a follower further behind gets the snapshot', intArg('--catch-up-entries', 0), MEMBER_DEFAULTS.catchUpEntries)
    .option('--max-request-bytes <n>', 'largest client request accepted', intArg('--max-request-bytes', 1), MEMBER_DEFAULTS.requestSizeBytesMax)
    .option('--auto-compaction-retention <revisions>', 'compact to (revision − N) every 5 minutes; 0 = off', intArg('--auto-compaction-retention', 0), MEMBER_DEFAULTS.autoCompactionRetentionRevisions)
    .option('--cert-file <path>', 'client port TLS certificate (PEM); needs an https client URL')
    .option('--key-file <path>', 'client port TLS key (PEM)')
    .option('--trusted-ca-file <path>', 'CA for client certificates: clients must present one (mutual TLS)')
    .option('--peer-cert-file <path>', 'peer port TLS certificate (PEM); needs https peer URLs')
    .option('--peer-key-file <path>', 'peer port TLS key (PEM)')
    .option('--peer-trusted-ca-file <path>', 'CA for peer certificates (mutual TLS between peers)')
    .addOption(new Option('--mvcc-backend <kind>', 'where the MVCC state lives: leveldb (under <data-dir>/mvcc, or the directory <data-dir>/mvcc.current names once a snapshot was received; restart reads it) or memory (Raft snapshots only)').choices(['leveldb', 'memory']).default('leveldb'))
    .option('--unsafe-fault-injection', 'serve POST /debug/faults for fault tests (never in production)', false)
    .addOption(new Option('--exit-with-parent', 'stop when the process that started this member dies (local clusters)').default(false).hideHelp())
    .addOption(new Option('--unsafe-bug-stale-reads', 'PLANTED BUG: serve linearizable reads without ReadIndex (to test the checkers)').default(false).hideHelp())
    .action(async (o: MemberRunFlags) => (await import('./kv-member-run.ts')).runMember(o));
}
