// A lease client for the cluster fuzzer: grants a lease, attaches a key, keeps the lease alive at a third
// of its TTL and reads the key after each keep-alive, then revokes it and starts over. With the nemesis
// killing, pausing and partitioning members, leader changes land right after grants and keep-alives —
// the lessor bug class of issue 13. lease-check.ts judges what it records.
import { type KvClient, KvError } from '@halyard/kv-client';
import type { LeaseRecord } from './lease-check.ts';

export interface LeaseWorkloadOptions {
  readonly clientId: number;
  /** Longer than the members' checkpoint interval (5 s), so renewals follow checkpoints. */
  readonly ttlSeconds: number;
  /** Keep-alive rounds per lease before it is revoked and a new one granted. */
  readonly roundsPerLease: number;
  readonly signal: AbortSignal;
  /** Bound on leases granted by this client. */
  readonly leasesMax: number;
  readonly now: () => number;
  readonly record: (r: LeaseRecord) => void;
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = (): void => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

const isLeaseGone = (e: unknown): boolean => e instanceof KvError && e.code === 'LeaseNotFound';

/** One lease client's loop, until the signal or the bound. Failed calls (unknown outcome) record nothing. */
export async function runLeaseClient(client: KvClient, o: LeaseWorkloadOptions): Promise<void> {
  for (let n = 0; n < o.leasesMax && !o.signal.aborted; n++) {
    const key = `fuzz-lease/c${o.clientId}/${n}`;
    const grantSentMs = o.now();
    let leaseId: number;
    try {
      const g = await client.leaseGrant(o.ttlSeconds);
      leaseId = g.id;
      o.record({ kind: 'renewed', leaseId, sentMs: grantSentMs, ackMs: o.now(), ttlSeconds: g.ttlSeconds });
      await client.put(key, `c${o.clientId}-${n}`, { lease: leaseId });
    } catch {
      continue;
    }
    for (let round = 0; round < o.roundsPerLease && !o.signal.aborted; round++) {
      await wait((o.ttlSeconds * 1000) / 3, o.signal);
      if (o.signal.aborted) break;
      const sentMs = o.now();
      try {
        const k = await client.leaseKeepAliveOnce(leaseId);
        o.record({ kind: 'renewed', leaseId, sentMs, ackMs: o.now(), ttlSeconds: k.ttlSeconds });
      } catch (e) {
        if (isLeaseGone(e)) {
          o.record({ kind: 'observed', leaseId, sentMs, ackMs: o.now(), alive: false, what: 'a keep-alive' });
          break;
        }
        continue;
      }
      const readSentMs = o.now();
      try {
        const r = await client.get(key);
        o.record({ kind: 'observed', leaseId, sentMs: readSentMs, ackMs: o.now(), alive: r.kvs.length > 0, what: `a read of ${key}` });
      } catch {
        // Unknown: the read failed.
      }
    }
    o.record({ kind: 'revoked', leaseId, sentMs: o.now() });
    await client.leaseRevoke(leaseId).catch(() => undefined);
  }
}
