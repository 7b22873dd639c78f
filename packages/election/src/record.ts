// The lease record: exactly the fields of a coordination.k8s.io/v1 LeaseSpec that leader election uses
// (client-go's LeaderElectionRecord maps onto the same five). Both locks store this and nothing else, so a
// record written through the KV lock and one read from a Kubernetes Lease mean the same thing.
import { ElectionError } from './errors.ts';
import { isRfc3339 } from './micro-time.ts';

export interface LeaseRecord {
  /** Who holds the lease; '' = nobody (after a release, or never acquired). */
  readonly holderIdentity: string;
  /**
   * How long candidates wait, from when THEY observed the last change of the record, before they may take
   * over. Whole seconds, as in the Lease spec. 0 when absent (a Lease written by someone else).
   */
  readonly leaseDurationSeconds: number;
  /** When the current holder acquired the lease (RFC 3339, microseconds). For people; never compared. */
  readonly acquireTime?: string;
  /** When the current holder last renewed (RFC 3339, microseconds). For people; never compared. */
  readonly renewTime?: string;
  /** Number of changes of holder so far. */
  readonly leaseTransitions: number;
}

/** Bound on an identity (a pod name is at most 253; leave room for a suffix). */
export const IDENTITY_LENGTH_MAX = 256;
/** Bound on leaseDurationSeconds we accept from a record: a day; more is a mistake or garbage. */
export const LEASE_DURATION_SECONDS_MAX = 86_400;
/** leaseTransitions is an int32 in the Lease spec. */
const INT32_MAX = 2 ** 31 - 1;

const FIELDS: ReadonlySet<string> = new Set(['holderIdentity', 'leaseDurationSeconds', 'acquireTime', 'renewTime', 'leaseTransitions']);

/**
 * Checks a record from outside (a KV value, a Lease's spec): exactly the LeaseSpec fields, each of its type
 * and within its bounds. Absent fields take the Lease spec's zero values. Throws ElectionError('InvalidRecord').
 * `extraFieldsAllowed` is for a Lease spec, which has fields that leader election does not use.
 */
export function validateRecord(value: unknown, where: string, extraFieldsAllowed = false): LeaseRecord {
  const bad = (why: string): never => {
    throw new ElectionError('InvalidRecord', `${where}: ${why}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad('not an object');
  const o = value as Record<string, unknown>;
  if (!extraFieldsAllowed) {
    for (const k of Object.keys(o)) if (!FIELDS.has(k)) bad(`unknown field ${JSON.stringify(k)}`);
  }
  const holderIdentity = o['holderIdentity'] ?? '';
  if (typeof holderIdentity !== 'string' || holderIdentity.length > IDENTITY_LENGTH_MAX) bad(`holderIdentity must be a string of at most ${IDENTITY_LENGTH_MAX} characters`);
  const leaseDurationSeconds = o['leaseDurationSeconds'] ?? 0;
  if (!Number.isSafeInteger(leaseDurationSeconds) || (leaseDurationSeconds as number) < 0 || (leaseDurationSeconds as number) > LEASE_DURATION_SECONDS_MAX) {
    bad(`leaseDurationSeconds must be an integer in 0..${LEASE_DURATION_SECONDS_MAX}`);
  }
  const leaseTransitions = o['leaseTransitions'] ?? 0;
  if (!Number.isSafeInteger(leaseTransitions) || (leaseTransitions as number) < 0 || (leaseTransitions as number) > INT32_MAX) bad('leaseTransitions must be a non-negative int32');
  const time = (field: 'acquireTime' | 'renewTime'): string | undefined => {
    const t = o[field];
    if (t === undefined || t === null) return undefined;
    if (typeof t !== 'string' || !isRfc3339(t)) return bad(`${field} must be an RFC 3339 time`);
    return t;
  };
  const acquireTime = time('acquireTime');
  const renewTime = time('renewTime');
  return {
    holderIdentity: holderIdentity as string,
    leaseDurationSeconds: leaseDurationSeconds as number,
    ...(acquireTime !== undefined ? { acquireTime } : {}),
    ...(renewTime !== undefined ? { renewTime } : {}),
    leaseTransitions: leaseTransitions as number,
  };
}

/** Parses a record stored as JSON (the KV lock's value). */
export function parseRecordJson(text: string, where: string): LeaseRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ElectionError('InvalidRecord', `${where}: not JSON`);
  }
  return validateRecord(value, where);
}

/** The JSON the KV lock stores: the five fields in the Lease spec's order. */
export function recordJson(r: LeaseRecord): string {
  return JSON.stringify({
    holderIdentity: r.holderIdentity,
    leaseDurationSeconds: r.leaseDurationSeconds,
    acquireTime: r.acquireTime,
    renewTime: r.renewTime,
    leaseTransitions: r.leaseTransitions,
  });
}
