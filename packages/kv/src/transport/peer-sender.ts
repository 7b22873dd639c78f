// The outbound side for one peer: a bounded queue, a connection that redials with backoff, and a
// flush that coalesces everything queued in one event-loop turn into as few frames as the limits allow.

import WebSocket, { type RawData } from 'ws';
import { entrySizeBytes, type Message, type NodeId } from '../raft/types.ts';
import { type SnapshotChunk, type SnapshotSource, streamChunks } from '../storage/snapshot-chunks.ts';
import { backoffDelayMs } from './backoff.ts';
import { FrameError } from './errors.ts';
import { PROTOCOL_VERSION, decodeFrame, encodeFrame } from './frames.ts';
import type { TransportMetrics } from './metrics.ts';
import type { TransportLimits, TransportLogger, TransportTlsOptions } from './options.ts';

type SnapshotMessage = Extract<Message, { type: 'snapshot' }>;

export interface SenderContext {
  readonly localId: NodeId;
  readonly clusterId: string;
  readonly limits: TransportLimits;
  readonly tls: TransportTlsOptions | undefined;
  readonly metrics: TransportMetrics;
  readonly logger: TransportLogger;
  readonly random: () => number;
  readonly onUnreachable: ((peerId: NodeId) => void) | undefined;
  readonly onSnapshotSent: ((peerId: NodeId, snapshotIndex: number, ok: boolean) => void) | undefined;
  /** Where a snapshot message's data is read from when its stream starts (options.ts, openSnapshotSource). */
  readonly openSnapshot: (msg: SnapshotMessage) => Promise<SnapshotSource>;
  readonly onRemoved: ((byPeerId: NodeId) => void) | undefined;
  /** This member's advertised URL, sent in the hello frame. */
  readonly advertisedUrl: string | undefined;
  readonly onMessagesWritten: ((msgs: readonly Message[]) => void) | undefined;
}

export interface PeerStatus {
  readonly peerId: NodeId;
  readonly url: string;
  /** Handshake done; messages flow. */
  readonly connected: boolean;
  readonly queuedMessages: number;
  /** Failed connection attempts since the last successful handshake. */
  readonly failedAttempts: number;
  readonly lastError: { readonly code: string; readonly message: string } | undefined;
}

interface Queued {
  readonly msg: Message;
  readonly dueAtMs: number;
  readonly sizeBytes: number;
}

/**
 * One snapshot streaming on one connection: its source is opened when the stream starts, chunks are pulled
 * one at a time and only while the socket's buffer has room (so a slow follower holds back the reads, not
 * the leader's memory), and the stream ends when the receiver acknowledges it.
 */
interface SnapshotStream {
  readonly id: number;
  readonly msg: SnapshotMessage;
  readonly ws: WebSocket;
  source: SnapshotSource | undefined;
  chunks: AsyncGenerator<SnapshotChunk> | undefined;
  /** Opening the source or pulling a chunk is in progress. */
  pulling: boolean;
  /** The end chunk was written; waiting for the receiver's snapAck. */
  ended: boolean;
  ackTimer: NodeJS.Timeout | undefined;
  sentBytes: number;
}

/** Estimated memory of a queued message: entries dominate; the rest is a fixed envelope. */
function messageSizeBytes(m: Message): number {
  if (m.type === 'propose') return 64 + m.data.byteLength;
  if (m.type !== 'append') return 64;
  let size = 64;
  for (const e of m.entries) size += entrySizeBytes(e);
  return size;
}

export class PeerSender {
  readonly peerId: NodeId;
  private url: string;
  private readonly ctx: SenderContext;
  private queue: Queued[] = [];
  private queueBytes = 0;
  /** At most one snapshot waits (newest wins) and at most one streams: each can be hundreds of MiB. */
  private pendingSnapshot: SnapshotMessage | undefined;
  private stream: SnapshotStream | undefined;
  private lastStreamId = 0;
  private socket: WebSocket | undefined;
  private ready = false;
  private failedAttempts = 0;
  private lastError: PeerStatus['lastError'];
  private handshakeTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private dueTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private flushScheduled: NodeJS.Immediate | undefined;
  private lazyTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(peerId: NodeId, url: string, ctx: SenderContext) {
    this.peerId = peerId;
    this.url = url;
    this.ctx = ctx;
    this.connect();
  }

