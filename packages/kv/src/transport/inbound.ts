// One connection a peer dialed to us: handshake, then frames validated one by one. A bad frame is
// counted, answered with an error frame and dropped; the connection (and certainly the member) keeps
// serving. Only a failed handshake closes the connection: a member of another cluster, or a dialer
// that meant another member, must not be talking to us at all.

import type WebSocket from 'ws';
import type { RawData } from 'ws';
import type { Message, NodeId, SnapshotMetadata } from '../raft/types.ts';
import { type SnapshotChunk, SnapshotChunkError, type SnapshotFormat, type SnapshotSink, SnapshotStreamCheck } from '../storage/snapshot-chunks.ts';
import { FrameError, type FrameErrorCode } from './errors.ts';
import { PROTOCOL_VERSION, type SnapshotAckCode, decodeFrame, encodeFrame, errorFrame, snapAckFrame, type Frame } from './frames.ts';
import type { TransportMetrics } from './metrics.ts';
import type { TransportLimits, TransportLogger } from './options.ts';
import { toBytes } from './peer-sender.ts';

/** WebSocket close code for a policy violation (RFC 6455 §7.4.1). */
const CLOSE_POLICY = 1008;

export interface InboundContext {
  readonly localId: NodeId;
  readonly clusterId: string;
  readonly limits: TransportLimits;
  readonly metrics: TransportMetrics;
  readonly logger: TransportLogger;
  /** Deliver one validated message from `peerId` (fault hooks and the handler live behind this). */
  readonly deliver: (peerId: NodeId, msg: Message) => void;
  /** The messages of one frame (or one snapshot) have all been delivered. */
  readonly delivered: () => void;
  /** Where an incoming snapshot stream is written (PeerTransportOptions.openSnapshotSink). */
  readonly openSink: (from: NodeId, metadata: SnapshotMetadata, format: SnapshotFormat) => Promise<SnapshotSink>;
  /** Whether a peer was removed from the cluster (refused with 'MemberRemoved'). */
  readonly isRemoved: (peerId: NodeId) => boolean;
  /** The handshake of `peerId` succeeded on `ws` (the transport keeps one inbound connection per peer). */
  readonly accepted: (peerId: NodeId, ws: WebSocket) => void;
  /** The dialer told us where it can be reached (its hello's url). */
  readonly learned: (peerId: NodeId, url: string) => void;
}

