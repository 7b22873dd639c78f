// The flags `halyard elect` and `halyard lock` share, and the lock they choose: `--lock kv` (the record in
// the KV store, over --endpoints) or `--lock lease` (a coordination.k8s.io/v1 Lease on --server).
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { type Command, Option } from 'commander';
import { ApiserverLeaseLock } from '../apiserver/apiserver-lease-lock.ts';
import { ElectionError } from '../errors.ts';
import { LEASE_DURATION_MS_DEFAULT, RENEW_DEADLINE_MS_DEFAULT, RETRY_PERIOD_MS_DEFAULT } from '../elector/options.ts';
import { KvClient } from '../kv/kv-client.ts';
import { KvLeaseLock } from '../kv/kv-lease-lock.ts';
import type { LeaseLock } from '../lock.ts';
import { durationArg } from './durations.ts';

export const ENDPOINTS_DEFAULT = 'http://127.0.0.1:2379';
/** kubelet's default termination grace period is 30 s; a CLI wrapper wants a shorter one. */
export const GRACE_PERIOD_MS_DEFAULT = 5_000;

export interface ElectionFlags {
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  readonly lock: 'kv' | 'lease';
  readonly endpoints: readonly string[];
  readonly server?: string;
  readonly namespace: string;
  readonly gracePeriodMs: number;
  /** PEM files for https:// KV members (mutual TLS, as `halyard kv cluster up` and `up` run them). */
  readonly tls?: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string };
  /** Bearer token for the apiserver (--lock lease). */
  readonly token?: string;
}

export function addElectionFlags(cmd: Command): Command {
  return cmd
    .option('--identity <id>', 'this candidate’s identity (default: hostname-pid)')
    .option('--lease-duration <duration>', 'how long candidates wait after the last observed renewal', durationArg('--lease-duration'), LEASE_DURATION_MS_DEFAULT)
    .option('--renew-deadline <duration>', 'the leader steps down when it could not renew for this long', durationArg('--renew-deadline'), RENEW_DEADLINE_MS_DEFAULT)
    .option('--retry-period <duration>', 'period of acquire attempts and renewals', durationArg('--retry-period'), RETRY_PERIOD_MS_DEFAULT)
    .addOption(new Option('--lock <kind>', 'where the lease lives: kv (the KV store) or lease (a Lease on the apiserver)').choices(['kv', 'lease']).default('kv'))
    .addOption(new Option('--endpoints <urls>', 'KV member client URLs, comma-separated (--lock kv)').env('HALYARD_ENDPOINTS').default(ENDPOINTS_DEFAULT))
    .addOption(new Option('--server <url>', 'apiserver URL (--lock lease)').env('HALYARD_SERVER'))
    .addOption(new Option('--cacert <file>', 'CA bundle (PEM) to verify https:// KV members (--lock kv)').env('HALYARD_CACERT'))
    .addOption(new Option('--cert <file>', 'client certificate (PEM) for KV members that require one (--lock kv)').env('HALYARD_CERT'))
    .addOption(new Option('--key <file>', 'key (PEM) of --cert (--lock kv)').env('HALYARD_KEY'))
    .addOption(new Option('--token <token>', 'bearer token for the apiserver (--lock lease); an https apiserver with a private CA also needs NODE_EXTRA_CA_CERTS').env('HALYARD_TOKEN'))
    .option('--namespace <ns>', 'namespace of the Lease (--lock lease)', 'default')
    .option('--grace-period <duration>', 'after SIGTERM, wait this long before SIGKILL of CMD', durationArg('--grace-period'), GRACE_PERIOD_MS_DEFAULT);
}

export function electionFlags(cmd: Command): ElectionFlags {
  const o = cmd.opts<{ identity?: string; leaseDuration: number; renewDeadline: number; retryPeriod: number; lock: 'kv' | 'lease'; endpoints: string; server?: string; namespace: string; gracePeriod: number; cacert?: string; cert?: string; key?: string; token?: string }>();
  if ((o.cert === undefined) !== (o.key === undefined)) throw new ElectionError('InvalidConfig', '--cert and --key go together');
  const endpoints = o.endpoints
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e.length > 0);
  if (o.lock === 'kv' && endpoints.length === 0) throw new ElectionError('InvalidConfig', '--endpoints needs at least one URL');
  if (o.lock === 'lease' && o.server === undefined) throw new ElectionError('InvalidConfig', '--lock lease needs --server (or $HALYARD_SERVER)');
  return {
    identity: o.identity ?? `${hostname()}-${process.pid}`,
    leaseDurationMs: o.leaseDuration,
    renewDeadlineMs: o.renewDeadline,
    retryPeriodMs: o.retryPeriod,
    lock: o.lock,
    endpoints,
    ...(o.server !== undefined ? { server: o.server } : {}),
    namespace: o.namespace,
    gracePeriodMs: o.gracePeriod,
    ...(o.cacert !== undefined || o.cert !== undefined ? { tls: { ...(o.cacert !== undefined ? { caFile: o.cacert } : {}), ...(o.cert !== undefined ? { certFile: o.cert } : {}), ...(o.key !== undefined ? { keyFile: o.key } : {}) } } : {}),
    ...(o.token !== undefined ? { token: o.token } : {}),
  };
}

function readPem(flag: string, file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new ElectionError('InvalidConfig', `${flag} ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export interface OpenedLock {
  readonly lock: LeaseLock;
  /** What CMD needs to make fenced writes itself (the KV lock's fence key and endpoints). */
  readonly env: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

export function openLock(name: string, flags: ElectionFlags): OpenedLock {
  if (flags.lock === 'lease') {
    return { lock: new ApiserverLeaseLock({ server: flags.server ?? '', namespace: flags.namespace, name, ...(flags.token !== undefined ? { bearerToken: flags.token } : {}) }), env: {}, close: () => Promise.resolve() };
  }
  // One call may take up to the renew deadline; the elector bounds it by that too.
  const ca = readPem('--cacert', flags.tls?.caFile);
  const cert = readPem('--cert', flags.tls?.certFile);
  const key = readPem('--key', flags.tls?.keyFile);
  const tls = ca !== undefined || cert !== undefined ? { ...(ca !== undefined ? { ca } : {}), ...(cert !== undefined ? { cert } : {}), ...(key !== undefined ? { key } : {}) } : undefined;
  const kv = new KvClient({ endpoints: flags.endpoints, requestTimeoutMs: flags.renewDeadlineMs, ...(tls !== undefined ? { tls } : {}) });
  let lock: KvLeaseLock;
  try {
    lock = new KvLeaseLock({ kv, name });
  } catch (e) {
    void kv.close();
    throw e;
  }
  return { lock, env: { HALYARD_FENCE_KEY: lock.keys.fence, HALYARD_ENDPOINTS: flags.endpoints.join(',') }, close: () => kv.close() };
}
