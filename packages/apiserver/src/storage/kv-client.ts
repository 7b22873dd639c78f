// The ONE import point of the Halyard KV client. The client is moving to its own package
// (`@halyard/kv-client`, ws + msgpackr only); when it lands, only this line changes.
export { KvClient, KvError, compare, op, prefixEnd, type KvClientOptions, type KeyValue, type TxnResult, type Event as KvEvent, type WatchBatch } from '@halyard/kv-client';
