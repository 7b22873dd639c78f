// coordination.k8s.io/v1 Lease objects as the apiserver sends and takes them, and their mapping to the
// lease record (client-go's LeaseSpecToLeaderElectionRecord / LeaderElectionRecordToLeaseSpec). Anything
// from the server is checked before use.
import { ElectionError } from '../errors.ts';
import { validateRecord, type LeaseRecord } from '../record.ts';

export const LEASE_API_VERSION = 'coordination.k8s.io/v1';

export interface LeaseObject {
  readonly apiVersion: string;
  readonly kind: 'Lease';
  readonly metadata: Readonly<Record<string, unknown>> & { readonly name: string; readonly namespace?: string; readonly resourceVersion?: string };
  readonly spec?: Readonly<Record<string, unknown>>;
}

/** A Lease from the server: its record and its resourceVersion. */
export interface ParsedLease {
  readonly object: LeaseObject;
  readonly record: LeaseRecord;
  readonly resourceVersion: string;
}

export function parseLease(value: unknown, where: string): ParsedLease {
  const bad = (why: string): never => {
    throw new ElectionError('InvalidRecord', `${where}: ${why}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad('not a JSON object');
  const o = value as Record<string, unknown>;
  if (o['kind'] !== 'Lease') bad(`kind is ${JSON.stringify(o['kind'])}, not Lease`);
  const metadata = o['metadata'];
  if (typeof metadata !== 'object' || metadata === null) return bad('no metadata');
  const m = metadata as Record<string, unknown>;
  if (typeof m['name'] !== 'string') bad('metadata.name is not a string');
  const rv = m['resourceVersion'];
  if (typeof rv !== 'string' || rv.length === 0) return bad('metadata.resourceVersion is missing');
  const spec = o['spec'] ?? {};
  return { object: value as LeaseObject, record: validateRecord(spec, `${where} spec`, true), resourceVersion: rv };
}

/**
 * The spec to write: the record's five fields over whatever else the existing spec holds (fields of
 * coordinated leader election that we must not drop).
 */
export function leaseSpec(record: LeaseRecord, existing: Readonly<Record<string, unknown>> = {}): Record<string, unknown> {
  const spec: Record<string, unknown> = { ...existing, holderIdentity: record.holderIdentity, leaseDurationSeconds: record.leaseDurationSeconds, leaseTransitions: record.leaseTransitions };
  if (record.acquireTime !== undefined) spec['acquireTime'] = record.acquireTime;
  else delete spec['acquireTime'];
  if (record.renewTime !== undefined) spec['renewTime'] = record.renewTime;
  else delete spec['renewTime'];
  return spec;
}

/**
 * A resourceVersion as a fencing token. Kubernetes calls it opaque, but both kube-apiserver (etcd's
 * revision) and Halyard's apiserver (the KV mod revision) use a decimal store revision, which is what makes
 * it strictly increasing.
 */
export function tokenOf(resourceVersion: string, where: string): number {
  const n = /^[1-9][0-9]{0,15}$/.test(resourceVersion) ? Number(resourceVersion) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new ElectionError('InvalidRecord', `${where}: resourceVersion ${JSON.stringify(resourceVersion)} is not a decimal revision, so it cannot be a fencing token`);
  return n;
}
