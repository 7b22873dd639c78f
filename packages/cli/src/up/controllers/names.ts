// Names the controller replicas, the dashboard and chaos agree on.

/** Namespace of the controllers' Leases, fences and stale markers (kube-system, as for kube-controller-manager). */
export const CONTROLLER_NAMESPACE = 'kube-system';

/** The Lease a controller kind elects through (kube-controller-manager's is `kube-system/kube-controller-manager`). */
export function leaseName(controller: string): string {
  return `halyard-${controller}`;
}

/** The ConfigMap each active replica's fenced writes go to. */
export function fenceName(controller: string): string {
  return `halyard-${controller}-fence`;
}

/** Label on stale markers, so chaos lists them in one call; its value is the controller kind. */
export const STALE_LABEL = 'halyard.dev/stale-write';

export function staleMarkerName(controller: string, identity: string, token: number): string {
  return `halyard-${controller}-stale-${identity}-${token}`.toLowerCase().slice(0, 253);
}
