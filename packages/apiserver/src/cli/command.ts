// `halyard apiserver`: flags, storage choice, start-up and shutdown. registerApiserverCommand wires it into
// any commander program (the `halyard` CLI, or cli/main.ts on its own).
import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { READ_ONLY_GROUP } from '../auth/auth.ts';
import { parseTokenFile, type TokenUser } from '../auth/token-file.ts';
import { REQUEST_BODY_BYTES_MAX_DEFAULT } from '../http/body.ts';
import { startApiserver, BOOKMARK_INTERVAL_MS_DEFAULT } from '../server.ts';
import { EtcdStorage } from '../storage/etcd-storage.ts';
import { HalyardStorage } from '../storage/halyard-storage.ts';
import type { Storage } from '../storage/storage.ts';
import { writeKubeconfig } from './kubeconfig.ts';

export interface ApiserverFlags {
  readonly port: number;
  readonly bindAddress: string;
  readonly storage: 'halyard' | 'etcd';
  readonly kvEndpoints: string[];
  readonly etcdServers?: string[];
  readonly tokenAuthFile?: string;
  readonly tlsCertFile?: string;
  readonly tlsPrivateKeyFile?: string;
  /** The KV client's TLS (etcd's --etcd-cafile/--etcd-certfile/--etcd-keyfile on kube-apiserver). */
  readonly kvCacert?: string;
  readonly kvCert?: string;
  readonly kvKey?: string;
  readonly writeKubeconfig?: string;
  readonly maxRequestBodyBytes: number;
  readonly bookmarkIntervalMs: number;
  readonly identity?: string;
}

function intArg(name: string, min: number, max: number): (v: string) => number {
  return (v) => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`${name} must be an integer`);
    const n = Number(v);
    if (n < min || n > max) throw new InvalidArgumentError(`${name} must be in ${min}..${max}`);
    return n;
  };
}

function listArg(v: string): string[] {
  const items = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new InvalidArgumentError('expected a comma-separated list');
  return items;
}

