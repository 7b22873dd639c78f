// Each apiserver keeps a Lease in kube-system naming itself, renewed on a period, as kube-apiserver's
// APIServerIdentity does: `kubectl get leases -n kube-system -l apiserver.kubernetes.io/identity` shows
// which replicas are alive (a recent renewTime) and which stopped (a stale one; leases are not deleted on
// exit, since a crashed replica cannot delete its own either).
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { meta } from '../api/object.ts';
import { ApiError } from '../api/status.ts';
import { leases } from '../registry/builtin/leases.ts';
import type { ObjectStore } from '../registry/store.ts';

export const IDENTITY_LABEL = 'apiserver.kubernetes.io/identity';
export const IDENTITY_LABEL_VALUE = 'halyard-apiserver';
export const IDENTITY_NAMESPACE = 'kube-system';

/** metav1.MicroTime: RFC 3339 in UTC with six fractional digits. */
export function formatMicroTime(d: Date): string {
  return `${d.toISOString().slice(0, 23)}000Z`;
}

/** The lease name of an apiserver identity (stable across restarts of the same replica). */
export function identityLeaseName(identity: string): string {
  return `apiserver-${createHash('sha256').update(identity).digest('hex').slice(0, 16)}`;
}

export interface IdentityLeaseOptions {
  /** Stable name of this replica, e.g. host:port. */
  readonly identity: string;
  /** Unique per process start: the lease's holderIdentity. */
  readonly instanceId: string;
  readonly renewIntervalMs: number;
  readonly leaseDurationSeconds: number;
  readonly onError: (message: string) => void;
}

export class IdentityLease {
  readonly name: string;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: ObjectStore,
    private readonly options: IdentityLeaseOptions,
  ) {
    this.name = identityLeaseName(options.identity);
  }

  start(): void {
    const tick = (): void => {
      if (this.stopped) return;
      this.running = this.renew().catch((err: unknown) => this.options.onError(`identity lease ${this.name}: ${err instanceof Error ? err.message : String(err)}`));
      void this.running.then(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.options.renewIntervalMs);
      });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One create-or-renew; conflicts with a concurrent writer are retried on the next period. */
  async renew(): Promise<void> {
    const now = formatMicroTime(new Date());
    let current;
    try {
      current = await this.store.get(leases, IDENTITY_NAMESPACE, this.name);
    } catch (err) {
      if (!(err instanceof ApiError && err.reason === 'NotFound')) throw err;
    }
    const spec = { holderIdentity: this.options.instanceId, leaseDurationSeconds: this.options.leaseDurationSeconds, renewTime: now };
    const options = { dryRun: false, fieldValidation: 'Strict' as const };
    if (current === undefined) {
      await this.store.create(
        leases,
        IDENTITY_NAMESPACE,
        { metadata: { name: this.name, labels: { [IDENTITY_LABEL]: IDENTITY_LABEL_VALUE, 'kubernetes.io/hostname': hostname() } }, spec: { ...spec, acquireTime: now, leaseTransitions: 0 } },
        options,
      );
      return;
    }
    // Conditional on the version read: two processes claiming one identity cannot silently interleave.
    await this.store.patch(leases, IDENTITY_NAMESPACE, this.name, 'merge', { metadata: { resourceVersion: meta.resourceVersion(current) }, spec }, options);
  }
}
