#!/usr/bin/env node
// `halyard`: the command line. Each subcommand lives in its own file; this one only wires them.
import { Command } from 'commander';
import { registerClusterCommand } from './cluster-up.ts';
import { registerFuzzCluster } from './fuzz-cluster.ts';
import { registerFuzzSim } from './fuzz-sim.ts';
import { registerKv } from './kv-client-commands.ts';
import { registerMemberCommand } from './kv-member.ts';
import { registerStart } from './start.ts';

const program = new Command();
program.name('halyard').description('Halyard: a Raft-replicated KV store, leader election and a thin API server').showHelpAfterError();
registerStart(program);
const kv = program.command('kv').description('the KV store: run members and clusters, read and write keys');
registerMemberCommand(kv);
registerClusterCommand(kv);
registerKv(kv);
const fuzz = program.command('fuzz').description('fuzz the consistency of Halyard: simulated clusters or real ones');
registerFuzzSim(fuzz);
registerFuzzCluster(fuzz);
(await import('../up/cli.ts')).defineUpCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`halyard: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
