// A coordination.k8s.io/v1 Lease as the dashboard shows it, with the component that holds it.
import type { ClusterPlan } from '../plan.ts';
import type { KubeObject } from '../kube/kube-client.ts';
import type { LeaseView } from './view.ts';

export interface LeaseObject extends KubeObject {
  readonly spec?: {
    readonly holderIdentity?: string;
    readonly leaseDurationSeconds?: number;
    readonly acquireTime?: string;
    readonly renewTime?: string;
    readonly leaseTransitions?: number;
  };
}

/**
 * Our controllers use their component id as their identity (optionally followed by `_<suffix>`, as
 * kube-controller-manager appends a UUID to the host name), so the holder names the replica.
 */
export function holderComponent(holder: string, plan: ClusterPlan): string | null {
  if (holder === '') return null;
  const id = holder.split('_')[0]!;
  return plan.components.some((c) => c.id === id) ? id : null;
}

export function leaseView(l: LeaseObject, plan: ClusterPlan): LeaseView {
  const s = l.spec ?? {};
  const holder = typeof s.holderIdentity === 'string' ? s.holderIdentity : '';
  return {
    namespace: l.metadata.namespace ?? '',
    name: l.metadata.name,
    holder,
    holderComponent: holderComponent(holder, plan),
    renewTime: typeof s.renewTime === 'string' ? s.renewTime : null,
    acquireTime: typeof s.acquireTime === 'string' ? s.acquireTime : null,
    transitions: typeof s.leaseTransitions === 'number' ? s.leaseTransitions : 0,
    leaseDurationSeconds: typeof s.leaseDurationSeconds === 'number' ? s.leaseDurationSeconds : null,
    resourceVersion: l.metadata.resourceVersion ?? '',
  };
}
