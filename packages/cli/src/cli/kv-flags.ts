// The flags every `halyard kv` client command shares (etcdctl's global flags) and the parsers for ids,
// numbers and durations. Loaded for every command line, so it imports nothing heavy: commander and fs only.
import { type Command, InvalidArgumentError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { DEFAULT_ENV_FILES, readKvEnvFile } from '../cluster/env-file.ts';

/** etcdctl's -w values we print (etcdctl's `protobuf` has no counterpart: our wire format is msgpack). */
export const OUTPUT_FORMATS = ['simple', 'json', 'fields', 'table'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** PEM contents for https:// members (the client's ClientTls shape, declared here to stay import-free). */
export interface TlsPem {
  readonly ca?: Uint8Array;
  readonly cert?: Uint8Array;
  readonly key?: Uint8Array;
}

export interface GlobalFlags {
  readonly endpoints: readonly string[];
  readonly writeOut: OutputFormat;
  readonly commandTimeoutMs: number;
  readonly dialTimeoutMs: number;
  /** etcdctl's --hex: keys and values print as `\x66\x6f\x6f`; arguments in that form are read as bytes. */
  readonly hex: boolean;
  /** Largest request the client sends (a member's --max-request-bytes); bigger ones fail before sending. */
  readonly maxRequestBytes: number;
  /** For https:// endpoints (etcdctl's --cacert, --cert, --key), read from the files given. */
  readonly tls?: TlsPem;
}

export const ENDPOINTS_DEFAULT = 'http://127.0.0.1:2379';
/** etcdctl's defaults: 5 s per command, 2 s to dial. */
export const COMMAND_TIMEOUT_DEFAULT = '5s';
export const DIAL_TIMEOUT_DEFAULT = '2s';
/** A member's default --max-request-bytes (1.5 MiB), so a default client and a default member agree. */
export const MAX_REQUEST_BYTES_DEFAULT = 1.5 * 1024 * 1024;

/** Usage mistakes found after commander parsed the line (e.g. RANGE_END together with --prefix). Exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function addGlobalFlags(kv: Command): void {
  kv.addOption(new Option('--endpoints <urls>', 'comma-separated member client URLs').env('HALYARD_ENDPOINTS').default(ENDPOINTS_DEFAULT))
    // Validated in globalFlags rather than with .choices(), so a bad value is a UsageError of the command run.
    .option('-w, --write-out <format>', 'output format: simple, json, fields or table', 'simple')
    .option('--hex', 'print keys and values as hex (\\x66\\x6f\\x6f); read arguments written that way as bytes', false)
    .option('--command-timeout <duration>', 'deadline of a command, retries included (e.g. 5s, 500ms)', COMMAND_TIMEOUT_DEFAULT)
    .option('--dial-timeout <duration>', 'how long to wait for a member to accept a connection', DIAL_TIMEOUT_DEFAULT)
    .option('--max-request-bytes <n>', 'largest request sent; larger ones fail at once (match the members)', String(MAX_REQUEST_BYTES_DEFAULT))
    .addOption(new Option('--cacert <file>', 'CA bundle (PEM) to verify https:// members').env('HALYARD_CACERT'))
    .addOption(new Option('--cert <file>', 'client certificate (PEM) for members that require one').env('HALYARD_CERT'))
    .addOption(new Option('--key <file>', 'key (PEM) of the client certificate').env('HALYARD_KEY'));
}

interface RawGlobalFlags {
  endpoints: string;
  writeOut: string;
  hex: boolean;
  commandTimeout: string;
  dialTimeout: string;
  maxRequestBytes: string;
  cacert?: string;
  cert?: string;
  key?: string;
}

export function globalFlags(cmd: Command): GlobalFlags {
  const o = withDefaultCluster(cmd, cmd.optsWithGlobals<RawGlobalFlags>());
  const endpoints = o.endpoints
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e.length > 0);
  if (endpoints.length === 0) throw new UsageError('--endpoints needs at least one URL');
  if (!(OUTPUT_FORMATS as readonly string[]).includes(o.writeOut)) throw new UsageError(`--write-out must be simple, json, fields or table, got ${JSON.stringify(o.writeOut)}`);
  if ((o.cert === undefined) !== (o.key === undefined)) throw new UsageError('--cert and --key go together');
  const tls: TlsPem = {
    ...(o.cacert !== undefined ? { ca: readPem(o.cacert, '--cacert') } : {}),
    ...(o.cert !== undefined ? { cert: readPem(o.cert, '--cert') } : {}),
    ...(o.key !== undefined ? { key: readPem(o.key, '--key') } : {}),
  };
  return {
    endpoints,
    writeOut: o.writeOut as OutputFormat,
    hex: o.hex === true,
    commandTimeoutMs: durationMs(o.commandTimeout, '--command-timeout'),
    dialTimeoutMs: durationMs(o.dialTimeout, '--dial-timeout'),
    maxRequestBytes: parseIntArg(o.maxRequestBytes, '--max-request-bytes', 1),
    ...(Object.keys(tls).length > 0 ? { tls } : {}),
  };
}

/**
 * With no endpoints and no certificates given (flags or HALYARD_* variables), the cluster that `halyard
 * kv cluster up` or `halyard up` started from this folder, through the env file it wrote: its endpoints
 * are https with client certificates, which the default endpoint alone cannot reach.
 */
function withDefaultCluster(cmd: Command, o: RawGlobalFlags): RawGlobalFlags {
  let owner: Command | null = cmd;
  while (owner !== null && !owner.options.some((opt) => opt.attributeName() === 'endpoints')) owner = owner.parent;
  if (owner === null || owner.getOptionValueSource('endpoints') !== 'default') return o;
  if (o.cacert !== undefined || o.cert !== undefined || o.key !== undefined) return o;
  for (const file of DEFAULT_ENV_FILES) {
    const env = readKvEnvFile(file);
    if (env !== undefined) return { ...o, endpoints: env.endpoints.join(','), ...(env.cacert !== undefined ? { cacert: env.cacert } : {}), ...(env.cert !== undefined ? { cert: env.cert } : {}), ...(env.key !== undefined ? { key: env.key } : {}) };
  }
  return o;
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

/** Ids as halyard prints them: hex, optionally 0x-prefixed. Must fit a JS number exactly. */
export function parseHexId(text: string, what: string): number {
  const digits = text.trim().replace(/^0x/i, '');
  if (!/^[0-9a-f]{1,16}$/i.test(digits)) throw new UsageError(`${what} must be a hexadecimal id (as printed by halyard kv), got ${JSON.stringify(text)}`);
  const id = Number.parseInt(digits, 16);
  if (!Number.isSafeInteger(id) || id <= 0) throw new UsageError(`${what} ${text} is out of range`);
  return id;
}

/** A commander argument parser: a bad value is commander's own usage error (exit 2). */
function commanderArg<T>(parse: (v: string) => T): (v: string) => T {
  return (v) => {
    try {
      return parse(v);
    } catch (e) {
      throw new InvalidArgumentError(e instanceof Error ? e.message : String(e));
    }
  };
}

export function hexIdArg(what: string): (v: string) => number {
  return commanderArg((v) => parseHexId(v, what));
}

export function parseIntArg(text: string, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(max === Number.MAX_SAFE_INTEGER ? `${what} must be an integer ≥ ${min}, got ${JSON.stringify(text)}` : `${what} must be an integer in ${min}..${max}, got ${JSON.stringify(text)}`);
  }
  return n;
}

export function intArg(what: string, min: number, max?: number): (v: string) => number {
  return commanderArg((v) => parseIntArg(v, what, min, max));
}

/** Member and cluster ids as halyard prints them: 16 hex digits, like lease ids. */
export function idHex(id: number): string {
  return id.toString(16).padStart(16, '0');
}

/**
 * Exit codes (documented in docs/kv-client.md): 0 success, 1 the operation failed, 2 bad usage (unknown
 * command or flag, malformed value, output format the command cannot print).
 */
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;
