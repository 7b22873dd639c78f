// @halyard/kv's public surface: the client library, the member server, the protocol's types and errors,
// the Raft core, the linearizability checker and the simulator. Everything else is internal.
export * from './client/index.ts';
export { startMember, memberConfig, KvMember, ClientService, type RunningMember, type MemberFlags, type MemberConfig, MEMBER_DEFAULTS, ConfigError } from './server/index.ts';
export type { Header, Member, Method, Methods, StatusResult, WatchCreateParams } from './protocol/messages.ts';
export { toWireError, type WireError } from './protocol/errors.ts';
export * as raft from './raft/index.ts';
export * as check from './check/index.ts';
export { runSimulation, type SimOptions, type SimResult } from './sim/simulator.ts';
export { LocalCluster, type LocalClusterOptions } from './cluster/local-cluster.ts';
