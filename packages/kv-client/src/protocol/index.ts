// The client protocol's public surface.
export * from './messages.ts';
export { KvError, type KvErrorCode, type MvccErrorCode, type WireError } from './errors.ts';
export type * from './kv-types.ts';
export * from './decode.ts';
export { encodeFrame, decodeFrame, FRAME_SIZE_BYTES_MAX_DEFAULT } from './frame.ts';
export { prefixEnd } from './prefix.ts';
export { corkUntilNextTick } from './cork.ts';
