// Test-only access to the KV packages' internals: the MVCC state machine (the simulated lock runs the real
// one, so txn/compare/watch semantics are the store's own, not a copy), the request builders the client
// sends, and the helper that starts real members in-process. The one place tests reach into them.
export { MvccStore } from '@halyard/kv/mvcc';
export { txnParams } from '../../../kv-client/src/client/requests.ts';
export { RealMembers } from '../../../../test/kv-client/testing/real-members.ts';
