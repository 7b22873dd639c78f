// Raft messages between members over WebSockets with msgpackr frames. The server hands it the
// messages of a Ready (after persisting) and gets every validated incoming message through `handler`.
// Delivery is best effort — Raft tolerates loss, duplication and reordering — but never unbounded:
// every queue and buffer here has a named limit (options.ts).

import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Message, NodeId, SnapshotMetadata } from '../raft/types.ts';
import { ImageSink, SnapshotChunkError, type SnapshotFormat, type SnapshotSink, imageSource } from '../storage/snapshot-chunks.ts';
import { encodeFrame, errorFrame } from './frames.ts';
import { serveInbound } from './inbound.ts';
import { createTransportMetrics, type TransportMetrics } from './metrics.ts';
import {
  DEFAULT_LIMITS,
  FRAME_ENVELOPE_BYTES_MAX,
  NO_FAULT,
  consoleLogger,
  type PeerFault,
  type PeerTransportOptions,
  type TransportLimits,
  type TransportLogger,
} from './options.ts';
import { PeerSender, type PeerStatus, type SenderContext } from './peer-sender.ts';

/** An append that only carries the commit index: nobody waits for it (see sendAll). */
function isCommitOnly(m: Message): boolean {
  return m.type === 'append' && m.entries.length === 0;
}

/** Without a sink of its own, a member reassembles `image` snapshots in memory and refuses other formats. */
function defaultSink(_from: NodeId, metadata: SnapshotMetadata, format: SnapshotFormat): Promise<SnapshotSink> {
  if (format !== 'image') return Promise.reject(new SnapshotChunkError('Unsupported', `this member cannot install a '${format}' snapshot`));
  return Promise.resolve(new ImageSink(metadata));
}

/** WebSocket close code "try again later" (RFC 6455 registry, 1013). */
const CLOSE_TRY_AGAIN_LATER = 1013;

export class PeerTransport {
  readonly id: NodeId;
  private readonly opts: PeerTransportOptions;
  private readonly limits: TransportLimits;
  private readonly logger: TransportLogger;
  readonly metrics: TransportMetrics;
  private readonly senders = new Map<NodeId, PeerSender>();
  private readonly faults = new Map<NodeId, PeerFault>();
  private readonly inbound = new Set<WebSocket>();
  /** The accepted inbound connection of each peer; a newer one from the same peer replaces it. */
  private readonly inboundByPeer = new Map<NodeId, WebSocket>();
  private server: HttpServer | undefined;
  private wss: WebSocketServer | undefined;
  private listenUrl: string | undefined;
  private closed = false;

  constructor(opts: PeerTransportOptions) {
    this.opts = opts;
    this.id = opts.id;
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.logger = opts.logger ?? consoleLogger;
    this.metrics = createTransportMetrics(opts.registry);
    const l = this.limits;
    if (l.snapshotChunkSizeBytes + FRAME_ENVELOPE_BYTES_MAX > l.frameSizeBytesMax) {
      throw new RangeError(`snapshotChunkSizeBytes ${l.snapshotChunkSizeBytes} leaves no room for the envelope in frameSizeBytesMax ${l.frameSizeBytesMax}`);
    }
    if (!(l.backoffMsMin > 0 && l.backoffMsMax >= l.backoffMsMin)) throw new RangeError('need 0 < backoffMsMin ≤ backoffMsMax');
    if (!(opts.id > 0)) throw new RangeError('id must be > 0');
  }

  /** The URL peers dial to reach this member (known after start(); port 0 resolved). */
  get url(): string {
    if (!this.listenUrl) throw new Error('PeerTransport not started');
    return this.listenUrl;
  }

  /** Listen, then dial every configured peer. Resolves with the listening URL. */
  async start(): Promise<string> {
    const tls = this.opts.tls;
    const onRequest = (_req: IncomingMessage, res: ServerResponse): void => {
      res.writeHead(426, { 'content-type': 'text/plain' }).end('peer transport: WebSocket upgrade required\n');
    };
    const server: HttpServer = tls
      ? createHttpsServer({ cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: tls.ca !== undefined, rejectUnauthorized: tls.ca !== undefined }, onRequest)
      : createHttpServer(onRequest);
    server.on('tlsClientError', (err: Error) => this.logger.warn('TLS handshake refused', { message: err.message }));
    this.server = server;
    const wss = new WebSocketServer({ server, maxPayload: this.limits.frameSizeBytesMax, perMessageDeflate: false });
    this.wss = wss;
    wss.on('connection', (ws: WebSocket, req: IncomingMessage) => this.onConnection(ws, req));
    wss.on('error', (err: Error) => this.logger.warn('listener error', { message: err.message }));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.listen.port, this.opts.listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address() as AddressInfo;
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    this.listenUrl = `${tls ? 'wss' : 'ws'}://${host}:${addr.port}`;
    for (const [id, url] of this.opts.peers ?? []) this.setPeer(id, url);
    return this.listenUrl;
  }

