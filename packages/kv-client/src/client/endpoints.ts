// Endpoint strings as users write them (etcd style `http://127.0.0.1:2379`, or bare `host:port`) and the
// WebSocket URL a member serves its client protocol on (`ws://host:port/`).
import { KvError } from '../protocol/errors.ts';

/** Canonical form used as the identity of an endpoint: `http(s)://host:port` without a path. */
export function normalizeEndpoint(endpoint: string): string {
  const trimmed = endpoint.trim();
  const withScheme = /^[a-z]+:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new KvError('InvalidRequest', `not an endpoint URL: ${JSON.stringify(endpoint)}`);
  }
  const scheme = url.protocol === 'https:' || url.protocol === 'wss:' ? 'https:' : url.protocol === 'http:' || url.protocol === 'ws:' ? 'http:' : undefined;
  if (scheme === undefined) throw new KvError('InvalidRequest', `endpoint ${JSON.stringify(endpoint)} must be http(s) or ws(s)`);
  if (url.port === '') throw new KvError('InvalidRequest', `endpoint ${JSON.stringify(endpoint)} needs a port`);
  return `${scheme}//${url.host}`;
}

/** The client protocol's WebSocket URL for a normalized endpoint. */
export function wsUrlOf(endpoint: string): string {
  return endpoint.replace(/^http/, 'ws') + '/';
}

/** The HTTP URL of a path (`/health`, `/metrics`) on a normalized endpoint. */
export function httpUrlOf(endpoint: string, path: string): string {
  return endpoint + path;
}

/** Host and port as etcdctl prints endpoints in `endpoint status`. */
export function hostOf(endpoint: string): string {
  return new URL(endpoint).host;
}
