// Defines every `halyard kv …` command: etcdctl's global flags, the key-value, lease, member, endpoint
// and maintenance commands, and local clusters. Definitions only: each command loads what it runs.
import type { Command } from 'commander';
import { addGlobalFlags } from './kv-flags.ts';
import type { KvIoProvider } from './kv-io.ts';
import { defineEndpointCommands } from './kv-endpoint-commands.ts';
import { defineKeyCommands } from './kv-key-commands.ts';
import { defineLeaseCommands } from './kv-lease-commands.ts';
import { defineMaintenanceCommands } from './kv-maintenance-commands.ts';
import { defineMemberCommands } from './kv-member-commands.ts';

export function defineKv(kv: Command, io: KvIoProvider): void {
  addGlobalFlags(kv);
  defineKeyCommands(kv, io);
  defineLeaseCommands(kv, io);
  defineMemberCommands(kv, io);
  defineEndpointCommands(kv, io);
  defineMaintenanceCommands(kv, io);
}
