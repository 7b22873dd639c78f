// One connection a peer dialed to us: handshake, then frames validated one by one. A bad frame is
// counted, answered with an error frame and dropped; the connection (and certainly the member) keeps
// serving. Only a failed handshake closes the connection: a member of another cluster, or a dialer
// that meant another member, must not be talking to us at all.

import type WebSocket from 'ws';
import type { RawData } from 'ws';
import type { Message, NodeId } from '../raft/types.ts';
import { SnapshotAssembler, SnapshotChunkError } from '../storage/snapshot-chunks.ts';
import { FrameError, type FrameErrorCode } from './errors.ts';
import { PROTOCOL_VERSION, decodeFrame, encodeFrame, errorFrame, type Frame } from './frames.ts';
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
  /** Whether a peer was removed from the cluster (refused with 'MemberRemoved'). */
  readonly isRemoved: (peerId: NodeId) => boolean;
  /** The handshake of `peerId` succeeded on `ws` (the transport keeps one inbound connection per peer). */
  readonly accepted: (peerId: NodeId, ws: WebSocket) => void;
  /** The dialer told us where it can be reached (its hello's url). */
  readonly learned: (peerId: NodeId, url: string) => void;
}

export function serveInbound(ws: WebSocket, remote: string, ctx: InboundContext): void {
  let peerId: NodeId | undefined;
  const assembler = new SnapshotAssembler(ctx.limits.snapshotSizeBytesMax);

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
        return;
      }
      case 'snap': {
        if (frame.from !== from || frame.to !== ctx.localId) return reject('WrongSender', `snapshot chunk ${frame.from}→${frame.to} on the connection of ${from}`);
        let snapshot;
        try {
          snapshot = assembler.add(frame.chunk);
        } catch (err) {
          if (err instanceof SnapshotChunkError) return reject('BadSnapshotChunk', err.message);
          throw err;
        }
        if (snapshot) ctx.deliver(from, { type: 'snapshot', from: frame.from, to: frame.to, term: frame.term, snapshot });
        return;
      }
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
    assembler.reset();
  });
}
