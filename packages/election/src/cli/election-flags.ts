// The flags `halyard elect` and `halyard lock` share, and the lock they choose: `--lock kv` (the record in
// the KV store, over --endpoints) or `--lock lease` (a coordination.k8s.io/v1 Lease on --server).
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
    .option('--namespace <ns>', 'namespace of the Lease (--lock lease)', 'default')
    .option('--grace-period <duration>', 'after SIGTERM, wait this long before SIGKILL of CMD', durationArg('--grace-period'), GRACE_PERIOD_MS_DEFAULT);
}

export function electionFlags(cmd: Command): ElectionFlags {
  const o = cmd.opts<{ identity?: string; leaseDuration: number; renewDeadline: number; retryPeriod: number; lock: 'kv' | 'lease'; endpoints: string; server?: string; namespace: string; gracePeriod: number }>();
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
  };
}

export interface OpenedLock {
  readonly lock: LeaseLock;
  /** What CMD needs to make fenced writes itself (the KV lock's fence key and endpoints). */
  readonly env: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

export function openLock(name: string, flags: ElectionFlags): OpenedLock {
  if (flags.lock === 'lease') {
    return { lock: new ApiserverLeaseLock({ server: flags.server ?? '', namespace: flags.namespace, name }), env: {}, close: () => Promise.resolve() };
  }
  // One call may take up to the renew deadline; the elector bounds it by that too.
  const kv = new KvClient({ endpoints: flags.endpoints, requestTimeoutMs: flags.renewDeadlineMs });
  let lock: KvLeaseLock;
  try {
    lock = new KvLeaseLock({ kv, name });
  } catch (e) {
    void kv.close();
    throw e;
  }
  return { lock, env: { HALYARD_FENCE_KEY: lock.keys.fence, HALYARD_ENDPOINTS: flags.endpoints.join(',') }, close: () => kv.close() };
}
