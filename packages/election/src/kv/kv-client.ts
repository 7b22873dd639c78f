// The ONE place the election SDK imports the KV client from (@halyard/kv-client: ws + msgpackr only).
export { KvClient, KvError, bytesToString, compare, op, prefixEnd, toBytes } from '@halyard/kv-client';
export type { Bytes, CallOptions, KeyValue, KvClientOptions, RangeResult, TxnInput, TxnResult, WatchBatch, WatchOptions } from '@halyard/kv-client';
