// The load balancer in front of the apiservers: HAProxy when it is installed (run as a supervised process),
// else the built-in TCP balancer in this process, with a warning that says how to get HAProxy.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Supervisor } from '../process/supervisor.ts';
import { tcpAccepts } from '../process/probes.ts';
import { type Backend, HEALTH_CHECK_DEFAULTS, type HealthCheckOptions } from './health-check.ts';
import { findHaproxy, haproxyCommand, renderHaproxyConfig } from './haproxy.ts';
import { TCP_BALANCER_CONNECTIONS_MAX, TcpBalancer } from './tcp-balancer.ts';

export { type Backend, HEALTH_CHECK_DEFAULTS, type HealthCheckOptions } from './health-check.ts';

export type LoadBalancerKind = 'haproxy' | 'builtin';
export type LoadBalancerChoice = LoadBalancerKind | 'auto';

/** The supervisor's id for the HAProxy process. */
export const LOAD_BALANCER_ID = 'load-balancer';

export const HAPROXY_INSTALL_HINT = 'HAProxy is not installed; using the built-in TCP balancer (same /readyz health checks). For HAProxy: sudo apt-get install -y haproxy';

export interface LoadBalancerOptions {
  readonly choice: LoadBalancerChoice;
  readonly host: string;
  readonly port: number;
  readonly backends: readonly Backend[];
  readonly backendTls: boolean;
  readonly dataDir: string;
  readonly supervisor: Supervisor;
  readonly healthCheck?: HealthCheckOptions;
  readonly warn: (message: string) => void;
}

export interface LoadBalancer {
  readonly kind: LoadBalancerKind;
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startLoadBalancer(o: LoadBalancerOptions): Promise<LoadBalancer> {
  const healthCheck = { ...(o.healthCheck ?? HEALTH_CHECK_DEFAULTS), tls: o.backendTls };
  const haproxy = o.choice === 'builtin' ? undefined : findHaproxy();
  if (o.choice === 'haproxy' && haproxy === undefined) throw new Error('--load-balancer haproxy: HAProxy is not installed (sudo apt-get install -y haproxy)');
  if (haproxy !== undefined) {
    const dir = join(o.dataDir, 'haproxy');
    await mkdir(dir, { recursive: true });
    const configFile = join(dir, 'haproxy.cfg');
    await writeFile(configFile, renderHaproxyConfig({ host: o.host, port: o.port, backends: o.backends, healthCheck, backendTls: o.backendTls, maxConnections: TCP_BALANCER_CONNECTIONS_MAX }));
    o.supervisor.define({ id: LOAD_BALANCER_ID, ...haproxyCommand(haproxy, configFile), ready: () => tcpAccepts(o.host, o.port) });
    await o.supervisor.start(LOAD_BALANCER_ID);
    return { kind: 'haproxy', host: o.host, port: o.port, close: () => o.supervisor.kill(LOAD_BALANCER_ID, 'SIGTERM') };
  }
  if (o.choice === 'auto') o.warn(HAPROXY_INSTALL_HINT);
  const balancer = new TcpBalancer({ host: o.host, port: o.port, backends: o.backends, healthCheck });
  const port = await balancer.listen();
  return { kind: 'builtin', host: o.host, port, close: () => balancer.close() };
}
