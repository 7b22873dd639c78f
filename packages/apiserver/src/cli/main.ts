#!/usr/bin/env node
// `tsx packages/apiserver/src/cli/main.ts [flags]`: the apiserver on its own (the same command as
// `halyard apiserver`).
import { Command } from 'commander';
import { registerApiserverCommand } from './command.ts';

const program = new Command();
program.name('halyard').showHelpAfterError();
registerApiserverCommand(program);
// With no subcommand the flags are the apiserver's.
const argv = process.argv.slice(2);
const args = argv[0] === 'apiserver' ? argv : ['apiserver', ...argv];
program.parseAsync(args, { from: 'user' }).catch((err: unknown) => {
  process.stderr.write(`halyard apiserver: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = err instanceof Error && err.name === 'InvalidArgumentError' ? 2 : 1;
});
