// The election commands for the `halyard` CLI: `program.command` wiring lives with the CLI; this adds
// `elect` and `lock` to it.
import type { Command } from 'commander';
import { processIo, type ElectionCliIo } from './cli-io.ts';
import { registerElectCommand } from './elect-command.ts';
import { registerLockCommand } from './lock-command.ts';
import { routeUsageErrors } from './report-errors.ts';

export function registerElectionCommands(program: Command, io: ElectionCliIo = processIo): void {
  for (const cmd of [registerElectCommand(program, io), registerLockCommand(program, io)]) routeUsageErrors(cmd, io);
}

export { processIo, type ElectionCliIo } from './cli-io.ts';
