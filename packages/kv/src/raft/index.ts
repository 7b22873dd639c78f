// The Raft core's public surface.
export { RaftNode, DEFAULTS, type RaftConfig, type RaftStatus, type RaftBugs } from './node.ts';
export { MemoryStorage, EMPTY_HARD_STATE, type RaftStorage } from './storage.ts';
export { applyConfChange, validateConfChange } from './membership.ts';
export * from './types.ts';
