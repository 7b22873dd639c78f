// Public surface of the peer transport.
export { PeerTransport } from './peer-transport.ts';
export type { PeerStatus } from './peer-sender.ts';
export {
  DEFAULT_LIMITS,
  FRAME_SIZE_BYTES_MAX_DEFAULT,
  NO_FAULT,
  consoleLogger,
  silentLogger,
  type PeerFault,
  type PeerTransportOptions,
  type TransportLimits,
  type TransportLogger,
  type TransportTlsOptions,
} from './options.ts';
export { decodeMessage, decodeSnapshot, ENTRIES_PER_MESSAGE_MAX, REQUEST_ID_LENGTH_MAX } from './decode-message.ts';
export { decodeFrame, encodeFrame, PROTOCOL_VERSION, type Frame } from './frames.ts';
export { FrameError, type FrameErrorCode } from './errors.ts';
export { backoffDelayMs, type BackoffPolicy } from './backoff.ts';
export type { DropReason, TransportMetrics } from './metrics.ts';
