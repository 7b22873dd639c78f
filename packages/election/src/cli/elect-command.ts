// `halyard elect NAME [--identity ID] [--lease-duration 15s --renew-deadline 10s --retry-period 2s]
// [--lock kv|lease] [-- CMD ARGS…]` (etcdctl's `elect`, with Kubernetes' lease semantics).
import type { Command } from 'commander';
import { processIo, type ElectionCliIo } from './cli-io.ts';
import { addElectionFlags, electionFlags, openLock } from './election-flags.ts';
import { listenForLeaders, runElection } from './election-runner.ts';
import { reportErrors } from './report-errors.ts';

export function registerElectCommand(program: Command, io: ElectionCliIo = processIo): Command {
  const cmd = program
    .command('elect')
    .description('campaign for leadership of NAME; print `leading NAME as ID token T`, `new leader: ID`, `stopped leading`; run CMD while leading')
    .argument('<name>', 'election name (letters, digits, ., _, -)')
    .argument('[command...]', 'CMD ARGS… to run while leading (after --)')
    .option('-l, --listen', 'only print leader changes, without campaigning');
  addElectionFlags(cmd);
  cmd.action(async (name: string, command: string[], _opts: unknown, self: Command) =>
    reportErrors(io, async () => {
      const flags = electionFlags(self);
      const opened = openLock(name, flags);
      const interrupted = io.interrupted();
      if (self.opts<{ listen?: boolean }>().listen === true) return listenForLeaders({ opened, io, interrupted });
      return runElection({ mode: 'elect', name, flags, opened, command, io, interrupted });
    }),
  );
  return cmd;
}
