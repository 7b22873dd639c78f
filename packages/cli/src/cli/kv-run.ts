// Runs a `halyard kv` client command: flags → client → body, and turns any failure into one `Error: …`
// line on stderr and an exit code (1 failed, 2 bad usage), as etcdctl does. Loaded when a command runs.
import type { KvClient } from '@halyard/kv-client';
import { KvError } from '@halyard/kv-client/protocol';
import type { Command } from 'commander';
import { EXIT_ERROR, EXIT_USAGE, globalFlags, type GlobalFlags, UsageError } from './kv-flags.ts';
import { assertFormat, type OutputKind } from './kv-format.ts';
import type { KvCliIo } from './kv-io.ts';

export interface RunOptions {
  /** What the command prints: a format it cannot print is refused before anything is sent. */
  readonly kind: OutputKind;
  /**
   * Wait for a member to accept a connection first, for at most --dial-timeout (etcdctl fails after its
   * dial timeout when no endpoint answers). Off for commands that report per endpoint (status, health).
   */
  readonly connect?: boolean;
}

/** Runs `body` with a client built from the global flags; always closes the client. */
export async function withClient(cmd: Command, io: KvCliIo, opts: RunOptions, body: (client: KvClient, flags: GlobalFlags) => Promise<void>): Promise<void> {
  await withInput(cmd, io, opts, async () => undefined, (client, flags) => body(client, flags));
}

/**
 * As withClient, with a step that gathers the command's input (stdin, a file) and checks it before any
 * connection is made, so a usage mistake is reported as one whatever the cluster's state.
 */
export async function withInput<T>(cmd: Command, io: KvCliIo, opts: RunOptions, prepare: (flags: GlobalFlags) => Promise<T>, body: (client: KvClient, flags: GlobalFlags, input: T) => Promise<void>): Promise<void> {
  let client: KvClient | undefined;
  try {
    const flags = globalFlags(cmd);
    assertFormat(flags.writeOut, opts.kind);
    const input = await prepare(flags);
    client = io.createClient({
      endpoints: flags.endpoints,
      requestTimeoutMs: flags.commandTimeoutMs,
      dialTimeoutMs: flags.dialTimeoutMs,
      requestSizeBytesMax: flags.maxRequestBytes,
      ...(flags.tls !== undefined ? { tls: flags.tls } : {}),
    });
    // The connection made here carries the command's requests; the command's deadline bounds it too.
    if (opts.connect !== false) await client.connect({ timeoutMs: Math.min(flags.dialTimeoutMs, flags.commandTimeoutMs) });
    await body(client, flags, input);
  } catch (err) {
    reportError(io, err);
  } finally {
    await client?.close();
  }
}

/** Runs a command that needs no client (snapshot status/restore), with the same error reporting. */
export async function withFlags(cmd: Command, io: KvCliIo, kind: OutputKind, body: (flags: GlobalFlags) => Promise<void>): Promise<void> {
  try {
    const flags = globalFlags(cmd);
    assertFormat(flags.writeOut, kind);
    await body(flags);
  } catch (err) {
    reportError(io, err);
  }
}

/** The one place a client command's failure becomes text and an exit code. */
export function reportError(io: KvCliIo, err: unknown): void {
  io.stderr(`Error: ${errorText(err)}\n`);
  io.setExitCode(err instanceof UsageError || (err instanceof KvError && err.code === 'InvalidRequest') ? EXIT_USAGE : EXIT_ERROR);
}

/**
 * The message, with the KvError code once, at the end (none for usage mistakes, whose message says it
 * all). Store errors arrive as `Code: message` (the MVCC layer's own form); that prefix goes, so the code
 * is not printed twice.
 */
export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (!(err instanceof KvError)) return err.message;
  const prefix = `${err.code}: `;
  const message = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
  if (err.code === 'InvalidRequest') return message;
  const suffix = ` (${err.code})`;
  return message.endsWith(suffix) ? message : message + suffix;
}
