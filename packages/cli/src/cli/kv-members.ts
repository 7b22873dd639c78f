// `halyard kv member list | add | remove | promote`: cluster membership, printing as etcdctl does
// (definitions in kv-member-commands.ts).
import type { Member } from '@halyard/kv-client';
import type { Command } from 'commander';
import { FieldsPrinter } from './kv-fields.ts';
import { idHex, UsageError } from './kv-flags.ts';
import type { KvCliIo } from './kv-io.ts';
import { goJson, membersJson } from './kv-json.ts';
import { withClient } from './kv-run.ts';
import { formatTable } from './table.ts';

/**
 * etcd calls a member that has never started "unstarted": it is in the membership (added) but has never
 * published its client URLs. A name given to `member add` does not make it started.
 */
export function memberStatus(m: Member): 'started' | 'unstarted' {
  return m.clientUrls.length === 0 ? 'unstarted' : 'started';
}

export function formatMemberList(members: readonly Member[], format: 'simple' | 'table'): string {
  const rows = members.map((m) => [idHex(m.id), memberStatus(m), m.name, m.peerUrls.join(','), m.clientUrls.join(','), String(m.isLearner)]);
  if (format === 'table') return formatTable(['id', 'status', 'name', 'peer addrs', 'client addrs', 'is learner'], rows);
  return rows.map((r) => r.join(', ') + '\n').join('');
}

export async function list(cmd: Command, io: KvCliIo): Promise<void> {
  await withClient(cmd, io, { kind: 'memberList' }, async (client, flags) => {
    const r = await client.memberList();
    if (flags.writeOut === 'json') io.stdout(goJson(membersJson(r)));
    else if (flags.writeOut === 'fields') {
      const f = new FieldsPrinter(flags.hex);
      f.memberList(r);
      io.stdout(f.text());
    } else io.stdout(formatMemberList(r.members, flags.writeOut));
  });
}

export async function add(cmd: Command, io: KvCliIo, name: string, o: { peerUrls: string; learner?: boolean }): Promise<void> {
  await withClient(cmd, io, { kind: 'memberAdd' }, async (client, flags) => {
    const peerUrls = o.peerUrls.split(',').map((u) => u.trim()).filter((u) => u.length > 0);
    if (peerUrls.length === 0) throw new UsageError('--peer-urls needs at least one URL');
    const r = await client.memberAdd(peerUrls, { name, isLearner: o.learner === true });
    if (flags.writeOut === 'json') {
      io.stdout(goJson(membersJson(r)));
      return;
    }
    // The flags the new member must start with, as etcdctl prints its ETCD_* variables.
    const cluster = r.members
      .flatMap((m) => (m.id === r.member.id ? m.peerUrls.map((u) => `${name}=${u}`) : m.name === '' ? [] : m.peerUrls.map((u) => `${m.name}=${u}`)))
      .join(',');
    // The id too: a member re-added with a removed member's name and URLs gets a fresh id that it cannot
    // derive from its flags (for a first add the flag equals the derived id).
    io.stdout(
      `Member ${idHex(r.member.id)} added${r.member.isLearner ? ' as learner ' : ' '}to cluster ${idHex(r.header.clusterId)}\n\n` +
        `Start it with:\n  halyard kv member run --name ${name} --listen-peer-url ${peerUrls[0]} --initial-cluster ${cluster} --initial-cluster-state existing --member-id ${idHex(r.member.id)} --listen-client-url … --data-dir …\n`,
    );
  });
}

export async function remove(cmd: Command, io: KvCliIo, id: number): Promise<void> {
  await withClient(cmd, io, { kind: 'memberRemove' }, async (client, flags) => {
    const r = await client.memberRemove(id);
    io.stdout(flags.writeOut === 'json' ? goJson(membersJson(r)) : `Member ${idHex(id)} removed from cluster ${idHex(r.header.clusterId)}\n`);
  });
}

export async function promote(cmd: Command, io: KvCliIo, id: number): Promise<void> {
  await withClient(cmd, io, { kind: 'memberPromote' }, async (client, flags) => {
    const r = await client.memberPromote(id);
    io.stdout(flags.writeOut === 'json' ? goJson(membersJson(r)) : `Member ${idHex(id)} promoted in cluster ${idHex(r.header.clusterId)}\n`);
  });
}
