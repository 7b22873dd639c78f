// A controller that must never act twice: it pays out each request under payouts/pending/ exactly once,
// recording the payment in payouts/paid/<id>. Run several replicas; one leads (LeaderElector over the KV
// lock), the others stand by. What makes "never twice" hold even across a paused or partitioned leader:
//   - it acts only while its leading signal is live and `lease.holds()` says so on its own clock;
//   - every write goes through the fence (lock.fencedTxn): once another replica has acquired, the store
//     refuses the old leader's writes, however late they arrive;
//   - each payment is also conditioned on the request still being pending and not yet paid, so a retry
//     after an unknown outcome, or the same request submitted twice, cannot pay twice even under one leader.
// External side effects get the fencing token (here: written into the record) so a downstream system can
// refuse stale leaders too.
import { bytesToString, compare, op, type KvClient } from '../../packages/election/src/kv/kv-client.ts';
import { isElectionError, type KvLeaseLock, type LeadingLease } from '../../packages/election/src/index.ts';

export const PENDING = 'payouts/pending/';
export const PAID = 'payouts/paid/';
/** Bound on requests handled per pass, so one pass never holds the leadership check for long. */
const BATCH_MAX = 100;

export interface ControllerDeps {
  readonly kv: KvClient;
  readonly lock: KvLeaseLock;
  readonly identity: string;
  /** Told about each payment made (for logs, metrics, tests). */
  readonly onPaid?: (id: string) => void;
  /** Told when the store refused a write because this replica was deposed. */
  readonly onDeposed?: (id: string) => void;
}

/**
 * The leader's work, for onStartedLeading: pay everything pending, then follow new requests through a
 * watch, until `signal` aborts. Resolves once it has stopped (so a release on cancel comes after it).
 */
export async function runController(deps: ControllerDeps, signal: AbortSignal, lease: LeadingLease): Promise<void> {
  const { kv } = deps;
  let revision = await payPending(deps, lease, signal);
  while (!signal.aborted && lease.holds()) {
    try {
      for await (const batch of kv.watch(PENDING, { prefix: true, startRevision: revision + 1, signal })) {
        if (!lease.holds()) return;
        if (batch.events.some((e) => e.type === 'put')) revision = await payPending(deps, lease, signal);
        else revision = batch.header.revision;
      }
    } catch (e) {
      if (signal.aborted || isElectionError(e, 'NotLeader') || isElectionError(e, 'Deposed')) return;
      // Anything else (a compaction, the cluster unreachable for too long): read everything again.
      revision = await payPending(deps, lease, signal).catch(() => revision);
    }
  }
}

/** Pays every pending request once; returns the revision it read at. */
async function payPending(deps: ControllerDeps, lease: LeadingLease, signal: AbortSignal): Promise<number> {
  const { kv, lock, identity } = deps;
  const pending = await kv.get(PENDING, { prefix: true, limit: BATCH_MAX, signal });
  for (const kvPair of pending.kvs) {
    if (signal.aborted || !lease.holds()) break;
    const id = bytesToString(kvPair.key).slice(PENDING.length);
    try {
      const r = await lock.fencedTxn(
        lease,
        {
          // Still pending as we read it; then pay it unless it was paid already (a duplicate request is
          // dropped, never paid twice).
          compare: [compare.modRevision(`${PENDING}${id}`, '=', kvPair.modRevision)],
          success: [
            op.txn({
              compare: [compare.createRevision(`${PAID}${id}`, '=', 0)],
              success: [op.put(`${PAID}${id}`, JSON.stringify({ amount: bytesToString(kvPair.value), by: identity, fencingToken: lease.fencingToken })), op.delete(`${PENDING}${id}`)],
              failure: [op.delete(`${PENDING}${id}`)],
            }),
          ],
        },
        { signal },
      );
      const paid = r.succeeded && r.responses[0]?.type === 'txn' && r.responses[0].succeeded;
      if (paid) deps.onPaid?.(id);
    } catch (e) {
      if (isElectionError(e, 'Deposed')) deps.onDeposed?.(id);
      if (isElectionError(e, 'Deposed') || isElectionError(e, 'NotLeader')) break;
      throw e;
    }
  }
  return pending.header.revision;
}
