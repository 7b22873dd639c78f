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

// `pnpm fuzz -- --seeds N` (the root script is `… fuzz sim`): pnpm hands the `--` on, where npm drops it;
// drop it here too, so the flags after it are parsed as flags.
const argv = process.argv[2] === 'fuzz' && process.argv[3] === 'sim' && process.argv[4] === '--' ? [...process.argv.slice(0, 4), ...process.argv.slice(5)] : process.argv;

program.parseAsync(argv).catch((err: unknown) => {
  process.stderr.write(`halyard: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
