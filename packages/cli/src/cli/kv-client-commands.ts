// Registers the client-side `halyard kv …` commands (etcdctl's): put/get/del/txn/compact/watch, lease …,
// member list/add/remove/promote, endpoint status/health, with the shared --endpoints/-w/--command-timeout.
import type { Command } from 'commander';
import { EXIT_USAGE, addGlobalFlags } from './kv-flags.ts';
import { processIo, type KvCliIo } from './kv-io.ts';
import { registerEndpointCommands } from './kv-endpoint.ts';
import { registerKeyCommands } from './kv-keys.ts';
import { registerLeaseCommands } from './kv-lease.ts';
import { registerMemberAdminCommands } from './kv-members.ts';

export function registerKv(kv: Command, io: KvCliIo = processIo): void {
  const before = new Set(kv.commands);
  addGlobalFlags(kv);
  registerKeyCommands(kv, io);
  registerLeaseCommands(kv, io);
  registerEndpointCommands(kv, io);
  const member = memberCommand(kv);
  const memberBefore = new Set(member.commands);
  registerMemberAdminCommands(member, io);
  for (const c of kv.commands) if (!before.has(c)) routeToIo(c, io);
  for (const c of member.commands) if (!memberBefore.has(c)) routeToIo(c, io);
}

/**
 * `kv member` may already be the command that runs a member (kv-member.ts), with required flags. Commander
 * checks a parent's required options before running a subcommand, so `kv member list` would demand
 * --name. Keep those flags required for running a member only: the check moves into a preAction hook that
 * fires for the member command's own action. (Cleaner long-term: `kv member run …`; see the report.)
 */
function memberCommand(kv: Command): Command {
  const existing = kv.commands.find((c) => c.name() === 'member');
  if (existing === undefined) return kv.command('member').description('cluster membership: list, add, remove, promote');
  const required = existing.options.filter((o) => o.mandatory);
  for (const o of required) o.mandatory = false;
  existing.hook('preAction', (_self, actionCommand) => {
    if (actionCommand !== existing) return;
    for (const o of required) {
      if (existing.getOptionValue(o.attributeName()) === undefined) existing.error(`error: required option '${o.flags}' not specified`);
    }
  });
  return existing;
}

/** Commander's own usage errors (unknown flag, missing argument) print through `io` and exit with EXIT_USAGE. */
function routeToIo(cmd: Command, io: KvCliIo): void {
  cmd.configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });
  cmd.exitOverride((err) => io.exitNow(err.exitCode === 0 ? 0 : EXIT_USAGE));
  for (const sub of cmd.commands) routeToIo(sub, io);
}
