// Transport counters, registered in the registry the server passes in (never prom-client's global
// default, so several members in one test process do not collide).

import { Counter, type Registry } from 'prom-client';

export type DropReason =
  /** The per-peer send queue was full; the oldest message made room (see docs/kv-storage-transport.md). */
  | 'queueFull'
  /** Fault hook: partitioned outgoing or incoming direction. */
  | 'faultOutgoing'
  | 'faultIncoming'
  /** A single message larger than a frame. */
  | 'tooLarge'
  /** No URL known for the destination. */
  | 'unknownPeer'
  /** A newer snapshot for the same peer replaced one not yet sent. */
  | 'superseded'
  /** The peer was removed, or the transport closed, with messages still queued. */
  | 'removed'
  /** The receive handler threw. */
  | 'handlerError';

export interface TransportMetrics {
  readonly messagesSent: Counter<'peer' | 'type'>;
  readonly messagesReceived: Counter<'peer' | 'type'>;
  readonly messagesDropped: Counter<'peer' | 'reason'>;
  readonly framesSent: Counter<'peer'>;
  readonly framesRejected: Counter<'reason'>;
  readonly errorFramesReceived: Counter<'peer' | 'code'>;
  readonly reconnects: Counter<'peer'>;
}

export function createTransportMetrics(registry: Registry | undefined): TransportMetrics {
  const registers = registry ? [registry] : [];
  return {
    messagesSent: new Counter({ name: 'halyard_peer_messages_sent_total', help: 'Raft messages written to a peer connection', labelNames: ['peer', 'type'], registers }),
    messagesReceived: new Counter({ name: 'halyard_peer_messages_received_total', help: 'Raft messages received and delivered', labelNames: ['peer', 'type'], registers }),
    messagesDropped: new Counter({ name: 'halyard_peer_messages_dropped_total', help: 'Raft messages dropped, by reason', labelNames: ['peer', 'reason'], registers }),
    framesSent: new Counter({ name: 'halyard_peer_frames_sent_total', help: 'Data frames (message batches and snapshot chunks) written', labelNames: ['peer'], registers }),
    framesRejected: new Counter({ name: 'halyard_peer_frames_rejected_total', help: 'Received frames refused, by reason', labelNames: ['reason'], registers }),
    errorFramesReceived: new Counter({ name: 'halyard_peer_error_frames_received_total', help: 'Error frames a peer sent us', labelNames: ['peer', 'code'], registers }),
    reconnects: new Counter({ name: 'halyard_peer_reconnects_total', help: 'Connection attempts after a failure or disconnect', labelNames: ['peer'], registers }),
  };
}
