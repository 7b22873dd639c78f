// The flags every `halyard kv` client command shares (etcdctl's global flags), the parsers for ids and
// numbers, and the wrapper that turns any failure into a message on stderr and a non-zero exit code.
import { type Command, InvalidArgumentError, Option } from 'commander';
import { KvError } from '@halyard/kv-client/protocol';
import { readFileSync } from 'node:fs';
import type { KvClient, ClientTls } from '@halyard/kv-client';
import type { KvCliIo } from './kv-io.ts';

export type OutputFormat = 'simple' | 'json' | 'table';
const OUTPUT_FORMATS: readonly string[] = ['simple', 'json', 'table'];

export interface GlobalFlags {
  readonly endpoints: readonly string[];
  readonly writeOut: OutputFormat;
  readonly commandTimeoutMs: number;
  readonly dialTimeoutMs: number;
  /** For https:// endpoints (etcdctl's --cacert, --cert, --key), read from the files given. */
  readonly tls?: ClientTls;
}

export const ENDPOINTS_DEFAULT = 'http://127.0.0.1:2379';
/** etcdctl's defaults: 5 s per command, 2 s to dial. */
export const COMMAND_TIMEOUT_DEFAULT = '5s';
export const DIAL_TIMEOUT_DEFAULT = '2s';

/** Usage mistakes found after commander parsed the line (e.g. RANGE_END together with --prefix). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function addGlobalFlags(kv: Command): void {
  kv.addOption(new Option('--endpoints <urls>', 'comma-separated member client URLs').env('HALYARD_ENDPOINTS').default(ENDPOINTS_DEFAULT))
    // Validated in globalFlags rather than with .choices(), so a bad value is a UsageError of the command run.
    .option('-w, --write-out <format>', 'output format: simple, json or table', 'simple')
    .option('--command-timeout <duration>', 'deadline of a command, retries included (e.g. 5s, 500ms)', COMMAND_TIMEOUT_DEFAULT)
    .option('--dial-timeout <duration>', 'deadline to connect to one member', DIAL_TIMEOUT_DEFAULT)
    .option('--cacert <file>', 'CA bundle (PEM) to verify https:// members')
    .option('--cert <file>', 'client certificate (PEM) for members that require one')
    .option('--key <file>', 'key (PEM) of the client certificate');
}

export function globalFlags(cmd: Command): GlobalFlags {
  const o = cmd.optsWithGlobals<{ endpoints: string; writeOut: OutputFormat; commandTimeout: string; dialTimeout: string; cacert?: string; cert?: string; key?: string }>();
  const endpoints = o.endpoints
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e.length > 0);
  if (endpoints.length === 0) throw new UsageError('--endpoints needs at least one URL');
  if (!OUTPUT_FORMATS.includes(o.writeOut)) throw new UsageError(`--write-out must be simple, json or table, got ${JSON.stringify(o.writeOut)}`);
  if ((o.cert === undefined) !== (o.key === undefined)) throw new UsageError('--cert and --key go together');
  const tls: ClientTls = {
    ...(o.cacert !== undefined ? { ca: readPem(o.cacert, '--cacert') } : {}),
    ...(o.cert !== undefined ? { cert: readPem(o.cert, '--cert') } : {}),
    ...(o.key !== undefined ? { key: readPem(o.key, '--key') } : {}),
  };
  return {
    endpoints,
    writeOut: o.writeOut,
    commandTimeoutMs: durationMs(o.commandTimeout, '--command-timeout'),
    dialTimeoutMs: durationMs(o.dialTimeout, '--dial-timeout'),
    ...(Object.keys(tls).length > 0 ? { tls } : {}),
  };
}

function readPem(path: string, flag: string): Buffer {
  let b: Buffer;
  try {
    b = readFileSync(path);
  } catch (e) {
    throw new UsageError(`${flag} ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!b.toString('utf8').includes('-----BEGIN')) throw new UsageError(`${flag} ${path}: not a PEM file`);
  return b;
}

/** Go-style durations as etcdctl takes them: `500ms`, `5s`, `1m`, `1.5s`. A bare number is refused: its unit would be a guess. */
export function durationMs(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text.trim());
  if (m === null) throw new UsageError(`${flag} must be a duration such as 5s or 500ms, got ${JSON.stringify(text)}`);
  const ms = Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000);
  if (ms <= 0) throw new UsageError(`${flag} must be positive`);
  return ms;
}

/** Ids as etcdctl prints them: hex, optionally 0x-prefixed. Must fit a JS number exactly. */
export function parseHexId(text: string, what: string): number {
  const digits = text.trim().replace(/^0x/i, '');
  if (!/^[0-9a-f]{1,16}$/i.test(digits)) throw new UsageError(`${what} must be a hexadecimal id (as printed by halyard kv), got ${JSON.stringify(text)}`);
  const id = Number.parseInt(digits, 16);
  if (!Number.isSafeInteger(id) || id <= 0) throw new UsageError(`${what} ${text} is out of range`);
  return id;
}

export function hexIdArg(what: string): (v: string) => number {
  return (v) => {
    try {
      return parseHexId(v, what);
    } catch (e) {
      throw new InvalidArgumentError(e instanceof Error ? e.message : String(e));
    }
  };
}

export function parseIntArg(text: string, what: string, min: number): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isSafeInteger(n) || n < min) throw new UsageError(`${what} must be an integer ≥ ${min}, got ${JSON.stringify(text)}`);
  return n;
}

export function intArg(what: string, min: number): (v: string) => number {
  return (v) => {
    try {
      return parseIntArg(v, what, min);
    } catch (e) {
      throw new InvalidArgumentError(e instanceof Error ? e.message : String(e));
    }
  };
}

/** Exit codes (documented in docs/kv-client.md). */
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;

/**
 * Runs a command body with a client built from the global flags; prints `Error: …` and sets the exit
 * code on failure (as etcdctl does), and always closes the client.
 */
export async function withClient(cmd: Command, io: KvCliIo, body: (client: KvClient, flags: GlobalFlags) => Promise<void>): Promise<void> {
  let client: KvClient | undefined;
  try {
    const flags = globalFlags(cmd);
    client = io.createClient({ endpoints: flags.endpoints, requestTimeoutMs: flags.commandTimeoutMs, dialTimeoutMs: flags.dialTimeoutMs, ...(flags.tls !== undefined ? { tls: flags.tls } : {}) });
    await body(client, flags);
  } catch (err) {
    reportError(io, err);
  } finally {
    await client?.close();
  }
}

export function reportError(io: KvCliIo, err: unknown): void {
  if (err instanceof UsageError) {
    io.stderr(`Error: ${err.message}\n`);
    io.setExitCode(EXIT_USAGE);
    return;
  }
  const message = err instanceof KvError ? `${err.message}${err.code === 'InvalidRequest' ? '' : ` (${err.code})`}` : err instanceof Error ? err.message : String(err);
  io.stderr(`Error: ${message}\n`);
  io.setExitCode(err instanceof KvError && err.code === 'InvalidRequest' ? EXIT_USAGE : EXIT_ERROR);
}