/** PEM contents of the KV client's CA, certificate and key. */
export interface KvClientTlsPem {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/** Reads --kv-cacert/--kv-cert/--kv-key; undefined when none is given. A missing or non-PEM file is a usage error. */
export async function kvClientTlsFromFlags(flags: ApiserverFlags): Promise<KvClientTlsPem | undefined> {
  if ((flags.kvCert === undefined) !== (flags.kvKey === undefined)) throw new InvalidArgumentError('--kv-cert and --kv-key go together');
  const read = async (file: string | undefined, flag: string): Promise<Buffer | undefined> => {
    if (file === undefined) return undefined;
    let b: Buffer;
    try {
      b = await readFile(file);
    } catch (e) {
      throw new InvalidArgumentError(`${flag} ${file}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!b.toString('utf8').includes('-----BEGIN')) throw new InvalidArgumentError(`${flag} ${file}: not a PEM file`);
    return b;
  };
  const ca = await read(flags.kvCacert, '--kv-cacert');
  const cert = await read(flags.kvCert, '--kv-cert');
  const key = await read(flags.kvKey, '--kv-key');
  if (ca === undefined && cert === undefined) return undefined;
  return { ...(ca !== undefined ? { ca } : {}), ...(cert !== undefined ? { cert } : {}), ...(key !== undefined ? { key } : {}) };
}

/** The storage the flags ask for; `kvTls` from kvClientTlsFromFlags. */
export function storageFromFlags(flags: ApiserverFlags, kvTls?: KvClientTlsPem): Storage {
  if (flags.storage === 'etcd') {
    if (flags.etcdServers === undefined) throw new InvalidArgumentError('--storage etcd needs --etcd-servers');
    return new EtcdStorage({ endpoints: flags.etcdServers });
  }
  return new HalyardStorage({ endpoints: flags.kvEndpoints, ...(kvTls !== undefined ? { tls: kvTls } : {}) });
}

/** The token a written kubeconfig uses: the first read-write user of the token file. */
export function kubeconfigToken(tokens: ReadonlyMap<string, TokenUser> | undefined): string | undefined {
  if (tokens === undefined) return undefined;
  for (const [token, user] of tokens) if (!user.groups.includes(READ_ONLY_GROUP)) return token;
  return tokens.keys().next().value;
}

export async function runApiserver(flags: ApiserverFlags, signal?: AbortSignal): Promise<void> {
  // Listen for the signals first: a SIGTERM during start-up still shuts down cleanly.
  const stopRequested = new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    signal?.addEventListener('abort', stop, { once: true });
  });
  if ((flags.tlsCertFile === undefined) !== (flags.tlsPrivateKeyFile === undefined)) throw new InvalidArgumentError('--tls-cert-file and --tls-private-key-file go together');
  const tokens = flags.tokenAuthFile === undefined ? undefined : parseTokenFile(await readFile(flags.tokenAuthFile, 'utf8'), flags.tokenAuthFile);
  const tls = flags.tlsCertFile === undefined ? undefined : { cert: await readFile(flags.tlsCertFile), key: await readFile(flags.tlsPrivateKeyFile!) };
  const storage = storageFromFlags(flags, await kvClientTlsFromFlags(flags));
  const server = await startApiserver({
    storage,
    port: flags.port,
    bindAddress: flags.bindAddress,
    ...(tokens !== undefined ? { tokens } : {}),
    ...(tls !== undefined ? { tls } : {}),
    bodyLimitBytes: flags.maxRequestBodyBytes,
    bookmarkIntervalMs: flags.bookmarkIntervalMs,
    ...(flags.identity !== undefined ? { identity: flags.identity } : {}),
  });
  process.stderr.write(`apiserver: serving on ${server.url} (storage: ${storage.kind})\n`);
  if (flags.writeKubeconfig !== undefined) {
    const token = kubeconfigToken(tokens);
    await writeKubeconfig(flags.writeKubeconfig, { server: server.url, ...(token !== undefined ? { token } : {}), ...(tls !== undefined ? { caPem: tls.cert } : {}) });
    process.stderr.write(`apiserver: wrote kubeconfig ${flags.writeKubeconfig}\n`);
  }
  await stopRequested;
  process.stderr.write('apiserver: shutting down\n');
  await server.close();
}

/** Adds `apiserver` to a commander program. */
export function registerApiserverCommand(program: Command): Command {
  return program
    .command('apiserver')
    .description('run a Kubernetes-shaped API server over the Halyard KV (or etcd)')
    .option('--port <port>', 'port to serve on (0 = any free port)', intArg('--port', 0, 65535), 6443)
    .option('--bind-address <address>', 'address to listen on', '127.0.0.1')
    .addOption(new Option('--storage <backend>', 'storage back end').choices(['halyard', 'etcd']).default('halyard'))
    .option('--kv-endpoints <urls>', 'Halyard KV member client URLs, comma-separated', listArg, ['http://127.0.0.1:2379'])
    .option('--etcd-servers <urls>', 'etcd client URLs, comma-separated (with --storage etcd)', listArg)
    .option('--token-auth-file <file>', "static bearer tokens in kube-apiserver's CSV format (token,user,uid[,\"groups\"]); enables authentication")
    .option('--tls-cert-file <file>', 'serve https with this certificate (PEM)')
    .option('--tls-private-key-file <file>', 'private key of --tls-cert-file (PEM)')
    .option('--kv-cacert <file>', 'CA (PEM) that signed the KV members\' certificates, for https:// --kv-endpoints')
    .option('--kv-cert <file>', 'client certificate (PEM) this apiserver presents to KV members that require one')
    .option('--kv-key <file>', 'key (PEM) of --kv-cert')
    .option('--write-kubeconfig <file>', 'write a kubeconfig for this server (server URL, token if any)')
    .option('--max-request-body-bytes <bytes>', 'largest request body accepted', intArg('--max-request-body-bytes', 1024, 64 * 1024 * 1024), REQUEST_BODY_BYTES_MAX_DEFAULT)
    .option('--bookmark-interval-ms <ms>', 'how often watches with allowWatchBookmarks get a BOOKMARK', intArg('--bookmark-interval-ms', 100, 3_600_000), BOOKMARK_INTERVAL_MS_DEFAULT)
    .option('--identity <name>', 'stable name of this replica for its identity lease (default host:port)')
    .action(async (opts: ApiserverFlags) => {
      await runApiserver(opts);
    });
}
