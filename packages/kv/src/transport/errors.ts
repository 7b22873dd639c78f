// Typed transport errors. The code travels in error frames to the offending peer and labels the
// frames-rejected metric, so the names are part of the wire protocol: add, never rename.

export type FrameErrorCode =
  /** A text frame, or anything else that is not a binary WebSocket message. */
  | 'NotBinary'
  /** Bytes that are not one msgpack value. */
  | 'NotMsgpack'
  /** msgpack, but not a frame this protocol knows (unknown `t`, missing or ill-typed field). */
  | 'BadFrame'
  /** A raft message inside the frame failed validation (unknown type, missing or ill-typed field). */
  | 'BadMessage'
  /** Over frameSizeBytesMax (the receiver's ws closes with 1009) or over a count limit. */
  | 'TooLarge'
  /** The handshake named another cluster: a misconfigured member, refused and disconnected. */
  | 'ClusterIdMismatch'
  /** The handshake was addressed to another member id than the one listening at this URL. */
  | 'WrongMember'
  /** A data frame before the handshake, or no handshake within handshakeTimeoutMs. */
  | 'NoHandshake'
  /** A message whose `from`/`to` disagree with the handshake's ids. */
  | 'WrongSender'
  /** A snapshot chunk out of order, inconsistent, over the size limit or failing its checksum. */
  | 'BadSnapshotChunk'
  /** The listener already serves inboundConnectionsMax connections. */
  | 'TooManyConnections'
  /** The dialer was removed from the cluster (etcd's ErrMemberRemoved): it should stop. */
  | 'MemberRemoved';

export class FrameError extends Error {
  readonly code: FrameErrorCode;
  constructor(code: FrameErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FrameError';
    this.code = code;
  }
}
