// The client protocol's public surface.
export * from './messages.ts';
export { KvError, toWireError, type KvErrorCode, type WireError } from './errors.ts';
export { decodeClientRequest, frameIdOf } from './decode.ts';
export { encodeFrame, decodeFrame, FRAME_SIZE_BYTES_MAX_DEFAULT } from './frame.ts';
