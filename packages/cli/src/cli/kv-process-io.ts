// The process's own stdin/stdout/stderr and SIGINT for the `halyard kv` client commands.
import { readFile } from 'node:fs/promises';
import { KvClient } from '@halyard/kv-client';
import type { KvCliIo } from './kv-io.ts';

/** Standard input read by `put` without a value: bounded so a runaway pipe fails instead of filling memory. */
export const STDIN_BYTES_MAX = 64 * 1024 * 1024;

export const processIo: KvCliIo = {
  stdout: (data) => void process.stdout.write(data),
  stderr: (text) => void process.stderr.write(text),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of process.stdin) {
      const b = Buffer.from(chunk as Uint8Array);
      total += b.byteLength;
      if (total > STDIN_BYTES_MAX) throw new Error(`standard input is larger than ${STDIN_BYTES_MAX} bytes`);
      chunks.push(b);
    }
    return Buffer.concat(chunks);
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
};
