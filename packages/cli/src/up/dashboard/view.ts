// What the dashboard shows, as one JSON value pushed to the page on every change (and served at
// /api/state for `halyard chaos` and tests). Built by the sampler from the supervisor, the members'
// status, the apiservers' /readyz, the controllers' /status and a watch on the Lease objects.
import type { ProcessState } from '../process/supervisor.ts';
import type { ClusterShape, NodePlan, TopologyRisk } from '../plan.ts';

export interface KvMemberView {
  readonly id: string;
  readonly node: string;
  readonly endpoint: string;
  readonly process: ProcessState;
  readonly pid: number | null;
  /** 'leader' | 'follower' | 'learner' | 'candidate (no leader)' | 'down'. */
  readonly role: string;
  readonly term: number | null;
  readonly commitIndex: number | null;
  readonly appliedIndex: number | null;
  readonly revision: number | null;
  readonly healthy: boolean;
  readonly error: string | null;
}

export interface ApiserverView {
  readonly id: string;
  readonly node: string;
  readonly url: string;
  readonly process: ProcessState;
  readonly pid: number | null;
  /** Its /readyz answered 200 at the last probe. */
  readonly ready: boolean;
  readonly error: string | null;
}

export interface ControllerView {
  readonly id: string;
  readonly node: string;
  readonly controller: string;
  readonly process: ProcessState;
  readonly pid: number | null;
  /** The replica says it leads (its election's signal has not aborted). */
  readonly leading: boolean;
  readonly fencingToken: number | null;
  readonly fencedWrites: number;
  readonly staleWritesRefused: number;
}

export interface LeaseView {
  readonly namespace: string;
  readonly name: string;
  readonly holder: string;
  /** The component id that holds it, when the holder is one of ours. */
  readonly holderComponent: string | null;
  readonly renewTime: string | null;
  readonly acquireTime: string | null;
  readonly transitions: number;
  readonly leaseDurationSeconds: number | null;
  readonly resourceVersion: string;
}

export interface LeaderChange {
  readonly atMs: number;
  /** 'kv' or the lease's name. */
  readonly what: string;
  readonly from: string;
  readonly to: string;
}

export interface ThroughputPoint {
  readonly atMs: number;
  readonly writesPerSecond: number;
}

export interface ClusterView {
  readonly atMs: number;
  readonly dataDir: string;
  readonly shape: ClusterShape;
  readonly nodes: readonly NodePlan[];
  readonly risk: TopologyRisk;
  /** `pid` is HAProxy's when it runs as a process; null for the built-in balancer (inside `up`). */
  readonly loadBalancer: { readonly kind: string; readonly url: string; readonly pid: number | null };
  readonly kubeconfig: string;
  readonly kv: readonly KvMemberView[];
  readonly apiservers: readonly ApiserverView[];
  readonly controllers: readonly ControllerView[];
  readonly leases: readonly LeaseView[];
  /** Whether the Lease watch is connected (false while no apiserver answers). */
  readonly leaseWatch: boolean;
  readonly leaderChanges: readonly LeaderChange[];
  readonly throughput: readonly ThroughputPoint[];
  /** Recent actions and process exits, newest last. */
  readonly events: readonly { readonly atMs: number; readonly text: string }[];
}
