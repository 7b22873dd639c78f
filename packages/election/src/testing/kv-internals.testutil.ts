// Test-only access to the KV package's internals: its MVCC state machine (the simulated lock runs the
// real one, so txn/compare/watch semantics are the store's own, not a copy), the request builders the
// client sends, and the helper that starts real members in-process. The one place tests reach into it.
export { MvccStore } from '../../../kv/src/mvcc/index.ts';
export { txnParams } from '../../../kv/src/client/requests.ts';
export { RealMembers } from '../../../kv/src/client/testing/real-members.ts';
