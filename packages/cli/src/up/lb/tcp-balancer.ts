// The built-in load balancer, for machines without HAProxy: layer 4 like HAProxy in `mode tcp` (kubeadm's
// HA guide balances apiservers that way, so TLS passes through untouched), round robin over the backends
// that pass their /readyz health checks, and the next healthy backend when a connect fails. A connection
// already forwarded stays on its backend; when that backend dies the client sees the connection close
// and reconnects, as behind HAProxy.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { type Backend, HealthChecker, type HealthCheckOptions, HEALTH_CHECK_DEFAULTS } from './health-check.ts';

/** Bound on concurrent client connections (HAProxy's `maxconn`). */
export const TCP_BALANCER_CONNECTIONS_MAX = 4_096;
/** How long a connect to a backend may take before the next one is tried. */
export const BACKEND_CONNECT_TIMEOUT_MS = 2_000;

export interface TcpBalancerOptions {
  readonly host: string;
  readonly port: number;
  readonly backends: readonly Backend[];
  readonly healthCheck?: HealthCheckOptions;
  readonly onBackendChange?: (backend: Backend, up: boolean) => void;
}

export class TcpBalancer {
  private server: Server | undefined;
  private readonly checker: HealthChecker;
  private readonly sockets = new Set<Socket>();
  private nextIndex = 0;

  constructor(private readonly options: TcpBalancerOptions) {
    this.checker = new HealthChecker(options.backends, options.healthCheck ?? HEALTH_CHECK_DEFAULTS, options.onBackendChange);
  }

  /** Healthy backends right now, by name. */
  healthyBackends(): string[] {
    return this.checker.healthy().map((b) => b.name);
  }

  /** Listens and starts health checks; resolves with the bound port. */
  async listen(): Promise<number> {
    const server = createServer({ pauseOnConnect: true }, (client) => this.accept(client));
    server.maxConnections = TCP_BALANCER_CONNECTIONS_MAX;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.checker.start();
    const a = server.address();
    return typeof a === 'object' && a !== null ? a.port : this.options.port;
  }

  async close(): Promise<void> {
    this.checker.stop();
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    if (server !== undefined) await new Promise<void>((r) => server.close(() => r()));
  }

  /** Backends to try for one connection: the healthy ones, round robin from the next in turn. */
  private order(): Backend[] {
    const healthy = this.checker.healthy();
    if (healthy.length === 0) return [];
    const start = this.nextIndex++ % healthy.length;
    return [...healthy.slice(start), ...healthy.slice(0, start)];
  }

  private accept(client: Socket): void {
    this.track(client);
    client.on('error', () => client.destroy());
    const candidates = this.order();
    const tryNext = (): void => {
      const b = candidates.shift();
      if (b === undefined || client.destroyed) {
        client.destroy();
        return;
      }
      const upstream = connect({ host: b.host, port: b.port });
      upstream.setTimeout(BACKEND_CONNECT_TIMEOUT_MS);
      const fail = (): void => {
        upstream.destroy();
        tryNext();
      };
      upstream.once('timeout', fail);
      upstream.once('error', fail);
      upstream.once('connect', () => {
        upstream.off('timeout', fail);
        upstream.off('error', fail);
        upstream.setTimeout(0);
        this.track(upstream);
        upstream.on('error', () => client.destroy());
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    tryNext();
  }

  private track(s: Socket): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
  }
}
