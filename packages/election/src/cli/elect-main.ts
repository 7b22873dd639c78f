#!/usr/bin/env node
// `halyard elect` / `halyard lock` as a program of their own, until the `halyard` CLI wires in
// registerElectionCommands (the real-process tests run this). Usage: elect-main.ts elect NAME … [-- CMD …]
import { Command } from 'commander';
import { registerElectionCommands } from './index.ts';

const program = new Command();
program.name('halyard').description('Halyard leader election: elect and lock').showHelpAfterError();
registerElectionCommands(program);
program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`halyard: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
