// `halyard up`: the whole local HA control plane. Reads or creates the cluster's state in the data folder,
// starts the KV members, the apiservers, the load balancer and the controller replicas as supervised
// processes, writes the kubeconfig, serves the dashboard, and stops everything in reverse order when
// `signal` aborts (Ctrl-C, SIGTERM).
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { KvClient } from '@halyard/kv-client';
import { type ComponentContext, type ElectionTiming, processDefinition } from './components.ts';
import { Control } from './control.ts';
import { DashboardServer } from './dashboard/server.ts';
import { Sampler } from './dashboard/sampler.ts';
import { UpError } from './errors.ts';
import { kubectlHint, writeAccessFiles } from './kubeconfig.ts';
import { KubeClient } from './kube/kube-client.ts';
import { type LoadBalancer, type LoadBalancerChoice, startLoadBalancer } from './lb/index.ts';
import { apiserverComponents, CONTROLLER_KINDS, type ClusterPlan, type ClusterShape, controllerComponents, kvClientUrl, kvComponents, planCluster, portsNeeded, validateShape } from './plan.ts';
import { assertPortsFree, pickFreePorts } from './ports.ts';
import { httpOk } from './process/probes.ts';
import { Supervisor } from './process/supervisor.ts';
import { apiserverTls, clusterTls, PLAINTEXT, type Security } from './security.ts';
import { ENV_FILE_NAME, kvCommandHint, writeKvEnvFile } from '../cluster/env-file.ts';
import { checkResume, newState, readState, type UpState, writeState } from './state-file.ts';

export interface UpOptions {
  readonly dataDir: string;
  /** The shape of a new cluster; on resume, only the fields given explicitly are checked against it. */
  readonly shape: ClusterShape;
  readonly explicitShape: Partial<ClusterShape>;
  /** 0 = any free port (kept in the state file). */
  readonly loadBalancerPort: number;
  readonly dashboardPort: number;
  readonly loadBalancer: LoadBalancerChoice;
  readonly election: ElectionTiming;
  readonly workIntervalMs: number;
  readonly kvTickMs: number;
  readonly readyTimeoutMs: number;
  /** KV members in plain text (the apiservers still serve HTTPS), with a warning. */
  readonly insecure?: boolean;
  readonly out: (line: string) => void;
}

/** The running cluster, for tests and the CLI. */
export interface RunningUp {
  readonly plan: ClusterPlan;
  readonly state: UpState;
  readonly supervisor: Supervisor;
  readonly loadBalancer: LoadBalancer;
  readonly dashboardUrl: string;
  readonly apiserverUrl: string;
  readonly kubeconfig: string;
  stop(): Promise<void>;
}

async function loadOrCreateState(o: UpOptions): Promise<{ state: UpState; resumed: boolean }> {
  const existing = await readState(o.dataDir);
  if (existing !== undefined) {
    checkResume(existing, o.explicitShape);
    return { state: existing, resumed: true };
  }
  const shape = validateShape(o.shape);
  const wanted = [o.loadBalancerPort, o.dashboardPort].filter((p) => p === 0).length;
  const ports = await pickFreePorts(portsNeeded(shape) + wanted);
  const lb = o.loadBalancerPort === 0 ? ports.pop()! : o.loadBalancerPort;
  const dash = o.dashboardPort === 0 ? ports.pop()! : o.dashboardPort;
  const state = newState(shape, ports, lb, dash);
  return { state, resumed: false };
}

