// What the `halyard kv …` client commands touch outside themselves, in one interface, so tests run the
// real commander program in-process against a fake cluster and read back what it printed.
import { readFile } from 'node:fs/promises';
import { KvClient, type KvClientOptions } from '@halyard/kv-client';

export interface KvCliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** All of standard input (txn, put without a value). */
  readStdin(): Promise<string>;
  readFile(path: string): Promise<string>;
  createClient(options: KvClientOptions): KvClient;
  /** Aborts on Ctrl-C; only streaming commands (watch, lease keep-alive) ask for it. */
  interrupted(): AbortSignal;
  setExitCode(code: number): void;
  /** Ends the run now (commander's own usage errors); in tests it throws instead. */
  exitNow(code: number): never;
}

/** The process's own stdin/stdout/stderr and SIGINT. */
export const processIo: KvCliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks).toString('utf8');
  },
  readFile: (path) => readFile(path, 'utf8'),
  createClient: (options) => new KvClient(options),
  interrupted: () => {
    const controller = new AbortController();
    const onSignal = (): void => controller.abort(new Error('interrupted'));
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    return controller.signal;
  },
  setExitCode: (code) => {
    process.exitCode = code;
  },
  exitNow: (code) => process.exit(code),
};
