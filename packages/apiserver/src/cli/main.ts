#!/usr/bin/env node
// `tsx packages/apiserver/src/cli/main.ts [flags]`: the apiserver on its own (the same command as
// `halyard apiserver`). Exit codes: 0 after a clean shutdown or --help, 2 for bad usage (unknown flag,
// malformed value, missing companion flag), 1 when start-up fails (unreadable token file, port in use).
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { registerApiserverCommand } from './command.ts';

const program = new Command();
program.name('halyard').showHelpAfterError().exitOverride();
registerApiserverCommand(program);
// With no subcommand the flags are the apiserver's.
const argv = process.argv.slice(2);
const args = argv[0] === 'apiserver' ? argv : ['apiserver', ...argv];
program.parseAsync(args, { from: 'user' }).catch((err: unknown) => {
  if (err instanceof CommanderError && !(err instanceof InvalidArgumentError)) {
    // Commander printed the message (or the help) already.
    process.exitCode = err.code === 'commander.helpDisplayed' || err.code === 'commander.help' ? 0 : 2;
    return;
  }
  process.stderr.write(`halyard apiserver: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = err instanceof InvalidArgumentError ? 2 : 1;
});