export function serveInbound(ws: WebSocket, remote: string, ctx: InboundContext): void {
  let peerId: NodeId | undefined;
  const snapshots = new InboundSnapshots(ws, ctx, (from, msg) => ctx.deliver(from, msg));

  const reject = (code: FrameErrorCode, message: string): void => {
    ctx.metrics.framesRejected.inc({ reason: code });
    ctx.logger.warn('frame rejected', { remote, peer: peerId, code, message });
    if (ws.readyState === ws.OPEN) ws.send(errorFrame(code, message));
  };
  const refuse = (code: FrameErrorCode, message: string): void => {
    reject(code, message);
    ws.close(CLOSE_POLICY, code);
  };

  // A half-open socket (peer gone without FIN or RST) would otherwise hold a connection slot forever.
  const idleTimer = setTimeout(() => {
    ctx.logger.warn('inbound connection idle, closing', { remote, peer: peerId, inboundIdleTimeoutMs: ctx.limits.inboundIdleTimeoutMs });
    ws.terminate();
  }, ctx.limits.inboundIdleTimeoutMs);
  ws.on('ping', () => idleTimer.refresh());

  const handshakeTimer = setTimeout(() => refuse('NoHandshake', `no hello within ${ctx.limits.handshakeTimeoutMs} ms`), ctx.limits.handshakeTimeoutMs);

  const onHello = (frame: Frame): void => {
    if (frame.t !== 'hello') return refuse('NoHandshake', `'${frame.t}' frame before hello`);
    if (frame.v !== PROTOCOL_VERSION) return refuse('BadFrame', `protocol version ${frame.v}, this member speaks ${PROTOCOL_VERSION}`);
    if (frame.clusterId !== ctx.clusterId) return refuse('ClusterIdMismatch', `member ${frame.fromId} is in cluster '${frame.clusterId}', this is '${ctx.clusterId}'`);
    if (frame.toId !== ctx.localId) return refuse('WrongMember', `dialed member ${frame.toId}, this is member ${ctx.localId}`);
    if (ctx.isRemoved(frame.fromId)) return refuse('MemberRemoved', `member ${frame.fromId} was removed from the cluster`);
    clearTimeout(handshakeTimer);
    peerId = frame.fromId;
    ws.send(encodeFrame({ t: 'welcome', clusterId: ctx.clusterId, fromId: ctx.localId }));
    ctx.accepted(peerId, ws);
    if (frame.url !== undefined) ctx.learned(peerId, frame.url);
    ctx.logger.info('peer accepted', { remote, peer: peerId });
  };

  const onData = (from: NodeId, frame: Frame): void => {
    switch (frame.t) {
      case 'msgs': {
        // Removed after this connection was accepted: tell it, and hang up.
        if (ctx.isRemoved(from)) return refuse('MemberRemoved', `member ${from} was removed from the cluster`);
        // Check the whole frame before delivering any of it, so a rejected frame has no effect at all.
        const stray = frame.msgs.find((m) => m.from !== from || m.to !== ctx.localId);
        if (stray) return reject('WrongSender', `message ${stray.from}→${stray.to} on the connection of ${from}→${ctx.localId}`);
        for (const m of frame.msgs) ctx.deliver(from, m);
        ctx.delivered();
        return;
      }
      case 'snap': {
        if (frame.from !== from || frame.to !== ctx.localId) return reject('WrongSender', `snapshot chunk ${frame.from}→${frame.to} on the connection of ${from}`);
        const refusal = snapshots.add(from, frame.term, frame.chunk);
        if (refusal !== undefined) reject('BadSnapshotChunk', refusal);
        return;
      }
      case 'snapAck':
        return reject('BadFrame', "unexpected 'snapAck' frame from a dialer");
      case 'error':
        ctx.metrics.errorFramesReceived.inc({ peer: String(from), code: frame.code });
        ctx.logger.warn('peer reported an error', { peer: from, code: frame.code, message: frame.message });
        return;
      case 'hello':
      case 'welcome':
        return reject('BadFrame', `unexpected '${frame.t}' frame after the handshake`);
      default: {
        const unhandled: never = frame;
        throw new Error(`unhandled frame ${String(unhandled)}`);
      }
    }
  };

  ws.on('message', (data: RawData, isBinary: boolean) => {
    idleTimer.refresh();
    if (!isBinary) return peerId === undefined ? refuse('NotBinary', 'text frame') : reject('NotBinary', 'text frame');
    let frame: Frame;
    try {
      frame = decodeFrame(toBytes(data), ctx.limits);
    } catch (err) {
      if (!(err instanceof FrameError)) throw err;
      return peerId === undefined ? refuse(err.code, err.message) : reject(err.code, err.message);
    }
    if (peerId === undefined) onHello(frame);
    else onData(peerId, frame);
  });
  ws.on('error', (err: Error & { code?: string }) => {
    // ws enforces maxPayload itself: it closes the connection with 1009 and reports the error here.
    if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') ctx.metrics.framesRejected.inc({ reason: 'TooLarge' });
    ctx.logger.warn('inbound connection error', { remote, peer: peerId, code: err.code, message: err.message });
  });
  ws.on('close', () => {
    clearTimeout(handshakeTimer);
    clearTimeout(idleTimer);
    snapshots.close();
  });
}

/**
 * The snapshot streams of one inbound connection, one at a time: every chunk checked (SnapshotStreamCheck)
 * and written to the sink in order; the socket is paused while a write is pending, so a sender faster than
 * this member's disk is held back by TCP instead of filling memory here. When the stream ends and checks
 * out, the sink's snapshot is delivered and the sender told (snapAck); a bad stream is dropped (the sink
 * aborted) and refused, and the sender's Raft core retries.
 */
