// The dashboard's HTTP server on 127.0.0.1: the page (/), the live view as Server-Sent Events (/events:
// the whole view at connect, then again on every change), the view as JSON (/api/state) and the control
// API (POST /api/{components|nodes}/<name>/{kill|restart|start|stop}) that the page's buttons and
// `halyard chaos` call. Control requests must carry the X-Halyard-Control header: a header a cross-origin
// page cannot send without a CORS preflight, which this server never grants, so another site open in
// the same browser cannot kill the cluster.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { CONTROL_ACTIONS, type Control, type ControlAction, type ControlTarget } from '../control.ts';
import { errorMessage, isUpError } from '../errors.ts';
import { DASHBOARD_PAGE } from './page.ts';
import type { Sampler } from './sampler.ts';
import type { ClusterView } from './view.ts';

export const CONTROL_HEADER = 'x-halyard-control';
/** Bound on concurrent /events streams. */
export const EVENT_STREAMS_MAX = 64;
/** A comment line on idle streams so proxies and browsers keep them open. */
export const SSE_KEEPALIVE_MS = 15_000;

export class DashboardServer {
  private server: Server | undefined;
  private readonly streams = new Set<ServerResponse>();
  private unsubscribe: (() => void) | undefined;
  private keepalive: NodeJS.Timeout | undefined;

  constructor(
    private readonly sampler: Sampler,
    private readonly control: Control,
  ) {}

  /** Listens on host:port (0 = any); resolves with the page's URL. */
  async listen(host: string, port: number): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.unsubscribe = this.sampler.onChange((v) => this.broadcast(v));
    this.keepalive = setInterval(() => {
      for (const s of this.streams) s.write(': keepalive\n\n');
    }, SSE_KEEPALIVE_MS);
    const a = server.address();
    return `http://${host}:${typeof a === 'object' && a !== null ? a.port : port}/`;
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    if (this.keepalive !== undefined) clearInterval(this.keepalive);
    for (const s of this.streams) s.end();
    const server = this.server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }

  private broadcast(v: ClusterView): void {
    const frame = `event: view\ndata: ${JSON.stringify(v)}\n\n`;
    for (const s of this.streams) s.write(frame);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    const path = url.pathname;
    try {
      if (req.method === 'GET' && path === '/') return text(res, 200, DASHBOARD_PAGE, 'text/html; charset=utf-8');
      if (req.method === 'GET' && path === '/api/state') {
        const v = this.sampler.view();
        return v === undefined ? json(res, 503, { error: 'no sample yet' }) : json(res, 200, v);
      }
      if (req.method === 'GET' && path === '/events') return this.openStream(res);
      const m = /^\/api\/(components|nodes)\/([A-Za-z0-9-]{1,64})\/([a-z]{1,16})$/.exec(path);
      if (m !== null) {
        if (req.method !== 'POST') return json(res, 405, { error: 'use POST' });
        if (req.headers[CONTROL_HEADER] === undefined) return json(res, 403, { error: `control requests need the ${CONTROL_HEADER} header` });
        const action = m[3] as ControlAction;
        if (!CONTROL_ACTIONS.includes(action)) return json(res, 404, { error: `no action ${m[3]} (${CONTROL_ACTIONS.join(', ')})` });
        const target: ControlTarget = m[1] === 'nodes' ? { type: 'node', name: m[2]! } : { type: 'component', id: m[2]! };
        this.control.targetIds(target); // validates before answering
        await this.control.act(action, target);
        return json(res, 200, { ok: true, action, target });
      }
      return json(res, 404, { error: 'not found' });
    } catch (e) {
      if (isUpError(e) && e.code === 'UnknownComponent') return json(res, 404, { error: e.message });
      return json(res, 500, { error: errorMessage(e) });
    }
  }

  private openStream(res: ServerResponse): void {
    if (this.streams.size >= EVENT_STREAMS_MAX) return json(res, 503, { error: `at most ${EVENT_STREAMS_MAX} dashboard streams` });
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    this.streams.add(res);
    res.on('close', () => this.streams.delete(res));
    const v = this.sampler.view();
    if (v !== undefined) res.write(`event: view\ndata: ${JSON.stringify(v)}\n\n`);
  }
}

function text(res: ServerResponse, status: number, body: string, type: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  text(res, status, `${JSON.stringify(body)}\n`, 'application/json');
}
