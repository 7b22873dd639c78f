// Readiness probes for the supervisor: a TCP connect, an HTTP 200.
import { connect } from 'node:net';
import { probeHttp } from '../lb/health-check.ts';

/** True when something accepts TCP connections on host:port. */
export function tcpAccepts(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** True on an HTTP 200 from http(s)://host:port/path. */
export function httpOk(host: string, port: number, path: string, timeoutMs = 2_000, tls = false): Promise<boolean> {
  return probeHttp(host, port, path, timeoutMs, tls);
}
