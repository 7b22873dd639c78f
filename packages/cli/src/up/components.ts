// The command line and readiness probe of each component: what the supervisor runs for a KV member, an
// apiserver and a controller replica of the plan.
import { join } from 'node:path';
import { KvClient } from '@halyard/kv-client';
import type { ControllerKind } from './plan.ts';
import { type ApiserverComponent, type ClusterPlan, type ComponentPlan, type ControllerComponent, initialCluster, type KvComponent, kvClientUrl, kvComponents, kvPeerUrl } from './plan.ts';
import { apiserverMain, CONTROLLER_MAIN, HALYARD_MAIN, nodeCommand } from './process/entrypoints.ts';
import { httpOk } from './process/probes.ts';
import type { ProcessDefinition } from './process/supervisor.ts';
import type { Security } from './security.ts';
import { API_TOKEN_ENV } from './controllers/token-env.ts';

/** Election timing of the controllers: Kubernetes' --leader-elect-* defaults unless overridden. */
export interface ElectionTiming {
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
}


export interface ComponentContext {
  readonly plan: ClusterPlan;
  readonly dataDir: string;
  readonly clusterToken: string;
  readonly tokenFile: string;
  readonly adminToken: string;
  /** Where the controllers reach the apiservers: the load balancer. */
  readonly apiserverUrl: string;
  readonly security: Security;
  readonly election: ElectionTiming;
  /** How often an active controller makes its fenced write. */
  readonly workIntervalMs: number;
  /** Raft tick of the members (the KV default is tuned for LAN; loopback on a loaded machine likes 100 ms). */
  readonly kvTickMs: number;
}


function kvMember(c: KvComponent, ctx: ComponentContext): ProcessDefinition {
  const scheme = ctx.security.kvScheme;
  const cmd = nodeCommand(HALYARD_MAIN, [
    'kv', 'member', 'run',
    '--name', c.id,
    '--data-dir', join(ctx.dataDir, 'kv', c.id),
    '--listen-peer-url', kvPeerUrl(c, scheme),
    '--listen-client-url', kvClientUrl(c, scheme),
    '--initial-cluster', initialCluster(ctx.plan, scheme),
    '--initial-cluster-state', 'new',
    '--initial-cluster-token', ctx.clusterToken,
    '--tick-ms', String(ctx.kvTickMs),
    '--exit-with-parent',
    ...ctx.security.kvMemberFlags(c.id),
  ], false);
  return {
    id: c.id,
    ...cmd,
    // Serving its client port is enough: a member alone cannot elect, and members start together.
    ready: async (signal) => {
      const tls = ctx.security.kvClientTls;
      const client = new KvClient({ endpoints: [kvClientUrl(c, scheme)], dialTimeoutMs: 1_000, ...(tls !== undefined ? { tls } : {}) });
      try {
        await client.status(kvClientUrl(c, scheme), { timeoutMs: 1_000, signal });
        return true;
      } finally {
        await client.close();
      }
    },
  };
}

function apiserver(c: ApiserverComponent, ctx: ComponentContext): ProcessDefinition {
  const endpoints = kvComponents(ctx.plan).map((k) => kvClientUrl(k, ctx.security.kvScheme));
  return {
    id: c.id,
    ...nodeCommand(apiserverMain(), [
      '--port', String(c.port),
      '--bind-address', '127.0.0.1',
      '--kv-endpoints', endpoints.join(','),
      '--token-auth-file', ctx.tokenFile,
      '--identity', c.id,
      ...ctx.security.apiserverFlags(c.id),
    ], true),
    // Live, not ready: an apiserver restarted while the KV store has no quorum serves (and fails /readyz,
    // which keeps the load balancer away from it) — the start itself must not wait for the quorum.
    ready: () => httpOk('127.0.0.1', c.port, '/livez', 2_000, ctx.security.apiserverScheme === 'https'),
  };
}

function controller(c: ControllerComponent, ctx: ComponentContext): ProcessDefinition {
  return {
    id: c.id,
    ...nodeCommand(CONTROLLER_MAIN, [
      '--controller', c.controller satisfies ControllerKind,
      '--identity', c.id,
      '--server', ctx.apiserverUrl,
      '--status-port', String(c.statusPort),
      '--lease-duration-ms', String(ctx.election.leaseDurationMs),
      '--renew-deadline-ms', String(ctx.election.renewDeadlineMs),
      '--retry-period-ms', String(ctx.election.retryPeriodMs),
      '--work-interval-ms', String(ctx.workIntervalMs),
      ...ctx.security.controllerFlags(c.id),
    ], true),
    env: { [API_TOKEN_ENV]: ctx.adminToken, ...ctx.security.controllerEnv() },
    ready: () => httpOk('127.0.0.1', c.statusPort, '/healthz'),
  };
}

export function processDefinition(c: ComponentPlan, ctx: ComponentContext): ProcessDefinition {
  switch (c.kind) {
    case 'kv':
      return kvMember(c, ctx);
    case 'apiserver':
      return apiserver(c, ctx);
    case 'controller':
      return controller(c, ctx);
    default: {
      const never: never = c;
      throw new Error(`unknown component ${JSON.stringify(never)}`);
    }
  }
}
