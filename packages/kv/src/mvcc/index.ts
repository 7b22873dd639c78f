// Public surface of the MVCC state machine.
export { MvccStore, type MvccStoreOptions, type RevisionListener, type WatchRange } from './store.ts';
export { MvccError, isMvccError, type MvccErrorCode } from './errors.ts';
export { prefixEnd, compareBytes } from './key-range.ts';
export { txnOpsMax, leaseTtlMaxSeconds } from './validate.ts';
export type { EventsSince } from './event-log.ts';
export type * from '@halyard/kv-client/protocol';
export { WatchHub, type WatchHubOptions, type WatchMessage, type WatchRequest, type WatchSink } from './watch-hub.ts';