function portsOf(plan: ClusterPlan, state: UpState): Map<string, number> {
  const m = new Map<string, number>([['load balancer', state.loadBalancerPort], ['dashboard', state.dashboardPort]]);
  for (const c of plan.components) {
    if (c.kind === 'kv') {
      m.set(`${c.id} client`, c.clientPort);
      m.set(`${c.id} peer`, c.peerPort);
    } else m.set(c.id, c.kind === 'apiserver' ? c.port : c.statusPort);
  }
  return m;
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!signal.aborted) {
    if (await check()) return;
    if (performance.now() > deadline) throw new UpError('NotReady', `${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * After an `up` that was killed, its components take up to a second or two to notice and stop (and a
 * member's shutdown a little more): wait that long for the ports before calling them taken.
 */
export const PORTS_RELEASE_WAIT_MS = 15_000;

async function portsFreeSoon(ports: ReadonlyMap<string, number>): Promise<void> {
  const deadline = performance.now() + PORTS_RELEASE_WAIT_MS;
  for (;;) {
    try {
      return await assertPortsFree(ports);
    } catch (e) {
      if (performance.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Starts everything; resolves once the cluster serves (or rejects, having stopped what it started). */
export async function startUp(o: UpOptions, signal: AbortSignal, tls = true): Promise<RunningUp> {
  const dataDir = resolve(o.dataDir);
  await mkdir(dataDir, { recursive: true });
  const { state, resumed } = await loadOrCreateState({ ...o, dataDir });
  const plan = planCluster(state.shape, state.componentPorts);
  await portsFreeSoon(portsOf(plan, state));
  await writeState(dataDir, state);
  const pkiDir = resolve(dataDir, 'pki');
  const kvTls = tls && o.insecure !== true;
  if (kvTls && existsSync(resolve(dataDir, 'kv')) && !existsSync(resolve(pkiDir, 'kv', 'ca.crt'))) {
    // Its members' stored membership has http:// peer URLs (and ids derived from them).
    throw new Error(`${dataDir} holds a control plane whose KV store was created without TLS; start it with --insecure, or use a new --data folder`);
  }
  const apiserverIds = apiserverComponents(plan).map((c) => c.id);
  const security: Security = !tls ? PLAINTEXT : kvTls ? await clusterTls(pkiDir, apiserverIds, kvComponents(plan).map((c) => c.id)) : await apiserverTls(pkiDir, apiserverIds);
  o.out(`${resumed ? 'resuming' : 'creating'} ${state.shape.topology === 'external' ? 'an' : 'a'} ${state.shape.topology} control plane in ${dataDir}: ${state.shape.kvMembers} KV members, ${state.shape.apiservers} apiservers, ${state.shape.controllerReplicas} replicas each of ${CONTROLLER_KINDS.length} controllers`);
  o.out(
    security.mode === 'plaintext'
      ? 'security: plain HTTP on 127.0.0.1 (kubectl will not send its token over plain HTTP)'
      : security.mode === 'apiserver-tls'
        ? `warning: --insecure: the KV store is plain text on 127.0.0.1 (anything that reaches its ports can read the data and join it); apiservers serve HTTPS (CA ${resolve(pkiDir, 'ca.crt')})`
        : `security: apiservers serve HTTPS (CA ${resolve(pkiDir, 'ca.crt')}); KV members use mutual TLS on every port (CA ${resolve(pkiDir, 'kv', 'ca.crt')})`,
  );
  const kvEndpoints = kvComponents(plan).map((c) => kvClientUrl(c, security.kvScheme));
  const kvAdmin = security.kvAdminFiles;
  const kvEnv = { endpoints: kvEndpoints, ...(kvAdmin !== undefined ? { cacert: kvAdmin.caFile, cert: kvAdmin.certFile, key: kvAdmin.keyFile } : {}) };
  writeKvEnvFile(resolve(dataDir, ENV_FILE_NAME), kvEnv);

  const https = security.apiserverScheme === 'https';
  const apiserverUrl = `${security.apiserverScheme}://127.0.0.1:${state.loadBalancerPort}`;
  const { kubeconfig, tokenFile } = await writeAccessFiles(dataDir, { server: apiserverUrl, token: state.adminToken, ...(security.apiserverCaPem !== undefined ? { caPem: security.apiserverCaPem } : {}) });
  let sampler: Sampler | undefined;
  const supervisor = new Supervisor({
    logDir: resolve(dataDir, 'logs'),
    readyTimeoutMs: o.readyTimeoutMs,
    onEvent: (e) => {
      if (e.type === 'exited' && !e.expected) o.out(`${e.id} (pid ${e.pid}) exited: ${e.how}`);
      if (e.type === 'exited') sampler?.note(`${e.id} exited (${e.how})`);
      if (e.type === 'ready') sampler?.note(`${e.id} started (pid ${e.pid})`);
    },
  });
  const ctx: ComponentContext = { plan, dataDir, clusterToken: state.clusterToken, tokenFile, adminToken: state.adminToken, apiserverUrl, security, election: o.election, workIntervalMs: o.workIntervalMs, kvTickMs: o.kvTickMs };
  for (const c of plan.components) supervisor.define(processDefinition(c, ctx));

  const kv = new KvClient({ endpoints: kvEndpoints, ...(security.kvClientTls !== undefined ? { tls: security.kvClientTls } : {}) });
  const kube = new KubeClient({ server: apiserverUrl, token: state.adminToken, ...(security.apiserverCaPem !== undefined ? { caPem: security.apiserverCaPem } : {}) });
  let loadBalancer: LoadBalancer | undefined;
  let dashboard: DashboardServer | undefined;
  const stop = async (): Promise<void> => {
    sampler?.stop();
    await dashboard?.close();
    // Reverse order: controllers first (they release their leases), then the front, then the store.
    await Promise.all(controllerComponents(plan).map((c) => supervisor.kill(c.id, 'SIGTERM')));
    await loadBalancer?.close();
    await Promise.all(apiserverComponents(plan).map((c) => supervisor.kill(c.id, 'SIGTERM')));
    await supervisor.stopAll();
    await kv.close().catch(() => undefined);
  };
  try {
    o.out(`starting ${kvComponents(plan).length} KV members…`);
    await Promise.all(kvComponents(plan).map((c) => supervisor.start(c.id)));
    o.out(`starting ${apiserverComponents(plan).length} apiservers…`);
    await Promise.all(apiserverComponents(plan).map((c) => supervisor.start(c.id)));
    await waitUntil('no apiserver became ready (/readyz)', async () => (await Promise.all(apiserverComponents(plan).map((c) => httpOk('127.0.0.1', c.port, '/readyz', 2_000, https)))).some(Boolean), o.readyTimeoutMs, signal);
    loadBalancer = await startLoadBalancer({
      choice: o.loadBalancer,
      host: '127.0.0.1',
      port: state.loadBalancerPort,
      backends: apiserverComponents(plan).map((c) => ({ name: c.id, host: '127.0.0.1', port: c.port })),
      backendTls: security.apiserverScheme === 'https',
      dataDir,
      supervisor,
      warn: (m) => o.out(`warning: ${m}`),
    });
    o.out(`load balancer (${loadBalancer.kind}) on ${apiserverUrl}`);
    await waitUntil('the load balancer did not reach a ready apiserver', async () => httpOk('127.0.0.1', state.loadBalancerPort, '/readyz', 2_000, https), o.readyTimeoutMs, signal);
    o.out(`starting ${controllerComponents(plan).length} controller replicas…`);
    await Promise.all(controllerComponents(plan).map((c) => supervisor.start(c.id)));
    sampler = new Sampler({ plan, supervisor, kv, kube, dataDir, loadBalancer: { kind: loadBalancer.kind, url: apiserverUrl }, kubeconfig, apiserverTls: https, kvScheme: security.kvScheme });
    const control = new Control(plan, supervisor, (t) => sampler?.note(t));
    dashboard = new DashboardServer(sampler, control);
    sampler.start();
    const dashboardUrl = await dashboard.listen('127.0.0.1', state.dashboardPort);
    o.out(`dashboard: ${dashboardUrl}`);
    o.out(kubectlHint(kubeconfig));
    o.out(`KV store: ${kvCommandHint(kvEnv, 'get --prefix /registry/ --keys-only')}\n  or: source ${resolve(dataDir, ENV_FILE_NAME)} && halyard kv endpoint status -w table`);
    o.out(`logs: ${resolve(dataDir, 'logs')}/<component>.log · chaos: halyard chaos --data ${dataDir} --duration 60s · Ctrl-C stops everything`);
    return { plan, state, supervisor, loadBalancer, dashboardUrl, apiserverUrl, kubeconfig, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Runs until `signal` aborts, then stops everything. */
export async function runUp(o: UpOptions, signal: AbortSignal): Promise<void> {
  const up = await startUp(o, signal);
  if (!signal.aborted) await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
  o.out('stopping…');
  await up.stop();
  o.out('stopped.');
}