  /**
   * Queue one message for msg.to; everything queued in one event-loop turn goes out together, in as few
   * frames as the limits allow. Never throws, never blocks: a message that cannot go is dropped and counted.
   */
  send(msg: Message): void {
    if (!this.closed) this.enqueue(msg);
  }

  /**
   * Send a batch (a Ready's messages): queued per peer, then written at once, one frame per peer. Written
   * now rather than on a later turn, because the caller's next step is the leader's own disk write, which
   * the appends are meant to overlap (thesis §10.2.1), and a follower's acknowledgement is what the
   * leader's commit waits for; a turn of the event loop between them is pure latency. The exception is
   * an append without entries (a new commit index, nothing to persist, which etcd sends at once): it waits
   * for the next message to that peer, or limits.commitOnlyDelayMs — so the leader's replies to the writes
   * it just applied go out first, and with one write after another the commit index rides in the next
   * write's append instead of costing each follower a wake-up, a disk write and an acknowledgement.
   */
  sendAll(msgs: readonly Message[]): void {
    if (this.closed) return;
    const urgent = new Set<PeerSender>();
    for (const m of msgs) {
      const lazy = isCommitOnly(m);
      const sender = this.enqueue(m, lazy);
      if (sender !== undefined && !lazy) urgent.add(sender);
    }
    for (const sender of urgent) sender.flushNow();
  }

  /** Queue `msg` for its peer; the sender, or undefined when the message was dropped. */
  private enqueue(msg: Message, lazy = false): PeerSender | undefined {
    const peer = String(msg.to);
    if (this.faults.get(msg.to)?.dropOutgoing) {
      this.metrics.messagesDropped.inc({ peer, reason: 'faultOutgoing' });
      if (msg.type === 'snapshot') this.reportSnapshot(msg.to, msg.snapshot.metadata.index, false);
      return undefined;
    }
    const sender = this.senders.get(msg.to);
    if (!sender) {
      this.metrics.messagesDropped.inc({ peer, reason: 'unknownPeer' });
      return undefined;
    }
    sender.enqueue(msg, this.faults.get(msg.to)?.delayMs ?? 0, lazy);
    return sender;
  }

  /** Add a peer or change its URL (membership changes at runtime). */
  setPeer(id: NodeId, url: string): void {
    if (this.closed || id === this.id) return;
    const existing = this.senders.get(id);
    if (existing) existing.setUrl(url);
    else this.senders.set(id, new PeerSender(id, url, this.senderContext()));
  }

  removePeer(id: NodeId): void {
    this.senders.get(id)?.close();
    this.senders.delete(id);
    this.faults.delete(id);
  }

  peers(): NodeId[] {
    return [...this.senders.keys()];
  }

  peerStatus(id: NodeId): PeerStatus | undefined {
    return this.senders.get(id)?.status();
  }

  /** Change fault injection for one peer; unspecified fields keep their value. */
  setFault(peerId: NodeId, fault: Partial<PeerFault>): void {
    const next = { ...(this.faults.get(peerId) ?? NO_FAULT), ...fault };
    this.faults.set(peerId, next);
    // A cut link loses what was in flight too, as a real partition would.
    if (next.dropOutgoing) this.senders.get(peerId)?.clearQueue('faultOutgoing');
  }

  fault(peerId: NodeId): PeerFault {
    return this.faults.get(peerId) ?? NO_FAULT;
  }

