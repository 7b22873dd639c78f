// The ONE place the election SDK imports the KV client from. The client is moving to its own package
// (@halyard/kv-client, ws + msgpackr only); when it lands, this line changes and nothing else does.
export { KvClient, KvError, bytesToString, compare, op, prefixEnd, toBytes } from '@halyard/kv';
export type { Bytes, CallOptions, KeyValue, KvClientOptions, RangeResult, TxnInput, TxnResult, WatchBatch, WatchOptions } from '@halyard/kv';
