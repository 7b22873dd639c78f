// The shape of a local control plane and where each component runs: pure functions from the flags (and
// the ports already chosen) to a plan that the supervisor, the load balancer, the dashboard and chaos all
// read. Stacked and external are kubeadm's two HA topologies (kubeadm docs, "Options for Highly Available
// Topology"): stacked puts one KV member on each control-plane node, external gives the KV members nodes of
// their own.
import { UpError } from './errors.ts';

export type Topology = 'stacked' | 'external';
export const TOPOLOGIES: readonly Topology[] = ['stacked', 'external'];

/** The two example controllers, active/standby like kube-controller-manager and kube-scheduler. */
export const CONTROLLER_KINDS = ['controller-manager', 'scheduler'] as const;
export type ControllerKind = (typeof CONTROLLER_KINDS)[number];

/** KV cluster sizes offered: 3 and 5 tolerate 1 and 2 failures; 1 (no tolerance) is for quick trials. */
export const KV_MEMBER_COUNTS: readonly number[] = [1, 3, 5];
export const APISERVERS_MAX = 9;
export const CONTROLLER_REPLICAS_MAX = 5;

export interface ClusterShape {
  readonly topology: Topology;
  readonly kvMembers: number;
  readonly apiservers: number;
  /** Replicas of each controller kind (one active, the rest standby); 0 runs no controllers. */
  readonly controllerReplicas: number;
}

export interface KvComponent {
  readonly kind: 'kv';
  readonly id: string;
  readonly node: string;
  readonly clientPort: number;
  readonly peerPort: number;
}

export interface ApiserverComponent {
  readonly kind: 'apiserver';
  readonly id: string;
  readonly node: string;
  readonly port: number;
}

export interface ControllerComponent {
  readonly kind: 'controller';
  readonly id: string;
  readonly node: string;
  readonly controller: ControllerKind;
  /** Serves the replica's own view (leading or not, fenced writes) for the dashboard and chaos. */
  readonly statusPort: number;
}

export type ComponentPlan = KvComponent | ApiserverComponent | ControllerComponent;

export interface NodePlan {
  readonly name: string;
  /** A control-plane node runs apiserver and controllers (and, stacked, a KV member); a kv node only a member. */
  readonly role: 'control-plane' | 'kv';
  /** Ids of the components on this node: killing the node kills all of them. */
  readonly components: readonly string[];
}

export interface ClusterPlan {
  readonly shape: ClusterShape;
  readonly nodes: readonly NodePlan[];
  readonly components: readonly ComponentPlan[];
}

/** Throws UpError('InvalidOptions') naming the first rule the shape breaks. */
export function validateShape(shape: ClusterShape): ClusterShape {
  const bad = (why: string): never => {
    throw new UpError('InvalidOptions', why);
  };
  if (!TOPOLOGIES.includes(shape.topology)) bad(`--topology must be stacked or external, got ${String(shape.topology)}`);
  if (!KV_MEMBER_COUNTS.includes(shape.kvMembers)) bad(`--kv must be 3 or 5 (or 1 for a trial without fault tolerance), got ${shape.kvMembers}`);
  if (!Number.isSafeInteger(shape.apiservers) || shape.apiservers < 1 || shape.apiservers > APISERVERS_MAX) bad(`--apiservers must be 1..${APISERVERS_MAX}, got ${shape.apiservers}`);
  if (!Number.isSafeInteger(shape.controllerReplicas) || shape.controllerReplicas < 0 || shape.controllerReplicas > CONTROLLER_REPLICAS_MAX) {
    bad(`--controller-replicas must be 0..${CONTROLLER_REPLICAS_MAX}, got ${shape.controllerReplicas}`);
  }
  // Stacked: every control-plane node carries a KV member, so there are as many nodes as members and no
  // node can hold a second apiserver or controller replica of the same kind.
  if (shape.topology === 'stacked' && shape.apiservers > shape.kvMembers) bad(`stacked: --apiservers (${shape.apiservers}) cannot exceed the nodes, one per KV member (${shape.kvMembers}); use --topology external`);
  if (shape.topology === 'stacked' && shape.controllerReplicas > shape.kvMembers) bad(`stacked: --controller-replicas (${shape.controllerReplicas}) cannot exceed the nodes (${shape.kvMembers})`);
  return shape;
}

/** How many ports the components of a shape need (the load balancer and dashboard are not components). */
export function portsNeeded(shape: ClusterShape): number {
  return shape.kvMembers * 2 + shape.apiservers + shape.controllerReplicas * CONTROLLER_KINDS.length;
}

