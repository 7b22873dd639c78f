// Leader changes as a stream, driven by the lock's change notifications (a KV watch, a Lease watch), never
// by polling: for dashboards, for services that route to the leader, for `halyard elect` without campaigning.
import { ElectionError } from './errors.ts';
import type { LeaseLock } from './lock.ts';
import type { LeaseRecord } from './record.ts';

export interface LeaderChange {
  /** The holder; '' when nobody holds the lease (released, or no record). */
  readonly holderIdentity: string;
  /** The holder's fencing token when the lock can tell (the KV lock can; a Lease cannot). */
  readonly fencingToken?: number;
  /** The record, when there is one. */
  readonly record?: LeaseRecord;
}

/**
 * Yields the current leader, then every change of holder (or of fencing token: the same identity
 * acquiring again, e.g. after a restart). Renewals are not changes. Ends when `signal` aborts; throws
 * ElectionError('Unsupported') for a lock without watch, and whatever ends the lock's watch otherwise.
 */
export async function* observeLeader(lock: LeaseLock, signal: AbortSignal): AsyncGenerator<LeaderChange, void, undefined> {
  if (lock.watch === undefined) throw new ElectionError('Unsupported', `${lock.description} has no watch to observe leaders with`);
  let last: { readonly holder: string; readonly token: number | undefined } | undefined;
  for await (const o of lock.watch({ signal })) {
    const holder = o?.record.holderIdentity ?? '';
    const token = holder === '' ? undefined : o?.fencingToken;
    if (last !== undefined && last.holder === holder && last.token === token) continue;
    last = { holder, token };
    yield { holderIdentity: holder, ...(token !== undefined ? { fencingToken: token } : {}), ...(o !== undefined ? { record: o.record } : {}) };
  }
}
