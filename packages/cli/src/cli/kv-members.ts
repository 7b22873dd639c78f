// `halyard kv member list | add | remove | promote`: cluster membership, printing as etcdctl does.
import type { Command } from 'commander';
import type { Member } from '@halyard/kv-client/protocol';
import { hexIdArg, UsageError, withClient } from './kv-flags.ts';
import type { KvCliIo } from './kv-io.ts';
import { memberHex, toJson } from './kv-output.ts';
import { formatTable } from './table.ts';

/** etcd calls a member that has never connected (no name, no client URLs yet) "unstarted". */
function memberStatus(m: Member): string {
  return m.name === '' && m.clientUrls.length === 0 ? 'unstarted' : 'started';
}

export function formatMemberList(members: readonly Member[], format: 'simple' | 'table'): string {
  const rows = members.map((m) => [memberHex(m.id), memberStatus(m), m.name, m.peerUrls.join(','), m.clientUrls.join(','), String(m.isLearner)]);
  if (format === 'table') return formatTable(['id', 'status', 'name', 'peer addrs', 'client addrs', 'is learner'], rows);
  return rows.map((r) => r.join(', ') + '\n').join('');
}

export function registerMemberAdminCommands(member: Command, io: KvCliIo): void {
  member
    .command('list')
    .description('list the members of the cluster')
    .action(async (_o: unknown, cmd: Command) =>
      withClient(cmd, io, async (client, flags) => {
        const r = await client.memberList();
        io.stdout(flags.writeOut === 'json' ? toJson(r) : formatMemberList(r.members, flags.writeOut));
      }),
    );

  member
    .command('add')
    .description('add a member (then start it with --initial-cluster-state existing)')
    .argument('<name>')
    .requiredOption('--peer-urls <urls>', 'comma-separated peer URLs of the new member')
    .option('--learner', 'add as a non-voting learner')
    .action(async (name: string, o: { peerUrls: string; learner?: boolean }, cmd: Command) =>
      withClient(cmd, io, async (client, flags) => {
        const peerUrls = o.peerUrls.split(',').map((u) => u.trim()).filter((u) => u.length > 0);
        if (peerUrls.length === 0) throw new UsageError('--peer-urls needs at least one URL');
        const r = await client.memberAdd(peerUrls, { name, isLearner: o.learner === true });
        if (flags.writeOut === 'json') {
          io.stdout(toJson(r));
          return;
        }
        // The flags the new member must start with, as etcdctl prints its ETCD_* variables.
        const cluster = r.members
          .flatMap((m) => (m.id === r.member.id ? m.peerUrls.map((u) => `${name}=${u}`) : m.name === '' ? [] : m.peerUrls.map((u) => `${m.name}=${u}`)))
          .join(',');
        // The id too: a member re-added with a removed member's name and URLs gets a fresh id that it cannot
        // derive from its flags (for a first add the flag equals the derived id).
        const idFlag = ` --member-id ${memberHex(r.member.id)}`;
        io.stdout(
          `Member ${memberHex(r.member.id)} added to cluster ${memberHex(r.header.clusterId)}\n\n` +
            `Start it with:\n  halyard kv member --name ${name} --listen-peer-url ${peerUrls[0]} --initial-cluster ${cluster} --initial-cluster-state existing${idFlag} --listen-client-url … --data-dir …\n`,
        );
      }),
    );

  member
    .command('remove')
    .description('remove a member')
    .argument('<id>', 'member id (hex)', hexIdArg('member ID'))
    .action(async (id: number, _o: unknown, cmd: Command) =>
      withClient(cmd, io, async (client, flags) => {
        const r = await client.memberRemove(id);
        io.stdout(flags.writeOut === 'json' ? toJson(r) : `Member ${memberHex(id)} removed from cluster ${memberHex(r.header.clusterId)}\n`);
      }),
    );

  member
    .command('promote')
    .description('promote a learner to a voting member')
    .argument('<id>', 'member id (hex)', hexIdArg('member ID'))
    .action(async (id: number, _o: unknown, cmd: Command) =>
      withClient(cmd, io, async (client, flags) => {
        const r = await client.memberPromote(id);
        io.stdout(flags.writeOut === 'json' ? toJson(r) : `Member ${memberHex(id)} promoted in cluster ${memberHex(r.header.clusterId)}\n`);
      }),
    );
}
