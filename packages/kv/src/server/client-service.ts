// A member's client port: the msgpack-over-WebSocket client protocol, plus GET /health and GET /metrics.
// Every frame is validated (protocol/decode.ts); a bad one gets a typed error and the connection keeps
// serving. Requests on one connection run concurrently; responses carry the request id.

import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { corkUntilNextTick, decodeClientRequest, frameIdOf, KvError, decodeFrame, encodeFrame, type ClientRequest, type Methods, type ServerFrame } from '@halyard/kv-client/protocol';
import { toWireError } from './wire-errors.ts';
import { type KvMember, VERSION } from './member.ts';
import { ClientRequests } from './requests.ts';
import { loadTls } from './tls.ts';
import type { WatchSink } from './watch-hub.ts';

/**
 * How far past --max-request-bytes a frame is still read, so that its request gets a typed TooLarge answer
 * on its own id (etcd likewise lets gRPC receive 512 KiB more than its request limit and then refuses the
 * request). Only a frame larger still closes the connection (WebSocket close 1009), bounding memory.
 */
export const CLIENT_FRAME_OVERHEAD_BYTES = 512 * 1024;

/** Requests in flight on one connection; past it the connection is refused more until some finish. */
export const CONNECTION_REQUESTS_IN_FLIGHT_MAX = 10_000;

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}

export class ClientService {
  private server: Server | undefined;
  private wss: WebSocketServer | undefined;
  /** Open client connections, each with the TCP socket under it (corked per turn: protocol/cork.ts). */
  private readonly sockets = new Map<WebSocket, Socket>();

  private readonly requests: ClientRequests;

  constructor(private readonly member: KvMember) {
    this.requests = new ClientRequests(member);
  }

