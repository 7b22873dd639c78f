// @halyard/kv's public surface: the member server. The Raft core, the MVCC store, storage and transport are
// subpath exports (`@halyard/kv/raft`, `/mvcc`, `/storage`, `/transport`, `/server`, `/util`) for the tooling
// that drives them (simulator, CLI); services talk to a member through `@halyard/kv-client`.
export { startMember, memberConfig, parseInitialCluster, KvMember, ClientService, type RunningMember, type MemberFlags, type MemberConfig, MEMBER_DEFAULTS, ConfigError } from './server/index.ts';
export { toWireError } from './server/wire-errors.ts';
