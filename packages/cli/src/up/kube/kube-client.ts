// A small client of the apiserver's REST API for what `up` itself needs (the dashboard, the example
// controllers' fenced writes, chaos): JSON get/create/update/list and a watch stream, with a bearer token
// and a deadline on every call. Errors carry the HTTP status and the Status reason (kube-apiserver's
// `Status` body), so callers can tell a Conflict (409) from an unavailable server.
import { type IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { UpError } from '../errors.ts';

export interface KubeClientOptions {
  /** e.g. https://127.0.0.1:6443 (the load balancer). */
  readonly server: string;
  readonly token: string;
  /** PEM of the CA that signed the apiservers' serving certificates (https servers). */
  readonly caPem?: string;
  /** Deadline of one call. */
  readonly timeoutMs?: number;
}

export const KUBE_REQUEST_TIMEOUT_MS_DEFAULT = 5_000;
/** Bound on one line of a watch stream (one event). */
export const WATCH_LINE_BYTES_MAX = 4 * 1024 * 1024;

export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly resourceVersion?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly creationTimestamp?: string;
}

export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ObjectMeta;
}

export interface ConfigMap extends KubeObject {
  readonly data?: Readonly<Record<string, string>>;
}

export interface KubeList<T> {
  readonly metadata: { readonly resourceVersion?: string; readonly continue?: string };
  readonly items: readonly T[];
}

export interface WatchEvent<T> {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: T;
}

/** An answer other than 2xx: `status` is the HTTP status (0 when no answer came), `reason` the Status reason. */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export function isConflict(e: unknown): boolean {
  return e instanceof KubeApiError && e.status === 409;
}

export function isNotFound(e: unknown): boolean {
  return e instanceof KubeApiError && e.status === 404;
}

export function isAlreadyExists(e: unknown): boolean {
  return e instanceof KubeApiError && e.status === 409 && e.reason === 'AlreadyExists';
}

export class KubeClient {
  private readonly timeoutMs: number;
  private readonly base: URL;

  constructor(private readonly options: KubeClientOptions) {
    this.timeoutMs = options.timeoutMs ?? KUBE_REQUEST_TIMEOUT_MS_DEFAULT;
    this.base = new URL(options.server);
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:') throw new UpError('InvalidOptions', `server must be an http(s) URL, got ${options.server}`);
  }

  get server(): string {
    return this.options.server;
  }

  async get<T>(path: string, signal?: AbortSignal): Promise<T> {
    return this.call<T>('GET', path, undefined, signal);
  }

  async create<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    return this.call<T>('POST', path, body, signal);
  }

  /** PUT: conditioned on body.metadata.resourceVersion when it has one (409 Conflict if stale). */
  async update<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    return this.call<T>('PUT', path, body, signal);
  }

  async delete(path: string, signal?: AbortSignal): Promise<void> {
    await this.call<unknown>('DELETE', path, undefined, signal);
  }

  /**
   * Watch events of a collection from `resourceVersion` (exclusive), until `signal` aborts or the server
   * ends the stream (the caller resumes from the last resourceVersion it saw; 410 Gone means it must list).
   */
  async *watch<T extends KubeObject>(path: string, resourceVersion: string, signal: AbortSignal): AsyncGenerator<WatchEvent<T>> {
    const sep = path.includes('?') ? '&' : '?';
    const res = await this.send('GET', `${path}${sep}watch=1&allowWatchBookmarks=true&resourceVersion=${encodeURIComponent(resourceVersion)}`, undefined, signal, false);
    if (res.statusCode === undefined || res.statusCode < 200 || res.statusCode >= 300) throw apiError(res.statusCode ?? 0, await readBody(res));
    let buf = '';
    for await (const chunk of res) {
      buf += (chunk as Buffer).toString('utf8');
      if (buf.length > WATCH_LINE_BYTES_MAX) throw new UpError('BadResponse', `a watch event on ${path} exceeds ${WATCH_LINE_BYTES_MAX} bytes`);
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line === '') continue;
        const ev = parseWatchEvent<T>(line);
        if (ev.type === 'ERROR') {
          const st = ev.object as unknown as { code?: number; reason?: string; message?: string };
          throw new KubeApiError(st.code ?? 500, st.reason ?? 'Unknown', st.message ?? 'watch error');
        }
        yield ev;
      }
    }
  }

  /** One request; resolves with the response once its headers arrived. `deadline` bounds the whole call. */
  private send(method: string, path: string, body: string | undefined, signal: AbortSignal | undefined, deadline: boolean): Promise<IncomingMessage> {
    const url = new URL(path, this.base);
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.token}`, accept: 'application/json' };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const signals = [...(signal !== undefined ? [signal] : []), ...(deadline ? [AbortSignal.timeout(this.timeoutMs)] : [])];
    const opts = { method, headers, ...(signals.length > 0 ? { signal: AbortSignal.any(signals) } : {}), ...(this.options.caPem !== undefined ? { ca: this.options.caPem } : {}) };
    return new Promise((resolve, reject) => {
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, opts, resolve);
      req.once('error', (e) => reject(new KubeApiError(0, 'Unavailable', `${method} ${path}: ${e.message}`)));
      req.end(body);
    });
  }

  private async call<T>(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    const res = await this.send(method, path, body === undefined ? undefined : JSON.stringify(body), signal, true);
    let text: string;
    try {
      text = await readBody(res);
    } catch (e) {
      throw new KubeApiError(0, 'Unavailable', `${method} ${path}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) throw apiError(status, text);
    try {
      return (text === '' ? undefined : JSON.parse(text)) as T;
    } catch {
      throw new KubeApiError(status, 'BadResponse', `${method} ${path}: the answer is not JSON`);
    }
  }
}

/** Bound on a non-watch response body. */
export const RESPONSE_BYTES_MAX = 64 * 1024 * 1024;

async function readBody(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of res) {
    size += (c as Buffer).length;
    if (size > RESPONSE_BYTES_MAX) throw new UpError('BadResponse', `a response exceeds ${RESPONSE_BYTES_MAX} bytes`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function apiError(status: number, text: string): KubeApiError {
  try {
    const st = JSON.parse(text) as { reason?: unknown; message?: unknown };
    return new KubeApiError(status, typeof st.reason === 'string' ? st.reason : 'Unknown', typeof st.message === 'string' ? st.message : text.slice(0, 200));
  } catch {
    return new KubeApiError(status, 'Unknown', text.slice(0, 200));
  }
}

function parseWatchEvent<T>(line: string): WatchEvent<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw new UpError('BadResponse', 'a watch event is not JSON');
  }
  const ev = raw as { type?: unknown; object?: unknown };
  if (typeof ev.type !== 'string' || !['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR'].includes(ev.type) || typeof ev.object !== 'object' || ev.object === null) {
    throw new UpError('BadResponse', `not a watch event: ${line.slice(0, 100)}`);
  }
  return ev as WatchEvent<T>;
}

/** Paths of the resources `up` uses. */
export const paths = {
  configMaps: (ns: string): string => `/api/v1/namespaces/${ns}/configmaps`,
  configMap: (ns: string, name: string): string => `/api/v1/namespaces/${ns}/configmaps/${encodeURIComponent(name)}`,
  leases: (ns: string): string => `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`,
  lease: (ns: string, name: string): string => `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/${encodeURIComponent(name)}`,
};
