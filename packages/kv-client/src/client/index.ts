// Public surface of the KV client library.
export { KvClient } from './kv-client.ts';
export { Watcher, WATCH_BATCHES_BUFFERED_MAX, type WatchBatch } from './watch.ts';
export { LeaseKeepAlive, type LeaseKeepAliveOptions } from './lease-keepalive.ts';
export { compare, op } from './requests.ts';
export { toBytes, bytesToString, prefixEnd } from './bytes.ts';
export { normalizeEndpoint, httpUrlOf } from './endpoints.ts';
export { REQUEST_ATTEMPTS_MAX, WATCH_RESUME_ATTEMPTS_MAX, NotAMemberError, ConnectionLostError, decideRetry, type RetryDecision, type RetryPolicy } from './retry.ts';
export { REQUEST_SIZE_BYTES_MAX_DEFAULT } from './request-size.ts';
export { RESPONSE_SIZE_BYTES_MAX } from './connection.ts';
export { SNAPSHOT_SIZE_BYTES_MAX, type SnapshotDownload } from './snapshot.ts';
export { KvError, type KvErrorCode } from '../protocol/errors.ts';
export type * from './types.ts';
export type { Event } from '../protocol/kv-types.ts';