/** Places the components of `shape` on nodes; `ports` (length portsNeeded) are handed out in a fixed order. */
export function planCluster(shape: ClusterShape, ports: readonly number[]): ClusterPlan {
  validateShape(shape);
  if (ports.length !== portsNeeded(shape)) throw new UpError('InvalidState', `the plan needs ${portsNeeded(shape)} ports, got ${ports.length}`);
  let next = 0;
  const port = (): number => ports[next++]!;
  const controlPlaneNodes = shape.topology === 'stacked' ? shape.kvMembers : Math.max(shape.apiservers, shape.controllerReplicas);
  const cpNode = (i: number): string => `node-${i}`;
  const kvNode = (i: number): string => (shape.topology === 'stacked' ? cpNode(i) : `kv-node-${i}`);

  const components: ComponentPlan[] = [];
  for (let i = 1; i <= shape.kvMembers; i++) components.push({ kind: 'kv', id: `kv-${i}`, node: kvNode(i), clientPort: port(), peerPort: port() });
  for (let i = 1; i <= shape.apiservers; i++) components.push({ kind: 'apiserver', id: `apiserver-${i}`, node: cpNode(i), port: port() });
  for (const controller of CONTROLLER_KINDS) {
    for (let i = 1; i <= shape.controllerReplicas; i++) components.push({ kind: 'controller', id: `${controller}-${i}`, node: cpNode(i), controller, statusPort: port() });
  }

  const nodes: NodePlan[] = [];
  for (let i = 1; i <= controlPlaneNodes; i++) {
    nodes.push({ name: cpNode(i), role: 'control-plane', components: components.filter((c) => c.node === cpNode(i)).map((c) => c.id) });
  }
  if (shape.topology === 'external') {
    for (let i = 1; i <= shape.kvMembers; i++) nodes.push({ name: kvNode(i), role: 'kv', components: [`kv-${i}`] });
  }
  return { shape, nodes, components };
}

export function kvComponents(plan: ClusterPlan): KvComponent[] {
  return plan.components.filter((c): c is KvComponent => c.kind === 'kv');
}

export function apiserverComponents(plan: ClusterPlan): ApiserverComponent[] {
  return plan.components.filter((c): c is ApiserverComponent => c.kind === 'apiserver');
}

export function controllerComponents(plan: ClusterPlan): ControllerComponent[] {
  return plan.components.filter((c): c is ControllerComponent => c.kind === 'controller');
}

export function findComponent(plan: ClusterPlan, id: string): ComponentPlan {
  const c = plan.components.find((x) => x.id === id);
  if (c === undefined) throw new UpError('UnknownComponent', `no component ${id} (there are ${plan.components.map((x) => x.id).join(', ')})`);
  return c;
}

export function findNode(plan: ClusterPlan, name: string): NodePlan {
  const n = plan.nodes.find((x) => x.name === name);
  if (n === undefined) throw new UpError('UnknownComponent', `no node ${name} (there are ${plan.nodes.map((x) => x.name).join(', ')})`);
  return n;
}

/** The KV client URL of a member, and the `--initial-cluster` list (name=peerURL,…) of the whole cluster. */
export function kvClientUrl(c: KvComponent, scheme: 'http' | 'https' = 'http'): string {
  return `${scheme}://127.0.0.1:${c.clientPort}`;
}

export function kvPeerUrl(c: KvComponent, scheme: 'http' | 'https' = 'http'): string {
  return `${scheme}://127.0.0.1:${c.peerPort}`;
}

export function initialCluster(plan: ClusterPlan, scheme: 'http' | 'https' = 'http'): string {
  return kvComponents(plan)
    .map((c) => `${c.id}=${kvPeerUrl(c, scheme)}`)
    .join(',');
}

/**
 * What losing one server costs, for the docs and the dashboard: the servers used, how many may fail before
 * the KV store loses quorum, and what one node failure takes away.
 */
export interface TopologyRisk {
  readonly servers: number;
  readonly kvFailuresTolerated: number;
  readonly onNodeFailure: string;
}

export function topologyRisk(plan: ClusterPlan): TopologyRisk {
  const kvFailuresTolerated = Math.floor((plan.shape.kvMembers - 1) / 2);
  const onNodeFailure =
    plan.shape.topology === 'stacked'
      ? 'a node failure takes a KV member and the apiserver and controller replicas beside it at once'
      : 'a control-plane node failure leaves the KV store whole; a KV node failure costs one member only';
  return { servers: plan.nodes.length, kvFailuresTolerated, onNodeFailure };
}
