// The peer wire protocol: one msgpack value per binary WebSocket message.
//
//   dialer → listener  hello    {t, v, clusterId, fromId, toId, url?} first frame, always
//   listener → dialer  welcome  {t, clusterId, fromId}               handshake accepted
//   dialer → listener  msgs     {t, msgs: Message[]}                 a batch of raft messages
//   dialer → listener  snap     {t, from, to, term, chunk}           one chunk of a snapshot stream
//   listener → dialer  snapAck  {t, streamId, index, ok, code?, message?}  the stream was installed, or refused
//   either way         error    {t, code, message}                   a refusal; may precede close
//
// Each member dials every peer and sends only on its own outbound connection; it receives on the
// connections peers dialed to it. One direction per connection keeps ordering and backpressure simple.

import type { Message, NodeId } from '../raft/types.ts';
import { pack, unpack } from '../storage/msgpack.ts';
import { ShapeError, decodeSnapshotMetadata, expectArray, expectBytes, expectNodeId, expectObject, expectString, expectUint } from '../storage/shape.ts';
import { SNAPSHOT_FORMATS, type SnapshotChunk, type SnapshotChunkErrorCode, type SnapshotFormat } from '../storage/snapshot-chunks.ts';
import { decodeMessage } from './decode-message.ts';
import { FrameError, type FrameErrorCode } from './errors.ts';

/** 2: snapshot streams of unknown length (an end chunk with size and CRC), a format, and snapAck. */
export const PROTOCOL_VERSION = 2;
/** Cluster ids are operator-chosen names, not payloads. */
export const CLUSTER_ID_LENGTH_MAX = 256;
/** An error frame's text is for logs; bounded so a peer cannot make us log megabytes. */
export const ERROR_MESSAGE_LENGTH_MAX = 1024;
/** A peer URL in a hello frame. */
export const PEER_URL_LENGTH_MAX = 2048;

/** A ws:// or wss:// URL with a host and a port. */
function expectPeerUrl(v: unknown, path: string): string {
  const s = expectString(v, path, PEER_URL_LENGTH_MAX);
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new ShapeError(path, 'a ws:// or wss:// URL');
  }
  if ((u.protocol !== 'ws:' && u.protocol !== 'wss:') || u.hostname === '' || u.port === '') throw new ShapeError(path, 'a ws:// or wss:// URL with a host and a port');
  return s;
}

export type Frame =
  | {
      readonly t: 'hello';
      readonly v: number;
      readonly clusterId: string;
      readonly fromId: NodeId;
      readonly toId: NodeId;
      /** Where the dialer can be reached (its advertised peer URL); a listener that does not know it yet learns it. */
      readonly url?: string;
    }
  | { readonly t: 'welcome'; readonly clusterId: string; readonly fromId: NodeId }
  | { readonly t: 'msgs'; readonly msgs: readonly Message[] }
  | { readonly t: 'snap'; readonly from: NodeId; readonly to: NodeId; readonly term: number; readonly chunk: SnapshotChunk }
  | { readonly t: 'snapAck'; readonly streamId: number; readonly index: number; readonly ok: boolean; readonly code?: SnapshotAckCode; readonly message?: string }
  | { readonly t: 'error'; readonly code: FrameErrorCode; readonly message: string };

/** Why a receiver refused a snapshot stream: a chunk check, or its own failure to store it ('Internal'). */
export type SnapshotAckCode = SnapshotChunkErrorCode | 'Internal';
const SNAPSHOT_ACK_CODES: ReadonlySet<string> = new Set<SnapshotAckCode>(['OutOfOrder', 'Mismatch', 'TooLarge', 'Checksum', 'Unsupported', 'BadData', 'Internal']);

export interface FrameLimits {
  readonly messagesPerFrameMax: number;
}

export function encodeFrame(frame: Frame): Uint8Array {
  return pack(frame);
}

const ERROR_CODES: ReadonlySet<string> = new Set<FrameErrorCode>([
  'NotBinary',
  'NotMsgpack',
  'BadFrame',
  'BadMessage',
  'TooLarge',
  'ClusterIdMismatch',
  'WrongMember',
  'NoHandshake',
  'WrongSender',
  'BadSnapshotChunk',
  'TooManyConnections',
  'MemberRemoved',
]);

