// Fenced writes (Kleppmann's fencing tokens, enforced by the store itself): the caller's txn is nested in
// an outer txn whose only compare is "the fence key's mod revision is still my token". Every acquisition
// and release rewrites the fence key, so once anyone else acquired (or we released) the compare fails and
// nothing of the caller's txn is applied — however late the write arrives.
import { ElectionError } from '../errors.ts';
import type { LeadingLease } from '../elector/leading-term.ts';
import { compare, op, type CallOptions, type TxnInput, type TxnResult } from './kv-client.ts';
import type { LeaseKv } from './kv-lease-lock.ts';

/** A leader's fenced write: refused locally once the term is over by our clock, and by the store once deposed. */
export async function fencedTxn(kv: LeaseKv, fenceKey: string, lease: LeadingLease, txn: TxnInput, options: CallOptions = {}): Promise<TxnResult> {
  // Do not even send it once our own clock says the term is over (the store would refuse it anyway once
  // someone else acquired; before that, this keeps us inside the margin the clock assumptions give).
  lease.assertHolds();
  return fencedTxnWithToken(kv, fenceKey, lease.fencingToken, txn, options, lease.identity);
}

/**
 * The store's half alone, for a process that only has the token — CMD of `halyard elect`, which gets
 * $HALYARD_FENCE_KEY and $HALYARD_FENCING_TOKEN. Throws ElectionError('Deposed') when refused; otherwise
 * returns the inner txn's result.
 */
export async function fencedTxnWithToken(kv: LeaseKv, fenceKey: string, fencingToken: number, txn: TxnInput, options: CallOptions = {}, who = 'this holder'): Promise<TxnResult> {
  const r = await kv.txn({ compare: [compare.modRevision(fenceKey, '=', fencingToken)], success: [op.txn(txn)], failure: [op.get(fenceKey)] }, options);
  if (!r.succeeded) {
    const now = r.responses[0]?.type === 'range' ? r.responses[0].kvs[0] : undefined;
    const holder = now === undefined ? 'nobody' : `token ${now.modRevision}`;
    throw new ElectionError('Deposed', `fenced write refused: fencing token ${fencingToken} of ${who} is no longer current (now ${holder})`);
  }
  const inner = r.responses[0];
  if (inner?.type !== 'txn') throw new ElectionError('Unavailable', 'fenced write: the store answered without the nested txn result');
  return { ...inner, header: r.header };
}