  status(): PeerStatus {
    return {
      peerId: this.peerId,
      url: this.url,
      connected: this.ready,
      queuedMessages: this.queue.length + (this.pendingSnapshot ? 1 : 0),
      failedAttempts: this.failedAttempts,
      lastError: this.lastError,
    };
  }

  /** A new URL for this peer (membership update): redial now, keeping the queue. */
  setUrl(url: string): void {
    if (url === this.url) return;
    this.url = url;
    this.failedAttempts = 0;
    this.dropConnection('url changed');
    this.clearReconnect();
    this.connect();
  }

  /**
   * Queue `msg`; it goes out on the next turn, or — `lazy` — with whatever is sent next to this peer, at
   * the latest after limits.commitOnlyDelayMs.
   */
  enqueue(msg: Message, delayMs: number, lazy = false): void {
    if (this.closed) return;
    if (msg.type === 'snapshot') {
      if (this.pendingSnapshot) this.drop(this.pendingSnapshot, 'superseded');
      this.pendingSnapshot = msg;
    } else {
      const item: Queued = { msg, dueAtMs: delayMs > 0 ? Date.now() + delayMs : 0, sizeBytes: messageSizeBytes(msg) };
      this.queue.push(item);
      this.queueBytes += item.sizeBytes;
      this.trimQueue();
      if (lazy) {
        this.lazyTimer ??= setTimeout(() => {
          this.lazyTimer = undefined;
          this.scheduleFlush();
        }, this.ctx.limits.commitOnlyDelayMs);
        return;
      }
    }
    this.scheduleFlush();
  }

  /** Drop everything waiting (a partition was switched on, or the peer removed). */
  clearQueue(reason: 'faultOutgoing' | 'removed'): void {
    for (const q of this.queue) this.drop(q.msg, reason);
    this.queue = [];
    this.queueBytes = 0;
    if (this.pendingSnapshot) this.drop(this.pendingSnapshot, reason);
    this.pendingSnapshot = undefined;
  }

  close(): void {
    if (this.closed) return;
    this.clearQueue('removed');
    this.closed = true;
    this.clearReconnect();
    if (this.dueTimer) clearTimeout(this.dueTimer);
    if (this.lazyTimer) clearTimeout(this.lazyTimer);
    if (this.flushScheduled) clearImmediate(this.flushScheduled);
    this.dropConnection('closed');
  }

  // Drop-oldest: while a peer is away the queue fills with heartbeats and appends of a moment that
  // has passed; when it returns, the newest messages (current term, latest commit) are the ones worth
  // delivering, and Raft retransmits whatever the follower still lacks.
  private trimQueue(): void {
    const { queueMessagesMax, queueSizeBytesMax } = this.ctx.limits;
    let n = 0;
    while (this.queue.length - n > queueMessagesMax || (this.queueBytes > queueSizeBytesMax && this.queue.length - n > 1)) {
      const old = this.queue[n]!;
      this.queueBytes -= old.sizeBytes;
      this.drop(old.msg, 'queueFull');
      n++;
    }
    if (n > 0) this.queue.splice(0, n);
  }

  private drop(msg: Message, reason: 'queueFull' | 'superseded' | 'faultOutgoing' | 'removed' | 'tooLarge'): void {
    this.ctx.metrics.messagesDropped.inc({ peer: String(this.peerId), reason });
    if (msg.type === 'snapshot' && reason !== 'superseded') this.ctx.onSnapshotSent?.(this.peerId, msg.snapshot.metadata.index, false);
  }