/** Decode and validate one received frame. Throws FrameError with the reason code. */
export function decodeFrame(bytes: Uint8Array, limits: FrameLimits): Frame {
  let value: unknown;
  try {
    value = unpack(bytes);
  } catch (err) {
    throw new FrameError('NotMsgpack', 'frame is not a msgpack value', { cause: err });
  }
  let t: unknown;
  try {
    const o = expectObject(value, 'frame');
    t = o['t'];
    switch (t) {
      case 'hello':
        return {
          t,
          v: expectUint(o['v'], 'frame.v'),
          clusterId: expectString(o['clusterId'], 'frame.clusterId', CLUSTER_ID_LENGTH_MAX),
          fromId: expectNodeId(o['fromId'], 'frame.fromId', false),
          toId: expectNodeId(o['toId'], 'frame.toId', false),
          ...(o['url'] !== undefined ? { url: expectPeerUrl(o['url'], 'frame.url') } : {}),
        };
      case 'welcome':
        return { t, clusterId: expectString(o['clusterId'], 'frame.clusterId', CLUSTER_ID_LENGTH_MAX), fromId: expectNodeId(o['fromId'], 'frame.fromId', false) };
      case 'msgs': {
        const raw = o['msgs'];
        if (Array.isArray(raw) && raw.length > limits.messagesPerFrameMax) {
          throw new FrameError('TooLarge', `${raw.length} messages in one frame (max ${limits.messagesPerFrameMax})`);
        }
        return { t, msgs: expectArray(raw, 'frame.msgs', limits.messagesPerFrameMax).map((m, i) => decodeMessage(m, `frame.msgs[${i}]`)) };
      }
      case 'snap': {
        const c = expectObject(o['chunk'], 'frame.chunk');
        return {
          t,
          from: expectNodeId(o['from'], 'frame.from', false),
          to: expectNodeId(o['to'], 'frame.to', false),
          term: expectUint(o['term'], 'frame.term'),
          chunk: {
            metadata: decodeSnapshotMetadata(c['metadata'], 'frame.chunk.metadata'),
            streamId: expectUint(c['streamId'], 'frame.chunk.streamId'),
            format: expectFormat(c['format']),
            offsetBytes: expectUint(c['offsetBytes'], 'frame.chunk.offsetBytes'),
            data: expectBytes(c['data'], 'frame.chunk.data'),
            ...(c['end'] !== undefined ? { end: expectEnd(c['end']) } : {}),
          },
        };
      }
      case 'snapAck': {
        const code = o['code'];
        if (code !== undefined && (typeof code !== 'string' || !SNAPSHOT_ACK_CODES.has(code))) throw new ShapeError('frame.code', 'a known snapshot refusal code');
        const ok = o['ok'];
        if (typeof ok !== 'boolean') throw new ShapeError('frame.ok', 'a boolean');
        return {
          t,
          streamId: expectUint(o['streamId'], 'frame.streamId'),
          index: expectUint(o['index'], 'frame.index'),
          ok,
          ...(code !== undefined ? { code: code as SnapshotAckCode } : {}),
          ...(o['message'] !== undefined ? { message: expectString(o['message'], 'frame.message', ERROR_MESSAGE_LENGTH_MAX) } : {}),
        };
      }
      case 'error': {
        const code = o['code'];
        if (typeof code !== 'string' || !ERROR_CODES.has(code)) throw new ShapeError('frame.code', 'a known error code');
        return { t, code: code as FrameErrorCode, message: expectString(o['message'], 'frame.message', ERROR_MESSAGE_LENGTH_MAX) };
      }
      default:
        throw new ShapeError('frame.t', "one of 'hello', 'welcome', 'msgs', 'snap', 'snapAck', 'error'");
    }
  } catch (err) {
    if (err instanceof ShapeError) {
      const code: FrameErrorCode = t === 'msgs' && err.fieldPath.startsWith('frame.msgs[') ? 'BadMessage' : 'BadFrame';
      throw new FrameError(code, err.message, { cause: err });
    }
    throw err;
  }
}

function expectFormat(v: unknown): SnapshotFormat {
  if (typeof v !== 'string' || !(SNAPSHOT_FORMATS as readonly string[]).includes(v)) throw new ShapeError('frame.chunk.format', `one of ${SNAPSHOT_FORMATS.join(', ')}`);
  return v as SnapshotFormat;
}

function expectEnd(v: unknown): { totalSizeBytes: number; crc32: number } {
  const e = expectObject(v, 'frame.chunk.end');
  return { totalSizeBytes: expectUint(e['totalSizeBytes'], 'frame.chunk.end.totalSizeBytes'), crc32: expectUint(e['crc32'], 'frame.chunk.end.crc32') };
}

/** A snapAck frame; a refusal's text cut to the wire limit. */
export function snapAckFrame(streamId: number, index: number, ok: boolean, code?: SnapshotAckCode, message?: string): Uint8Array {
  return encodeFrame({ t: 'snapAck', streamId, index, ok, ...(code !== undefined ? { code } : {}), ...(message !== undefined ? { message: message.slice(0, ERROR_MESSAGE_LENGTH_MAX) } : {}) });
}

/** An error frame with its text cut to the wire limit. */
export function errorFrame(code: FrameErrorCode, message: string): Uint8Array {
  return encodeFrame({ t: 'error', code, message: message.slice(0, ERROR_MESSAGE_LENGTH_MAX) });
}
