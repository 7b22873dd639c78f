// The `halyard` command tree and how a run ends: exit 0 on success, 1 when the operation failed, 2 on bad
// usage (unknown command or flag, malformed value, missing subcommand), each error printed once. The tree
// is definitions only — every action imports what it runs — so `halyard kv put k v` loads the client and
// nothing else (no server, simulator or checker).
import { Command, CommanderError } from 'commander';
import { defineClusterCommands } from './cluster-commands.ts';
import { defineFuzzCommands } from './fuzz-commands.ts';
import { defineUpCommands } from '../up/cli.ts';
import { defineKv } from './kv-commands.ts';
import { EXIT_ERROR, EXIT_USAGE, UsageError } from './kv-flags.ts';
import { type KvIoProvider, processIoProvider } from './kv-io.ts';
import { CLI_VERSION, versionText } from './version.ts';

export interface ProgramIo {
  /** Where commander's own help and usage errors go. */
  readonly writeOut: (text: string) => void;
  readonly writeErr: (text: string) => void;
  /** The io of the `kv` client commands. */
  readonly kvIo: KvIoProvider;
}

export const processProgramIo: ProgramIo = {
  writeOut: (text) => void process.stdout.write(text),
  writeErr: (text) => void process.stderr.write(text),
  kvIo: processIoProvider,
};

export function buildProgram(io: ProgramIo = processProgramIo): Command {
  const program = new Command('halyard');
  // Set before any subcommand is added: commander copies these settings into every subcommand.
  program
    .exitOverride()
    .configureOutput({ writeOut: io.writeOut, writeErr: io.writeErr })
    .showHelpAfterError('(run with --help for usage)')
    .description('Halyard: a Raft-replicated KV store, leader election and a thin API server')
    .version(CLI_VERSION, '--version', 'print the version of halyard');
  const kv = program.command('kv').description('the KV store: run members and clusters, read and write keys (etcdctl’s commands)');
  defineKv(kv, io.kvIo);
  defineClusterCommands(kv);
  program
    .command('version')
    .description('print the version of halyard and of its API')
    .action(() => io.writeOut(versionText()));
  defineFuzzCommands(program);
  defineUpCommands(program);
  program.addHelpText('after', `
Also (loaded only when run):
  elect NAME --identity ID [-- CMD …]   run CMD while this process holds the leader lease NAME (see docs/election.md)
  lock NAME [-- CMD …]                  a mutex on the same lease machinery, fencing token printed
  apiserver --port … --kv-endpoints …   a Kubernetes-shaped API server over the KV store (see docs/apiserver.md)
`);
  return program;
}

/**
 * Commands whose packages are heavy to load (the election SDK and its lock clients, the API server) are
 * added only when the command line names them, so `halyard kv put` and `--help` stay fast.
 */
async function addHeavyCommand(program: Command, first: string | undefined): Promise<void> {
  if (first === 'elect' || first === 'lock') (await import('@halyard/election')).registerElectionCommands(program);
  else if (first === 'apiserver') (await import('@halyard/apiserver')).registerApiserverCommand(program);
}

/**
 * Runs `halyard ...args` and returns the exit code. Commands report their own failures (and may set
 * `exitCode`); what escapes them is printed here, once.
 */
export async function runProgram(args: readonly string[], io: ProgramIo = processProgramIo): Promise<number | undefined> {
  try {
    const program = buildProgram(io);
    await addHeavyCommand(program, args[0]);
    await program.parseAsync([...args], { from: 'user' });
    return undefined;
  } catch (err) {
    // Commander has printed its message (or the help) already; only the exit code is left to decide.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_USAGE;
    io.writeErr(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
    return err instanceof UsageError ? EXIT_USAGE : EXIT_ERROR;
  }
}