  /**
   * Write the queued messages now (the transport calls it after queueing a batch) instead of on the next
   * turn. Snapshot chunks still go on a later turn: streaming megabytes must not hold up the caller.
   */
  flushNow(): void {
    const ws = this.socket;
    if (this.closed || !this.ready || !ws || ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount < this.ctx.limits.socketBufferedBytesMax) this.flushMessages(ws);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.closed) return;
    // setImmediate, not a microtask: everything the server sends while handling one Ready (and any
    // other callbacks of the same loop turn) lands in the queue before the batch is cut.
    this.flushScheduled = setImmediate(() => {
      this.flushScheduled = undefined;
      this.flush();
    });
  }

  private flush(): void {
    const ws = this.socket;
    if (!this.ready || !ws || ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount < this.ctx.limits.socketBufferedBytesMax) this.flushMessages(ws);
    if (!this.stream && this.pendingSnapshot) this.startStream(ws);
    this.pumpSnapshot(ws);
  }

  private flushMessages(ws: WebSocket): void {
    const now = Date.now();
    let due = 0;
    while (due < this.queue.length && this.queue[due]!.dueAtMs <= now) due++;
    if (due > 0) {
      if (due === this.queue.length && this.lazyTimer) {
        clearTimeout(this.lazyTimer);
        this.lazyTimer = undefined;
      }
      const batch = this.queue.splice(0, due);
      for (const q of batch) this.queueBytes -= q.sizeBytes;
      const { messagesPerFrameMax } = this.ctx.limits;
      for (let i = 0; i < batch.length; i += messagesPerFrameMax) {
        this.sendBatch(ws, batch.slice(i, i + messagesPerFrameMax).map((q) => q.msg));
      }
    }
    if (this.queue.length > 0 && !this.dueTimer) {
      const waitMs = Math.max(0, this.queue[0]!.dueAtMs - now);
      this.dueTimer = setTimeout(() => {
        this.dueTimer = undefined;
        this.scheduleFlush();
      }, waitMs);
    }
  }

  /** One frame if it fits; otherwise halves until every frame fits, and drops a lone message that cannot. */
  private sendBatch(ws: WebSocket, msgs: readonly Message[]): void {
    const frame = encodeFrame({ t: 'msgs', msgs });
    if (frame.byteLength <= this.ctx.limits.frameSizeBytesMax) {
      this.write(ws, frame);
      for (const m of msgs) this.ctx.metrics.messagesSent.inc({ peer: String(this.peerId), type: m.type });
      this.ctx.onMessagesWritten?.(msgs);
      return;
    }
    if (msgs.length === 1) {
      this.ctx.logger.warn('message larger than a frame dropped', { peer: this.peerId, type: msgs[0]!.type, sizeBytes: frame.byteLength });
      this.drop(msgs[0]!, 'tooLarge');
      return;
    }
    const half = Math.ceil(msgs.length / 2);
    this.sendBatch(ws, msgs.slice(0, half));
    this.sendBatch(ws, msgs.slice(half));
  }

  private startStream(ws: WebSocket): void {
    const msg = this.pendingSnapshot!;
    this.pendingSnapshot = undefined;
    const st: SnapshotStream = { id: ++this.lastStreamId, msg, ws, source: undefined, chunks: undefined, pulling: true, ended: false, ackTimer: undefined, sentBytes: 0 };
    this.stream = st;
    this.ctx.openSnapshot(msg).then(
      (source) => {
        st.pulling = false;
        if (this.stream !== st) return void source.close().catch(() => undefined);
        st.source = source;
        st.chunks = streamChunks(source, st.id);
        this.scheduleFlush();
      },
      (err: unknown) => {
        st.pulling = false;
        this.endStream(st, false, `cannot open the snapshot: ${String(err)}`);
      },
    );
  }

  /** Pull and write the next chunk if the socket has room; one pull at a time. */
  private pumpSnapshot(ws: WebSocket): void {
    const st = this.stream;
    if (!st || st.ws !== ws || st.pulling || st.ended || !st.chunks) return;
    if (ws.bufferedAmount >= this.ctx.limits.socketBufferedBytesMax) return;
    st.pulling = true;
    st.chunks.next().then(
      (r) => {
        st.pulling = false;
        if (this.stream !== st || r.done === true) return;
        const chunk = r.value;
        const { from, to, term } = st.msg;
        st.sentBytes += chunk.data.byteLength;
        if (chunk.end !== undefined) {
          st.ended = true;
          st.ackTimer = setTimeout(() => this.endStream(st, false, `no snapAck within ${this.ctx.limits.snapshotAckTimeoutMs} ms`), this.ctx.limits.snapshotAckTimeoutMs);
        }
        if (ws.readyState !== WebSocket.OPEN) return; // the close handler ends the stream
        this.write(ws, encodeFrame({ t: 'snap', from, to, term, chunk }));
        this.scheduleFlush();
      },
      (err: unknown) => {
        st.pulling = false;
        this.endStream(st, false, `reading the snapshot failed: ${String(err)}`);
      },
    );
  }

  /**
   * The stream is over: acknowledged by the receiver (ok), or refused, broken or timed out. Raft learns
   * either way (reportSnapshot); after a failure it sends a snapshot again (etcd's ReportSnapshot).
   */
  private endStream(st: SnapshotStream, ok: boolean, reason?: string): void {
    if (this.stream !== st) return;
    this.stream = undefined;
    if (st.ackTimer) clearTimeout(st.ackTimer);
    void st.source?.close().catch(() => undefined);
    const index = st.msg.snapshot.metadata.index;
    if (ok) {
      this.ctx.metrics.messagesSent.inc({ peer: String(this.peerId), type: 'snapshot' });
      this.ctx.logger.info('snapshot sent', { peer: this.peerId, index: st.source?.metadata.index ?? index, sizeBytes: st.sentBytes });
    } else {
      this.ctx.metrics.messagesDropped.inc({ peer: String(this.peerId), reason: 'removed' });
      this.ctx.logger.warn('snapshot stream failed', { peer: this.peerId, index, reason });
    }
    this.ctx.onSnapshotSent?.(this.peerId, index, ok);
    if (this.pendingSnapshot) this.scheduleFlush();
  }

  private write(ws: WebSocket, frame: Uint8Array, onWritten?: () => void): void {
    this.ctx.metrics.framesSent.inc({ peer: String(this.peerId) });
    ws.send(frame, { binary: true }, (err) => {
      if (err) return; // the close handler deals with the connection
      onWritten?.();
      // Backpressure released: continue with whatever waited for the socket buffer to drain.
      if (this.queue.length > 0 || (this.stream && !this.stream.ended) || this.pendingSnapshot) this.scheduleFlush();
    });
  }

  private connect(): void {
    if (this.closed) return;
    const { limits, tls } = this.ctx;
    const ws = new WebSocket(this.url, {
      maxPayload: limits.frameSizeBytesMax,
      perMessageDeflate: false,
      handshakeTimeout: limits.handshakeTimeoutMs,
      ...(tls ? { cert: tls.cert, key: tls.key, ca: tls.ca, rejectUnauthorized: true } : {}),
    });
    this.socket = ws;
    this.ready = false;
    this.handshakeTimer = setTimeout(() => this.fail(ws, 'NoHandshake', `no welcome within ${limits.handshakeTimeoutMs} ms`), limits.handshakeTimeoutMs);
    ws.on('open', () => {
      const url = this.ctx.advertisedUrl;
      ws.send(encodeFrame({ t: 'hello', v: PROTOCOL_VERSION, clusterId: this.ctx.clusterId, fromId: this.ctx.localId, toId: this.peerId, ...(url !== undefined ? { url } : {}) }));
    });
    ws.on('message', (data: RawData, isBinary: boolean) => this.onFrame(ws, data, isBinary));
    ws.on('error', (err: Error) => {
      this.lastError = { code: (err as { code?: string }).code ?? 'SocketError', message: err.message };
    });
    ws.on('close', (code: number, reason: Buffer) => {
      if (this.socket !== ws) return;
      this.onDisconnect(code, reason.toString());
    });
  }

  private onFrame(ws: WebSocket, data: RawData, isBinary: boolean): void {
    if (this.socket !== ws) return;
    let frame;
    try {
      if (!isBinary) throw new FrameError('NotBinary', 'text frame from listener');
      frame = decodeFrame(toBytes(data), this.ctx.limits);
    } catch (err) {
      const e = err instanceof FrameError ? err : new FrameError('BadFrame', String(err));
      this.ctx.metrics.framesRejected.inc({ reason: e.code });
      this.fail(ws, e.code, `listener sent a bad frame: ${e.message}`);
      return;
    }
    switch (frame.t) {
      case 'welcome':
        if (frame.clusterId !== this.ctx.clusterId || frame.fromId !== this.peerId) {
          const code = frame.clusterId !== this.ctx.clusterId ? 'ClusterIdMismatch' : 'WrongMember';
          this.fail(ws, code, `listener at ${this.url} is member ${frame.fromId} of cluster ${frame.clusterId}`);
          return;
        }
        if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
        this.ready = true;
        this.startPinging(ws);
        this.failedAttempts = 0;
        this.lastError = undefined;
        this.ctx.logger.info('peer connected', { peer: this.peerId, url: this.url });
        this.scheduleFlush();
        return;
      case 'error':
        // The listener refused us (cluster id, member id) or a frame of ours; it may close next.
        this.lastError = { code: frame.code, message: frame.message };
        this.ctx.metrics.errorFramesReceived.inc({ peer: String(this.peerId), code: frame.code });
        this.ctx.logger.warn('peer reported an error', { peer: this.peerId, code: frame.code, message: frame.message });
        if (frame.code === 'MemberRemoved') this.ctx.onRemoved?.(this.peerId);
        return;
      case 'snapAck': {
        const st = this.stream;
        if (!st || st.ws !== ws || frame.streamId !== st.id) return;
        if (!frame.ok) this.ctx.logger.warn('peer refused a snapshot', { peer: this.peerId, index: frame.index, code: frame.code, message: frame.message });
        // A refusal ends the stream whenever it comes; an acknowledgement only once everything was sent.
        if (!frame.ok || st.ended) this.endStream(st, frame.ok, frame.code);
        return;
      }
      case 'hello':
      case 'msgs':
      case 'snap':
        this.ctx.metrics.framesRejected.inc({ reason: 'BadFrame' });
        this.fail(ws, 'BadFrame', `listener sent a '${frame.t}' frame`);
        return;
      default: {
        const unhandled: never = frame;
        throw new Error(`unhandled frame ${String(unhandled)}`);
      }
    }
  }

  private startPinging(ws: WebSocket): void {
    let awaitingPong = false;
    ws.on('pong', () => (awaitingPong = false));
    this.stopPinging();
    this.pingTimer = setInterval(() => {
      if (this.socket !== ws) return this.stopPinging();
      if (awaitingPong) return this.fail(ws, 'PingTimeout', `no pong within ${this.ctx.limits.pingIntervalMs} ms`);
      awaitingPong = true;
      ws.ping();
    }, this.ctx.limits.pingIntervalMs);
  }

  private stopPinging(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = undefined;
  }

  /** Give up on this connection attempt with a reason; the close handler schedules the redial. */
  private fail(ws: WebSocket, code: string, message: string): void {
    this.lastError = { code, message };
    this.ctx.logger.warn('peer connection failed', { peer: this.peerId, url: this.url, code, message });
    ws.terminate();
  }

  private onDisconnect(code: number, reason: string): void {
    const wasReady = this.ready;
    this.socket = undefined;
    this.ready = false;
    this.stopPinging();
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    // Chunks already sent are lost with the connection; Raft resends a snapshot after a failure report.
    if (this.stream) this.endStream(this.stream, false, 'connection closed');
    if (this.closed) return;
    if (!this.lastError && code !== 1000) this.lastError = { code: `Close${code}`, message: reason || 'connection closed' };
    if (wasReady) this.ctx.logger.warn('peer disconnected', { peer: this.peerId, code, reason });
    this.ctx.onUnreachable?.(this.peerId);
    const delayMs = backoffDelayMs(this.ctx.limits, this.failedAttempts, this.ctx.random);
    this.failedAttempts++;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.ctx.metrics.reconnects.inc({ peer: String(this.peerId) });
      this.connect();
    }, delayMs);
  }

  private dropConnection(reason: string): void {
    const ws = this.socket;
    this.socket = undefined;
    this.ready = false;
    this.stopPinging();
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    if (ws) {
      ws.removeAllListeners('message');
      ws.on('error', () => undefined);
      this.ctx.logger.info('peer connection dropped', { peer: this.peerId, reason });
      ws.terminate();
    }
    if (this.stream) this.endStream(this.stream, false, reason);
  }

  private clearReconnect(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
  }
}

export function toBytes(data: RawData): Uint8Array {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return new Uint8Array(data);
}
