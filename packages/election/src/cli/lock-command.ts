// `halyard lock NAME [-- CMD ARGS…]` (etcdctl's `lock`): a mutex on the election machinery. Prints
// `locked NAME as ID token T` once held (T is the fencing token CMD gets in $HALYARD_FENCING_TOKEN), runs
// CMD, releases when CMD exits (exiting with its code) or on Ctrl-C; `lock lost` and exit 1 if the lease
// could not be renewed in time.
import type { Command } from 'commander';
import { processIo, type ElectionCliIo } from './cli-io.ts';
import { addElectionFlags, electionFlags, openLock } from './election-flags.ts';
import { runElection } from './election-runner.ts';
import { reportErrors } from './report-errors.ts';

export function registerLockCommand(program: Command, io: ElectionCliIo = processIo): Command {
  const cmd = program
    .command('lock')
    .description('acquire the mutex NAME, print its fencing token, run CMD while holding it, release when done')
    .argument('<name>', 'lock name (letters, digits, ., _, -)')
    .argument('[command...]', 'CMD ARGS… to run while holding the lock (after --)');
  addElectionFlags(cmd);
  cmd.action(async (name: string, command: string[], _opts: unknown, self: Command) =>
    reportErrors(io, async () => {
      const flags = electionFlags(self);
      return runElection({ mode: 'lock', name, flags, opened: openLock(name, flags), command, io, interrupted: io.interrupted() });
    }),
  );
  return cmd;
}
