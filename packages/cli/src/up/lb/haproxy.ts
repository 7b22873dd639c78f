// HAProxy in front of the apiservers, configured as kubeadm's HA guide does it: layer 4 (`mode tcp`, TLS
// passes through), round robin, and an HTTP health check of each apiserver on /readyz. Sessions on a
// server marked down are shut (`on-marked-down shutdown-sessions`) so long watches move to a live
// apiserver at once instead of hanging on a dead one.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Backend, HealthCheckOptions } from './health-check.ts';

export interface HaproxyConfigOptions {
  readonly host: string;
  readonly port: number;
  readonly backends: readonly Backend[];
  readonly healthCheck: HealthCheckOptions;
  /** The apiservers serve HTTPS: health checks speak TLS (the traffic itself passes through). */
  readonly backendTls: boolean;
  readonly maxConnections: number;
}

/** Apiserver watches are long-lived; HAProxy's client/server/tunnel timeouts must not cut them. */
export const HAPROXY_TUNNEL_TIMEOUT = '1h';

/** Where HAProxy is found, when it is installed (Debian puts it in /usr/sbin, often not in a user's PATH). */
export function findHaproxy(pathEnv = process.env.PATH ?? ''): string | undefined {
  const dirs = [...pathEnv.split(delimiter).filter((d) => d !== ''), '/usr/sbin', '/usr/local/sbin'];
  for (const d of dirs) {
    const candidate = join(d, 'haproxy');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

export function renderHaproxyConfig(o: HaproxyConfigOptions): string {
  const hc = o.healthCheck;
  const check = `check${o.backendTls ? ' check-ssl verify none' : ''}`;
  return [
    '# Written by `halyard up` at every start; edits are overwritten.',
    'global',
    `  maxconn ${o.maxConnections}`,
    '  log stdout format raw local0 info',
    '',
    'defaults',
    '  mode tcp',
    '  log global',
    '  option tcplog',
    `  timeout connect ${hc.timeoutMs}ms`,
    `  timeout client ${HAPROXY_TUNNEL_TIMEOUT}`,
    `  timeout server ${HAPROXY_TUNNEL_TIMEOUT}`,
    `  timeout tunnel ${HAPROXY_TUNNEL_TIMEOUT}`,
    '',
    'frontend apiservers',
    `  bind ${o.host}:${o.port}`,
    '  default_backend apiservers',
    '',
    'backend apiservers',
    '  balance roundrobin',
    '  option httpchk',
    `  http-check send meth GET uri ${hc.path}`,
    '  http-check expect status 200',
    `  timeout check ${hc.timeoutMs}ms`,
    `  default-server inter ${hc.intervalMs}ms rise ${hc.rise} fall ${hc.fall} on-marked-down shutdown-sessions`,
    ...o.backends.map((b) => `  server ${b.name} ${b.host}:${b.port} ${check}`),
    '',
  ].join('\n');
}

/** The command line that runs HAProxy in the foreground on `configFile`, dying with its parent when setpriv exists. */
export function haproxyCommand(haproxy: string, configFile: string): { command: string; args: string[] } {
  const args = ['-db', '-f', configFile];
  // PR_SET_PDEATHSIG through util-linux's setpriv: the kernel SIGTERMs HAProxy when `halyard up` dies.
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => {
    try {
      accessSync(p, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  return setpriv !== undefined ? { command: setpriv, args: ['--pdeathsig', 'SIGTERM', haproxy, ...args] } : { command: haproxy, args };
}