class InboundSnapshots {
  private current: { readonly check: SnapshotStreamCheck; readonly sink: Promise<SnapshotSink>; failed: boolean } | undefined;
  /** Sink calls in arrival order. */
  private tail: Promise<void> = Promise.resolve();
  private writesPending = 0;
  /** The last stream refused: its later chunks are dropped without another refusal. */
  private refusedStreamId: number | undefined;
  private closed = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly ctx: InboundContext,
    private readonly deliver: (from: NodeId, msg: Message) => void,
  ) {}

  /** Take one chunk; returns the reason when it is refused at once (the stream is then dropped). */
  add(from: NodeId, term: number, chunk: SnapshotChunk): string | undefined {
    if (chunk.offsetBytes === 0) {
      // A new stream (the sender restarted, or the next snapshot): whatever was in progress is dropped.
      this.drop();
      const sizeBytesMax = chunk.format === 'image' ? this.ctx.limits.snapshotSizeBytesMax : this.ctx.limits.snapshotStreamSizeBytesMax;
      const sink = this.ctx.openSink(from, chunk.metadata, chunk.format);
      sink.catch(() => undefined);
      this.current = { check: new SnapshotStreamCheck(chunk, sizeBytesMax), sink, failed: false };
    }
    const st = this.current;
    if (st === undefined) {
      // The rest of a stream refused already (one refusal per stream), or a stray chunk.
      if (this.refusedStreamId === chunk.streamId) return undefined;
      return this.refuse(chunk, new SnapshotChunkError('OutOfOrder', `chunk at offset ${chunk.offsetBytes} without a stream`));
    }
    let ended: boolean;
    try {
      ended = st.check.add(chunk);
    } catch (err) {
      this.drop();
      if (err instanceof SnapshotChunkError) return this.refuse(chunk, err);
      throw err;
    }
    if (chunk.data.byteLength > 0 && this.writesPending++ === 0) this.ws.pause();
    const index = chunk.metadata.index;
    this.tail = this.tail
      .then(async () => {
        if (this.current !== st || st.failed) return;
        const sink = await st.sink;
        if (chunk.data.byteLength > 0) await sink.write(chunk.data);
        if (!ended) return;
        this.current = undefined;
        const snapshot = await sink.finish();
        if (this.closed) return;
        this.deliver(from, { type: 'snapshot', from, to: this.ctx.localId, term, snapshot });
        this.ctx.delivered();
        this.ack(chunk.streamId, index, true);
        this.ctx.logger.info('snapshot received', { peer: from, index, sizeBytes: chunk.end?.totalSizeBytes });
      })
      .catch((err: unknown) => {
        st.failed = true;
        if (this.current === st) this.current = undefined;
        void st.sink.then((s) => s.abort()).catch(() => undefined);
        const e = err instanceof SnapshotChunkError ? err : undefined;
        this.ctx.logger.warn('snapshot stream refused', { peer: from, index, code: e?.code ?? 'Internal', message: String(err) });
        this.refusedStreamId = chunk.streamId;
        this.ack(chunk.streamId, index, false, e?.code ?? 'Internal', err instanceof Error ? err.message : String(err));
      })
      .finally(() => {
        if (chunk.data.byteLength > 0 && --this.writesPending === 0 && !this.closed) this.ws.resume();
      });
    return undefined;
  }

  /** The connection closed: a stream in progress is dropped (its sender reports the failure itself). */
  close(): void {
    this.closed = true;
    this.drop();
  }

  private refuse(chunk: SnapshotChunk, err: SnapshotChunkError): string {
    this.refusedStreamId = chunk.streamId;
    this.ack(chunk.streamId, chunk.metadata.index, false, err.code, err.message);
    return err.message;
  }

  private drop(): void {
    const st = this.current;
    this.current = undefined;
    if (st === undefined) return;
    st.failed = true;
    this.tail = this.tail.then(() => st.sink.then((s) => s.abort())).catch(() => undefined);
  }

  private ack(streamId: number, index: number, ok: boolean, code?: SnapshotAckCode, message?: string): void {
    if (!this.closed && this.ws.readyState === this.ws.OPEN) this.ws.send(snapAckFrame(streamId, index, ok, code, message));
  }
}
