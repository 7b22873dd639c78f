// Active health checks of the apiservers, with HAProxy's semantics (`check inter … rise … fall …`): a
// backend goes down after `fall` failed probes in a row and comes back after `rise` good ones, so one slow
// answer does not flap it. A probe is `GET /readyz`, good on a 200 (kube-apiserver's readyz fails while
// storage cannot serve, so traffic leaves an apiserver that lost the KV quorum).
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface Backend {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

export interface HealthCheckOptions {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly rise: number;
  readonly fall: number;
  readonly path: string;
  /** The backends serve HTTPS. */
  readonly tls?: boolean;
}

/** HAProxy's defaults (inter 2s, rise 2, fall 3), a little faster so failover is quick to watch. */
export const HEALTH_CHECK_DEFAULTS: HealthCheckOptions = { intervalMs: 1_000, timeoutMs: 1_000, rise: 2, fall: 2, path: '/readyz' };

/**
 * One probe: true on HTTP 200 within the timeout. Over TLS the certificate is not verified, as HAProxy's
 * `check-ssl verify none` in kubeadm's guide: the probe asks whether the server serves, not who it is.
 */
export function probeHttp(host: string, port: number, path: string, timeoutMs: number, tls = false): Promise<boolean> {
  return new Promise((resolve) => {
    const req = (tls ? httpsRequest : request)({ host, port, path, method: 'GET', timeout: timeoutMs, agent: false, ...(tls ? { rejectUnauthorized: false } : {}) }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', () => resolve(false));
    req.end();
  });
}

/** Counts consecutive outcomes; pure, so the rise/fall rule is tested apart from the network. */
export class BackendHealth {
  private goodInARow = 0;
  private badInARow = 0;
  /** Starts down, as HAProxy does until the first checks pass (`rise` of them). */
  up = false;

  constructor(private readonly rise: number, private readonly fall: number) {}

  /** Records a probe's outcome; returns true when the verdict changed. */
  record(ok: boolean): boolean {
    if (ok) {
      this.goodInARow++;
      this.badInARow = 0;
      if (!this.up && this.goodInARow >= this.rise) return (this.up = true);
    } else {
      this.badInARow++;
      this.goodInARow = 0;
      if (this.up && this.badInARow >= this.fall) {
        this.up = false;
        return true;
      }
    }
    return false;
  }
}

export class HealthChecker {
  private readonly health = new Map<string, BackendHealth>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    readonly backends: readonly Backend[],
    private readonly options: HealthCheckOptions = HEALTH_CHECK_DEFAULTS,
    private readonly onChange?: (backend: Backend, up: boolean) => void,
    private readonly probe: (b: Backend) => Promise<boolean> = (b) => probeHttp(b.host, b.port, options.path, options.timeoutMs, options.tls ?? false),
  ) {
    for (const b of backends) this.health.set(b.name, new BackendHealth(options.rise, options.fall));
  }

  isUp(name: string): boolean {
    return this.health.get(name)?.up ?? false;
  }

  healthy(): Backend[] {
    return this.backends.filter((b) => this.isUp(b.name));
  }

  start(): void {
    const round = async (): Promise<void> => {
      await Promise.all(
        this.backends.map(async (b) => {
          const ok = await this.probe(b);
          if (this.stopped) return;
          if (this.health.get(b.name)!.record(ok)) this.onChange?.(b, ok);
        }),
      );
      if (!this.stopped) this.timer = setTimeout(() => void round(), this.options.intervalMs);
    };
    void round();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }
}
