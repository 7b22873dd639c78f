// The one place `halyard elect`/`lock` turn outcomes into exit codes: bad usage (commander's own errors,
// InvalidConfig) → 2 with the message on stderr, any other failure → 1, else the command's own code.
import type { Command } from 'commander';
import { isElectionError } from '../errors.ts';
import { EXIT_ERROR, EXIT_USAGE, type ElectionCliIo } from './cli-io.ts';

export async function reportErrors(io: ElectionCliIo, run: () => Promise<number>): Promise<void> {
  try {
    io.setExitCode(await run());
  } catch (e) {
    io.stderr(`Error: ${e instanceof Error ? e.message : String(e)}\n`);
    io.setExitCode(isElectionError(e, 'InvalidConfig') ? EXIT_USAGE : EXIT_ERROR);
  }
}

/** Commander's usage errors (unknown flag, missing argument, bad duration) print through `io` and exit 2. */
export function routeUsageErrors(cmd: Command, io: ElectionCliIo): void {
  cmd.configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });
  cmd.exitOverride((err) => io.exitNow(err.exitCode === 0 ? 0 : EXIT_USAGE));
}
