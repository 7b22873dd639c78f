// A small in-test HTTP server for the coordination.k8s.io/v1 Lease endpoints, answering as kube-apiserver
// does: GET/POST/PUT with resourceVersion optimistic concurrency, 404 NotFound / 409 Conflict /
// 409 AlreadyExists / 400 / 422 with metav1.Status bodies, list with a fieldSelector on metadata.name, and
// watch (chunked JSON lines, ERROR 410 Expired for a resourceVersion older than the kept history). Until
// Halyard's apiserver exists, ApiserverLeaseLock is tested against this.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

type Obj = Record<string, unknown> & { metadata: Record<string, unknown> & { name: string; namespace: string; resourceVersion: string } };

interface WatchEvent {
  readonly rv: number;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: Obj;
}

/** Events kept for watches to resume from; older resourceVersions get 410 Expired. */
const HISTORY_MAX = 1_000;
const BODY_BYTES_MAX = 1 << 20;
const PATH = /^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/([a-z0-9.-]+)\/leases(?:\/([a-z0-9.-]+))?$/;
const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export class FakeLeaseServer {
  private readonly leases = new Map<string, Obj>();
  private readonly history: WatchEvent[] = [];
  private readonly watchers = new Set<(e: WatchEvent) => void>();
  private readonly sockets = new Set<Socket>();
  private rv = 100;
  private server: Server | undefined;
  /** Answers the next N requests with 500 InternalError (an apiserver that cannot reach its store). */
  failNext = 0;
  /** Requests seen, as `METHOD path` (for assertions). */
  readonly requests: string[] = [];
  url = '';

  async start(): Promise<this> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())));
    this.server = undefined;
  }

  /** The stored Lease (for assertions). */
  lease(namespace: string, name: string): Obj | undefined {
    return this.leases.get(`${namespace}/${name}`);
  }

  /** Deletes a Lease (as `kubectl delete lease` would). */
  delete(namespace: string, name: string): void {
    const o = this.leases.get(`${namespace}/${name}`);
    if (o === undefined) return;
    this.leases.delete(`${namespace}/${name}`);
    this.emit('DELETED', { ...o, metadata: { ...o.metadata, resourceVersion: String(++this.rv) } });
  }

  /** Forgets watch history, so a watch from an older resourceVersion gets 410 Expired (as after etcd compaction). */
  compactHistory(): void {
    this.history.length = 0;
  }

  /** Ends every open watch stream (as an apiserver does when a watch times out). */
  endWatches(): void {
    for (const w of [...this.watchers]) w({ rv: -1, type: 'DELETED', object: undefined as never });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push(`${req.method} ${url.pathname}${url.search}`);
    if (this.failNext > 0) {
      this.failNext--;
      return this.status(res, 500, 'InternalError', 'Internal error occurred: etcdserver: request timed out');
    }
    const m = PATH.exec(url.pathname);
    if (m === null) return this.status(res, 404, 'NotFound', 'the server could not find the requested resource');
    const namespace = m[1]!;
    const name = m[2];
    const key = (n: string): string => `${namespace}/${n}`;
    const details = (n: string): Record<string, unknown> => ({ name: n, group: 'coordination.k8s.io', kind: 'leases' });
    switch (req.method) {
      case 'GET': {
        if (name !== undefined) {
          const o = this.leases.get(key(name));
          return o === undefined ? this.status(res, 404, 'NotFound', `leases.coordination.k8s.io "${name}" not found`, details(name)) : this.json(res, 200, o);
        }
        const selector = url.searchParams.get('fieldSelector');
        const only = selector?.startsWith('metadata.name=') === true ? selector.slice('metadata.name='.length) : undefined;
        const match = (o: Obj): boolean => o.metadata.namespace === namespace && (only === undefined || o.metadata.name === only);
        if (url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1') return this.watch(res, Number(url.searchParams.get('resourceVersion') ?? '0'), match);
        const items = [...this.leases.values()].filter(match).map(({ kind: _k, apiVersion: _a, ...item }) => item);
        return this.json(res, 200, { kind: 'LeaseList', apiVersion: 'coordination.k8s.io/v1', metadata: { resourceVersion: String(this.rv) }, items });
      }
      case 'POST': {
        if (name !== undefined) return this.status(res, 405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
        const body = await this.body(req, res);
        if (body === undefined) return;
        const n = (body['metadata'] as Record<string, unknown> | undefined)?.['name'];
        if (typeof n !== 'string' || !NAME.test(n)) return this.status(res, 422, 'Invalid', 'Lease.coordination.k8s.io "" is invalid: metadata.name: Required value: name or generateName is required');
        if (this.leases.has(key(n))) return this.status(res, 409, 'AlreadyExists', `leases.coordination.k8s.io "${n}" already exists`, details(n));
        const o = this.store(body, n, namespace, { uid: randomUUID(), creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z') });
        this.emit('ADDED', o);
        return this.json(res, 201, o);
      }
      case 'PUT': {
        if (name === undefined) return this.status(res, 405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
        const body = await this.body(req, res);
        if (body === undefined) return;
        const meta = (body['metadata'] ?? {}) as Record<string, unknown>;
        if (meta['name'] !== name) return this.status(res, 400, 'BadRequest', `the name of the object (${String(meta['name'])}) does not match the name on the URL (${name})`);
        const existing = this.leases.get(key(name));
        if (existing === undefined) return this.status(res, 404, 'NotFound', `leases.coordination.k8s.io "${name}" not found`, details(name));
        const rv = meta['resourceVersion'];
        // Leases allow unconditional updates (no resourceVersion); a stale one is a conflict.
        if (rv !== undefined && rv !== existing.metadata.resourceVersion) {
          return this.status(res, 409, 'Conflict', `Operation cannot be fulfilled on leases.coordination.k8s.io "${name}": the object has been modified; please apply your changes to the latest version and try again`, details(name));
        }
        const o = this.store(body, name, namespace, { uid: existing.metadata['uid'], creationTimestamp: existing.metadata['creationTimestamp'] });
        this.emit('MODIFIED', o);
        return this.json(res, 200, o);
      }
      default:
        return this.status(res, 405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    }
  }

  private store(body: Record<string, unknown>, name: string, namespace: string, system: Record<string, unknown>): Obj {
    const meta = (body['metadata'] ?? {}) as Record<string, unknown>;
    const o: Obj = { ...body, kind: 'Lease', apiVersion: 'coordination.k8s.io/v1', metadata: { ...meta, ...system, name, namespace, resourceVersion: String(++this.rv) } };
    this.leases.set(`${namespace}/${name}`, o);
    return o;
  }

  private emit(type: WatchEvent['type'], object: Obj): void {
    const e: WatchEvent = { rv: Number(object.metadata.resourceVersion), type, object };
    this.history.push(e);
    if (this.history.length > HISTORY_MAX) this.history.shift();
    for (const w of this.watchers) w(e);
  }

  private watch(res: ServerResponse, fromRv: number, match: (o: Obj) => boolean): void {
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const send = (e: WatchEvent): void => void res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
    const oldest = this.history[0]?.rv ?? this.rv + 1;
    if (fromRv > 0 && fromRv < oldest - 1 && fromRv < this.rv) {
      res.end(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `too old resource version: ${fromRv} (${oldest - 1})`, reason: 'Expired', code: 410 } })}\n`);
      return;
    }
    for (const e of this.history) if (e.rv > fromRv && match(e.object)) send(e);
    const watcher = (e: WatchEvent): void => {
      if (e.rv === -1) {
        this.watchers.delete(watcher);
        res.end();
      } else if (match(e.object)) send(e);
    };
    this.watchers.add(watcher);
    res.once('close', () => this.watchers.delete(watcher));
  }

  private async body(req: IncomingMessage, res: ServerResponse): Promise<Record<string, unknown> | undefined> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > BODY_BYTES_MAX) {
        this.status(res, 413, 'RequestEntityTooLarge', 'request entity too large');
        return undefined;
      }
      chunks.push(c);
    }
    try {
      const v = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      // fall through
    }
    this.status(res, 400, 'BadRequest', 'the body of the request was in an unknown format');
    return undefined;
  }

  private json(res: ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private status(res: ServerResponse, code: number, reason: string, message: string, details?: Record<string, unknown>): void {
    this.json(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details !== undefined ? { details } : {}), code });
  }
}
