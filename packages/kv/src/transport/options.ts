// Configuration of the peer transport: limits with their defaults, TLS, logging and hooks.

import type { SecureContextOptions } from 'node:tls';
import type { Registry } from 'prom-client';
import type { Message, NodeId, SnapshotMetadata } from '../raft/types.ts';
import { SNAPSHOT_CHUNK_SIZE_BYTES_DEFAULT, type SnapshotFormat, type SnapshotSink, type SnapshotSource } from '../storage/snapshot-chunks.ts';

export interface TransportLimits {
  /** Largest frame sent or accepted; the listener's ws maxPayload. Oversize incoming frames close that connection (1009). */
  readonly frameSizeBytesMax: number;
  /** Messages in one batch frame; a longer queue goes out in several frames. */
  readonly messagesPerFrameMax: number;
  /** Per-peer send queue bound (count). When full the OLDEST message is dropped. */
  readonly queueMessagesMax: number;
  /** Per-peer send queue bound (estimated bytes). When full the OLDEST messages are dropped. */
  readonly queueSizeBytesMax: number;
  /** Stop writing to a socket while ws buffers more than this; the queue (bounded above) absorbs the rest. */
  readonly socketBufferedBytesMax: number;
  /** Snapshot data per chunk frame; must leave room for the envelope inside frameSizeBytesMax. */
  readonly snapshotChunkSizeBytes: number;
  /** Largest `image` snapshot a receiver will reassemble (memory held per inbound connection while in progress). */
  readonly snapshotSizeBytesMax: number;
  /** Largest `mvccdb` snapshot stream a receiver accepts (written to disk as it arrives, not held in memory). */
  readonly snapshotStreamSizeBytesMax: number;
  /**
   * How long a sender waits, after the last chunk, for the receiver to acknowledge the snapshot (it makes
   * the data durable and opens it first; etcd's sender likewise waits for the receiver's HTTP response).
   */
  readonly snapshotAckTimeoutMs: number;
  /** Simultaneous inbound connections; a cluster needs one per peer, the rest is headroom for restarts. */
  readonly inboundConnectionsMax: number;
  /** Time for the hello/welcome exchange, on both sides. */
  readonly handshakeTimeoutMs: number;
  /**
   * The dialer pings at this interval and drops a connection whose previous ping got no pong: a peer
   * behind a silent partition (no FIN, no RST) is detected and redialed instead of buffering forever.
   */
  readonly pingIntervalMs: number;
  /** The listener drops an inbound connection with no frame and no ping for this long (a half-open socket). */
  readonly inboundIdleTimeoutMs: number;
  readonly backoffMsMin: number;
  readonly backoffMsMax: number;
  /**
   * How long an append that only carries a new commit index may wait for company (see PeerTransport.sendAll):
   * anything else sent to that peer meanwhile takes it along in its frame. Nobody waits for such an append —
   * a follower's linearizable read learns the commit index from its ReadIndex round — and sending it alone
   * costs a write and a wake-up here, and a wake-up, a disk write and an acknowledgement on the follower.
   */
  readonly commitOnlyDelayMs: number;
}

export const FRAME_SIZE_BYTES_MAX_DEFAULT = 1.5 * 1024 * 1024;
/** Room for the snap frame's envelope and snapshot metadata (up to CONF_STATE_MEMBERS_MAX ids) besides the data. */
export const FRAME_ENVELOPE_BYTES_MAX = 64 * 1024;

export const DEFAULT_LIMITS: TransportLimits = {
  frameSizeBytesMax: FRAME_SIZE_BYTES_MAX_DEFAULT,
  messagesPerFrameMax: 4096,
  queueMessagesMax: 4096,
  queueSizeBytesMax: 64 * 1024 * 1024,
  socketBufferedBytesMax: 4 * 1024 * 1024,
  snapshotChunkSizeBytes: SNAPSHOT_CHUNK_SIZE_BYTES_DEFAULT,
  snapshotSizeBytesMax: 512 * 1024 * 1024,
  snapshotStreamSizeBytesMax: 64 * 1024 * 1024 * 1024,
  snapshotAckTimeoutMs: 300_000,
  inboundConnectionsMax: 64,
  handshakeTimeoutMs: 5000,
  pingIntervalMs: 5000,
  inboundIdleTimeoutMs: 15_000,
  backoffMsMin: 50,
  backoffMsMax: 5000,
  commitOnlyDelayMs: 10,
};

