// The request size limit, checked by the client before a request leaves: a member refuses a frame above
// its --max-request-bytes with TooLarge anyway, so sending it would only cost the transfer — or, for a
// request past the member's read limit, the whole connection (close 1009). etcd's clientv3 does the
// same with MaxCallSendMsgSize: grpc refuses an oversized message locally, before any byte is sent.
import { encodeFrame, FRAME_SIZE_BYTES_MAX_DEFAULT } from '../protocol/frame.ts';
import { KvError } from '../protocol/errors.ts';
import type { Method, Methods } from '../protocol/messages.ts';

/** A member's default --max-request-bytes, so a default client and a default member agree. */
export const REQUEST_SIZE_BYTES_MAX_DEFAULT = FRAME_SIZE_BYTES_MAX_DEFAULT;

/** Frame ids take at most this many bytes more than the placeholder used to measure (msgpack uint32). */
const FRAME_ID_PLACEHOLDER = 0xffff_ffff;

/** Throws a TooLarge KvError (never retried) when a frame of `frameBytes` exceeds `limitBytes`. */
export function assertRequestSize(method: Method, frameBytes: number, limitBytes: number): void {
  if (frameBytes <= limitBytes) return;
  throw new KvError('TooLarge', `${method} request of ${frameBytes} bytes exceeds the request size limit of ${limitBytes} bytes (requestSizeBytesMax; members refuse frames above their --max-request-bytes)`);
}

/** Checks a request's size before any endpoint is dialled: an oversized request fails at once, whatever the cluster's state. */
export function checkRequestSize<M extends Method>(method: M, params: Methods[M]['params'], requestId: string | undefined, limitBytes: number): void {
  const frame = encodeFrame({ id: FRAME_ID_PLACEHOLDER, method, params, ...(requestId !== undefined ? { requestId } : {}) });
  assertRequestSize(method, frame.byteLength, limitBytes);
}
