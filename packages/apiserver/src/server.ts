// One apiserver replica: storage, object store, HTTP server, health checks, the first-start namespaces and
// the identity lease, started and stopped together. Replicas are stateless; any number may run at once.
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { hostname } from 'node:os';
import { Authenticator } from './auth/auth.ts';
import type { TokenUser } from './auth/token-file.ts';
import { ensureSystemNamespaces } from './bootstrap.ts';
import type { HealthCheck } from './health/health.ts';
import { REQUEST_BODY_BYTES_MAX_DEFAULT } from './http/body.ts';
import { createApiServer, type Logger, type TlsFiles } from './http/server.ts';
import { IdentityLease } from './identity/identity-lease.ts';
import { ApiserverMetrics } from './metrics/metrics.ts';
import { BUILTIN_RESOURCES } from './registry/builtin/index.ts';
import { ResourceRegistry } from './registry/registry.ts';
import type { ResourceDefinition } from './registry/resource.ts';
import { ObjectStore } from './registry/store.ts';
import type { Storage } from './storage/storage.ts';

export interface ApiserverOptions {
  readonly storage: Storage;
  /** 0 = any free port. */
  readonly port: number;
  /** Default 127.0.0.1. */
  readonly bindAddress?: string;
  /** Static tokens (--token-auth-file); undefined = no authentication. */
  readonly tokens?: ReadonlyMap<string, TokenUser>;
  readonly tls?: TlsFiles;
  readonly resources?: readonly ResourceDefinition[];
  readonly bodyLimitBytes?: number;
  readonly bookmarkIntervalMs?: number;
  readonly watchTimeoutMinMs?: number;
  /** Stable name of this replica for its identity lease; default hostname:port. */
  readonly identity?: string;
  readonly identityLeaseRenewMs?: number;
  readonly identityLeaseDurationSeconds?: number;
  /** Deadline of the storage check of /readyz. */
  readonly healthTimeoutMs?: number;
  readonly logger?: Logger;
}

export const BOOKMARK_INTERVAL_MS_DEFAULT = 60_000;
/** kube-apiserver's --min-request-timeout (1800 s): watches end after [min, 2·min) unless timeoutSeconds says. */
export const WATCH_TIMEOUT_MIN_MS_DEFAULT = 1_800_000;
export const IDENTITY_LEASE_RENEW_MS_DEFAULT = 10_000;
export const IDENTITY_LEASE_DURATION_SECONDS_DEFAULT = 60;
export const HEALTH_TIMEOUT_MS_DEFAULT = 2_000;
/** Retry period of the first-start bootstrap while the storage is unavailable. */
const BOOTSTRAP_RETRY_MS = 1_000;

export interface RunningApiserver {
  /** http(s)://address:port */
  readonly url: string;
  readonly port: number;
  readonly store: ObjectStore;
  readonly registry: ResourceRegistry;
  readonly identityLeaseName: string;
  /** Resolves once the system namespaces exist. */
  readonly bootstrapped: Promise<void>;
  /** Fails readiness, closes every connection (open watches end), stops the lease, closes the storage. */
  close(): Promise<void>;
}

export const consoleLogger: Logger = {
  info: (m) => process.stderr.write(`apiserver: ${m}\n`),
  warn: (m) => process.stderr.write(`apiserver: warning: ${m}\n`),
  error: (m) => process.stderr.write(`apiserver: error: ${m}\n`),
};

export async function startApiserver(options: ApiserverOptions): Promise<RunningApiserver> {
  const logger = options.logger ?? consoleLogger;
  const registry = new ResourceRegistry(options.resources ?? BUILTIN_RESOURCES);
  const store = new ObjectStore(options.storage, registry);
  const metrics = new ApiserverMetrics();
  let bootstrapDone = false;
  let shuttingDown = false;
  const healthTimeoutMs = options.healthTimeoutMs ?? HEALTH_TIMEOUT_MS_DEFAULT;
  const ping: HealthCheck = { name: 'ping', run: async () => ({ ok: true }) };
  const readyz: HealthCheck[] = [
    ping,
    {
      name: 'storage',
      run: async () => {
        const h = await options.storage.health(healthTimeoutMs);
        metrics.storageReady.set(h.ok ? 1 : 0);
        if (!h.ok) logger.warn(`readyz: storage check failed: ${h.message}`);
        return h;
      },
    },
    { name: 'bootstrap-system-namespaces', run: async () => ({ ok: bootstrapDone }) },
    { name: 'shutdown', run: async () => ({ ok: !shuttingDown }) },
  ];
  const server: Server = createApiServer(
    {
      store,
      storage: options.storage,
      registry,
      authenticator: new Authenticator(options.tokens),
      metrics,
      livez: [ping],
      readyz,
      logger,
      bodyLimitBytes: options.bodyLimitBytes ?? REQUEST_BODY_BYTES_MAX_DEFAULT,
      bookmarkIntervalMs: options.bookmarkIntervalMs ?? BOOKMARK_INTERVAL_MS_DEFAULT,
      watchTimeoutMinMs: options.watchTimeoutMinMs ?? WATCH_TIMEOUT_MIN_MS_DEFAULT,
      nowMs: () => Date.now(),
      onWatch: (resource, delta) => metrics.watchers.inc({ resource }, delta),
    },
    options.tls,
  );
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const bindAddress = options.bindAddress ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, bindAddress, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `${options.tls === undefined ? 'http' : 'https'}://${bindAddress.includes(':') ? `[${bindAddress}]` : bindAddress}:${port}`;

  const stopBootstrap = new AbortController();
  const bootstrapped = (async () => {
    for (;;) {
      try {
        await ensureSystemNamespaces(store);
        bootstrapDone = true;
        return;
      } catch (err) {
        if (stopBootstrap.signal.aborted) throw new Error('apiserver closed before bootstrap completed');
        logger.warn(`bootstrap: ${err instanceof Error ? err.message : String(err)}; retrying`);
        await new Promise((r) => setTimeout(r, BOOTSTRAP_RETRY_MS));
      }
    }
  })();
  bootstrapped.catch(() => {});

  const lease = new IdentityLease(store, {
    identity: options.identity ?? `${hostname()}:${port}`,
    instanceId: `apiserver-${randomUUID()}`,
    renewIntervalMs: options.identityLeaseRenewMs ?? IDENTITY_LEASE_RENEW_MS_DEFAULT,
    leaseDurationSeconds: options.identityLeaseDurationSeconds ?? IDENTITY_LEASE_DURATION_SECONDS_DEFAULT,
    onError: (m) => logger.warn(m),
  });
  void bootstrapped.then(() => lease.start(), () => {});

  let closed: Promise<void> | undefined;
  return {
    url,
    port,
    store,
    registry,
    identityLeaseName: lease.name,
    bootstrapped,
    close() {
      closed ??= (async () => {
        shuttingDown = true;
        stopBootstrap.abort();
        // A renewal in flight may wait on an unreachable KV; closing the storage fails it at once.
        const leaseStopped = lease.stop();
        const done = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const s of sockets) s.destroy();
        await done;
        await options.storage.close();
        await leaseStopped;
      })();
      return closed;
    },
  };
}