/** PEM material. When `ca` is set, both sides require and verify the other's certificate (mutual TLS). */
export interface TransportTlsOptions {
  readonly cert: SecureContextOptions['cert'];
  readonly key: SecureContextOptions['key'];
  readonly ca?: SecureContextOptions['ca'];
}

export interface TransportLogger {
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
  info(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

export const consoleLogger: TransportLogger = {
  warn: (message, fields) => console.warn(`[transport] ${message}`, fields ?? ''),
  info: () => undefined,
};

export const silentLogger: TransportLogger = { warn: () => undefined, info: () => undefined };

export interface PeerTransportOptions {
  readonly id: NodeId;
  readonly clusterId: string;
  /** Where to listen; port 0 picks a free port (see PeerTransport.url after start()). */
  readonly listen: { readonly host: string; readonly port: number };
  /** Peer id → URL (ws://host:port or wss://host:port). Change at runtime with setPeer/removePeer. */
  readonly peers?: Iterable<readonly [NodeId, string]>;
  /** Receives every validated message addressed to this member, in arrival order per peer. */
  readonly handler: (msg: Message) => void;
  /**
   * Called after the messages of one incoming frame (or one received snapshot) have all gone to `handler`:
   * the server steps a frame's messages into the Raft core and hands out one Ready for all of them.
   */
  readonly delivered?: () => void;
  /** Metrics go here; omitted, the counters exist but are registered nowhere. */
  readonly registry?: Registry;
  readonly tls?: TransportTlsOptions;
  readonly logger?: TransportLogger;
  readonly limits?: Partial<TransportLimits>;
  /** Source of jitter for reconnect backoff; [0, 1). Tests inject a fixed one. */
  readonly random?: () => number;
  /** A connection to the peer failed or dropped (etcd's ReportUnreachable). Called on a later event-loop turn, never inside send(). */
  readonly onUnreachable?: (peerId: NodeId) => void;
  /**
   * Whether `peerId` was removed from the cluster: its connections are refused with 'MemberRemoved' so
   * it learns it is out (the leader stops replicating to a removed member, which may then never apply
   * its own removal).
   */
  readonly isRemoved?: (peerId: NodeId) => boolean;
  /** A peer refused us with 'MemberRemoved': this member was removed from the cluster. */
  readonly onRemoved?: (byPeerId: NodeId) => void;
  /**
   * Where a snapshot message's data is read from, called when its stream starts (at most one per peer at a
   * time). Default: the message's own bytes (`image`). A member whose state lives on disk streams its
   * database from a consistent view instead (storage/mvcc-snapshot.ts).
   */
  readonly openSnapshotSource?: (msg: Extract<Message, { type: 'snapshot' }>) => Promise<SnapshotSource>;
  /**
   * Where an incoming snapshot stream is written, called at its first chunk. Default: reassembled in memory
   * (`image`; other formats refused). What finish() returns is delivered as the snapshot message.
   */
  readonly openSnapshotSink?: (from: NodeId, metadata: SnapshotMetadata, format: SnapshotFormat) => Promise<SnapshotSink>;
  /** A snapshot was acknowledged by the receiver (ok) or failed (etcd's ReportSnapshot). Called on a later event-loop turn. */
  readonly onSnapshotSent?: (peerId: NodeId, snapshotIndex: number, ok: boolean) => void;
  /**
   * The URL peers reach this member at, sent in every hello. A peer that does not know this member yet (it
   * has not applied the change that added it) adds it from there, so it can answer (etcd: X-PeerURLs and
   * addRemoteFromRequest); without it a lagging member cannot answer a newer leader it needs to follow.
   */
  readonly advertisedUrl?: string;
  /** A batch of messages was handed to a peer's socket (the write trace stamps appends and acks here). */
  readonly onMessagesWritten?: (msgs: readonly Message[]) => void;
}

/** Runtime fault injection for one peer (tests, `halyard fuzz cluster`). */
export interface PeerFault {
  /** Drop every message this member sends to the peer (A→B cut, B→A untouched). */
  readonly dropOutgoing: boolean;
  /** Drop every message received from the peer before the handler sees it. */
  readonly dropIncoming: boolean;
  /** Hold each outgoing message this long before it may be sent (order is kept). */
  readonly delayMs: number;
}

export const NO_FAULT: PeerFault = { dropOutgoing: false, dropIncoming: false, delayMs: 0 };