  clearFaults(): void {
    this.faults.clear();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.senders.values()) s.close();
    this.senders.clear();
    for (const ws of this.inbound) ws.terminate();
    this.inbound.clear();
    this.inboundByPeer.clear();
    const wss = this.wss;
    const server = this.server;
    if (wss) await new Promise<void>((resolve) => wss.close(() => resolve()));
    if (server?.listening) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const remote = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    // Until serveInbound attaches its own, an 'error' on a socket we are refusing must not crash the process.
    ws.on('error', () => undefined);
    if (this.closed) {
      ws.terminate();
      return;
    }
    if (this.inbound.size >= this.limits.inboundConnectionsMax) {
      this.metrics.framesRejected.inc({ reason: 'TooManyConnections' });
      this.logger.warn('inbound connection refused: limit reached', { remote, inboundConnectionsMax: this.limits.inboundConnectionsMax });
      ws.send(errorFrame('TooManyConnections', `limit of ${this.limits.inboundConnectionsMax} inbound connections reached`));
      ws.close(CLOSE_TRY_AGAIN_LATER, 'TooManyConnections');
      return;
    }
    this.inbound.add(ws);
    ws.on('close', () => this.inbound.delete(ws));
    serveInbound(ws, remote, {
      localId: this.id,
      clusterId: this.opts.clusterId,
      limits: this.limits,
      metrics: this.metrics,
      logger: this.logger,
      deliver: (peerId, msg) => this.deliver(peerId, msg),
      delivered: () => this.delivered(),
      openSink: this.opts.openSnapshotSink ?? defaultSink,
      isRemoved: (peerId) => this.opts.isRemoved?.(peerId) === true,
      accepted: (peerId, accepted) => this.onAccepted(peerId, accepted),
      learned: (peerId, url) => {
        // Only an unknown peer is added: a known one keeps the URL the membership gave it.
        if (!this.senders.has(peerId) && !this.closed) {
          this.logger.info('peer learned from its hello', { peer: peerId, url });
          this.setPeer(peerId, url);
        }
      },
    });
  }

  private onAccepted(peerId: NodeId, ws: WebSocket): void {
    // A peer dials again only when it considers its old connection dead (restart, ping timeout); the
    // old socket may still look open here, so the newest connection wins and the slot is freed.
    const old = this.inboundByPeer.get(peerId);
    if (old && old !== ws) {
      this.logger.info('inbound connection replaced by a newer one from the same peer', { peer: peerId });
      old.terminate();
    }
    this.inboundByPeer.set(peerId, ws);
    ws.once('close', () => {
      if (this.inboundByPeer.get(peerId) === ws) this.inboundByPeer.delete(peerId);
    });
  }

  private deliver(peerId: NodeId, msg: Message): void {
    const peer = String(peerId);
    if (this.faults.get(peerId)?.dropIncoming) {
      this.metrics.messagesDropped.inc({ peer, reason: 'faultIncoming' });
      return;
    }
    this.metrics.messagesReceived.inc({ peer, type: msg.type });
    try {
      this.opts.handler(msg);
    } catch (err) {
      // The handler is the server's; its failure must not take down a peer connection.
      this.metrics.messagesDropped.inc({ peer, reason: 'handlerError' });
      this.logger.warn('message handler threw', { peer: peerId, type: msg.type, message: String(err) });
    }
  }

  private delivered(): void {
    try {
      this.opts.delivered?.();
    } catch (err) {
      // As a throwing handler: the server's failure must not take down a peer connection.
      this.logger.warn('delivered hook threw', { message: String(err) });
    }
  }

  // Hooks run on a later event-loop turn, never inside send(): the server calls send() in the middle
  // of handling a Ready, and the hooks step the Raft core, which must not be re-entered there.
  private reportUnreachable(peerId: NodeId): void {
    const hook = this.opts.onUnreachable;
    if (hook && !this.closed) setImmediate(() => hook(peerId));
  }

  private reportSnapshot(peerId: NodeId, snapshotIndex: number, ok: boolean): void {
    const hook = this.opts.onSnapshotSent;
    if (hook && !this.closed) setImmediate(() => hook(peerId, snapshotIndex, ok));
  }

  private senderContext(): SenderContext {
    return {
      localId: this.id,
      clusterId: this.opts.clusterId,
      limits: this.limits,
      tls: this.opts.tls,
      metrics: this.metrics,
      logger: this.logger,
      random: this.opts.random ?? Math.random,
      onUnreachable: (peerId) => this.reportUnreachable(peerId),
      onSnapshotSent: (peerId, index, ok) => this.reportSnapshot(peerId, index, ok),
      openSnapshot: this.opts.openSnapshotSource ?? ((msg) => Promise.resolve(imageSource(msg.snapshot, this.limits.snapshotChunkSizeBytes))),
      onRemoved: this.opts.onRemoved,
      advertisedUrl: this.opts.advertisedUrl,
      onMessagesWritten: this.opts.onMessagesWritten,
    };
  }
}

