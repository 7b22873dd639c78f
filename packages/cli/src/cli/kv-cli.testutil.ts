// Runs the `halyard kv` client commands in-process, as the real program wires them, with captured output.
import { readFile } from 'node:fs/promises';
import { Command, CommanderError } from 'commander';
import { KvClient } from '@halyard/kv-client';
import { registerKv } from './kv-client-commands.ts';
import type { KvCliIo } from './kv-io.ts';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

class TestExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

export interface CliRunOptions {
  readonly stdin?: string;
  /** Ctrl-C for streaming commands. */
  readonly interrupt?: AbortSignal;
  /** Lets a test add other `kv` subcommands first (e.g. the member runner) to check they coexist. */
  readonly before?: (kv: Command) => void;
}

export async function runCli(args: readonly string[], opts: CliRunOptions = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  let code = 0;
  const io: KvCliIo = {
    stdout: (s) => void (stdout += s),
    stderr: (s) => void (stderr += s),
    readStdin: async () => opts.stdin ?? '',
    readFile: (path) => readFile(path, 'utf8'),
    createClient: (o) => new KvClient(o),
    interrupted: () => opts.interrupt ?? new AbortController().signal,
    setExitCode: (c) => void (code = c),
    exitNow: (c) => {
      throw new TestExit(c);
    },
  };
  const program = new Command('halyard').exitOverride().configureOutput({ writeOut: (s) => void (stdout += s), writeErr: (s) => void (stderr += s) });
  const kv = program.command('kv');
  opts.before?.(kv);
  registerKv(kv, io);
  try {
    await program.parseAsync(['kv', ...args], { from: 'user' });
  } catch (e) {
    if (e instanceof TestExit) code = e.code;
    else if (e instanceof CommanderError) code = e.exitCode;
    else throw e;
  }
  return { code, stdout, stderr };
}
