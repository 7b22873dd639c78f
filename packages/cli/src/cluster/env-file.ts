// `<data>/halyard.env`: what a shell needs to reach a local cluster (etcdctl's ETCDCTL_* variables, ours
// named HALYARD_*). Written by `halyard kv cluster up` and `halyard up`, read by `source` and by the CLI
// itself (kv-flags.ts), so `halyard kv get k` works in the folder a default cluster was started from.
// Imports fs only: every `halyard kv` command line loads this file.
import { readFileSync, writeFileSync } from 'node:fs';

export const ENV_FILE_NAME = 'halyard.env';
/** Where the CLI looks when no endpoints or certificates were given: a default `kv cluster up`, then `up`. */
export const DEFAULT_ENV_FILES: readonly string[] = [`.halyard/cluster/${ENV_FILE_NAME}`, `.halyard/up/${ENV_FILE_NAME}`];

export interface KvEnv {
  readonly endpoints: readonly string[];
  readonly cacert?: string;
  readonly cert?: string;
  readonly key?: string;
}

const VARS = { endpoints: 'HALYARD_ENDPOINTS', cacert: 'HALYARD_CACERT', cert: 'HALYARD_CERT', key: 'HALYARD_KEY' } as const;

/** POSIX shell single quotes: everything literal, a quote itself closed, escaped and reopened. */
function shellQuote(v: string): string {
  return `'${v.replace(/'/g, `'\\''`)}'`;
}

export function formatKvEnv(env: KvEnv): string {
  const lines = ['# source this file to reach the cluster with `halyard kv` (written at start-up)', `export ${VARS.endpoints}=${shellQuote(env.endpoints.join(','))}`];
  for (const k of ['cacert', 'cert', 'key'] as const) {
    const v = env[k];
    if (v !== undefined) lines.push(`export ${VARS[k]}=${shellQuote(v)}`);
  }
  return `${lines.join('\n')}\n`;
}

export function writeKvEnvFile(path: string, env: KvEnv): void {
  writeFileSync(path, formatKvEnv(env), { mode: 0o644 });
}

/** Reads what formatKvEnv wrote; undefined when the file is absent. Other lines are ignored. */
export function readKvEnvFile(path: string): KvEnv | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^export (HALYARD_[A-Z]+)='((?:[^']|'\\'')*)'$/.exec(line.trim());
    if (m !== null) values.set(m[1] as string, (m[2] as string).replace(/'\\''/g, "'"));
  }
  const endpoints = values.get(VARS.endpoints);
  if (endpoints === undefined) return undefined;
  const pick = (k: 'cacert' | 'cert' | 'key'): Partial<KvEnv> => (values.has(VARS[k]) ? { [k]: values.get(VARS[k]) } : {});
  return { endpoints: endpoints.split(','), ...pick('cacert'), ...pick('cert'), ...pick('key') };
}

/** The `halyard kv` command line that reaches the cluster with explicit flags. */
export function kvCommandHint(env: KvEnv, rest: string): string {
  const tls = env.cacert !== undefined ? ` --cacert ${env.cacert}${env.cert !== undefined ? ` --cert ${env.cert} --key ${env.key ?? ''}` : ''}` : '';
  return `halyard kv --endpoints ${env.endpoints.join(',')}${tls} ${rest}`;
}
