// What makes `halyard up` on the same folder resume the same cluster: the shape, the ports, the cluster
// token and the admin token, written once at the first start (`<data>/up.json`) and read back, validated,
// on every later one. The KV members find their own data beside it; they ignore their bootstrap flags once
// their data exists (as etcd does with --initial-cluster), so the same command line restarts them.
import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UpError, errorMessage } from './errors.ts';
import { type ClusterShape, portsNeeded, TOPOLOGIES, type Topology, validateShape } from './plan.ts';

export const STATE_FILE = 'up.json';
export const STATE_FORMAT = 'halyard-up/v1';

export interface UpState {
  readonly format: typeof STATE_FORMAT;
  readonly shape: ClusterShape;
  /** Ports of the components, in planCluster's order. */
  readonly componentPorts: readonly number[];
  readonly loadBalancerPort: number;
  readonly dashboardPort: number;
  /** The KV cluster's --initial-cluster-token (its cluster id derives from it). */
  readonly clusterToken: string;
  /** Bearer token of the admin user in the apiservers' token file and the kubeconfig. */
  readonly adminToken: string;
  readonly createdAt: string;
}

export function statePath(dataDir: string): string {
  return join(dataDir, STATE_FILE);
}

/** A fresh state for a new cluster. */
export function newState(shape: ClusterShape, componentPorts: readonly number[], loadBalancerPort: number, dashboardPort: number): UpState {
  validateShape(shape);
  if (componentPorts.length !== portsNeeded(shape)) throw new UpError('InvalidState', `expected ${portsNeeded(shape)} ports, got ${componentPorts.length}`);
  return {
    format: STATE_FORMAT,
    shape,
    componentPorts,
    loadBalancerPort,
    dashboardPort,
    clusterToken: `halyard-up-${randomBytes(6).toString('hex')}`,
    adminToken: randomBytes(24).toString('base64url'),
    createdAt: new Date().toISOString(),
  };
}

/** The state in `dataDir`, or undefined when there is none; UpError('InvalidState') when it is not ours. */
export async function readState(dataDir: string): Promise<UpState | undefined> {
  let text: string;
  try {
    text = await readFile(statePath(dataDir), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UpError('InvalidState', `cannot read ${statePath(dataDir)}: ${errorMessage(e)}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new UpError('InvalidState', `${statePath(dataDir)} is not JSON: ${errorMessage(e)}`);
  }
  return parseState(raw, statePath(dataDir));
}

/** Written to a temporary name and renamed, so a crash never leaves half a file. */
export async function writeState(dataDir: string, state: UpState): Promise<void> {
  const tmp = `${statePath(dataDir)}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, statePath(dataDir));
}

function isPort(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 && v <= 65_535;
}

/** Validates a parsed state file field by field. */
export function parseState(raw: unknown, where: string): UpState {
  const bad = (why: string): never => {
    throw new UpError('InvalidState', `${where}: ${why}`);
  };
  if (typeof raw !== 'object' || raw === null) return bad('not an object');
  const o = raw as Record<string, unknown>;
  if (o.format !== STATE_FORMAT) bad(`format must be ${STATE_FORMAT}, got ${String(o.format)}`);
  const s = o.shape as Record<string, unknown> | undefined;
  if (typeof s !== 'object' || s === null) return bad('shape missing');
  if (!TOPOLOGIES.includes(s.topology as Topology)) bad('shape.topology invalid');
  for (const k of ['kvMembers', 'apiservers', 'controllerReplicas'] as const) if (typeof s[k] !== 'number') bad(`shape.${k} must be a number`);
  let shape: ClusterShape;
  try {
    shape = validateShape({ topology: s.topology as Topology, kvMembers: s.kvMembers as number, apiservers: s.apiservers as number, controllerReplicas: s.controllerReplicas as number });
  } catch (e) {
    return bad(errorMessage(e));
  }
  const ports = o.componentPorts;
  if (!Array.isArray(ports) || ports.length !== portsNeeded(shape) || !ports.every(isPort)) bad(`componentPorts must be ${portsNeeded(shape)} port numbers`);
  if (!isPort(o.loadBalancerPort)) bad('loadBalancerPort invalid');
  if (!isPort(o.dashboardPort)) bad('dashboardPort invalid');
  for (const k of ['clusterToken', 'adminToken', 'createdAt'] as const) if (typeof o[k] !== 'string' || (o[k] as string).length === 0) bad(`${k} must be a non-empty string`);
  if (!/^[A-Za-z0-9_-]+$/.test(o.adminToken as string)) bad('adminToken has characters a token file cannot hold');
  return {
    format: STATE_FORMAT,
    shape,
    componentPorts: ports as number[],
    loadBalancerPort: o.loadBalancerPort as number,
    dashboardPort: o.dashboardPort as number,
    clusterToken: o.clusterToken as string,
    adminToken: o.adminToken as string,
    createdAt: o.createdAt as string,
  };
}

/**
 * Checks flags given explicitly on the command line against a resumed cluster: a different shape would
 * need membership changes `up` does not make, so it is refused rather than silently ignored.
 */
export function checkResume(state: UpState, explicit: Partial<ClusterShape>): void {
  for (const [k, v] of Object.entries(explicit) as [keyof ClusterShape, ClusterShape[keyof ClusterShape]][]) {
    if (v !== undefined && state.shape[k] !== v) {
      throw new UpError('StateMismatch', `the cluster in this folder has ${k} ${String(state.shape[k])}, not ${String(v)}: use another --data folder, or drop the flag to resume it`);
    }
  }
}
