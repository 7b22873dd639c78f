// Runs `halyard kv …` in-process, through the real command tree (program.ts), with captured output.
import { readFile } from 'node:fs/promises';
import { KvClient } from '@halyard/kv-client';
import type { KvCliIo } from './kv-io.ts';
import { runProgram } from './program.ts';

export interface CliRun {
  readonly code: number;
  /** stdout as UTF-8 text; `stdoutBytes` has it exactly. */
  readonly stdout: string;
  readonly stdoutBytes: Buffer;
  readonly stderr: string;
}

export interface CliRunOptions {
  readonly stdin?: string | Uint8Array;
  /** Ctrl-C for streaming commands. */
  readonly interrupt?: AbortSignal;
  /** Told everything printed so far, after each write (to stop a watch once it printed enough). */
  readonly onStdout?: (sofar: string) => void;
}

/** `halyard kv ...args`. */
export async function runCli(args: readonly string[], opts: CliRunOptions = {}): Promise<CliRun> {
  return runHalyard(['kv', ...args], opts);
}

/** `halyard ...args`. */
export async function runHalyard(args: readonly string[], opts: CliRunOptions = {}): Promise<CliRun> {
  const out: Buffer[] = [];
  let stderr = '';
  let code = 0;
  const io: KvCliIo = {
    stdout: (data) => {
      out.push(Buffer.from(data));
      opts.onStdout?.(Buffer.concat(out).toString('utf8'));
    },
    stderr: (s) => void (stderr += s),
    readStdin: async () => (typeof opts.stdin === 'string' ? Buffer.from(opts.stdin) : (opts.stdin ?? new Uint8Array(0))),
    readFile: (path) => readFile(path, 'utf8'),
    createClient: (o) => new KvClient(o),
    interrupted: () => opts.interrupt ?? new AbortController().signal,
    setExitCode: (c) => void (code = c),
  };
  const exit = await runProgram(args, {
    writeOut: (s) => void out.push(Buffer.from(s)),
    writeErr: (s) => void (stderr += s),
    kvIo: async () => io,
  });
  const stdoutBytes = Buffer.concat(out);
  return { code: exit ?? code, stdout: stdoutBytes.toString('utf8'), stdoutBytes, stderr };
}
