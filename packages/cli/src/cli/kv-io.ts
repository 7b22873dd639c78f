// What the `halyard kv …` client commands touch outside themselves, in one interface, so tests run the
// real commander program in-process against a fake cluster and read back what it printed. Type imports
// only: the process's own implementation (kv-process-io.ts) is loaded when a command runs.
import type { KvClient, KvClientOptions } from '@halyard/kv-client';

export interface KvCliIo {
  /** Text, or raw bytes (keys and values print exactly as stored, as etcdctl prints them). */
  stdout(data: string | Uint8Array): void;
  stderr(text: string): void;
  /** All of standard input, as bytes (put without a value stores them unchanged). */
  readStdin(): Promise<Uint8Array>;
  readFile(path: string): Promise<string>;
  createClient(options: KvClientOptions): KvClient;
  /** Aborts on Ctrl-C; only streaming commands (watch, lease keep-alive) ask for it. */
  interrupted(): AbortSignal;
  setExitCode(code: number): void;
}

/** The io of a run, obtained only when a command runs (so defining the commands loads no client). */
export type KvIoProvider = () => Promise<KvCliIo>;

export const processIoProvider: KvIoProvider = async () => (await import('./kv-process-io.ts')).processIo;

/**
 * Loads a client command's implementation. First switches off msgpackr's native decoder for this
 * process (its documented MSGPACKR_NATIVE_ACCELERATION_DISABLED): a command decodes a few small frames,
 * and loading the native add-on costs more start-up time than it saves. Members and other long-running
 * processes keep it; only the client commands' own process (which starts no children) is affected.
 */
export function loadCommand<T>(load: () => Promise<T>): () => Promise<T> {
  return () => {
    process.env['MSGPACKR_NATIVE_ACCELERATION_DISABLED'] ??= 'true';
    return load();
  };
}