  async start(): Promise<string> {
    const url = new URL(this.member.config.clientUrl);
    const tls = loadTls(this.member.config.clientTls, 'client');
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => void this.onHttp(req, res);
    // With a trusted CA, clients must present a certificate it signed (etcd's --client-cert-auth).
    const server: Server =
      tls === undefined ? createServer(onRequest) : createHttpsServer({ cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: tls.ca !== undefined, rejectUnauthorized: tls.ca !== undefined }, onRequest);
    const wss = new WebSocketServer({ server, maxPayload: this.member.config.requestSizeBytesMax + CLIENT_FRAME_OVERHEAD_BYTES });
    wss.on('connection', (ws, req) => this.onConnection(ws, req.socket));
    wss.on('error', (e) => this.member.logger.warn('client listener error', { message: e.message }));
    this.server = server;
    this.wss = wss;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(Number(url.port), url.hostname, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return this.member.config.clientUrl;
  }

  async close(): Promise<void> {
    this.requests.close();
    for (const ws of this.sockets.keys()) ws.terminate();
    this.wss?.close();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async onHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/health') {
      const ok = !this.member.isStopped() && this.member.leaderId() !== 0;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ health: String(ok), reason: ok ? '' : 'no leader' }));
      return;
    }
    if (req.method === 'GET' && path === '/metrics') {
      try {
        const body = await this.member.registry.metrics();
        res.writeHead(200, { 'content-type': this.member.registry.contentType });
        res.end(body);
      } catch (e) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(e instanceof Error ? e.message : String(e));
      }
      return;
    }
    if (req.method === 'POST' && path === '/debug/faults' && this.member.config.unsafeFaultInjection) {
      await this.onFaults(req, res);
      return;
    }
    if (req.method === 'GET' && path === '/debug/write-trace' && this.member.trace !== undefined) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(this.member.trace.dump()));
      return;
    }
    if (req.method === 'GET' && path === '/version') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ halyard: VERSION }));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found: the client protocol is a WebSocket on this port; see docs/kv.md\n');
  }

  /**
   * Test-only fault hooks (`--unsafe-fault-injection`): body {"clear": true} or
   * {"peerId": <id>, "dropOutgoing": bool, "dropIncoming": bool, "delayMs": n}.
   */
  private async onFaults(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    let body = '';
    for await (const chunk of req) {
      body += String(chunk);
      if (body.length > 4096) return reply(413, { error: 'body too large' });
    }
    let spec: unknown;
    try {
      spec = JSON.parse(body);
    } catch {
      return reply(400, { error: 'body must be JSON' });
    }
    if (typeof spec !== 'object' || spec === null) return reply(400, { error: 'body must be an object' });
    const o = spec as Record<string, unknown>;
    const transport = this.member.transportFaults();
    if (o.clear === true) {
      transport.clearFaults();
      return reply(200, { ok: true });
    }
    const peerId = o.peerId;
    if (typeof peerId !== 'number' || !Number.isSafeInteger(peerId) || peerId <= 0) return reply(400, { error: 'peerId must be a positive integer' });
    const fault: { dropOutgoing?: boolean; dropIncoming?: boolean; delayMs?: number } = {};
    if (o.dropOutgoing !== undefined) {
      if (typeof o.dropOutgoing !== 'boolean') return reply(400, { error: 'dropOutgoing must be a boolean' });
      fault.dropOutgoing = o.dropOutgoing;
    }
    if (o.dropIncoming !== undefined) {
      if (typeof o.dropIncoming !== 'boolean') return reply(400, { error: 'dropIncoming must be a boolean' });
      fault.dropIncoming = o.dropIncoming;
    }
    if (o.delayMs !== undefined) {
      if (typeof o.delayMs !== 'number' || !Number.isSafeInteger(o.delayMs) || o.delayMs < 0 || o.delayMs > 60_000) return reply(400, { error: 'delayMs must be an integer in 0..60000' });
      fault.delayMs = o.delayMs;
    }
    transport.setFault(peerId, fault);
    reply(200, { ok: true });
  }

  private onConnection(ws: WebSocket, socket: Socket): void {
    this.sockets.set(ws, socket);
    let inFlight = 0;
    const sink: WatchSink = {
      send: (frame) => this.send(ws, frame),
      bufferedBytes: () => ws.bufferedAmount,
    };
    ws.on('message', (data, isBinary) => {
      const trace = this.member.trace;
      trace?.requestArrived();
      let id: number | undefined;
      try {
        if (!isBinary) throw new KvError('BadFrame', 'frames must be binary msgpack');
        const bytes = toBytes(data);
        const raw = decodeFrame(bytes, this.member.config.requestSizeBytesMax + CLIENT_FRAME_OVERHEAD_BYTES);
        id = frameIdOf(raw);
        if (bytes.byteLength > this.member.config.requestSizeBytesMax) {
          throw new KvError('TooLarge', `request frame of ${bytes.byteLength} bytes exceeds --max-request-bytes ${this.member.config.requestSizeBytesMax}`);
        }
        const req = decodeClientRequest(raw);
        if (inFlight >= CONNECTION_REQUESTS_IN_FLIGHT_MAX) throw new KvError('Unavailable', `more than ${CONNECTION_REQUESTS_IN_FLIGHT_MAX} requests in flight on this connection`);
        inFlight++;
        const pending = this.handle(req, sink);
        const tracedIndex = trace?.takeProposed();
        void pending
          .then((result) => {
            this.succeed(ws, req.method, req.id, result);
            if (tracedIndex !== undefined) trace?.mark(tracedIndex, 'replySent');
          })
          .catch((e: unknown) => this.fail(ws, req.method, req.id, e))
          .finally(() => {
            inFlight--;
          });
      } catch (e) {
        if (id !== undefined) this.fail(ws, 'frame', id, e);
        else this.send(ws, { type: 'frameError', error: toWireError(e) });
      }
    });
    ws.on('close', () => {
      this.sockets.delete(ws);
      this.member.watchHub.detach(sink);
    });
    ws.on('error', () => ws.terminate());
  }

  // Each request is counted exactly once, when its outcome is known: OK once its answer is handed to the
  // socket, otherwise with the wire code of its error (a failure while sending an answer counts as that).
  private succeed(ws: WebSocket, method: string, id: number, result: Extract<ServerFrame, { type: 'response' }>['result']): void {
    this.send(ws, { type: 'response', id, result });
    this.member.metrics.clientRequests.inc({ method, code: 'OK' });
  }

  private fail(ws: WebSocket, method: string, id: number, e: unknown): void {
    const error = toWireError(e);
    this.member.metrics.clientRequests.inc({ method, code: error.code });
    if (error.code === 'Internal') this.member.logger.warn('internal error serving a request', { method, message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    this.send(ws, { type: 'error', id, error });
  }

  private send(ws: WebSocket, frame: ServerFrame): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    const socket = this.sockets.get(ws);
    if (socket !== undefined) corkUntilNextTick(socket);
    ws.send(encodeFrame(frame));
  }

  private async handle(req: ClientRequest, sink: WatchSink): Promise<Methods[typeof req.method]['result']> {
    return this.requests.handle(req, sink);
  }
}
